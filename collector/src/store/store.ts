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

/**
 * How the buyer's cluster reached the visitor whose click the order carries: the order's own
 * visitor ID, or the first link from the buyer (a shared email or phone hash, or a shared ttclid:
 * the same ad click opened in another browser).
 */
export type LinkKind = 'visitor_id' | 'email' | 'phone' | 'ttclid'

export interface Attribution {
  /** The click whose ttclid the order carries. */
  click: Click | undefined
  linkedBy: LinkKind | undefined
  /** The most recent _ttp seen in the buyer's cluster. */
  ttp: string | undefined
  /** The order's own visitor's latest click, for ip/user_agent when the order has none. */
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
  | { id: number; status: 'failed' | 'expired'; attempt: AttemptRecord }

export type EventStatus = 'pending' | 'sending' | 'delivered' | 'failed' | 'expired'

/** Which events an operator means: by row id, or by status and acceptance time. */
export interface EventFilter {
  ids?: number[]
  statuses?: EventStatus[]
  /** accepted at or after, ms */
  from?: number
  /** accepted before, ms */
  to?: number
  limit?: number
}

/** An event with its receipts: the exact payload and every attempt. */
export interface EventRecord {
  id: number
  destination: string
  eventName: string
  eventId: string
  orderId: string | undefined
  status: EventStatus
  attempts: number
  lastError: string | undefined
  testEventCode: string | undefined
  createdAt: number
  deliveredAt: number | undefined
  nextAttemptAt: number
  payload: TikTokEvent
  receipts: AttemptRecord[]
}

export interface Activity {
  /** Click records stored, and those of them that carried a ttclid. */
  clicks: number
  adClicks: number
  /** Orders accepted, and those of them linked to a ttclid. */
  orders: number
  ordersWithTtclid: number
}

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

/** Whose data a deletion request covers: any of a visitor ID, an email hash, a phone hash. */
export interface DeletionSubject {
  visitorId: string | undefined
  emailHash: string | undefined
  phoneHash: string | undefined
}

/** How many rows a deletion or purge removed, by table. */
export type DeletedCounts = Record<string, number>

/** An order as the operator sees it: its attribution and its server event's delivery. */
export interface OrderReport {
  orderId: string
  eventId: string
  eventTimeS: number
  linkedBy: LinkKind | undefined
  click: Pick<Click, 'ttclid' | 'landingUrl' | 'inApp' | 'capturedAt' | 'utm'> | undefined
  event: { name: string; status: string; attempts: number; lastError: string | undefined; deliveredAt: number | undefined; testEventCode: string | undefined } | undefined
  /** The order events the pixel fired with this order's event_id (pixel receipts). */
  pixelEvents: Array<{ eventName: string; receivedAt: number }>
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
  /** What was stored since `since`, for /admin/status. */
  activity(since: number): Promise<Activity>
  /** The latest answer from the Events API, so a restarted collector knows how delivery was going. */
  lastAttempt(): Promise<AttemptRecord | undefined>
  /** When TikTok last accepted an event, if ever. */
  lastDeliveredAt(): Promise<number | undefined>
  /** A value kept with the data: the stored one, or `make()`'s, stored now, when there is none. */
  setting(key: string, make: () => string): Promise<string>
  findOrder(orderId: string): Promise<OrderReport | undefined>
  listEvents(filter: EventFilter): Promise<Array<Omit<EventRecord, 'payload' | 'receipts'>>>
  getEvent(id: number): Promise<EventRecord | undefined>
  /**
   * Replay: puts the chosen events (never ones pending or in flight) back in the queue, due now,
   * with the same payload and event_id; their receipts stay. Returns the row ids requeued.
   */
  replayEvents(filter: EventFilter, now: number): Promise<number[]>
  /** Retention: deletes click records and pixel receipts captured before `cutoff`. */
  purgeBefore(cutoff: number): Promise<DeletedCounts>
  /**
   * A deletion request: removes the visitors directly linked to the subject (the visitor ID, the
   * visitors that gave its email or phone), their clicks, identities and pixel receipts, and the
   * orders of those visitors or with that email or phone, with their events and attempts.
   */
  deleteSubject(subject: DeletionSubject): Promise<DeletedCounts>
  close(): Promise<void>
}
