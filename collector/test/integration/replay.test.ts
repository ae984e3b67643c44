/**
 * Replays that cannot double-count (issue 10, §3), over real sockets and a real SQLite file, on a
 * clock the test moves: TikTok drops a copy of an event_id only within 48 hours of first
 * receiving it (the sandbox counts the same way), so a later copy counts the purchase twice.
 */
import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { DAY_MS, HOUR_MS } from '../../src/clock.js'
import { ADMIN_TOKEN, eventually, manualClock, postSignedOrder, readRows, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

let clock: ReturnType<typeof manualClock>
let sandbox: TestSandbox
let collector: TestCollector

const order = (orderId: string, extra: Record<string, unknown> = {}) => ({ order_id: orderId, value: 42, currency: 'EUR', url: 'https://shop.example/thanks', ...extra })
const post = (orderId: string, extra: Record<string, unknown> = {}) => postSignedOrder(collector.url, order(orderId, extra), { timestamp: Math.floor(clock.now() / 1000) })

function rows<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(collector.dbPath, { readonly: true })
  try {
    return db.prepare(sql).all(...params) as T[]
  } finally {
    db.close()
  }
}
const eventRow = (eventId: string) => rows<{ id: number; status: string }>(`SELECT id, status FROM events WHERE event_id = ?`, eventId)[0]!
const delivered = (eventId: string, times = 1) =>
  eventually(() => (sandbox.sandbox.received().filter((e) => e.eventId === eventId).length >= times && eventRow(eventId).status === 'delivered' ? true : undefined), 5_000, `${eventId} delivered ${times}×`)
const copies = (eventId: string) => sandbox.sandbox.received().filter((e) => e.eventId === eventId).length

async function admin(path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(collector.url + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, any> }
}
const replayOne = (id: number, body: unknown = {}, headers?: Record<string, string>) => admin(`/admin/events/${id}/replay`, body, headers)
const iso = (ms: number) => new Date(ms).toISOString()

describe('replays', () => {
  beforeEach(async () => {
    clock = manualClock()
    sandbox = await startTestSandbox({ clock })
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN } })
  })
  afterEach(async () => {
    await collector.stop()
    await sandbox.close()
  })

  test('a delivered event TikTok first received more than 48 hours ago is refused with 409 saying why, and nothing is sent', async () => {
    assert.equal((await post('old-1')).status, 201)
    await delivered('ord_old-1')
    const { id } = eventRow('ord_old-1')

    clock.advance(49 * HOUR_MS)
    const refused = await replayOne(id)
    assert.equal(refused.status, 409)
    assert.equal(refused.body.error.code, 'outside_dedup_window')
    assert.match(refused.body.error.message, /first accepted by TikTok 49 hours ago/)
    assert.match(refused.body.error.message, /only within 48 hours of first receiving it/)
    assert.match(refused.body.error.message, /count the purchase twice/)
    assert.match(refused.body.error.message, /"force": true/)

    await collector.delivery.idle()
    assert.equal(eventRow('ord_old-1').status, 'delivered', 'the event was not put back in the queue')
    assert.equal(copies('ord_old-1'), 1)
    assert.equal(sandbox.sandbox.report('ord_old-1').counted_once, true)
    assert.deepEqual((await admin(`/admin/events/${id}`)).body.replays, [], 'a refused replay is not logged as a replay')
  })

  test('within the window a replay goes out with the same event_id, and TikTok counts it once', async () => {
    assert.equal((await post('recent-1')).status, 201)
    await delivered('ord_recent-1')
    clock.advance(46 * HOUR_MS)
    const answer = await replayOne(eventRow('ord_recent-1').id)
    assert.equal(answer.status, 200)
    await delivered('ord_recent-1', 2)
    assert.deepEqual(
      sandbox.sandbox.received().map((e) => e.eventId),
      ['ord_recent-1', 'ord_recent-1'],
    )
    assert.equal(sandbox.sandbox.report('ord_recent-1').counted_once, true)
  })

  test('an hour before the window closes replays stop: the copy must still reach TikTok inside it', async () => {
    assert.equal((await post('edge-1')).status, 201)
    await delivered('ord_edge-1')
    clock.advance(47 * HOUR_MS + 30 * 60_000)
    const refused = await replayOne(eventRow('ord_edge-1').id)
    assert.equal(refused.status, 409)
    assert.match(refused.body.error.message, /stops replays 1 hour before that/)
  })

  test('"force": true sends it anyway, same event_id, and the replay log says who asked, when and why, never the token', async () => {
    assert.equal((await post('forced-1')).status, 201)
    await delivered('ord_forced-1')
    const { id } = eventRow('ord_forced-1')
    clock.advance(3 * DAY_MS)
    const requestedAt = clock.now()

    const forced = await replayOne(id, { force: true, note: 'TikTok support asked for a resend' }, { 'ClickRelay-Actor': 'alice@shop.example' })
    assert.equal(forced.status, 200)
    assert.deepEqual(forced.body, { replayed: [id], forced: true })
    await delivered('ord_forced-1', 2)
    assert.deepEqual(
      sandbox.sandbox.received().map((e) => e.eventId),
      ['ord_forced-1', 'ord_forced-1'],
      'the copy kept its event_id',
    )
    assert.equal(sandbox.sandbox.report('ord_forced-1').counted_once, false, 'as the 409 warned: TikTok counts the forced copy again')

    const event = (await admin(`/admin/events/${id}`)).body
    // Keyed with a secret of the database: the log a viewer reads is no hash of the admin token to guess against.
    const key = readRows<{ value: string }>(collector.dbPath, `SELECT value FROM settings WHERE key = 'replay_fingerprint_key'`)[0]!.value
    assert.notEqual(event.replays[0].token_fingerprint, createHash('sha256').update(ADMIN_TOKEN).digest('hex').slice(0, 16))
    assert.deepEqual(event.replays, [
      {
        requested_at: iso(requestedAt),
        actor: 'alice@shop.example',
        ip: '127.0.0.1',
        token_fingerprint: createHmac('sha256', key).update(ADMIN_TOKEN).digest('hex').slice(0, 16),
        forced: true,
        note: 'TikTok support asked for a resend',
        previous_status: 'delivered',
      },
    ])
    assert.equal(event.receipts.length, 2, 'both attempts are kept')
    await collector.delivery.idle()
    const files = ['', '-wal'].map((suffix) => {
      try {
        return readFileSync(collector.dbPath + suffix).toString('latin1')
      } catch {
        return ''
      }
    })
    assert.equal(files.join('').includes(ADMIN_TOKEN), false, 'the admin token is not stored')
    assert.equal(collector.logs().includes(ADMIN_TOKEN), false, 'nor logged')
    assert.match(collector.logs(), /"level":40.*"forced":true.*replayed with force/)
  })

  test("the 48 hours run from TikTok's first receipt: not from the order's event_time, not from the latest replay", async () => {
    // An order paid three days ago, reported and delivered only now: TikTok's window starts now.
    const threeDaysAgo = Math.floor((clock.now() - 3 * DAY_MS) / 1000)
    assert.equal((await post('late-1', { event_time: threeDaysAgo })).status, 201)
    await delivered('ord_late-1')
    clock.advance(HOUR_MS)
    assert.equal((await replayOne(eventRow('ord_late-1').id)).status, 200, 'an old event_time does not close the window')
    await delivered('ord_late-1', 2)
    assert.equal(sandbox.sandbox.report('ord_late-1').counted_once, true)

    // Delivered at t0, replayed at t0 + 24 h (delivered_at moves), asked again at t0 + 49 h.
    assert.equal((await post('twice-1')).status, 201)
    await delivered('ord_twice-1')
    const { id } = eventRow('ord_twice-1')
    clock.advance(24 * HOUR_MS)
    assert.equal((await replayOne(id)).status, 200)
    await delivered('ord_twice-1', 2)
    clock.advance(25 * HOUR_MS)
    const refused = await replayOne(id)
    assert.equal(refused.status, 409, 'the latest delivery was 25 hours ago, but TikTok first received the event 49 hours ago')
    assert.match(refused.body.error.message, /49 hours ago/)
    await collector.delivery.idle()
    assert.equal(copies('ord_twice-1'), 2)
    assert.equal(sandbox.sandbox.report('ord_twice-1').counted_once, true)
  })

  test('a failed event TikTok once accepted is held to the same window', async () => {
    assert.equal((await post('flaky-1')).status, 201)
    await delivered('ord_flaky-1')
    const { id } = eventRow('ord_flaky-1')
    // Replayed within the window, then refused as invalid: failed, but TikTok has counted it.
    sandbox.sandbox.inject({ kind: 'invalid_event', eventIds: ['ord_flaky-1'] })
    assert.equal((await replayOne(id)).status, 200)
    await eventually(() => (eventRow('ord_flaky-1').status === 'failed' ? true : undefined), 5_000, 'the failure')
    sandbox.sandbox.clearFaults()
    clock.advance(49 * HOUR_MS)
    const refused = await admin('/admin/replays', { status: ['failed'], from: iso(clock.now() - 3 * DAY_MS), to: iso(clock.now()) })
    assert.equal(refused.status, 409)
    assert.equal(refused.body.error.code, 'outside_dedup_window')
    assert.equal(eventRow('ord_flaky-1').status, 'failed')
  })

  test('a bulk replay with one event outside the window replays nothing and says which; force replays them all', async () => {
    const from = iso(clock.now())
    assert.equal((await post('bulk-old')).status, 201)
    await delivered('ord_bulk-old')
    clock.advance(49 * HOUR_MS)
    assert.equal((await post('bulk-new')).status, 201)
    await delivered('ord_bulk-new')
    const [old, recent] = [eventRow('ord_bulk-old').id, eventRow('ord_bulk-new').id]
    const range = { status: ['delivered'], from, to: iso(clock.now() + 60_000) }

    const refused = await admin('/admin/replays', range)
    assert.equal(refused.status, 409)
    assert.equal(refused.body.error.code, 'outside_dedup_window')
    assert.match(refused.body.error.message, new RegExp(`^1 of the 2 events chosen \\(rows ${old}\\)`))
    assert.match(refused.body.error.message, /Nothing was replayed/)
    await collector.delivery.idle()
    assert.deepEqual([copies('ord_bulk-old'), copies('ord_bulk-new')], [1, 1])

    const forced = await admin('/admin/replays', { ...range, force: true, note: 'pixel outage on the 14th' }, { 'ClickRelay-Actor': 'ops-script' })
    assert.equal(forced.status, 200)
    assert.deepEqual(forced.body, { replayed: [old, recent], count: 2, remaining: 0, next_after_id: null, forced: true })
    await delivered('ord_bulk-old', 2)
    await delivered('ord_bulk-new', 2)
    const log = (await admin(`/admin/events/${old}`)).body.replays as Array<Record<string, unknown>>
    assert.deepEqual(
      log.map((r) => [r.actor, r.forced, r.note, r.previous_status]),
      [['ops-script', true, 'pixel outage on the 14th', 'delivered']],
    )
  })

  test('a bulk replay takes at most `limit` events (default 1,000, at most 10,000) and answers what is left', async () => {
    // 1,001 failed events, written straight into the outbox from a real order's payload.
    assert.equal((await post('template')).status, 201)
    await delivered('ord_template')
    const writer = new Database(collector.dbPath)
    try {
      writer
        .prepare(
          `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1001)
           INSERT INTO events (event_name, event_id, payload, status, next_attempt_at, created_at, last_error)
           SELECT 'Purchase', 'bulk_' || i, json_set(e.payload, '$.event_id', 'bulk_' || i), 'failed', 0, @now, 'refused'
           FROM n, events e WHERE e.event_id = 'ord_template'`,
        )
        .run({ now: clock.now() })
    } finally {
      writer.close()
    }
    const range = { status: ['failed'], from: iso(clock.now() - HOUR_MS), to: iso(clock.now() + HOUR_MS) }

    for (const limit of [0, 10_001, 1.5]) {
      const bad = await admin('/admin/replays', { ...range, limit })
      assert.equal(bad.status, 400, `limit ${limit}`)
      assert.match(bad.body.error.message, /^limit:/)
    }

    const first = await admin('/admin/replays', range)
    assert.equal(first.status, 200)
    assert.equal(first.body.count, 1000, 'the default limit is 1,000')
    assert.equal(first.body.remaining, 1)
    assert.equal(first.body.next_after_id, first.body.replayed.at(-1))
    const rest = await admin('/admin/replays', { ...range, limit: 10_000, after_id: first.body.next_after_id })
    assert.deepEqual([rest.body.count, rest.body.remaining, rest.body.next_after_id], [1, 0, null])

    await eventually(() => (rows<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE status = 'delivered'`)[0]!.n === 1002 ? true : undefined), 10_000, 'all 1,001 delivered')
    assert.equal(new Set(sandbox.sandbox.received().map((e) => e.eventId)).size, 1002)
    // One request row per call, one line per event.
    assert.deepEqual(rows(`SELECT COUNT(*) AS requests, (SELECT COUNT(*) FROM replayed_events) AS events FROM replay_requests`), [{ requests: 2, events: 1001 }])
  })

  test('paging with next_after_id never takes an event twice, even when the replayed ones are delivered again before the next page', async () => {
    const from = iso(clock.now())
    for (const id of ['page-1', 'page-2', 'page-3']) assert.equal((await post(id)).status, 201)
    for (const id of ['page-1', 'page-2', 'page-3']) await delivered(`ord_${id}`)
    const range = { status: ['delivered'], from, to: iso(clock.now() + 60_000), limit: 2 }

    const first = await admin('/admin/replays', range)
    assert.deepEqual([first.body.count, first.body.remaining], [2, 1])
    await delivered('ord_page-1', 2)
    await delivered('ord_page-2', 2)
    const second = await admin('/admin/replays', { ...range, after_id: first.body.next_after_id })
    assert.deepEqual(second.body, { replayed: [eventRow('ord_page-3').id], count: 1, remaining: 0, next_after_id: null, forced: false })
    await delivered('ord_page-3', 2)
    assert.deepEqual(['ord_page-1', 'ord_page-2', 'ord_page-3'].map(copies), [2, 2, 2])
  })

  test("a deletion request removes an event's replay log lines with it (the request stays, naming no one's data)", async () => {
    assert.equal((await post('erase-1', { email: 'erase.me@example.com' })).status, 201)
    await delivered('ord_erase-1')
    assert.equal((await replayOne(eventRow('ord_erase-1').id, {}, { 'ClickRelay-Actor': 'support' })).status, 200)
    await delivered('ord_erase-1', 2)
    const deleted = await admin('/admin/deletions', { email: 'erase.me@example.com' })
    assert.equal(deleted.status, 200)
    assert.equal(deleted.body.deleted.events, 1)
    assert.deepEqual(rows(`SELECT COUNT(*) AS n FROM replayed_events`), [{ n: 0 }])
    assert.deepEqual(rows(`SELECT actor FROM replay_requests`), [{ actor: 'support' }])
  })

  test('an event still waiting is not replayed (409 in_queue) and an unknown one is a 404', async () => {
    sandbox.sandbox.inject({ kind: 'http', status: 503, times: 0 })
    assert.equal((await post('waiting-1')).status, 201)
    await eventually(() => (sandbox.sandbox.requests().length ? true : undefined), 5_000, 'a failed attempt')
    const waiting = await replayOne(eventRow('ord_waiting-1').id)
    assert.equal(waiting.status, 409)
    assert.equal(waiting.body.error.code, 'in_queue')
    assert.equal((await replayOne(999_999)).status, 404)
    assert.equal((await replayOne(eventRow('ord_waiting-1').id, { force: 'yes' })).status, 400)
  })
})
