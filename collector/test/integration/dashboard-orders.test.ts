/**
 * The dashboard's Orders and Order pages (issue 12, pages 2 and 3), over real HTTP against a
 * collector delivering to a sandbox on its own port: the list and its search (order key,
 * event_id, email hashed before the lookup and never in an address, a page, a log or the
 * database), an order's provenance, payload, attempts and pixel receipts, the Replay button
 * (admin only, CSRF, TikTok's 48-hour rule shown when it refuses), and shopper-written text shown
 * as text.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { HOUR_MS } from '../../src/clock.js'
import { hashEmail } from '../../src/hashing.js'
import { ADMIN_TOKEN, eventually, manualClock, postClick, postSignedOrder, readRows, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'
import { dashboardClient } from '../dashboard-client.js'

const VIEWER_TOKEN = 'viewer-token-for-tests-987654321'
const IN_APP_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 musical_ly_35.1.0 BytedanceWebview/d8a21c6'
const EMAIL = 'Jane.Buyer@Example.com'

let clock: ReturnType<typeof manualClock>
let sandbox: TestSandbox
let collector: TestCollector

/** Sessions read their CSRF token from the Orders page, so each also checks that it opens. */
const { request, session } = dashboardClient(() => collector.url, { csrfFrom: '/admin/orders' })

const order = (orderId: string, extra: Record<string, unknown> = {}) =>
  postSignedOrder(collector.url, { order_id: orderId, value: 42.5, currency: 'EUR', url: 'https://shop.example/thanks', ...extra }, { timestamp: Math.floor(clock.now() / 1000) })
const eventRow = (eventId: string) => readRows<{ id: number; status: string }>(collector.dbPath, 'SELECT id, status FROM events WHERE event_id = ?', eventId)[0]!
const copies = (eventId: string) => sandbox.sandbox.received().filter((e) => e.eventId === eventId).length
const delivered = (eventId: string, times = 1) =>
  eventually(() => (copies(eventId) >= times && eventRow(eventId).status === 'delivered' ? true : undefined), 5_000, `${eventId} delivered ${times}×`)
/** The order keys in the list, top to bottom. */
const listed = (html: string) => [...html.matchAll(/<a href="\.\/order\?id=[^"]*">([^<]*)<\/a>/g)].map((m) => m[1])

describe('dashboard: orders', () => {
  beforeEach(async () => {
    clock = manualClock(Date.now())
    sandbox = await startTestSandbox({ clock })
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN, CLICKRELAY_VIEWER_TOKEN: VIEWER_TOKEN } })
  })
  afterEach(async () => {
    await collector.stop()
    await sandbox.close()
  })

  test('the list shows the latest orders newest first, each with its attribution sentence, pixel pairing and delivery', async () => {
    const visitor = 'v_ordersdashboard0000001'
    assert.equal((await postClick(collector.url, { v: visitor, u: 'https://shop.example/products/trail-jacket?ttclid=E.C.P.list1' }, { Origin: collector.url, 'User-Agent': IN_APP_UA })).status, 200)
    assert.equal((await order('1001', { visitor_id: visitor })).status, 201)
    await postClick(collector.url, { k: 'r', v: visitor, n: 'Purchase', i: 'ord_1001', o: '1001', t: clock.now() }, { Origin: collector.url })
    clock.advance(1000)
    assert.equal((await order('1002')).status, 201)
    await delivered('ord_1001')
    await delivered('ord_1002')

    const { cookie } = await session(VIEWER_TOKEN)
    const page = await request('/admin/orders', { cookie })
    assert.equal(page.status, 200)
    assert.deepEqual(listed(page.text), ['1002', '1001'])
    assert.match(page.text, /ttclid captured \d{4}-\d\d-\d\d on \/products\/trail-jacket in TikTok&#39;s in-app browser, linked by the same browser/)
    assert.match(page.text, /no ttclid: no click from a TikTok ad is linked to this buyer/)
    assert.match(page.text, /class="pill paired"/)
    assert.match(page.text, /class="pill server_only"/)
    assert.equal([...page.text.matchAll(/class="pill delivered">delivered</g)].length, 2)
    assert.match(page.text, /EUR 42\.50/)
    assert.match(page.text, /<a href="\.\/orders" aria-current="page">Orders<\/a>/, 'the navigation links the page')
    assert.match((await request('/admin/', { cookie })).text, /<a href="\.\/orders">Each order<\/a>/, 'the Overview links it')
    // The JSON API at /admin/orders/:id is untouched.
    const api = await fetch(`${collector.url}/admin/orders/1001`, { headers: { Authorization: `Bearer ${VIEWER_TOKEN}` } })
    assert.equal(api.status, 200)
    assert.equal(((await api.json()) as { pixel: { status: string } }).pixel.status, 'paired')
  })

  test('search by order key (as the shopper saw it, "#1001") and by event_id, as a viewer too', async () => {
    for (const key of ['1001', '1002', '2001']) assert.equal((await order(key)).status, 201)
    const viewer = await session(VIEWER_TOKEN)
    const byKey = await request('/admin/orders', { cookie: viewer.cookie, form: { _csrf: viewer.csrf, q: '#1001' } })
    assert.equal(byKey.status, 303, byKey.text)
    assert.equal(byKey.location, 'orders?q=%231001')
    assert.deepEqual(listed((await request(`/admin/${byKey.location}`, { cookie: viewer.cookie })).text), ['1001'])

    const byEventId = await request('/admin/orders?q=ord_2001', { cookie: viewer.cookie })
    assert.deepEqual(listed(byEventId.text), ['2001'])
    assert.match(byEventId.text, /value="ord_2001"/, 'an order key or event_id stays in the box')
    assert.deepEqual(listed((await request('/admin/orders?q=nothing-like-it', { cookie: viewer.cookie })).text), [])
  })

  test('search by email: hashed before the lookup, and the address never appears in the redirect, the page, the logs or the database', async () => {
    assert.equal((await order('e-1', { email: EMAIL })).status, 201)
    assert.equal((await order('e-2')).status, 201)
    clock.advance(1000)
    assert.equal((await order('e-3', { email: EMAIL.toLowerCase() })).status, 201)
    const { cookie, csrf } = await session(ADMIN_TOKEN)
    const search = await request('/admin/orders', { cookie, form: { _csrf: csrf, q: ` ${EMAIL} ` } })
    assert.equal(search.status, 303)
    assert.equal(search.location, `orders?email=${hashEmail(EMAIL)}`)
    const results = await request(`/admin/${search.location}`, { cookie })
    assert.deepEqual(listed(results.text), ['e-3', 'e-1'])

    // Typed into an address by hand, it leaves the address at once.
    const typed = await request(`/admin/orders?q=${encodeURIComponent(EMAIL)}`, { cookie })
    assert.equal(typed.status, 303)
    assert.equal(typed.location, `orders?email=${hashEmail(EMAIL)}`)

    const raw = [EMAIL, EMAIL.toLowerCase(), encodeURIComponent(EMAIL), encodeURIComponent(EMAIL.toLowerCase())]
    const stored = ['', '-wal'].map((suffix) => collector.dbPath + suffix).filter(existsSync).map((file) => readFileSync(file).toString('latin1'))
    for (const text of [search.location!, results.text, typed.location!, collector.logs(), ...stored]) {
      for (const value of raw) assert.ok(!text.includes(value), `the raw email appears: ${value}`)
    }
    assert.ok(results.text.includes(hashEmail(EMAIL)!), 'the page says which hash it looked up')
  })

  test('the order page: provenance, the exact payload with its hashes named, every attempt and the pixel receipts', async () => {
    const visitor = 'v_ordersdashboard0000002'
    const landing = 'https://shop.example/products/trail-jacket?ttclid=E.C.P.detail1&utm_source=tiktok&utm_campaign=spring'
    assert.equal((await postClick(collector.url, { v: visitor, u: landing, r: 'https://www.tiktok.com/' }, { Origin: collector.url, 'User-Agent': IN_APP_UA })).status, 200)
    assert.equal((await order('D-77', { visitor_id: visitor, email: EMAIL })).status, 201)
    await postClick(collector.url, { k: 'r', v: visitor, n: 'Purchase', i: 'ord_D-77', o: 'D-77', t: clock.now() }, { Origin: collector.url })
    await delivered('ord_D-77')

    const { cookie } = await session(VIEWER_TOKEN)
    const page = await request('/admin/order?id=D-77', { cookie })
    assert.equal(page.status, 200, page.text)
    const html = page.text
    // Provenance: which click, where, when, in which browser, linked how, by which rule.
    assert.match(html, /<code>E\.C\.P\.detail1<\/code>/)
    assert.ok(html.includes(landing.replaceAll('&', '&amp;')), 'the landing URL, whole')
    assert.match(html, /TikTok&#39;s in-app browser/)
    assert.match(html, /<dt>Referrer<\/dt><dd><code>https:\/\/www\.tiktok\.com\/<\/code>/)
    assert.match(html, /<dt>utm_campaign<\/dt><dd><code>spring<\/code>/)
    assert.match(html, /<dt>Linked by<\/dt><dd>the same browser<\/dd>/)
    assert.match(html, /same_browser<\/span> The buyer&#39;s own browser landed with this ttclid\./)
    assert.match(html, /<dt>IP address from<\/dt><dd>the visitor&#39;s latest click record/)
    // The payload, exactly as stored and sent, and the email as the hash it is.
    const event = readRows<{ id: number; payload: string }>(collector.dbPath, `SELECT id, payload FROM events WHERE event_id = 'ord_D-77'`)[0]!
    const pretty = JSON.stringify(JSON.parse(event.payload), null, 2).replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll("'", '&#39;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
    assert.ok(html.includes(pretty), 'the exact payload, pretty')
    assert.match(html, new RegExp(`<code>email</code></td><td data-label="What it is">SHA-256 of the normalised email</td><td data-label="Value sent"><code>${hashEmail(EMAIL)}</code>`))
    assert.ok(!html.includes(EMAIL.toLowerCase()))
    // Every attempt, as the sandbox answered it.
    const attempts = readRows<{ request_id: string }>(collector.dbPath, 'SELECT request_id FROM attempts WHERE event_row = ?', event.id)
    assert.equal(attempts.length, 1)
    assert.match(html, new RegExp(`<td data-label="Batch" class="num">1</td><td data-label="HTTP" class="num">200</td><td data-label="TikTok code" class="num">0</td><td data-label="Message">OK</td><td data-label="request_id"><code>${attempts[0]!.request_id}</code></td><td data-label="Duration" class="num">\\d+ ms</td>`))
    // The pixel receipt, and the pairing.
    assert.match(html, /<p class="pill paired">paired<\/p>/)
    assert.match(html, /<dt>Purchase <code>ord_D-77<\/code><\/dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/dd>/)
    // A viewer sees no Replay button.
    assert.doesNotMatch(html, /action="\.\/order\/replay"/)
    assert.match(html, /Replaying needs the admin token/)

    assert.equal((await request('/admin/order?id=no-such-order', { cookie })).status, 404)
  })

  test('Replay from the page as admin: the event goes back to pending and the sandbox receives it again', async () => {
    assert.equal((await order('R-1')).status, 201)
    await delivered('ord_R-1')
    clock.advance(2 * HOUR_MS)
    const { cookie, csrf } = await session(ADMIN_TOKEN)
    const page = await request('/admin/order?id=R-1', { cookie })
    assert.match(page.text, /<form method="post" action="\.\/order\/replay" class="replay">/)
    assert.match(page.text, /name="force" value="on"/)
    assert.match(page.text, /counts the purchase a second time/, 'the force checkbox says what it does')

    // Delivery paused, to see the event back in the queue before it is sent again.
    sandbox.sandbox.inject({ kind: 'http', status: 503, times: 0 })
    const replay = await request('/admin/order/replay', { cookie, form: { _csrf: csrf, id: 'R-1' } })
    assert.equal(replay.status, 303, replay.text)
    assert.equal(replay.location, '../order?id=R-1&replayed=1')
    assert.notEqual(eventRow('ord_R-1').status, 'delivered', 'back in the queue')
    assert.ok(['pending', 'sending'].includes(eventRow('ord_R-1').status))
    const after = await request('/admin/order?id=R-1&replayed=1', { cookie })
    assert.match(after.text, /Replay queued: the event is back in the queue with the same event_id/)
    assert.match(after.text, /dashboard, was delivered/, 'the replay log names the dashboard')
    sandbox.sandbox.clearFaults()
    await delivered('ord_R-1', 2)
    assert.equal(sandbox.sandbox.report('ord_R-1').counted_once, true)
  })

  test('Replay is refused to a viewer (403) and without the CSRF token (403), and nothing is sent', async () => {
    assert.equal((await order('R-2')).status, 201)
    await delivered('ord_R-2')
    const viewer = await session(VIEWER_TOKEN)
    const byViewer = await request('/admin/order/replay', { cookie: viewer.cookie, form: { _csrf: viewer.csrf, id: 'R-2' } })
    assert.equal(byViewer.status, 403)
    assert.match(byViewer.text, /read_only/)
    const admin = await session(ADMIN_TOKEN)
    const noCsrf = await request('/admin/order/replay', { cookie: admin.cookie, form: { id: 'R-2' } })
    assert.equal(noCsrf.status, 403)
    assert.match(noCsrf.text, /csrf_failed/)
    await collector.delivery.idle()
    assert.equal(eventRow('ord_R-2').status, 'delivered')
    assert.equal(copies('ord_R-2'), 1)
  })

  test('past 47 hours the page shows the 48-hour rule and replays nothing; forced, it goes', async () => {
    assert.equal((await order('R-3')).status, 201)
    await delivered('ord_R-3')
    clock.advance(49 * HOUR_MS)
    const { cookie, csrf } = await session(ADMIN_TOKEN)
    const refused = await request('/admin/order/replay', { cookie, form: { _csrf: csrf, id: 'R-3' } })
    assert.equal(refused.status, 409)
    assert.match(refused.text, /Not replayed: outside_dedup_window/)
    assert.match(refused.text, /first accepted by TikTok 49 hours ago/)
    assert.match(refused.text, /only within 48 hours of first receiving it/)
    assert.match(refused.text, /would count the purchase twice/)
    assert.match(refused.text, /<h1>Order <span class="key">R-3<\/span><\/h1>/, 'the order page itself, with the refusal')
    await collector.delivery.idle()
    assert.equal(eventRow('ord_R-3').status, 'delivered')
    assert.equal(copies('ord_R-3'), 1)

    const forced = await request('/admin/order/replay', { cookie, form: { _csrf: csrf, id: 'R-3', force: 'on' } })
    assert.equal(forced.status, 303, forced.text)
    assert.equal(forced.location, '../order?id=R-3&replayed=forced')
    await delivered('ord_R-3', 2)
  })

  test('what a shopper or merchant wrote is shown as text, never as markup: order key, landing URL, UTM values, referrer, email', async () => {
    const script = '<script>alert(1)</script>'
    const img = '"><img src=x onerror=alert(2)>'
    const escaped = { script: '&lt;script&gt;alert(1)&lt;/script&gt;', img: '&quot;&gt;&lt;img src=x onerror=alert(2)&gt;' }
    const visitor = 'v_ordersdashboard0000003'
    const landing = `https://shop.example/p/${script}?ttclid=E.C.P.xss1&utm_source=${encodeURIComponent(script)}&utm_campaign=${encodeURIComponent(img)}#${img}`
    const referrer = `https://ref.example/${img}`
    assert.equal((await postClick(collector.url, { v: visitor, u: landing, r: referrer }, { Origin: collector.url })).status, 200)
    const key = `${script}${img}`
    const email = `${img}@example.com`
    const accepted = await order(key, { visitor_id: visitor, email })
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body))

    const { cookie, csrf } = await session(ADMIN_TOKEN)
    const list = (await request('/admin/orders', { cookie })).text
    const detail = (await request(`/admin/order?id=${encodeURIComponent(key)}`, { cookie })).text
    const search = await request('/admin/orders', { cookie, form: { _csrf: csrf, q: email } })
    const searched = search.status === 303 ? (await request(`/admin/${search.location}`, { cookie })).text : search.text
    for (const [name, html] of Object.entries({ list, detail, searched })) {
      assert.ok(!html.includes('<script>alert'), `${name}: no script element`)
      assert.ok(!html.includes('<img src=x'), `${name}: no img element`)
      // Attributes as a browser parses them: quoted values set aside (escaped text may read " onerror=", as it should).
      const tags = html.replace(/"[^"]*"/g, '""')
      assert.doesNotMatch(tags, /<script(?![^>]*\ssrc=)|<style|<[^>]*\sstyle=|<[^>]*\son[a-z]+=/i, `${name}: no inline script, style or handler`)
    }
    assert.ok(list.includes(`${escaped.script}${escaped.img}`), 'the order key, escaped, in the list')
    assert.ok(detail.includes(`Order <span class="key">${escaped.script}${escaped.img}</span>`), 'the order key, escaped, on its page')
    assert.ok(detail.includes('<dt>utm_source</dt><dd><code>' + escaped.script), 'a UTM value, escaped')
    assert.ok(detail.includes('<dt>utm_campaign</dt><dd><code>' + escaped.img), 'another UTM value, escaped')
    assert.ok(detail.includes(`<code>https://ref.example/${escaped.img}</code>`), 'the referrer, escaped')
    assert.ok(detail.includes(escaped.img + '</code>'), 'the landing URL, escaped')
    // The email the merchant sent is never shown, raw or escaped: only its hash.
    for (const html of [list, detail, searched]) assert.ok(!html.includes(escaped.img + '@example.com'))
    assert.ok(!(search.location ?? '').includes('img'), 'nor in the redirect')
  })
})
