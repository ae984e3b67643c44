/**
 * Delivery verdicts and the circuit, against the sandbox Events API over real sockets: a revoked
 * token keeps events waiting and is probed with one event until it works again; an unknown code
 * is retried; a batch refused with HTTP 400 or 413 is split down to its bad events; an outage
 * costs one probe request per backoff step; and the recovery sends the whole backlog at once,
 * in batches of up to 1,000.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { DAY_MS } from '../../src/clock.js'
import type { RequestLog } from '../../src/sandbox/events-api.js'
import { eventually, manualClock, readRows, postSignedOrder, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

let sandbox: TestSandbox
let collector: TestCollector | undefined

const order = (orderId: string) => ({ order_id: orderId, value: 42, currency: 'EUR', url: 'https://shop.example/thanks', email: 'buyer@example.com' })

const rows = <T>(sql: string, ...params: unknown[]) => readRows<T>(collector!.dbPath, sql, ...params)
const count = (sql: string, ...params: unknown[]) => rows<{ n: number }>(sql, ...params)[0]!.n
const statusOf = (eventId: string) => rows<{ status: string }>(`SELECT status FROM events WHERE event_id = ?`, eventId)[0]?.status
const health = async () => (await (await fetch(collector!.url + '/healthz')).json()) as { delivery: string; events_waiting: number }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Posts the orders a few at a time, each answered 201. */
async function postOrders(ids: string[], concurrency = 16): Promise<void> {
  for (let i = 0; i < ids.length; i += concurrency) {
    const answers = await Promise.all(ids.slice(i, i + concurrency).map((id) => postSignedOrder(collector!.url, order(id))))
    for (const a of answers) assert.equal(a.status, 201, JSON.stringify(a.body))
  }
}

describe('delivery verdicts and the circuit', { timeout: 60_000 }, () => {
  beforeEach(async () => {
    sandbox = await startTestSandbox()
  })
  afterEach(async () => {
    await collector?.stop()
    collector = undefined
    await sandbox.close()
  })

  test('a revoked token: events wait (never failed), delivery is auth_failing, one-event probes at a slow cadence, and delivery resumes by itself', async () => {
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl })
    assert.equal((await postSignedOrder(collector.url, order('before-revoke'))).status, 201)
    await eventually(() => (statusOf('ord_before-revoke') === 'delivered' ? true : undefined), 5_000, 'delivery while the token works')

    // The token is revoked in Events Manager: TikTok answers 40105 to everything.
    sandbox.sandbox.inject({ kind: 'code', code: 40105, message: 'Access token is incorrect or has been revoked.', times: 0 })
    const revokedFrom = sandbox.sandbox.requests().length
    const ids = Array.from({ length: 20 }, (_, i) => `revoked-${i}`)
    for (const id of ids) assert.equal((await postSignedOrder(collector.url, order(id))).status, 201)
    await sleep(1_500)

    const during = sandbox.sandbox.requests().slice(revokedFrom)
    assert.ok(during.length >= 3, `TikTok was probed (${during.length} requests)`)
    assert.deepEqual(
      during.map((r) => r.events),
      during.map(() => 1),
      'every request while the token is refused carries one event',
    )
    // A setup error is probed no faster than the backoff's maximum allows (200 ms here, with jitter: at least 100 ms apart).
    for (let i = 1; i < during.length; i++) assert.ok(during[i]!.at - during[i - 1]!.at >= 90, `probe ${i} came ${during[i]!.at - during[i - 1]!.at} ms after the previous one`)
    assert.equal(count(`SELECT COUNT(*) AS n FROM events WHERE status = 'failed'`), 0, 'a setup error never fails an event')
    assert.equal((await health()).delivery, 'auth_failing')
    assert.equal((await health()).events_waiting, 20)
    assert.ok(
      collector.logs().split('\n').some((line) => line.includes('"level":50') && line.includes('CLICKRELAY_ACCESS_TOKEN')),
      'the log says at error what to fix',
    )

    // The operator fixes it (TikTok accepts the token again): no restart, no kick.
    const fixedFrom = sandbox.sandbox.requests().length
    sandbox.sandbox.clearFaults()
    await eventually(() => (count(`SELECT COUNT(*) AS n FROM events WHERE status = 'delivered'`) === 21 ? true : undefined), 5_000, 'every waiting event delivered')
    assert.equal((await health()).delivery, 'ok')
    const after = sandbox.sandbox.requests().slice(fixedFrom)
    assert.deepEqual(
      after.map((r) => [r.events, r.code]),
      [
        [1, 0],
        [19, 0],
      ],
      'one probe, then everything else at once',
    )
    assert.equal(new Set(sandbox.sandbox.received().map((e) => e.eventId)).size, 21)
  })

  test('an unknown code is retried until it is delivered, never failed on first sight', async () => {
    sandbox.sandbox.inject({ kind: 'code', code: 40999, message: 'a code nobody has classified', times: 2 })
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl })
    assert.equal((await postSignedOrder(collector.url, order('unknown-code'))).status, 201)
    await eventually(() => (statusOf('ord_unknown-code') === 'delivered' ? true : undefined), 5_000, 'delivery after the unknown code')
    const attempts = rows<{ code: number }>(`SELECT a.code FROM attempts a JOIN events e ON e.id = a.event_row WHERE e.event_id = 'ord_unknown-code' ORDER BY a.id`)
    assert.deepEqual(attempts.map((a) => a.code), [40999, 40999, 0])
  })

  for (const status of [400, 413] as const) {
    test(`a batch refused with HTTP ${status} is split until the bad events stand alone; only they fail`, async () => {
      // An outage first, so that the orders wait and leave together as one batch.
      sandbox.sandbox.inject({ kind: 'http', status: 503, times: 0 })
      collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl })
      const ids = Array.from({ length: 12 }, (_, i) => `split-${status}-${i}`)
      await postOrders(ids, 1)
      await eventually(() => (sandbox.sandbox.requests().length >= 2 ? true : undefined), 5_000, 'the outage seen')
      const bad = [`ord_split-${status}-4`, `ord_split-${status}-9`]
      sandbox.sandbox.inject({ kind: 'invalid_event', eventIds: bad, status })
      const from = sandbox.sandbox.requests().length
      sandbox.sandbox.clearFaults('http')

      await eventually(() => (count(`SELECT COUNT(*) AS n FROM events WHERE status IN ('delivered', 'failed')`) === 12 ? true : undefined), 5_000, 'every event settled')
      assert.deepEqual(rows<{ event_id: string }>(`SELECT event_id FROM events WHERE status = 'failed' ORDER BY event_id`).map((r) => r.event_id), [...bad].sort())
      for (const id of bad) assert.match(rows<{ last_error: string }>(`SELECT last_error FROM events WHERE event_id = ?`, id)[0]!.last_error, new RegExp(`HTTP ${status}`))
      assert.equal(new Set(sandbox.sandbox.received().map((e) => e.eventId)).size, 10, 'the ten good events reached TikTok')

      const refused = sandbox.sandbox.requests().slice(from).filter((r) => r.httpStatus === status)
      assert.ok(refused.some((r) => r.events > 1), 'a batch was refused whole...')
      assert.equal(refused.filter((r) => r.events === 1).length, 2, '...and split until each bad event was refused alone')
    })
  }

  test('during an outage one probe request goes per backoff step, carrying one event, while many events wait', async () => {
    sandbox.sandbox.inject({ kind: 'http', status: 503, times: 0 })
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_RETRY_BASE_MS: '50', CLICKRELAY_RETRY_MAX_MS: '400' } })
    await postOrders(Array.from({ length: 100 }, (_, i) => `outage-${i}`))
    await sleep(2_000)

    const requests: RequestLog[] = sandbox.sandbox.requests()
    assert.equal((await health()).events_waiting, 100)
    assert.deepEqual(
      requests.slice(1).map((r) => r.events),
      requests.slice(1).map(() => 1),
      'after the first failure, every request is a one-event probe',
    )
    // Each gap is at least half the exponential step (the jitter takes at most half away): 25, 50, 100, 200, 200, ... ms.
    for (let i = 1; i < requests.length; i++) {
      const step = Math.min(400, 50 * 2 ** (i - 1))
      assert.ok(requests[i]!.at - requests[i - 1]!.at >= step / 2 - 5, `request ${i} came ${requests[i]!.at - requests[i - 1]!.at} ms after the previous one, step ${step} ms`)
    }
    assert.ok(requests.length <= 15, `${requests.length} requests in ~2 s of outage`)
  })

  test('after an outage every waiting event is sent at once, in batches of up to 1,000', async () => {
    sandbox.sandbox.inject({ kind: 'http', status: 503, times: 0 })
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl })
    const ids = Array.from({ length: 1_500 }, (_, i) => `backlog-${i}`)
    await postOrders(ids)
    assert.equal((await health()).events_waiting, 1_500)

    const from = sandbox.sandbox.requests().length
    sandbox.sandbox.clearFaults()
    await eventually(() => (count(`SELECT COUNT(*) AS n FROM events WHERE status = 'delivered'`) === 1_500 ? true : undefined), 10_000, 'the backlog delivered')
    const after = sandbox.sandbox.requests().slice(from)
    assert.deepEqual([after[0]!.events, after[0]!.code], [1, 0], 'one probe...')
    assert.deepEqual(
      after.slice(1).map((r) => [r.events, r.code]).sort((a, b) => b[0]! - a[0]!),
      [
        [1_000, 0],
        [499, 0],
      ],
      '...then the backlog in full batches (two in flight at a time: they may answer in either order)',
    )
    assert.ok(after.at(-1)!.at - after[0]!.at < 2_000, `the backlog left within ${after.at(-1)!.at - after[0]!.at} ms of the probe`)
    // The receipts say the same: one attempt per event, in a request of 1, 1,000 or 499 events.
    const batches = rows<{ batch_size: number; n: number }>(`SELECT batch_size, COUNT(*) AS n FROM attempts WHERE code = 0 GROUP BY batch_size ORDER BY batch_size`)
    assert.deepEqual(batches, [
      { batch_size: 1, n: 1 },
      { batch_size: 499, n: 499 },
      { batch_size: 1_000, n: 1_000 },
    ])
    assert.equal(new Set(sandbox.sandbox.received().map((e) => e.eventId)).size, 1_500)
  })

  test('events that cannot be tried within their maximum age expire while the circuit is open, without a request each', async () => {
    const clock = manualClock()
    await sandbox.close()
    sandbox = await startTestSandbox({ clock })
    sandbox.sandbox.inject({ kind: 'http', status: 503, times: 0 })
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_EVENT_MAX_AGE_DAYS: '1' } })
    for (const id of ['old-1', 'old-2', 'old-3']) assert.equal((await postSignedOrder(collector.url, order(id), { timestamp: Math.floor(clock.now() / 1000) })).status, 201)
    await eventually(() => (sandbox.sandbox.requests().length >= 1 ? true : undefined), 3_000, 'the first failure')
    await sleep(100)
    const before = sandbox.sandbox.requests().length

    clock.advance(2 * DAY_MS)
    await eventually(() => (count(`SELECT COUNT(*) AS n FROM events WHERE status = 'expired'`) === 3 ? true : undefined), 3_000, 'all three expired')
    const after = sandbox.sandbox.requests().slice(before)
    // At most the circuit's one probe of one event (it may fall due just after the three expired, on a busy machine), never the three.
    assert.ok(after.length <= 1 && after.every((r) => r.events === 1), `one probe at most, not a request for each event: ${JSON.stringify(after.map((r) => r.events))}`)
    assert.match(rows<{ last_error: string }>(`SELECT last_error FROM events WHERE event_id = 'ord_old-3'`)[0]!.last_error, /CLICKRELAY_EVENT_MAX_AGE_DAYS|HTTP 503/)
  })
})
