/**
 * The storage interface. Everything the collector persists goes through it, so a second
 * implementation (PostgreSQL, for merchants running several collectors) only has to
 * provide these methods. They return promises although SQLite answers synchronously,
 * for that reason. Each method is one unit of work: the implementation owns its transaction.
 */
import type { TikTokEvent } from '../tiktok/types.js'

export interface ClickInput {
  visitorId: string
  ttclid: string | undefined
  ttp: string | undefined
  utm: Partial<Record<'source' | 'medium' | 'campaign' | 'content' | 'term', string>>
  landingUrl: string
  referrer: string | undefined
  inApp: boolean
  ip: string | undefined
  userAgent: string | undefined
  capturedAt: number
}

export interface Click extends ClickInput {
  id: number
}

/** A validated order with its match keys already hashed. */
export interface OrderInput {
  orderId: string
  eventName: string
  eventId: string
  visitorId: string | undefined
  emailHash: string | undefined
  phoneHash: string | undefined
  value: number
  currency: string
  contents: Array<{ content_id: string; quantity: number; price: number }>
  ip: string | undefined
  userAgent: string | undefined
  url: string
  eventTimeS: number
  receivedAt: number
}

export type LinkKind = 'visitor_id'

export interface Attribution {
  /** The click whose ttclid the order carries. */
  click: Click | undefined
  linkedBy: LinkKind | undefined
  /** The most recent _ttp seen for the buyer. */
  ttp: string | undefined
  /** The buyer's latest click of any kind, for ip/user_agent when the order has none. */
  lastSeen: Click | undefined
}

export interface AttributionWindow {
  from: number
  to: number
}

export type BuildEvent = (order: OrderInput, attribution: Attribution) => TikTokEvent

export interface AcceptedOrder {
  created: boolean
  orderId: string
  eventId: string
}

export interface OutboxEvent {
  id: number
  destination: string
  eventName: string
  eventId: string
  payload: TikTokEvent
  testEventCode: string | undefined
  attempts: number
  createdAt: number
}

export interface AttemptRecord {
  startedAt: number
  durationMs: number
  batchSize: number
  httpStatus: number | undefined
  code: number | undefined
  message: string
  requestId: string | undefined
}

export type DeliveryOutcome =
  | { id: number; status: 'delivered'; attempt: AttemptRecord }
  | { id: number; status: 'retry'; attempt: AttemptRecord; nextAttemptAt: number }
  | { id: number; status: 'failed'; attempt: AttemptRecord }

export interface QueueStats {
  waiting: number
  oldestWaitingSince: number | undefined
}

export interface IdentityInput {
  visitorId: string
  emailHash: string | undefined
  phoneHash: string | undefined
  seenAt: number
}

export interface PixelReceiptInput {
  visitorId: string
  eventName: string
  eventId: string | undefined
  orderKey: string | undefined
  clientTime: number | undefined
  receivedAt: number
}

export interface Store {
  saveClick(click: ClickInput): Promise<void>
  /** Records the hashed email and/or phone a visitor identified with. */
  saveIdentity(identity: IdentityInput): Promise<void>
  savePixelReceipt(receipt: PixelReceiptInput): Promise<void>
  /**
   * Stores the order and its outbound event together, or nothing. Idempotent on the order's
   * event_id (so on its order key, as common/event-id.ts reads it): a resend returns the first
   * order's id and event_id with created=false and adds no event.
   */
  acceptOrder(order: OrderInput, window: AttributionWindow, build: BuildEvent, testEventCode: string | undefined): Promise<AcceptedOrder>
  /** Leases up to `limit` due events until `leaseUntil`; a crash leaves them to be claimed again after it. */
  claimDueEvents(now: number, limit: number, leaseUntil: number): Promise<OutboxEvent[]>
  recordOutcomes(outcomes: DeliveryOutcome[], now: number): Promise<void>
  /** When the next waiting event falls due, if any. */
  nextDueAt(): Promise<number | undefined>
  queueStats(): Promise<QueueStats>
  close(): Promise<void>
}
