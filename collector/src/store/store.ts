/**
 * The storage interface. Everything the collector persists goes through it, so a second
 * implementation (PostgreSQL, for merchants running several collectors) only has to
 * provide these methods. They return promises although SQLite answers synchronously,
 * for that reason. Each method is one unit of work: the implementation owns its transaction.
 */
import type { Attribution, AttributionRule, AttributionScope, LinkKind } from '../attribution/types.js'
import type { TikTokEvent } from '../tiktok/types.js'
import type { PixelPairingStatus } from '../orders/pairing.js'
import type { DailyCount } from './rollups.js'

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

/** Where an order came from: POST /orders, or a platform's webhook (../webhooks/). */
export type OrderSource = 'api' | 'shopify' | 'woocommerce' | 'stripe'

/** Where an order's facts came from, as its source tells: kept with the order for GET /admin/orders/:id. */
export interface SourceNotes {
  /** The platform's ID of the webhook delivery, and its topic or event type. */
  deliveryId?: string
  topic?: string
  /** The payload field that carried the visitor ID, e.g. `note_attributes._cr_vid`. */
  visitorIdFrom?: string
  /** The payload field that carried the landing URL a ttclid was read from, e.g. `landing_site`. */
  landingUrlFrom?: string
}

/** An order's provenance: its source's notes, and what acceptance found. */
export interface Provenance extends SourceNotes {
  /** Whose IP and user agent the event carries: the order's own, or the visitor's latest click record's. */
  ipFrom?: 'order' | 'visitor_last_click'
  userAgentFrom?: 'order' | 'visitor_last_click'
  /** The ttclid read from the reported landing URL, when no click record holds it (rule `landing_url`). */
  reportedTtclid?: string
}

/** A validated order with its match keys already hashed. */
export interface OrderInput {
  /** Where it came from; `api` when not given. */
  source?: OrderSource
  sourceNotes?: SourceNotes
  /** The ttclid in the landing URL the order platform reported, for attribution's last resort. */
  landingTtclid?: string
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

// Attribution's types live with its rules (../attribution/); re-exported for the store's users.
export type { Attribution, AttributionRule, AttributionScope, AttributionWindow, LinkKind } from '../attribution/types.js'

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
  /** The event as stored: the exact JSON text that is sent, unparsed. */
  payloadJson: string
  testEventCode: string | undefined
  attempts: number
  /** When its maximum age started counting: when it was accepted, or replayed last. */
  ageFrom: number
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
/** Every status an event can have, in the order it moves through them. */
export const EVENT_STATUSES = ['pending', 'sending', 'delivered', 'failed', 'expired'] as const satisfies readonly EventStatus[]
/** The statuses an event ends with, those a replay takes: one pending or in flight is in the queue already. */
export const ENDED_STATUSES = ['delivered', 'failed', 'expired'] as const satisfies readonly EventStatus[]

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

/** Which events a replay takes: the filter's, in row id order, after `afterId`, at most `limit` (default 1,000). */
export interface ReplayFilter extends EventFilter {
  afterId?: number
}

/** A page of the Events list: the filter's events older than row `beforeId`, newest row first. */
export interface EventPage extends EventFilter {
  beforeId?: number
  limit: number
}

/** An event as a list shows it: without its payload and receipts. */
export type EventSummary = Omit<EventRecord, 'payload' | 'receipts'>

/** What replayEvents would take now, read without writing (the dashboard's preview). */
export interface ReplayPreview {
  /** The events it would take, in its order (row id), each with when TikTok first accepted it and whether retention scrubbed it. */
  chosen: Array<EventSummary & { firstDeliveredAt: number | undefined; scrubbed: boolean }>
  /** Events the filter matches in all after `afterId`, not pending or in flight. */
  matching: number
}

/** Who asked for a replay, and how: what the replay log keeps. */
export interface ReplayRequest {
  requestedAt: number
  /** The name the caller gave itself (the ClickRelay-Actor header). */
  actor: string | undefined
  ip: string | undefined
  /** A fingerprint of the admin token, never the token. */
  tokenFingerprint: string
  note: string | undefined
  forced: boolean
  /** The request's own terms, as JSON, for the log. */
  scope: string
  /**
   * Refuse the whole request, replaying nothing, when one of the chosen events was first
   * accepted by TikTok before this time (ms): a copy would be counted again.
   */
  firstDeliveredNotBefore: number | undefined
}

export interface ReplayOutcome {
  /** Row ids put back in the queue, ascending; empty when refused. */
  replayed: number[]
  /** Events the filter still matches after the last one replayed (or after `afterId`), not pending or in flight. */
  remaining: number
  /** The chosen events TikTok first accepted before `firstDeliveredNotBefore`. When any, nothing was replayed. */
  tooOld: Array<{ id: number; eventId: string; firstDeliveredAt: number }>
  /**
   * The chosen events whose order retention scrubbed: their payload keeps no match key, and a copy
   * would be a purchase TikTok cannot attribute. When any, nothing was replayed, forced or not.
   */
  scrubbed: Array<{ id: number; eventId: string }>
}

/** One replay of one event, from the replay log. */
export interface ReplayRecord {
  requestedAt: number
  actor: string | undefined
  ip: string | undefined
  tokenFingerprint: string
  note: string | undefined
  forced: boolean
  previousStatus: EventStatus
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

/** One delivery of a platform's webhook, by the platform's own delivery ID. */
export interface WebhookDelivery {
  platform: Exclude<OrderSource, 'api'>
  deliveryId: string
  topic: string | undefined
  receivedAt: number
  /** What it led to: a new order, an order already accepted, or nothing (not a paid order). */
  outcome: 'accepted' | 'duplicate' | 'ignored'
  reason: string | undefined
  orderId: string | undefined
}

/** Webhook deliveries since a time, counted by platform, outcome and reason. */
export interface WebhookCount {
  platform: WebhookDelivery['platform']
  outcome: WebhookDelivery['outcome']
  reason: string | undefined
  count: number
  lastAt: number
}

/** Whose data a deletion request covers: any of a visitor ID, an email hash, a phone hash. */
export interface DeletionSubject {
  visitorId: string | undefined
  emailHash: string | undefined
  phoneHash: string | undefined
}

/** How many rows a deletion or purge removed, by table. */
export type DeletedCounts = Record<string, number>

export interface PurgeOptions {
  /** Stamped on the orders scrubbed (orders.scrubbed_at). */
  now: number
  /** An event's payload as it may be kept past retention: the amounts and ids, nothing personal. */
  scrub: (event: TikTokEvent) => TikTokEvent
  /** Rows per step (one short transaction each); the event loop runs between steps. */
  chunkSize?: number
  /** Told each step's duration (ms), for a bench to show their spread. */
  onStep?: (ms: number) => void
}

export interface PurgeReport {
  /** Rows deleted, by table: clicks, identities, pixel_receipts, webhook_deliveries. */
  deleted: DeletedCounts
  /** Orders scrubbed of personal data, and the events whose payloads were scrubbed with them. */
  scrubbed: { orders: number; events: number }
  /** Orders past the retention age left as they are because their event still waits to be sent. */
  waiting: number
  /** How many transactions the purge ran, and the longest one (ms): how long it held the database at most. */
  steps: number
  longestStepMs: number
}

/** An order as the operator sees it: its attribution and its server event's delivery. */
export interface OrderReport {
  orderId: string
  eventId: string
  source: OrderSource
  provenance: Provenance
  value: number
  currency: string
  eventTimeS: number
  /** When the collector accepted it, ms. */
  receivedAt: number
  linkedBy: LinkKind | undefined
  /** The rule that gave the order its click; undefined for orders accepted before rules were recorded (migration 006). */
  rule: AttributionRule | undefined
  click: Pick<Click, 'ttclid' | 'landingUrl' | 'inApp' | 'capturedAt' | 'utm' | 'referrer'> | undefined
  /** Its server event; `id` is the event's row, as GET /admin/events/:id and replay take it. */
  event: { id: number; name: string; status: string; attempts: number; lastError: string | undefined; deliveredAt: number | undefined; testEventCode: string | undefined } | undefined
  /** Whether the pixel's event pairs with the server event (../orders/pairing.ts), kept as receipts arrive. */
  pixelPairing: PixelPairingStatus
  /** The order events the pixel fired with this order's event_id or naming its order key (pixel receipts). */
  pixelEvents: Array<{ eventName: string; eventId: string | undefined; receivedAt: number }>
}

/** Where a page of orders ended: the last order's acceptance time and row, for the next page. */
export interface OrderCursor {
  receivedAt: number
  row: number
}

/** Which orders an operator looks at, newest first: the latest, or those with an order key, event_id or email hash. */
export type OrderQuery =
  | { latest: true; before?: OrderCursor; limit: number }
  /** The order with this order key, or with one of these event_ids (exact matches). */
  | { orderId: string; eventIds: string[]; limit: number }
  | { emailHash: string; before?: OrderCursor; limit: number }

export interface OrderPage {
  orders: OrderReport[]
  /** Where the next page starts, when this one was full. */
  next: OrderCursor | undefined
}

export interface Store {
  /**
   * /collect's writes. Each resolves once its record is committed, and not before: an
   * implementation may commit the writes of many requests together (SQLite: one transaction
   * per turn of the event loop, store/group-commit.ts), and then rejects every one of a group
   * that failed, none of which is stored.
   */
  saveClick(click: ClickInput): Promise<void>
  /** Records the hashed email and/or phone a visitor identified with. */
  saveIdentity(identity: IdentityInput): Promise<void>
  savePixelReceipt(receipt: PixelReceiptInput): Promise<void>
  /**
   * Stores the order and its outbound event together, or nothing. Idempotent on the order's
   * event_id (so on its order key, as common/event-id.ts reads it): a resend returns the first
   * order's id and event_id with created=false and adds no event. The order is attributed inside
   * that transaction by the rules in ../attribution/, within `scope`.
   */
  acceptOrder(order: OrderInput, scope: AttributionScope, build: BuildEvent, testEventCode: string | undefined): Promise<AcceptedOrder>
  /** A webhook delivery already handled, by the platform's delivery ID. */
  webhookDelivery(platform: WebhookDelivery['platform'], deliveryId: string): Promise<WebhookDelivery | undefined>
  /** Records a handled delivery; false when that delivery ID was recorded already (a redelivery raced it). */
  recordWebhookDelivery(delivery: WebhookDelivery): Promise<boolean>
  /** Deliveries since `since`, counted by platform, outcome and reason, for /admin/status. */
  webhookActivity(since: number): Promise<WebhookCount[]>
  /** Leases up to `limit` due events until `leaseUntil`; a crash leaves them to be claimed again after it. */
  claimDueEvents(now: number, limit: number, leaseUntil: number): Promise<OutboxEvent[]>
  recordOutcomes(outcomes: DeliveryOutcome[], now: number): Promise<void>
  /** When the next waiting event falls due, if any. */
  nextDueAt(): Promise<number | undefined>
  /** Makes every waiting event due at `now` (the Events API answers again). Returns how many moved. */
  makeWaitingDue(now: number): Promise<number>
  /** Ends as `expired`, with `message`, every waiting event whose maximum age started before `cutoff` (accepted, or replayed last). Returns how many. */
  expireWaiting(cutoff: number, message: string): Promise<number>
  queueStats(): Promise<QueueStats>
  /** What was stored since `since`, for /admin/status. */
  activity(since: number): Promise<Activity>
  /** The latest answer from the Events API, so a restarted collector knows how delivery was going. */
  lastAttempt(): Promise<AttemptRecord | undefined>
  /** When TikTok last accepted an event, if ever. */
  lastDeliveredAt(): Promise<number | undefined>
  /** A value kept with the data: the stored one, or `make()`'s, stored now, when there is none. */
  setting(key: string, make: () => string): Promise<string>
  /** A setting's value, if it has one. */
  readSetting(key: string): Promise<string | undefined>
  /** Sets a setting, replacing its value. */
  putSetting(key: string, value: string): Promise<void>
  /** The Overview's daily counts (rollups.ts) of the UTC days `from` to `to` (YYYY-MM-DD), both included. */
  dailyCounts(from: string, to: string): Promise<DailyCount[]>
  /** The server events created since `since` (ms) that are not delivered (pending, sending, failed, expired), by their status now. */
  notDeliveredCounts(since: number): Promise<Partial<Record<EventStatus, number>>>
  findOrder(orderId: string): Promise<OrderReport | undefined>
  /** The orders an operator asked for, newest first, each through an index and at most `limit`. */
  listOrders(query: OrderQuery): Promise<OrderPage>
  listEvents(filter: EventFilter): Promise<EventSummary[]>
  /** The filter's events newest row first, before row `beforeId`, at most `limit`: the Events page. */
  listEventsNewestFirst(page: EventPage): Promise<EventSummary[]>
  getEvent(id: number): Promise<EventRecord | undefined>
  /**
   * Replay: puts the chosen events (never ones pending or in flight) back in the queue, due now,
   * with the same payload and event_id; their receipts stay. One transaction: checks TikTok's
   * dedup window, logs who asked, requeues, and counts what the filter still matches.
   */
  replayEvents(filter: ReplayFilter, request: ReplayRequest): Promise<ReplayOutcome>
  /** What replayEvents(filter, …) would take now and which of them it would refuse, writing nothing: the same statements. */
  previewReplay(filter: ReplayFilter): Promise<ReplayPreview>
  /** The replays that put this event back in the queue, oldest first. */
  replaysOf(eventRow: number): Promise<ReplayRecord[]>
  /**
   * Retention, in small steps: deletes click records, identities (not seen since) and pixel
   * receipts older than `cutoff`, and scrubs the orders received before it of personal data (visitor
   * ID, email and phone hashes, click) with their events' payloads (through `scrub`), so they keep
   * only amounts, ids, status and receipts. An order whose event still waits to be sent is left for
   * a later purge: delivery needs its match keys. Stops early, with what it did, if the store closes.
   */
  purgeBefore(cutoff: number, options: PurgeOptions): Promise<PurgeReport>
  /**
   * A deletion request: removes the visitors directly linked to the subject (the visitor ID, the
   * visitors that gave its email or phone), their clicks, identities and pixel receipts, and the
   * orders of those visitors or with that email or phone, with their events and attempts.
   */
  deleteSubject(subject: DeletionSubject): Promise<DeletedCounts>
  close(): Promise<void>
}
