/**
 * Retention past CLICKRELAY_RETENTION_DAYS: everything personal goes (clicks, identities, pixel
 * receipts deleted; orders and their events scrubbed), the books stay (amounts, ids, status,
 * receipts), an event still waiting to be sent keeps its match keys, and the purge works in
 * small steps with the event loop running between them. Over a real socket and a real SQLite file.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { DAY_MS } from '../../src/clock.js'
import { hashExternalId } from '../../src/hashing.js'
import { scrubEvent } from '../../src/retention.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import type { OrderInput, PurgeReport, Store } from '../../src/store/store.js'
import { buildOrderEvent } from '../../src/tiktok/payload.js'
import type { TikTokEvent } from '../../src/tiktok/types.js'
import { ADMIN_TOKEN, eventually, manualClock, postClick, postSignedOrder, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

function rows<T>(dbPath: string, sql: string): T[] {
  const conn = new Database(dbPath, { readonly: true })
  try {
    return conn.prepare(sql).all() as T[]
  } finally {
    conn.close()
  }
}

describe('retention over HTTP', () => {
  const clock = manualClock()
  let sandbox: TestSandbox
  let collector: TestCollector
  const OLD = 'retain_old_visitor_1'
  const NEW = 'retain_new_visitor_1'
  const IP = '203.0.113.77'
  const UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) RetentionTest/1.0'
  const TTCLID = 'E.C.P.retention-old-click'
  const TTP = '2hW3retentionTtp.1718000000'
  const EMAIL = 'old.buyer@example.com'

  before(async () => {
    sandbox = await startTestSandbox()
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_RETENTION_DAYS: '30', CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN } })
  })
  after(async () => {
    await collector.stop()
    await sandbox.close()
  })

  const signed = () => ({ timestamp: Math.floor(clock.now() / 1000) })
  const eventRow = (orderId: string) => rows<{ id: number }>(collector.dbPath, `SELECT id FROM events WHERE order_id = '${orderId}'`)[0]!.id
  const delivered = (orderId: string) =>
    eventually(() => rows<{ status: string }>(collector.dbPath, `SELECT status FROM events WHERE order_id = '${orderId}'`)[0]?.status === 'delivered' || undefined, 5_000, `${orderId} delivered`)

  test('past the retention age, personal data is deleted or scrubbed and the books are kept', async () => {
    // Day 0: an ad click, identify(), the pixel's receipt, then the order, delivered.
    await postClick(collector.url, { v: OLD, u: `https://shop.example/?ttclid=${TTCLID}`, p: TTP })
    await postClick(collector.url, { k: 'i', v: OLD, e: sha(EMAIL) })
    await postClick(collector.url, { k: 'r', v: OLD, n: 'Purchase', i: 'ord_old-1', o: 'old-1', t: 1 })
    const old = { order_id: 'old-1', value: 42.5, currency: 'EUR', contents: [{ content_id: 'sku-1', quantity: 2, price: 21.25 }], url: 'https://shop.example/thank-you/old-1?key=wc_order_secret&email=old.buyer%40example.com', visitor_id: OLD, email: EMAIL, phone: '+33 6 12 34 56 78', ip: IP, user_agent: UA }
    assert.equal((await postSignedOrder(collector.url, old, signed())).status, 201)
    await delivered('old-1')
    const [before] = rows<{ payload: string }>(collector.dbPath, `SELECT payload FROM events WHERE order_id = 'old-1'`)
    const sent = JSON.parse(before!.payload) as TikTokEvent
    assert.equal(sent.user.ip, IP, 'the stored payload had the personal fields')
    assert.equal(sent.user.ttclid, TTCLID)
    // Day 20: a newer visitor and order, inside the retention age at day 31.
    clock.advance(20 * DAY_MS)
    await postClick(collector.url, { v: NEW, u: 'https://shop.example/?ttclid=E.C.P.retention-new' })
    assert.equal((await postSignedOrder(collector.url, { order_id: 'new-1', value: 9, currency: 'EUR', url: 'https://shop.example/t', visitor_id: NEW, email: 'new@example.com', ip: IP, user_agent: UA }, signed())).status, 201)
    await delivered('new-1')

    clock.advance(11 * DAY_MS)
    const report = await collector.store.purgeBefore(clock.now() - 30 * DAY_MS, { now: clock.now(), scrub: scrubEvent, chunkSize: 2 })
    // The click, the email identity (from identify() and the order: one row) and the phone's, the receipt.
    assert.deepEqual(report.deleted, { clicks: 1, identities: 2, pixel_receipts: 1, webhook_deliveries: 0 })
    assert.deepEqual(report.scrubbed, { orders: 1, events: 1 })
    assert.equal(report.waiting, 0)

    assert.deepEqual(rows(collector.dbPath, `SELECT visitor_id FROM clicks UNION ALL SELECT visitor_id FROM identities UNION ALL SELECT visitor_id FROM pixel_receipts`), [{ visitor_id: NEW }, { visitor_id: NEW }])
    const [order] = rows<Record<string, unknown>>(collector.dbPath, `SELECT * FROM orders WHERE order_id = 'old-1'`)
    // Every column is either scrubbed or kept for the books: a new column has to be placed here.
    const PERSONAL = ['visitor_id', 'email_sha256', 'phone_sha256', 'click_id']
    // provenance keeps where the order's facts came from (delivery ID, topic, field names); a ttclid in it goes.
    const BOOKS = ['order_id', 'event_id', 'value', 'currency', 'event_time_s', 'linked_by', 'attribution_rule', 'received_at', 'scrubbed_at', 'source', 'provenance', 'pixel_pairing']
    assert.deepEqual(Object.keys(order!).filter((column) => !PERSONAL.includes(column) && !BOOKS.includes(column)), [], 'orders columns neither scrubbed nor kept')
    assert.deepEqual(Object.fromEntries(PERSONAL.map((column) => [column, order![column]])), { visitor_id: null, email_sha256: null, phone_sha256: null, click_id: null })
    assert.deepEqual({ order_id: order!.order_id, value: order!.value, currency: order!.currency, linked_by: order!.linked_by, scrubbed_at: order!.scrubbed_at }, { order_id: 'old-1', value: 42.5, currency: 'EUR', linked_by: 'visitor_id', scrubbed_at: clock.now() })
    const [event] = rows<{ payload: string; status: string; event_id: string; receipts: number }>(
      collector.dbPath,
      `SELECT payload, status, event_id, (SELECT COUNT(*) FROM attempts WHERE event_row = events.id) AS receipts FROM events WHERE order_id = 'old-1'`,
    )
    assert.equal(event!.status, 'delivered')
    assert.equal(event!.event_id, order!.event_id)
    assert.ok(event!.receipts >= 1, 'the delivery receipts stay')
    assert.deepEqual(JSON.parse(event!.payload), {
      event: sent.event,
      event_time: sent.event_time,
      event_id: sent.event_id,
      user: {},
      properties: { contents: [{ content_id: 'sku-1', quantity: 2, price: 21.25 }], content_type: 'product', currency: 'EUR', value: 42.5, order_id: 'old-1' },
      page: { url: 'https://shop.example/' },
    })
    for (const personal of [IP, UA, TTCLID, TTP, sha(EMAIL), ...(sent.user.phone ?? []), hashExternalId(OLD), OLD, 'wc_order_secret', 'old.buyer']) {
      assert.ok(!event!.payload.includes(personal), `scrubbed payload still holds ${personal}`)
    }

    // A scrubbed event cannot be replayed, not even forced: the copy would carry no match key.
    const replay = await fetch(`${collector.url}/admin/events/${eventRow('old-1')}/replay`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ force: true }) })
    assert.equal(replay.status, 409)
    const refusal = (await replay.json()) as { error: { code: string; message: string } }
    assert.equal(refusal.error.code, 'scrubbed')
    assert.match(refusal.error.message, /CLICKRELAY_RETENTION_DAYS/)
    const bulk = await fetch(`${collector.url}/admin/replays`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ status: ['delivered'], from: new Date(0).toISOString(), to: new Date(clock.now()).toISOString(), force: true }) })
    assert.equal(bulk.status, 409)
    assert.equal(rows<{ status: string }>(collector.dbPath, `SELECT status FROM events WHERE order_id IN ('old-1', 'new-1') ORDER BY order_id`).map((r) => r.status).join(), 'delivered,delivered', 'nothing was requeued')

    // The newer order is untouched, and a second purge finds nothing more to do.
    const [fresh] = rows<{ payload: string; email_sha256: string | null }>(collector.dbPath, `SELECT payload, email_sha256 FROM events JOIN orders USING (order_id) WHERE order_id = 'new-1'`)
    assert.equal((JSON.parse(fresh!.payload) as TikTokEvent).user.ip, IP)
    assert.equal(fresh!.email_sha256, sha('new@example.com'))
    const again = await collector.store.purgeBefore(clock.now() - 30 * DAY_MS, { now: clock.now(), scrub: scrubEvent, chunkSize: 2 })
    assert.deepEqual({ deleted: again.deleted, scrubbed: again.scrubbed }, { deleted: { clicks: 0, identities: 0, pixel_receipts: 0, webhook_deliveries: 0 }, scrubbed: { orders: 0, events: 0 } })
  })
})

describe('retention in the store', () => {
  const T0 = Date.UTC(2026, 0, 1)
  const RETAIN_MS = 30 * DAY_MS
  let dir: string
  let store: Store
  let dbPath: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'clickrelay-retention-'))
    dbPath = join(dir, 'clickrelay.db')
    store = openSqliteStore(dbPath)
  })
  after(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const order = (n: number, receivedAt: number): OrderInput => ({
    orderId: `o-${n}`,
    eventName: 'Purchase',
    eventId: `ord_o-${n}`,
    visitorId: `visitor_${String(n).padStart(12, '0')}`,
    emailHash: sha(`buyer${n}@example.com`),
    phoneHash: undefined,
    value: 10 + n,
    currency: 'USD',
    contents: [],
    ip: '198.51.100.9',
    userAgent: 'Mozilla/5.0 StoreTest',
    url: 'https://shop.example/thanks',
    eventTimeS: Math.floor(receivedAt / 1000),
    receivedAt,
  })
  const accept = (o: OrderInput) => store.acceptOrder(o, { from: o.receivedAt - 7 * DAY_MS, to: o.receivedAt }, buildOrderEvent, undefined)
  const attempt = { startedAt: T0, durationMs: 5, batchSize: 1, httpStatus: 200, code: 0, message: 'OK', requestId: 'r' }
  const scrubbedAt = () => rows<{ order_id: string; scrubbed_at: number | null }>(dbPath, `SELECT order_id, scrubbed_at FROM orders ORDER BY order_id`)

  test('chunks of chunkSize rows, one transaction each, the event loop running between them; waiting events keep their match keys', async () => {
    // Seven old clicks, and six old orders received in the same millisecond (ties for the chunk cursor).
    for (let i = 0; i < 7; i++) {
      await store.saveClick({ visitorId: `visitor_${String(i).padStart(12, '0')}`, ttclid: `E.C.P.${i}`, ttp: undefined, utm: {}, landingUrl: 'https://shop.example/', referrer: undefined, inApp: false, ip: '198.51.100.9', userAgent: 'UA', capturedAt: T0 + i })
    }
    for (let n = 0; n < 6; n++) await accept(order(n, T0 + DAY_MS))
    // Three webhook deliveries: two past the retention age, one within it.
    for (const [id, at] of [['old-1', T0], ['old-2', T0 + 1], ['new-1', T0 + 39 * DAY_MS]] as const) {
      assert.equal(await store.recordWebhookDelivery({ platform: 'shopify', deliveryId: id, topic: 'orders/paid', receivedAt: at, outcome: 'ignored', reason: 'test', orderId: undefined }), true)
    }
    // All delivered but o-0 (its event still pending) and o-1 (sending: its request is in flight).
    const claimed = await store.claimDueEvents(T0 + DAY_MS, 100, T0 + 2 * DAY_MS)
    assert.equal(claimed.length, 6)
    const keep = new Set(['ord_o-0', 'ord_o-1'])
    await store.recordOutcomes(
      claimed.filter((e) => !keep.has(e.eventId)).map((e) => ({ id: e.id, status: 'delivered' as const, attempt })),
      T0 + DAY_MS,
    )
    const pending = claimed.find((e) => e.eventId === 'ord_o-0')!
    await store.recordOutcomes([{ id: pending.id, status: 'retry', attempt: { ...attempt, httpStatus: 503, code: undefined }, nextAttemptAt: T0 + 90 * DAY_MS }], T0 + DAY_MS)

    const now = T0 + 40 * DAY_MS
    let turns = 0
    let done = false
    const purge = store.purgeBefore(now - RETAIN_MS, { now, scrub: scrubEvent, chunkSize: 2 }).finally(() => (done = true))
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve))
      turns++
    }
    const report: PurgeReport = await purge

    assert.deepEqual(report.deleted, { clicks: 7, identities: 6, pixel_receipts: 0, webhook_deliveries: 2 })
    assert.deepEqual(rows<{ delivery_id: string }>(dbPath, `SELECT delivery_id FROM webhook_deliveries`), [{ delivery_id: 'new-1' }])
    assert.deepEqual(report.scrubbed, { orders: 4, events: 4 })
    assert.equal(report.waiting, 2)
    // A table of n rows takes floor(n / 2) + 1 steps of at most 2 rows (the last finds fewer): clicks 4, identities 4,
    // receipts 1, webhook deliveries 2, orders 4 (6 candidates: 2, 2, 2, then none).
    assert.equal(report.steps, 4 + 4 + 1 + 2 + 4)
    assert.ok(report.longestStepMs > 0 && Number.isFinite(report.longestStepMs))
    assert.ok(turns >= report.steps, `the event loop ran ${turns} times during ${report.steps} steps`)

    assert.deepEqual(scrubbedAt(), [
      { order_id: 'o-0', scrubbed_at: null },
      { order_id: 'o-1', scrubbed_at: null },
      ...[2, 3, 4, 5].map((n) => ({ order_id: `o-${n}`, scrubbed_at: now })),
    ])
    const waiting = rows<{ payload: string; email_sha256: string }>(dbPath, `SELECT payload, email_sha256 FROM events JOIN orders USING (order_id) WHERE order_id IN ('o-0', 'o-1') ORDER BY order_id`)
    for (const [i, row] of waiting.entries()) {
      assert.equal(row.email_sha256, sha(`buyer${i}@example.com`))
      assert.deepEqual((JSON.parse(row.payload) as TikTokEvent).user.email, [sha(`buyer${i}@example.com`)], 'a waiting event is sent with its match keys')
    }

    // Once they are sent, the next purge scrubs them.
    const inFlight = claimed.find((e) => e.eventId === 'ord_o-1')!
    await store.recordOutcomes([{ id: inFlight.id, status: 'delivered', attempt }, { id: pending.id, status: 'failed', attempt }], now)
    const later = await store.purgeBefore(now - RETAIN_MS, { now: now + 1, scrub: scrubEvent, chunkSize: 2 })
    assert.deepEqual({ scrubbed: later.scrubbed, waiting: later.waiting }, { scrubbed: { orders: 2, events: 2 }, waiting: 0 })
    assert.equal(rows(dbPath, `SELECT 1 FROM orders WHERE scrubbed_at IS NULL OR email_sha256 IS NOT NULL OR visitor_id IS NOT NULL`).length, 0)
    assert.equal(rows(dbPath, `SELECT 1 FROM events WHERE payload LIKE '%198.51.100.9%' OR payload LIKE '%buyer%' OR json_extract(payload, '$.user') != '{}'`).length, 0)
  })

  test('a purge under way stops, without failing, when the store closes', async () => {
    const other = openSqliteStore(join(dir, 'closing.db'))
    for (let i = 0; i < 50; i++) {
      await other.saveClick({ visitorId: `closing_visitor_${i}`.padEnd(16, '0'), ttclid: undefined, ttp: undefined, utm: {}, landingUrl: 'https://shop.example/', referrer: undefined, inApp: false, ip: undefined, userAgent: undefined, capturedAt: T0 })
    }
    const purge = other.purgeBefore(T0 + DAY_MS, { now: T0 + DAY_MS, scrub: scrubEvent, chunkSize: 5 })
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    await other.close()
    const report = await purge
    assert.ok(report.deleted.clicks! > 0 && report.deleted.clicks! < 50, `stopped part way: ${report.deleted.clicks} deleted`)
  })
})
