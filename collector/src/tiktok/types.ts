/** The TikTok Events API 2.0 wire format (POST /open_api/v1.3/event/track/), as far as ClickRelay uses it. */

/** Web standard events. Purchase replaced CompletePayment and Lead replaced SubmitForm in May 2025; the legacy names are still accepted. */
export const STANDARD_EVENTS = [
  'AddPaymentInfo', 'AddToCart', 'AddToWishlist', 'ApplicationApproval', 'CompleteRegistration', 'Contact',
  'CustomizeProduct', 'Download', 'FindLocation', 'InitiateCheckout', 'Lead', 'Purchase', 'Schedule', 'Search',
  'StartTrial', 'SubmitApplication', 'Subscribe', 'ViewContent',
  // legacy, mapped by TikTok
  'CompletePayment', 'SubmitForm', 'PlaceAnOrder', 'ClickButton',
] as const

export interface TikTokUser {
  ttclid?: string
  ttp?: string
  /** SHA-256 lowercase hex each */
  email?: string[]
  phone?: string[]
  external_id?: string[]
  ip?: string
  user_agent?: string
  locale?: string
}

export interface TikTokContent {
  content_id: string
  content_name?: string
  content_category?: string
  quantity?: number
  price?: number
  brand?: string
}

export interface TikTokEvent {
  event: string
  /** Unix seconds */
  event_time: number
  event_id: string
  user: TikTokUser
  properties?: {
    contents?: TikTokContent[]
    content_type?: 'product' | 'product_group'
    currency?: string
    value?: number
    order_id?: string
    shop_id?: string
    description?: string
    query?: string
  }
  page: { url: string; referrer?: string }
  limited_data_use?: boolean
}

export interface TrackRequest {
  event_source: 'web'
  event_source_id: string
  test_event_code?: string
  partner_name?: string
  data: TikTokEvent[]
}

export interface TrackResponse {
  code: number
  message: string
  request_id?: string
  data?: unknown
}

/** Codes this project acts on. TikTok answers HTTP 200 with a non-zero code on failure: the body decides. */
export const TIKTOK_CODE = {
  OK: 0,
  NO_PERMISSION: 40001,
  INVALID_PARAMETER: 40002,
  TOO_MANY_REQUESTS: 40100,
  /** The access token is missing, wrong or revoked. */
  INVALID_TOKEN: 40105,
  /** The object the request names does not exist: for the Events API, the pixel. */
  NOT_FOUND: 40007,
} as const
