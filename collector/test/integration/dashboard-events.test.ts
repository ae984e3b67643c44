/**
 * The dashboard's Events page (issue 12, page 4), over real HTTP against a collector delivering to
 * a sandbox on its own port that refuses chosen events on purpose: the list filtered by status and
 * acceptance time, newest first, 50 a page; the bulk replay's preview, which lists what would go
 * and what the 48-hour rule or retention would refuse, and changes nothing; the confirmed replay
 * (admin only, CSRF); and text from shoppers and from TikTok shown as text.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/clock.js'
import { eventId } from '../../../common/event-id.js'
import { scrubEvent } from '../../src/retention.js'
import { ADMIN_TOKEN, eventually, manualClock, postSignedOrder, readRows, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'
import { dashboardClient } from '../dashboard-client.js'

const VIEWER_TOKEN = 'viewer-token-for-tests-987654321'

let clock: ReturnType<typeof manualClock>
let sandbox: TestSandbox
let collector: TestCollector

/** Sessions read their CSRF token from the Events page, so each also checks that it opens. */
const { request, session } = dashboardClient(() => collector.url, { csrfFrom: '/admin/outbox' })

const order = (orderId: string) => postSignedOrder(collector.url, { order_id: orderId, value: 42.5, currency: 'EUR', url: 'https://shop.example/thanks' }, { timestamp: Math.floor(clock.now() / 1000) })
const eventOf = (eventId: string) => readRows<{ id: number; status: string }>(collector.dbPath, 'SELECT id, status FROM events WHERE event_id = ?', eventId)[0]!
const copies = (eventId: string) => sandbox.sandbox.received().filter((e) => e.eventId === eventId).length
const replayRequests = () => readRows<{ actor: string | null; forced: number; note: string | null }>(collector.dbPath, 'SELECT actor, forced, note FROM replay_requests ORDER BY id')
const settled = (eventId: string, status: string, times = 0) =>
  eventually(() => (eventOf(eventId)?.status === status && copies(eventId) >= times ? true : undefined), 5_000, `${eventId} ${status}, ${times} copies received`)

/** Orders whose events the sandbox refuses as invalid: each ends failed, and nothing of it reached TikTok. */
async function failedOrders(...keys: string[]): Promise<void> {
  sandbox.sandbox.inject({ kind: 'invalid_event', eventIds: keys.map((key) => `ord_${key}`) })
  for (const key of keys) assert.equal((await order(key)).status, 201)
  for (const key of keys) await settled(`ord_${key}`, 'failed')
  sandbox.sandbox.clearFaults()
}

async function deliveredOrder(key: string): Promise<void> {
  assert.equal((await order(key)).status, 201)
  await settled(`ord_${key}`, 'delivered', 1)
}

/** `count` more events, written straight into the outbox from a real order's payload, as the replay tests do. */
function insertEvents(count: number, status: string, template: string): void {
  const writer = new Database(collector.dbPath)
  try {
    writer
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count)
         INSERT INTO events (event_name, event_id, payload, status, next_attempt_at, created_at, last_error)
         SELECT 'Purchase', 'bulk_' || i, json_set(e.payload, '$.event_id', 'bulk_' || i), @status, 0, @now, 'refused'
         FROM n, events e WHERE e.event_id = @template`,
      )
      .run({ count, status, now: clock.now(), template })
  } finally {
    writer.close()
  }
}

/** A time as a datetime-local field holds it, in UTC. */
const field = (ms: number) => new Date(ms).toISOString().slice(0, 16)
/** The event_ids in a page's table, top to bottom. */
const listed = (html: string) => [...html.matchAll(/<td data-label="Event">[^<]*<br><code class="hint">([^<]*)<\/code>/g)].map((m) => m[1])
/** The preview's event_ids, top to bottom, each with its verdict: goes, too_old or scrubbed. */
const verdicts = (html: string) => [...html.matchAll(/<code class="hint">([^<]*)<\/code>[\s\S]*?<td data-label="Replay"><span class="pill (\w+)">/g)].map((m) => [m[1], m[2]])
const rowIds = (html: string) => [...html.matchAll(/<td data-label="Row" class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]))
const previewOf = (range: { status: string; from: number; to: number }, cookie: string) =>
  request(`/admin/outbox/replay?status=${range.status}&from=${field(range.from)}&to=${field(range.to)}`, { cookie })
const confirm = (range: { status: string; from: number; to: number }, extra: Record<string, string>) => ({ status: range.status, from: field(range.from), to: field(range.to), ...extra })
const CONFIRM_FORM = /<form method="post" action="\.\.\/outbox\/replay" class="replay confirm">/

describe('dashboard: events', () => {
  beforeEach(async () => {
    clock = manualClock()
    sandbox = await startTestSandbox({ clock })
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN, CLICKRELAY_VIEWER_TOKEN: VIEWER_TOKEN } })
  })
  afterEach(async () => {
    await collector.stop()
    await sandbox.close()
  })

  test('the list filters by status and by acceptance time (UTC), newest first, each row with its order, attempts and last error', async () => {
    const start = clock.now()
    await deliveredOrder('D-1')
    clock.advance(HOUR_MS)
    await failedOrders('F-1')
    clock.advance(HOUR_MS)
    await failedOrders('F-2')
    clock.advance(HOUR_MS)
    await deliveredOrder('D-2')

    const { cookie } = await session(VIEWER_TOKEN)
    const all = await request('/admin/outbox', { cookie })
    assert.equal(all.status, 200)
    assert.deepEqual(listed(all.text), ['ord_D-2', 'ord_F-2', 'ord_F-1', 'ord_D-1'])
    assert.match(all.text, /Times are UTC/)
    const failed = await request('/admin/outbox?status=failed', { cookie })
    assert.deepEqual(listed(failed.text), ['ord_F-2', 'ord_F-1'])
    assert.match(failed.text, /name="status" value="failed" checked>/, 'the box stays ticked')
    assert.match(failed.text, /name="status" value="delivered" >/)
    const rowStart = failed.text.indexOf(`<td data-label="Row" class="num">${eventOf('ord_F-1').id}</td>`)
    const row = failed.text.slice(rowStart, failed.text.indexOf('</tr>', rowStart))
    assert.match(row, /<a href="\.\/order\?id=F-1">F-1<\/a>/)
    assert.match(row, /<span class="pill failed">failed<\/span>/)
    assert.match(row, /<td data-label="Attempts" class="num">1<\/td>/)
    assert.match(row, /<td data-label="Last error" class="error-text">data\[0\]\.event_id: &quot;ord_F-1&quot; rejected \(sandbox fault\)<\/td>/)
    assert.match(row, /<td data-label="Accepted"><time datetime="2026-06-14T13:00:00\.000Z">2026-06-14 13:00:00 UTC<\/time><\/td>/)
    assert.match(row, /<td data-label="Delivered">–<\/td>/)

    const since = await request(`/admin/outbox?status=failed&from=${field(start + 90 * MINUTE_MS)}`, { cookie })
    assert.deepEqual(listed(since.text), ['ord_F-2'])
    assert.match(since.text, new RegExp(`id="from" name="from" type="datetime-local" value="${field(start + 90 * MINUTE_MS)}"`))
    const before = await request(`/admin/outbox?status=delivered&status=failed&to=${field(start + 90 * MINUTE_MS)}`, { cookie })
    assert.deepEqual(listed(before.text), ['ord_F-1', 'ord_D-1'], 'two statuses, as checkboxes send them; `to` excluded')
    assert.deepEqual(listed((await request('/admin/outbox?status=delivered,failed&from=2026-06-14T13:00Z&to=2026-06-14T14:30Z', { cookie })).text), ['ord_F-2', 'ord_F-1'], 'comma-separated, times with Z')
    assert.deepEqual(listed((await request('/admin/outbox?from=2026-06-14&to=2026-06-14', { cookie })).text).length, 4, 'a date alone as `to` takes in the whole day')
    assert.deepEqual(listed((await request('/admin/outbox?from=2026-06-15', { cookie })).text), [])
    assert.deepEqual(listed((await request('/admin/outbox?status=waiting', { cookie })).text), [])
    assert.deepEqual(listed((await request('/admin/outbox?status=expired', { cookie })).text), [])
  })

  test('bad filter input is a 400 page saying why', async () => {
    const { cookie, csrf } = await session(ADMIN_TOKEN)
    const cases: Array<[string, RegExp]> = [
      ['/admin/outbox?status=lost', /status: “lost” is not one: choose among pending, sending, delivered, failed, expired, waiting/],
      ['/admin/outbox?from=yesterday', /from: must be a date \(2026-06-14\) or a date and time \(2026-06-14T09:30\), in UTC/],
      ['/admin/outbox?to=2026-02-30', /to: must be a date/],
      ['/admin/outbox?from=2026-06-15&to=2026-06-14', /from must come before to/],
      ['/admin/outbox?before=abc', /before: must be an event row id/],
      ['/admin/outbox/replay?status=pending&from=2026-06-14&to=2026-06-15', /status: “pending” is not one: choose among delivered, failed, expired/],
      ['/admin/outbox/replay?status=failed&to=2026-06-15', /from: choose when the range starts/],
      ['/admin/outbox/replay?from=2026-06-14&to=2026-06-13T10:00', /from must come before to/],
    ]
    for (const [path, reason] of cases) {
      const page = await request(path, { cookie })
      assert.equal(page.status, 400, path)
      assert.match(page.text, reason, path)
      assert.match(page.text, /class="alert" role="alert"/, path)
    }
    const posted = await request('/admin/outbox/replay', { cookie, form: { _csrf: csrf, status: 'failed', from: 'soon', to: '2026-06-15' } })
    assert.equal(posted.status, 400)
    assert.match(posted.text, /Nothing was looked up: from: must be a date/)
    assert.deepEqual(replayRequests(), [])
  })

  test('the list pages 50 events at a time, newest first', async () => {
    await deliveredOrder('template')
    insertEvents(60, 'failed', 'ord_template')
    const { cookie } = await session(VIEWER_TOKEN)
    const first = await request('/admin/outbox', { cookie })
    const ids = rowIds(first.text)
    assert.equal(ids.length, 50)
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first')
    const older = /<a href="\.\/(outbox\?before=(\d+))">Older events<\/a>/.exec(first.text)
    assert.ok(older, 'a link to the older events')
    assert.equal(Number(older[2]), ids.at(-1))
    const second = await request(`/admin/${older[1]}`, { cookie })
    assert.equal(rowIds(second.text).length, 11)
    assert.ok(rowIds(second.text).every((id) => id < ids.at(-1)!))
    assert.doesNotMatch(second.text, /Older events/)
    // The filter holds across pages.
    const failedOnly = await request('/admin/outbox?status=failed', { cookie })
    assert.match(failedOnly.text, /href="\.\/outbox\?status=failed&amp;before=\d+">Older events/)
  })

  test('the preview lists what would be replayed and changes nothing: still failed, nothing sent, nothing logged', async () => {
    const start = clock.now()
    await failedOrders('P-1', 'P-2', 'P-3')
    const range = { status: 'failed', from: start, to: clock.now() + MINUTE_MS }
    const { cookie } = await session(ADMIN_TOKEN)

    const list = await request(`/admin/outbox?status=failed&from=${field(range.from)}&to=${field(range.to)}`, { cookie })
    assert.match(list.text, /<form method="get" action="\.\/outbox\/replay" class="filters">/, 'the list leads to the preview')
    const preview = await previewOf(range, cookie)
    assert.equal(preview.status, 200, preview.text)
    assert.match(preview.text, /<p class="figure">3<\/p>/)
    assert.match(preview.text, /3 events would go back in the queue: failed events accepted from .* UTC, before .* UTC, oldest first\. Nothing has been sent yet\./)
    assert.deepEqual(listed(preview.text), ['ord_P-1', 'ord_P-2', 'ord_P-3'])
    assert.equal([...preview.text.matchAll(/<span class="pill goes">goes<\/span>/g)].length, 3)
    assert.match(preview.text, CONFIRM_FORM)
    assert.match(preview.text, new RegExp(`name="from" value="${field(range.from)}"`))
    assert.match(preview.text, /<button type="submit">Replay 3 events<\/button>/)
    assert.doesNotMatch(preview.text, /48-hour rule refuses/)

    await collector.delivery.idle()
    for (const key of ['P-1', 'P-2', 'P-3']) {
      assert.equal(eventOf(`ord_${key}`).status, 'failed')
      assert.equal(copies(`ord_${key}`), 0)
    }
    assert.deepEqual(replayRequests(), [])
  })

  test('the preview lists the first 100 and says how many more; one replay takes 1,000 and the page leads on to the rest', async () => {
    await deliveredOrder('template')
    insertEvents(1005, 'failed', 'ord_template')
    const range = { status: 'failed', from: clock.now() - HOUR_MS, to: clock.now() + HOUR_MS }
    const { cookie, csrf } = await session(ADMIN_TOKEN)
    const preview = await previewOf(range, cookie)
    assert.match(preview.text, /<p class="figure">1000<\/p>/)
    assert.equal(listed(preview.text).length, 100)
    assert.match(preview.text, /… and 900 more\./)
    assert.match(preview.text, /1005 events match; one replay takes 1000\./)

    const done = await request('/admin/outbox/replay', { cookie, form: confirm(range, { _csrf: csrf }) })
    assert.equal(done.status, 303, done.text)
    const last = readRows<{ id: number }>(collector.dbPath, `SELECT id FROM events WHERE event_id = 'bulk_1000'`)[0]!.id
    assert.equal(done.location, `replay?status=failed&from=${encodeURIComponent(field(range.from))}&to=${encodeURIComponent(field(range.to))}&after=${last}&replayed=1000&remaining=5`)
    const next = await request(`/admin/outbox/${done.location}`, { cookie })
    assert.match(next.text, /1000 events went back in the queue with the same event_id\./)
    assert.match(next.text, /5 more matched after them/)
    assert.deepEqual(listed(next.text), ['bulk_1001', 'bulk_1002', 'bulk_1003', 'bulk_1004', 'bulk_1005'])
    assert.match(next.text, new RegExp(`name="after" value="${last}"`))
  })

  test('confirming replays them: the sandbox receives each again with the same event_id, logged as the dashboard', async () => {
    const start = clock.now()
    await failedOrders('C-1', 'C-2')
    const range = { status: 'failed', from: start, to: clock.now() + MINUTE_MS }
    const { cookie, csrf } = await session(ADMIN_TOKEN)
    const done = await request('/admin/outbox/replay', { cookie, form: confirm(range, { _csrf: csrf, note: 'sandbox refused them on purpose' }) })
    assert.equal(done.status, 303, done.text)
    assert.equal(done.location, `replay?status=failed&from=${encodeURIComponent(field(range.from))}&to=${encodeURIComponent(field(range.to))}&replayed=2&remaining=0`)
    for (const key of ['C-1', 'C-2']) await settled(`ord_${key}`, 'delivered', 1)
    for (const key of ['C-1', 'C-2']) {
      const [copy] = sandbox.sandbox.received().filter((e) => e.eventId === `ord_${key}`)
      assert.equal((copy!.payload as { event_id: string }).event_id, `ord_${key}`)
      assert.equal(sandbox.sandbox.report(`ord_${key}`).counted_once, true)
    }
    assert.equal(readRows<{ n: number }>(collector.dbPath, 'SELECT COUNT(*) AS n FROM events')[0]!.n, 2, 'the same rows, sent again: no new event')
    assert.deepEqual(replayRequests(), [{ actor: 'dashboard', forced: 0, note: 'sandbox refused them on purpose' }])

    const after = await request(`/admin/outbox/${done.location}`, { cookie })
    assert.match(after.text, /2 events went back in the queue with the same event_id\./)
    assert.match(after.text, /Nothing to replay: no failed events accepted from/)
  })

  test('an event TikTok first accepted more than 47 hours ago is shown as refused, and nothing goes unless forced', async () => {
    const start = clock.now()
    await deliveredOrder('O-1')
    clock.advance(49 * HOUR_MS)
    await failedOrders('N-1')
    const range = { status: 'delivered,failed', from: start - HOUR_MS, to: clock.now() + MINUTE_MS }
    const { cookie, csrf } = await session(ADMIN_TOKEN)

    const preview = await previewOf(range, cookie)
    assert.equal(preview.status, 200)
    assert.deepEqual(listed(preview.text), ['ord_O-1', 'ord_N-1'])
    assert.match(preview.text, /The 48-hour rule refuses 1 of them: as they stand, nothing would be replayed/)
    assert.match(preview.text, /first accepted by TikTok more than 47 hours ago, the oldest 49 hours ago|TikTok first accepted these more than 47 hours ago, the oldest 49 hours ago/)
    assert.match(preview.text, new RegExp(`<li>row ${eventOf('ord_O-1').id} · <code>ord_O-1</code>`))
    assert.match(preview.text, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, 49 hours ago<\/td>\s*<td data-label="Replay"><span class="pill too_old">refused: 48-hour rule<\/span>/)
    assert.match(preview.text, /<td data-label="First accepted by TikTok">never<\/td>\s*<td data-label="Replay"><span class="pill goes">goes<\/span>/)
    assert.match(preview.text, /name="force" value="on"/)

    const refused = await request('/admin/outbox/replay', { cookie, form: confirm(range, { _csrf: csrf }) })
    assert.equal(refused.status, 409)
    assert.match(refused.text, /Not replayed: outside_dedup_window/)
    assert.match(refused.text, /1 of the 2 events chosen was first accepted by TikTok more than 47 hours ago, the oldest 49 hours ago/)
    assert.match(refused.text, /only within 48 hours of first receiving it/)
    await collector.delivery.idle()
    assert.deepEqual([eventOf('ord_O-1').status, copies('ord_O-1'), eventOf('ord_N-1').status, copies('ord_N-1')], ['delivered', 1, 'failed', 0])
    assert.deepEqual(replayRequests(), [])

    const forced = await request('/admin/outbox/replay', { cookie, form: confirm(range, { _csrf: csrf, force: 'on' }) })
    assert.equal(forced.status, 303, forced.text)
    assert.match(forced.location!, /&replayed=2&remaining=0&forced=1$/)
    await settled('ord_O-1', 'delivered', 2)
    await settled('ord_N-1', 'delivered', 1)
    assert.deepEqual(replayRequests(), [{ actor: 'dashboard', forced: 1, note: null }])
    assert.match((await request(`/admin/outbox/${forced.location}`, { cookie })).text, /forced: TikTok counts again those it first received more than 48 hours ago/)
  })

  test('an event retention scrubbed is shown as refused, with no confirm button, and a forced replay is refused too: the preview and the replay both go by what retention scrubbed, not by age or payload', async () => {
    // R-1 is scrubbed 31 days old, by a purge that ran under a retention of 30 days: younger than
    // CLICKRELAY_RETENTION_DAYS (90) now, and still refused.
    const first = clock.now()
    await failedOrders('R-1')
    clock.advance(31 * DAY_MS)
    await collector.store.purgeBefore(clock.now() - 30 * DAY_MS, { now: clock.now(), scrub: scrubEvent })
    const scrubbed = { status: 'failed', from: first - HOUR_MS, to: first + HOUR_MS }
    const admin = await session(ADMIN_TOKEN)
    const preview = await previewOf(scrubbed, admin.cookie)
    assert.equal(preview.status, 200)
    assert.deepEqual(verdicts(preview.text), [['ord_R-1', 'scrubbed']])
    assert.match(preview.text, /Retention scrubbed 1 of them: the replay would be refused, forced or not/)
    assert.match(preview.text, new RegExp(`<li>row ${eventOf('ord_R-1').id} · <code>ord_R-1</code>`))
    assert.doesNotMatch(preview.text, CONFIRM_FORM)
    const refused = await request('/admin/outbox/replay', { cookie: admin.cookie, form: confirm(scrubbed, { _csrf: admin.csrf, force: 'on' }) })
    assert.equal(refused.status, 409)
    assert.match(refused.text, /Not replayed: scrubbed/)
    assert.match(refused.text, /1 of the 1 events chosen belong to orders/)
    assert.deepEqual(replayRequests(), [])

    // K-1 is not scrubbed: past 90 days when previewed, and its order gave no match key (its
    // payload keeps none, as a scrubbed one), but no purge has run since. It goes.
    const second = clock.now()
    await failedOrders('K-1')
    const payload = readRows<{ payload: string }>(collector.dbPath, `SELECT payload FROM events WHERE event_id = 'ord_K-1'`)[0]!.payload
    assert.deepEqual((JSON.parse(payload) as { user: object }).user, {}, 'no match key in its payload')
    clock.advance(91 * DAY_MS)
    const later = await session(ADMIN_TOKEN)
    const kept = { status: 'failed', from: second - HOUR_MS, to: second + HOUR_MS }
    const keptPreview = await previewOf(kept, later.cookie)
    assert.deepEqual(verdicts(keptPreview.text), [['ord_K-1', 'goes']])
    assert.match(keptPreview.text, CONFIRM_FORM)
    const done = await request('/admin/outbox/replay', { cookie: later.cookie, form: confirm(kept, { _csrf: later.csrf }) })
    assert.equal(done.status, 303, done.text)
    assert.match(done.location!, /&replayed=1&remaining=0$/)
    assert.deepEqual(replayRequests(), [{ actor: 'dashboard', forced: 0, note: null }])
    assert.equal(eventOf('ord_R-1').status, 'failed')
  })

  test('a viewer sees the list and the preview, and gets 403 on the replay, by session with its CSRF token and by Bearer; nothing changes', async () => {
    const start = clock.now()
    await failedOrders('V-1')
    const range = { status: 'failed', from: start, to: clock.now() + MINUTE_MS }
    const viewer = await session(VIEWER_TOKEN)
    assert.deepEqual(listed((await request('/admin/outbox', { cookie: viewer.cookie })).text), ['ord_V-1'])
    const preview = await previewOf(range, viewer.cookie)
    assert.equal(preview.status, 200)
    assert.deepEqual(listed(preview.text), ['ord_V-1'])
    assert.doesNotMatch(preview.text, CONFIRM_FORM)
    assert.match(preview.text, /Replaying needs the admin token: this session is read-only/)

    const bySession = await request('/admin/outbox/replay', { cookie: viewer.cookie, form: confirm(range, { _csrf: viewer.csrf }) })
    assert.equal(bySession.status, 403)
    assert.match(bySession.text, /read_only/)
    assert.equal((await request('/admin/outbox', { bearer: VIEWER_TOKEN })).status, 200)
    const byBearer = await request('/admin/outbox/replay', { bearer: VIEWER_TOKEN, form: confirm(range, { force: 'on' }) })
    assert.equal(byBearer.status, 403)
    assert.match(byBearer.text, /read_only/)

    await collector.delivery.idle()
    assert.equal(eventOf('ord_V-1').status, 'failed')
    assert.equal(copies('ord_V-1'), 0)
    assert.deepEqual(replayRequests(), [])
  })

  test('a replay without the session’s CSRF token is refused (403) and nothing changes', async () => {
    const start = clock.now()
    await failedOrders('X-1')
    const range = { status: 'failed', from: start, to: clock.now() + MINUTE_MS }
    const { cookie } = await session(ADMIN_TOKEN)
    for (const form of [confirm(range, {}), confirm(range, { _csrf: 'not-the-token' })]) {
      const refused = await request('/admin/outbox/replay', { cookie, form })
      assert.equal(refused.status, 403)
      assert.match(refused.text, /csrf_failed/)
    }
    await collector.delivery.idle()
    assert.deepEqual([eventOf('ord_X-1').status, copies('ord_X-1')], ['failed', 0])
    assert.deepEqual(replayRequests(), [])
  })

  test('markup in an order key and in TikTok’s error message is shown as text, never as markup', async () => {
    const start = clock.now()
    const key = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'
    const message = '<img src=x onerror=alert(3)> is not a valid <b>event</b>'
    // TikTok's message comes back as the event's last error: code 40002 ends the event as failed.
    sandbox.sandbox.inject({ kind: 'code', code: 40002, message })
    assert.equal((await order(key)).status, 201)
    const id = eventId('Purchase', key)
    await settled(id, 'failed')
    const range = { status: 'failed', from: start, to: clock.now() + MINUTE_MS }
    const { cookie } = await session(ADMIN_TOKEN)
    const list = (await request('/admin/outbox', { cookie })).text
    const preview = (await previewOf(range, cookie)).text
    for (const [name, html] of Object.entries({ list, preview })) {
      assert.ok(!html.includes('<script>alert'), `${name}: no script element`)
      assert.ok(!html.includes('<img src=x'), `${name}: no img element`)
      const tags = html.replace(/"[^"]*"/g, '""')
      assert.doesNotMatch(tags, /<script|<style|<[^>]*\sstyle=|<[^>]*\son[a-z]+=/i, `${name}: no inline script, style or handler`)
      assert.ok(html.includes(`href="${name === 'list' ? './' : '../'}order?id=${encodeURIComponent(key)}">${escaped}</a>`), `${name}: the order key, escaped, linked by its encoded address`)
      assert.ok(html.includes(`<code class="hint">${id}</code>`), `${name}: the event_id`)
      assert.ok(html.includes('class="error-text">&lt;img src=x onerror=alert(3)&gt; is not a valid &lt;b&gt;event&lt;/b&gt;</td>'), `${name}: TikTok's message, escaped`)
    }
  })
})
