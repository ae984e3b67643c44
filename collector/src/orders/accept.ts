/**
 * Accepting a paid order: one path for every source. POST /orders (../routes/orders.ts) and each
 * platform's webhook (../webhooks/) turn what they received into the same order body and call
 * acceptOrderBody: the same validation, event_id, attribution, outbox and delivery.
 *
 * A paid order is never refused over an optional field: only what TikTok's event cannot do
 * without (order_id, value, currency, url) is a 400. Any other field that cannot be used is
 * left out of the event and named in `warnings`.
 */
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max'
import { isIP } from 'node:net'
import { z } from 'zod'
import { eventId } from '../../../common/event-id.js'
import { VISITOR_ID_PATTERN } from '../../../common/wire.js'
import { DAY_MS } from '../clock.js'
import type { AppContext } from '../context.js'
import { describeZodError, parseOr400 } from '../errors.js'
import { hashEmail, hashPhone } from '../hashing.js'
import type { OrderInput, OrderSource, SourceNotes } from '../store/store.js'
import { buildOrderEvent } from '../tiktok/payload.js'

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'))
/** Clicks captured a little after the order's event_time still count: the shop's clock and ours may differ. */
const CLOCK_SKEW_MS = 10 * 60_000

const key = z.union([z.string().trim().min(1).max(200), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)]).transform(String)
const money = z.number().finite().nonnegative()

/** What the event cannot do without: a 400 when one is missing or wrong. */
const requiredSchema = z.object({
  order_id: key,
  value: money,
  currency: z
    .string()
    .transform((v) => v.trim().toUpperCase())
    .refine((v) => /^[A-Z]{3}$/.test(v) && CURRENCIES.has(v), 'must be an ISO 4217 currency code, e.g. USD'),
  url: z
    .string()
    .max(4096)
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL'),
})

const MAX_CONTENTS = 1000
/** Bad contents lines named one by one; past this, counted. */
const MAX_LINE_WARNINGS = 10
const contentLine = z.object({ content_id: key, quantity: z.number().int().positive(), price: money })

/** Enrichment: each is checked on its own, and left out with a warning when it cannot be used. */
const optionalSchemas = {
  email: z.string().max(320),
  phone: z.string().max(64),
  visitor_id: z.string().regex(VISITOR_ID_PATTERN, 'must be the cr_vid cookie value (16 to 64 characters of A-Z, a-z, 0-9, _ and -)'),
  ip: z
    .string()
    .trim()
    .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address'),
  // A user agent is any printable header value; control characters mean it was mangled on the way.
  user_agent: z
    .string()
    .trim()
    .min(1)
    .max(1024)
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must be a printable header value'),
  event_time: z
    .number()
    .int()
    .positive()
    .refine((v) => v < 1e11, 'must be Unix seconds, not milliseconds'),
}
type Optional = { [K in keyof typeof optionalSchemas]?: z.output<(typeof optionalSchemas)[K]> }

/** The optional fields that can be used; each one that cannot is named in `warnings`. A null counts as absent. */
function readOptional(body: Record<string, unknown>, warnings: string[]): Optional {
  const fields: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(optionalSchemas)) {
    const value = body[name]
    if (value === undefined || value === null) continue
    const result = schema.safeParse(value)
    if (result.success) fields[name] = result.data
    else warnings.push(`${name}: ${describeZodError(result.error)}; ${name === 'event_time' ? 'the time the order was received is sent instead' : 'left out of the event'}`)
  }
  return fields as Optional
}

/** The contents lines that can be used; a bad line is left out and named, the rest are kept. */
function readContents(value: unknown, warnings: string[]): OrderInput['contents'] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) {
    warnings.push('contents: must be an array of {content_id, quantity, price}; left out of the event')
    return []
  }
  if (value.length > MAX_CONTENTS) warnings.push(`contents: more than ${MAX_CONTENTS} lines; lines after the ${MAX_CONTENTS}th left out of the event`)
  const lines: OrderInput['contents'] = []
  let bad = 0
  value.slice(0, MAX_CONTENTS).forEach((line: unknown, i) => {
    const result = contentLine.safeParse(line)
    if (result.success) lines.push(result.data)
    else if (++bad <= MAX_LINE_WARNINGS) warnings.push(`contents[${i}]${result.error.issues[0]?.path.length ? '.' : ': '}${describeZodError(result.error)}; line left out of the event`)
  })
  if (bad > MAX_LINE_WARNINGS) warnings.push(`contents: ${bad - MAX_LINE_WARNINGS} more lines that cannot be used left out of the event`)
  return lines
}


const SOURCE_NAMES: Record<OrderSource, string> = { api: 'POST /orders', shopify: 'The Shopify webhook', woocommerce: 'The WooCommerce webhook', stripe: 'The Stripe webhook' }

/** What a source adds to the order body: where it came from, and what it knows beyond the body. */
export interface OrderSourceInfo {
  source: OrderSource
  notes?: SourceNotes
  /** The ttclid in the landing URL the platform reported, for attribution's last resort. */
  landingTtclid?: string
  /** The buyer's country (ISO 3166-1 alpha-2), for a phone number written without its country code. */
  phoneCountry?: string
  /** What the source could not use, for the answer's `warnings`. */
  warnings?: string[]
  /** Appended to a 400's message, e.g. what the route takes. */
  hint?: string
}

/** The order's own country when it is a valid one, else CLICKRELAY_DEFAULT_COUNTRY. */
function phoneCountryOf(from: OrderSourceInfo, fallback: CountryCode | undefined): CountryCode | undefined {
  const country = from.phoneCountry?.trim().toUpperCase()
  return country && isSupportedCountry(country) ? country : fallback
}

export interface AcceptedOrderBody {
  created: boolean
  orderId: string
  eventId: string
  warnings: string[]
}

/**
 * Validates an order body ({order_id, value, currency, url, email?, phone?, visitor_id?, ip?,
 * user_agent?, event_time?, contents?}) and accepts it: stored with its event in one transaction,
 * idempotent on its order key. Throws a 400 HttpError when a required field is missing or wrong.
 */
export async function acceptOrderBody(ctx: AppContext, json: unknown, from: OrderSourceInfo): Promise<AcceptedOrderBody> {
  const { config, clock, store } = ctx
  const now = clock.now()
  const body = parseOr400(requiredSchema, json, from.hint)
  const fields = json as Record<string, unknown>
  const warnings: string[] = [...(from.warnings ?? [])]
  const optional = readOptional(fields, warnings)
  const contents = readContents(fields.contents, warnings)
  if (optional.event_time !== undefined && optional.event_time * 1000 > now + CLOCK_SKEW_MS) {
    warnings.push('event_time: is in the future (send the time the order was paid, in Unix seconds); the time the order was received is sent instead')
    optional.event_time = undefined
  }
  const emailHash = optional.email ? hashEmail(optional.email) : undefined
  if (optional.email && !emailHash) warnings.push('email: not an email address; left out of the event')
  const phoneHash = optional.phone ? hashPhone(optional.phone, phoneCountryOf(from, config.defaultCountry)) : undefined
  if (optional.phone && !phoneHash) warnings.push('phone: cannot be normalised to E.164 (set CLICKRELAY_DEFAULT_COUNTRY for national numbers); left out of the event')

  const eventName = config.tiktok.purchaseEvent
  const order: OrderInput = {
    source: from.source,
    sourceNotes: from.notes,
    landingTtclid: from.landingTtclid,
    orderId: body.order_id,
    eventName,
    eventId: eventId(eventName, body.order_id),
    visitorId: optional.visitor_id,
    emailHash,
    phoneHash,
    value: body.value,
    currency: body.currency,
    contents,
    ip: optional.ip,
    userAgent: optional.user_agent,
    url: body.url,
    eventTimeS: optional.event_time ?? Math.floor(now / 1000),
    receivedAt: now,
  }
  const orderTime = order.eventTimeS * 1000
  const window = { from: orderTime - config.clickWindowDays * DAY_MS, to: orderTime + CLOCK_SKEW_MS, sharedLinkBrowsers: config.sharedLinkBrowsers }
  const accepted = await store.acceptOrder(order, window, buildOrderEvent, config.tiktok.testEventCode)
  if (accepted.created) ctx.onEnqueued()
  ctx.log.info({ source: from.source, order_id: accepted.orderId, event_id: accepted.eventId, created: accepted.created, ...(warnings.length ? { warnings } : {}) }, accepted.created ? 'order accepted' : 'order resent; already accepted')
  // The backend that sends a field TikTok cannot use loses matches on every order: say so in /admin/status.
  if (warnings.length) ctx.monitor.problem('order_fields_left_out', `${SOURCE_NAMES[from.source]} accepted order ${accepted.orderId} without what could not be used: ${warnings.join('; ')}. ${from.source === 'api' ? 'Fix what your backend sends' : 'Check the order in the platform'}: each field left out is a match key or detail TikTok does not get`, { order_id: accepted.orderId })
  return { created: accepted.created, orderId: accepted.orderId, eventId: accepted.eventId, warnings }
}
