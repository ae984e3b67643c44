/**
 * The delivery engine against the sandbox Events API, with the collector as a real child
 * process: every fault ends delivered, a kill -9 during a TikTok outage loses and doubles
 * nothing, one invalid event does not sink its batch, test mode, replay, graceful shutdown.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { eventually, postSignedOrder, startChildCollector, startTestSandbox, type ChildCollector, type TestSandbox } from '../harness.js'

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789'
let sandbox: TestSandbox
let dir: string
let dbPath: string
const children: ChildCollector[] = []

const start = async (env: Record<string, string> = {}) => {
  const child = await startChildCollector({
    CLICKRELAY_DB: dbPath,
    CLICKRELAY_EVENTS_API_URL: sandbox.trackUrl,
    CLICKRELAY_RETRY_BASE_MS: '20',
    CLICKRELAY_RETRY_MAX_MS: '200',
    CLICKRELAY_DELIVERY_TIMEOUT_MS: '500',
    CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN,
    ...env,
  })
  children.push(child)
  return child
}
const order = (orderId: string) => ({ order_id: orderId, value: 42, currency: 'EUR', url: 'https://shop.example/thanks', email: 'buyer@example.com' })

function rows<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true })
  try {
    return db.prepare(sql).all(...params) as T[]
  } finally {
    db.close()
  }
}
const statusOf = (eventId: string) => rows<{ status: string }>(`SELECT status FROM events WHERE event_id = ?`, eventId)[0]?.status
const admin = (url: string, path: string, body?: unknown) =>
  fetch(url + path, { method: body === undefined ? 'GET' : 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })

describe('delivery', { timeout: 60_000 }, () => {
  // A fresh sandbox per test: a request the previous test left in flight cannot land in this one's log.
  beforeEach(async () => {
    sandbox = await startTestSandbox()
    dir = mkdtempSync(join(tmpdir(), 'clickrelay-delivery-'))
    dbPath = join(dir, 'clickrelay.db')
  })
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.process.kill('SIGKILL')
      await child.exited
    }
    await sandbox.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('every fault is retried until the event is delivered, honouring Retry-After, counted once', async () => {
    sandbox.sandbox.inject(
      { kind: 'http', status: 500 },
      { kind: 'http', status: 503 },
      { kind: 'rate_limit', retryAfterS: 1 },
      { kind: 'code', code: 40100 },
      { kind: 'timeout' },
      { kind: 'reset' },
      { kind: 'latency', ms: 200 },
    )
    const collector = await start()
    assert.equal((await postSignedOrder(collector.url, order('faults-1'))).status, 201)
    await eventually(() => (statusOf('ord_faults-1') === 'delivered' ? true : undefined), 15_000, 'delivery through the faults')

    const attempts = rows<{ http_status: number | null; code: number | null; message: string; started_at: number }>(
      `SELECT a.http_status, a.code, a.message, a.started_at FROM attempts a JOIN events e ON e.id = a.event_row WHERE e.event_id = 'ord_faults-1' ORDER BY a.id`,
    )
    assert.deepEqual(
      attempts.map((a) => [a.http_status, a.code]),
      [
        [500, null],
        [503, null],
        [429, null],
        [200, 40100],
        [null, null],
        [null, null],
        [200, 0],
      ],
    )
    assert.match(attempts[4]!.message, /timed out after 500 ms/)
    assert.match(attempts[5]!.message, /connection failed/)
    assert.ok(attempts[3]!.started_at - attempts[2]!.started_at >= 1_000, 'the attempt after a 429 waited for its Retry-After')
    assert.equal(sandbox.sandbox.report('ord_faults-1').counted_once, true)
  })

  test('a TikTok outage and a kill -9 mid-delivery: after a restart every accepted order is delivered and counted once', async () => {
    sandbox.sandbox.inject({ kind: 'http', status: 503, times: 0 })
    // A request timeout well past the sandbox's latency below, so the request is surely in flight at the kill.
    let collector = await start({ CLICKRELAY_DELIVERY_TIMEOUT_MS: '10000' })
    const ids = Array.from({ length: 30 }, (_, i) => `outage-${i}`)
    for (const id of ids) assert.equal((await postSignedOrder(collector.url, order(id))).status, 201)
    await eventually(() => (sandbox.sandbox.requests().length >= 5 ? true : undefined), 5_000, 'failed attempts during the outage')

    // TikTok comes back, slowly: it takes the events, then the collector dies before the answer.
    sandbox.sandbox.clearFaults()
    sandbox.sandbox.inject({ kind: 'latency', ms: 1_500, times: 0 })
    await eventually(() => (sandbox.sandbox.received().length > 0 ? true : undefined), 5_000, 'events in flight')
    collector.process.kill('SIGKILL')
    assert.equal(await collector.exited, 'SIGKILL')
    const inFlight = rows<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE status = 'sending'`)[0]!.n
    assert.ok(inFlight > 0, 'events were in flight when the process died')

    sandbox.sandbox.clearFaults()
    collector = await start()
    await eventually(() => (rows<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE status = 'delivered'`)[0]!.n === 30 ? true : undefined), 15_000, 'all 30 delivered')
    const received = new Set(sandbox.sandbox.received().map((e) => e.eventId))
    assert.equal(received.size, 30)
    assert.ok(sandbox.sandbox.received().length > 30, 'some events reached TikTok twice (at-least-once)...')
    for (const id of ids) assert.equal(sandbox.sandbox.report(`ord_${id}`).counted_once, true, `...yet ${id} is counted once`)
  })

  test('one invalid event does not sink its batch: the rest are delivered, it fails with TikTok\'s message', async () => {
    sandbox.sandbox.inject({ kind: 'latency', ms: 3_000 }, { kind: 'invalid_event', eventIds: ['ord_batch-5'] })
    const collector = await start({ CLICKRELAY_DELIVERY_TIMEOUT_MS: '10000' })
    // The first order's request is held for 3 s; the next nine queue behind it and go as one batch.
    assert.equal((await postSignedOrder(collector.url, order('batch-0'))).status, 201)
    await eventually(() => (sandbox.sandbox.received().length ? true : undefined), 5_000, 'the first request in flight')
    const rest = await Promise.all(Array.from({ length: 9 }, (_, i) => postSignedOrder(collector.url, order(`batch-${i + 1}`))))
    assert.deepEqual(rest.map((r) => r.status), Array(9).fill(201))
    await eventually(() => (rows<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE status IN ('delivered', 'failed')`)[0]!.n === 10 ? true : undefined), 15_000, 'every event settled')
    assert.deepEqual(rows(`SELECT event_id, status FROM events WHERE status != 'delivered'`), [{ event_id: 'ord_batch-5', status: 'failed' }])
    assert.match(rows<{ last_error: string }>(`SELECT last_error FROM events WHERE event_id = 'ord_batch-5'`)[0]!.last_error, /ord_batch-5.*rejected/)
    const batches = sandbox.sandbox.requests().map((r) => [r.events, r.code])
    assert.deepEqual(batches[1], [9, 40002], 'the backlog went as one batch, which TikTok refused whole')
    assert.equal(new Set(sandbox.sandbox.received().map((e) => e.eventId)).size, 9)
  })

  test('test mode puts test_event_code at the top level of every request and marks each event', async () => {
    const collector = await start({ CLICKRELAY_TEST_EVENT_CODE: 'TEST12345' })
    assert.equal((await postSignedOrder(collector.url, order('test-mode-1'))).status, 201)
    const received = await eventually(() => sandbox.sandbox.received().find((e) => e.eventId === 'ord_test-mode-1'), 5_000, 'the test event')
    assert.equal(received.testEventCode, 'TEST12345')
    assert.equal('test_event_code' in received.payload, false)
    assert.equal(sandbox.sandbox.report('ord_test-mode-1').events[0]!.test, true)
    await eventually(() => (statusOf('ord_test-mode-1') === 'delivered' ? true : undefined))
    const [row] = rows<{ id: number; test_event_code: string }>(`SELECT id, test_event_code FROM events WHERE event_id = 'ord_test-mode-1'`)
    assert.equal(row!.test_event_code, 'TEST12345')
    const viaAdmin = (await (await admin(collector.url, `/admin/events/${row!.id}`)).json()) as { test_event_code: string; receipts: unknown[]; payload: { event_id: string } }
    assert.equal(viaAdmin.test_event_code, 'TEST12345')
    assert.equal(viaAdmin.payload.event_id, 'ord_test-mode-1')
    assert.equal(viaAdmin.receipts.length, 1)
  })

  test('replay sends a failed event again with the same event_id, one by id or all failed in a time range', async () => {
    sandbox.sandbox.inject({ kind: 'invalid_event', eventIds: ['ord_replay-1', 'ord_replay-2', 'ord_replay-3'] })
    const collector = await start()
    const from = new Date().toISOString()
    for (const id of ['replay-1', 'replay-2', 'replay-3']) await postSignedOrder(collector.url, order(id))
    await eventually(() => (rows<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE status = 'failed'`)[0]!.n === 3 ? true : undefined), 5_000, 'three failures')
    sandbox.sandbox.clearFaults()

    const listed = (await (await admin(collector.url, '/admin/events?status=failed')).json()) as { events: Array<{ id: number; event_id: string }> }
    const first = listed.events.find((e) => e.event_id === 'ord_replay-1')!
    const one = await admin(collector.url, `/admin/events/${first.id}/replay`, {})
    assert.equal(one.status, 200)
    await eventually(() => (statusOf('ord_replay-1') === 'delivered' ? true : undefined), 5_000, 'the replayed event')
    assert.equal((await admin(collector.url, `/admin/events/${first.id}/replay`, {})).status, 200, 'a delivered event may be replayed too; TikTok deduplicates it')

    const range = await admin(collector.url, '/admin/replays', { status: ['failed'], from, to: new Date(Date.now() + 60_000).toISOString() })
    assert.deepEqual(((await range.json()) as { count: number }).count, 2)
    await eventually(() => (statusOf('ord_replay-2') === 'delivered' && statusOf('ord_replay-3') === 'delivered' ? true : undefined), 5_000, 'the range replayed')
    for (const id of ['ord_replay-1', 'ord_replay-2', 'ord_replay-3']) assert.equal(sandbox.sandbox.report(id).counted_once, true)
    const receipts = (await (await admin(collector.url, `/admin/events/${first.id}`)).json()) as { receipts: Array<{ code: number }> }
    assert.deepEqual(receipts.receipts.map((r) => r.code), [40002, 0, 0], 'every attempt is kept')
  })

  test('SIGTERM finishes the request in flight, records it, and exits 0', async () => {
    sandbox.sandbox.inject({ kind: 'latency', ms: 400 })
    const collector = await start({ CLICKRELAY_DELIVERY_TIMEOUT_MS: '5000' })
    assert.equal((await postSignedOrder(collector.url, order('sigterm-1'))).status, 201)
    await eventually(() => (sandbox.sandbox.received().length ? true : undefined), 5_000, 'the request in flight')
    collector.process.kill('SIGTERM')
    assert.equal(await collector.exited, 0)
    assert.equal(statusOf('ord_sigterm-1'), 'delivered')
  })
})
