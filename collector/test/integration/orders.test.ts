/** The skeleton's path over real sockets and a real SQLite file: click, signed order, server event at the sandbox. */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { after, before, beforeEach, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { DAY_MS } from '../../src/clock.js'
import { ADMIN_TOKEN, eventually, manualClock, postClick, postSignedOrder, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const VISITOR = 'vIsItOr_0123456789ab'
const TTCLID = 'E.C.P.' + 'Ab-_9.'.repeat(60)
const IN_APP_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_34.1.0 BytedanceWebview/d8a21c6'

let sandbox: TestSandbox
let collector: TestCollector

function order(overrides: Record<string, unknown> = {}) {
  return {
    order_id: '84213',
    value: 129.5,
    currency: 'usd',
    contents: [{ content_id: 42, quantity: 1, price: 129.5 }],
    email: ' Alice_ABC@Gmail.com ',
    phone: '+1 (213) 373-4253',
    visitor_id: VISITOR,
    ip: '198.51.100.23',
    user_agent: 'Mozilla/5.0 (iPhone) Safari',
    url: 'https://shop.example/checkout/thank-you?order=84213',
    ...overrides,
  }
}

function db() {
  return new Database(collector.dbPath, { readonly: true })
}

describe('POST /orders', () => {
  before(async () => {
    sandbox = await startTestSandbox()
  })
  after(async () => {
    await sandbox.close()
  })
  beforeEach(async () => {
    await collector?.stop()
    sandbox.sandbox.reset()
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl })
  })
  after(async () => {
    await collector?.stop()
  })

  test('a click then a signed order deliver one Purchase with the ttclid, hashes, ip and user agent', async () => {
    const click = await postClick(collector.url, { v: VISITOR, u: `https://shop.example/products/jacket?ttclid=${TTCLID}&utm_source=tiktok`, p: '2F7h37YkS1j57AYSKTI7IHhJPYH' }, { 'User-Agent': IN_APP_UA })
    assert.equal(click.status, 200)

    const answer = await postSignedOrder(collector.url, order())
    assert.equal(answer.status, 201)
    assert.equal(answer.body.event_id, 'ord_84213')

    const [received] = await eventually(() => (sandbox.sandbox.received().length ? sandbox.sandbox.received() : undefined), 5_000, 'the server event')
    assert.equal(sandbox.sandbox.received().length, 1)
    assert.equal(received!.source, 'server')
    assert.deepEqual(received!.payload, {
      event: 'Purchase',
      event_time: (received!.payload as { event_time: number }).event_time,
      event_id: 'ord_84213',
      user: {
        ttclid: TTCLID,
        ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH',
        email: [sha('alice_abc@gmail.com')],
        phone: [sha('+12133734253')],
        external_id: [sha(VISITOR)],
        ip: '198.51.100.23',
        user_agent: 'Mozilla/5.0 (iPhone) Safari',
      },
      properties: { contents: [{ content_id: '42', quantity: 1, price: 129.5 }], content_type: 'product', currency: 'USD', value: 129.5, order_id: '84213' },
      page: { url: 'https://shop.example/checkout/thank-you?order=84213' },
    })
    assert.ok(Math.abs((received!.payload as { event_time: number }).event_time - Date.now() / 1000) < 5, 'event_time is in seconds')
    assert.equal(sandbox.sandbox.report('ord_84213').counted_once, true)

    const conn = db()
    try {
      const row = conn.prepare(`SELECT o.linked_by, c.ttclid, c.in_app, c.utm_source FROM orders o JOIN clicks c ON c.id = o.click_id WHERE o.order_id = '84213'`).get() as Record<string, unknown>
      assert.deepEqual(row, { linked_by: 'visitor_id', ttclid: TTCLID, in_app: 1, utm_source: 'tiktok' })
      await eventually(() => (conn.prepare(`SELECT status FROM events`).get() as { status: string }).status === 'delivered' || undefined, 2_000, 'the receipt')
      const attempt = conn.prepare(`SELECT http_status, code, message, request_id, batch_size FROM attempts`).get() as Record<string, unknown>
      assert.equal(attempt.http_status, 200)
      assert.equal(attempt.code, 0)
      assert.equal(attempt.message, 'OK')
      assert.equal(attempt.batch_size, 1)
      assert.match(String(attempt.request_id), /^[0-9a-f]{32}$/)
    } finally {
      conn.close()
    }
  })

  test('an order from a visitor with no ttclid click carries no ttclid', async () => {
    await postClick(collector.url, { v: VISITOR, u: 'https://shop.example/' })
    assert.equal((await postSignedOrder(collector.url, order())).status, 201)
    const [received] = await eventually(() => (sandbox.sandbox.received().length ? sandbox.sandbox.received() : undefined))
    assert.equal((received!.payload as { user: Record<string, unknown> }).user.ttclid, undefined)
  })

  test('a resend, even five at once, answers with the same event_id and creates no second event', async () => {
    const first = await postSignedOrder(collector.url, order())
    const resends = await Promise.all(Array.from({ length: 5 }, () => postSignedOrder(collector.url, order())))
    for (const r of resends) {
      assert.equal(r.status, 200)
      assert.equal(r.body.event_id, first.body.event_id)
      assert.equal(r.body.status, 'duplicate')
    }
    const conn = db()
    try {
      assert.equal((conn.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n, 1)
      assert.equal((conn.prepare('SELECT COUNT(*) AS n FROM orders').get() as { n: number }).n, 1)
    } finally {
      conn.close()
    }
  })

  test('order keys the event_id contract treats as one ("#84213" and 84213) are one order', async () => {
    assert.equal((await postSignedOrder(collector.url, order({ order_id: 84213 }))).status, 201)
    const again = await postSignedOrder(collector.url, order({ order_id: ' #84213' }))
    assert.equal(again.status, 200)
    assert.deepEqual([again.body.order_id, again.body.event_id, again.body.status], ['84213', 'ord_84213', 'duplicate'])
  })

  test('an unsigned, wrongly signed or stale order is refused with 401 and nothing is stored', async () => {
    const body = JSON.stringify(order())
    const unsigned = await fetch(collector.url + '/orders', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
    assert.equal(unsigned.status, 401)
    assert.equal(((await unsigned.json()) as { error: { code: string } }).error.code, 'invalid_signature')
    assert.equal((await postSignedOrder(collector.url, order(), { secret: 'some-other-secret-value' })).status, 401)
    const stale = await postSignedOrder(collector.url, order(), { timestamp: Math.floor(Date.now() / 1000) - 600 })
    assert.equal(stale.status, 401)
    assert.match(stale.body.error.message, /300 s/)
    const conn = db()
    try {
      assert.equal((conn.prepare('SELECT COUNT(*) AS n FROM orders').get() as { n: number }).n, 0)
    } finally {
      conn.close()
    }
  })

  // Only what the event cannot do without is refused; a bad optional field is a warning (robust.test.ts).
  test('bad orders get a 400 naming the field, and nothing already stored is lost', async () => {
    assert.equal((await postSignedOrder(collector.url, order({ order_id: 'keep-me' }))).status, 201)
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ order_id: undefined }, /^order_id:/],
      [{ value: -1 }, /^value:/],
      [{ currency: 'DOLLARS' }, /^currency:/],
      [{ currency: 'XYZ' }, /^currency:/],
      [{ url: 'javascript:alert(1)' }, /^url:/],
    ]
    for (const [overrides, message] of cases) {
      const r = await postSignedOrder(collector.url, order({ order_id: 'bad', ...overrides }))
      assert.equal(r.status, 400, JSON.stringify(overrides))
      assert.equal(r.body.error.code, 'invalid_request')
      assert.match(r.body.error.message, message)
      assert.match(r.body.error.message, /confirmed, paid orders only/)
    }
    const conn = db()
    try {
      assert.deepEqual(conn.prepare('SELECT order_id FROM orders').all(), [{ order_id: 'keep-me' }])
    } finally {
      conn.close()
    }
  })

  test('invalid JSON is a 400 and an oversized body a 413, both as JSON errors', async () => {
    const badJson = await postSignedOrder(collector.url, '{"order_id": ')
    assert.equal(badJson.status, 400)
    assert.equal(badJson.body.error.code, 'invalid_json')
    const huge = await postSignedOrder(collector.url, order({ user_agent: 'x'.repeat(300_000) }))
    assert.equal(huge.status, 413)
    assert.equal(huge.body.error.code, 'payload_too_large')
  })

  test('an email or phone that cannot be normalised is left out with a warning, the order kept', async () => {
    const r = await postSignedOrder(collector.url, order({ email: 'nobody', phone: '2133734253' }))
    assert.equal(r.status, 201)
    assert.equal(r.body.warnings.length, 2)
    const [received] = await eventually(() => (sandbox.sandbox.received().length ? sandbox.sandbox.received() : undefined))
    const user = (received!.payload as { user: Record<string, unknown> }).user
    assert.equal(user.email, undefined)
    assert.equal(user.phone, undefined)
  })

  test('raw email and phone reach neither the database nor the logs', async () => {
    await postClick(collector.url, { v: VISITOR, u: `https://shop.example/?ttclid=${TTCLID}` })
    await postSignedOrder(collector.url, order({ email: 'Raw.Person@Example.org', phone: '+1 213 373 4253' }))
    await eventually(() => (sandbox.sandbox.received().length ? true : undefined))
    await collector.delivery.idle()
    const files = ['', '-wal', '-shm'].map((suffix) => {
      try {
        return readFileSync(collector.dbPath + suffix).toString('latin1')
      } catch {
        return ''
      }
    })
    const haystack = files.join('') + collector.logs()
    for (const needle of ['raw.person@example.org', 'Raw.Person@Example.org', '+12133734253', '2133734253', '213 373 4253']) {
      assert.equal(haystack.includes(needle), false, `${needle} found`)
    }
    assert.ok(collector.logs().includes('order accepted'), 'the logs were captured')
  })
})

describe('delivery receipts', () => {
  test("a token TikTok refuses (code 40001 in an HTTP 200) keeps the event waiting, says auth_failing in status and health, and logs the fix at error", async () => {
    const sb = await startTestSandbox()
    const c = await startTestCollector({ eventsApiUrl: sb.trackUrl, env: { CLICKRELAY_ACCESS_TOKEN: 'a-token-for-another-pixel', CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN } })
    try {
      assert.equal((await postSignedOrder(c.url, order({ order_id: 'denied-1' }))).status, 201)
      const conn = new Database(c.dbPath, { readonly: true })
      try {
        const row = await eventually(() => conn.prepare(`SELECT e.status, e.last_error, a.http_status, a.code FROM events e JOIN attempts a ON a.event_row = e.id`).get() as Record<string, unknown> | undefined, 3_000, 'an attempt')
        assert.equal(row.http_status, 200)
        assert.equal(row.code, 40001)
        assert.match(String(row.last_error), /No permission/)
        assert.notEqual((conn.prepare(`SELECT status FROM events`).get() as { status: string }).status, 'failed', 'a setup error never fails the event')
      } finally {
        conn.close()
      }
      const health = (await (await fetch(c.url + '/healthz')).json()) as { delivery: string }
      assert.equal(health.delivery, 'auth_failing')
      const status = (await (await fetch(c.url + '/admin/status', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { delivery: Record<string, unknown> }
      assert.equal(status.delivery.state, 'auth_failing')
      assert.equal(status.delivery.last_code, 40001)
      assert.match(String(status.delivery.last_message), /No permission/)
      assert.equal(status.delivery.last_accepted_at, null)
      const errors = c.logs().split('\n').filter((line) => line.includes('"level":50'))
      assert.ok(errors.some((line) => line.includes('CLICKRELAY_ACCESS_TOKEN')), 'an error-level line names what to fix')
      assert.equal(c.logs().includes('a-token-for-another-pixel'), false, 'the token itself is never logged')
      assert.equal(sb.sandbox.received().length, 0)
    } finally {
      await c.stop()
      await sb.close()
    }
  })

  test('an order accepted while the Events API is unreachable is delivered once it answers', async () => {
    // Reserve a port, then close it: the collector's first attempts are refused.
    const probe = await startTestSandbox()
    const port = new URL(probe.url).port
    await probe.close()
    const c = await startTestCollector({ eventsApiUrl: `http://127.0.0.1:${port}/open_api/v1.3/event/track/` })
    try {
      assert.equal((await postSignedOrder(c.url, order({ order_id: 'outage-1' }))).status, 201)
      const conn = new Database(c.dbPath, { readonly: true })
      try {
        await eventually(() => ((conn.prepare(`SELECT COUNT(*) AS n FROM attempts`).get() as { n: number }).n > 0 ? true : undefined), 3_000, 'a failed attempt')
        assert.equal((conn.prepare(`SELECT status FROM events`).get() as { status: string }).status !== 'delivered', true)
        const sb = await startTestSandbox({ port: Number(port) })
        try {
          await eventually(() => ((conn.prepare(`SELECT status FROM events`).get() as { status: string }).status === 'delivered' ? true : undefined), 5_000, 'delivery after the outage')
          assert.equal(sb.sandbox.received().length, 1)
          assert.equal(sb.sandbox.report('ord_outage-1').counted_once, true)
          const attempts = conn.prepare(`SELECT http_status, message FROM attempts ORDER BY id`).all() as Array<{ http_status: number | null; message: string }>
          assert.ok(attempts.length >= 2)
          assert.equal(attempts[0]!.http_status, null)
          assert.match(attempts[0]!.message, /connection failed/)
          assert.equal(attempts.at(-1)!.http_status, 200)
        } finally {
          await sb.close()
        }
      } finally {
        conn.close()
      }
    } finally {
      await c.stop()
    }
  })
})

describe('expiry', () => {
  test('an event still failing past CLICKRELAY_EVENT_MAX_AGE_DAYS ends as expired, keeps its payload, and a replay gets a new span of retries', async () => {
    const clock = manualClock()
    const sb = await startTestSandbox({ clock })
    sb.sandbox.inject({ kind: 'http', status: 503, times: 0 })
    const c = await startTestCollector({ eventsApiUrl: sb.trackUrl, clock, env: { CLICKRELAY_EVENT_MAX_AGE_DAYS: '1', CLICKRELAY_ADMIN_TOKEN: 'admin-token-for-tests-0123456789' } })
    const conn = new Database(c.dbPath, { readonly: true })
    const status = () => (conn.prepare(`SELECT status FROM events`).get() as { status: string }).status
    try {
      assert.equal((await postSignedOrder(c.url, order({ order_id: 'expire-1' }), { timestamp: Math.floor(clock.now() / 1000) })).status, 201)
      await eventually(() => ((conn.prepare(`SELECT COUNT(*) AS n FROM attempts`).get() as { n: number }).n > 0 ? true : undefined), 3_000, 'a failed attempt')
      assert.equal(status(), 'pending')
      clock.advance(2 * DAY_MS)
      c.delivery.kick()
      await eventually(() => (status() === 'expired' ? true : undefined), 3_000, 'expiry')
      assert.equal((conn.prepare(`SELECT json_extract(payload, '$.event_id') AS id FROM events`).get() as { id: string }).id, 'ord_expire-1')

      // The replay meets one more failure: it gets a new span of retries, not an instant second expiry.
      sb.sandbox.clearFaults()
      sb.sandbox.inject({ kind: 'http', status: 503, times: 1 })
      const id = (conn.prepare(`SELECT id FROM events`).get() as { id: number }).id
      const attemptsBefore = (conn.prepare(`SELECT COUNT(*) AS n FROM attempts`).get() as { n: number }).n
      const replay = await fetch(`${c.url}/admin/events/${id}/replay`, { method: 'POST', headers: { Authorization: 'Bearer admin-token-for-tests-0123456789' } })
      assert.equal(replay.status, 200)
      await eventually(() => (status() === 'delivered' ? true : undefined), 5_000, 'delivery after the replay and one more failure')
      const after = conn.prepare(`SELECT http_status FROM attempts ORDER BY id`).all().slice(attemptsBefore) as Array<{ http_status: number }>
      assert.deepEqual(after.map((a) => a.http_status), [503, 200])
    } finally {
      conn.close()
      await c.stop()
      await sb.close()
    }
  })
})
