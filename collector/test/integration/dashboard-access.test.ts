/**
 * Who may use the dashboard and the admin API (issue 12, "Access"), over real HTTP: logins with
 * the admin and viewer tokens, the session cookie, expiry and logout, the rate limit on failed
 * logins, CSRF, the viewer's 403 on every action, the security headers, the open sandbox on
 * loopback, and shopper-written text shown as text.
 */
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import { HOUR_MS } from '../../src/clock.js'
import { loadConfig } from '../../src/config.js'
import { LOGIN_FAILURES_ALLOWED, SESSION_COOKIE } from '../../src/dashboard/access.js'
import { createLogger } from '../../src/log.js'
import { startCollector, type RunningCollector } from '../../src/server.js'
import { ADMIN_TOKEN, BROWSER_UA, manualClock, postClick, postSignedOrder, readRows, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'
import { dashboardClient, type Answer, type DashboardClient } from '../dashboard-client.js'

const VIEWER_TOKEN = 'viewer-token-for-tests-987654321'
const VISITOR = 'v_dashboardtest000000001'

let clock: ReturnType<typeof manualClock>
let sandbox: TestSandbox
let collector: TestCollector

/** The collector of each test; sessions read their CSRF token from the Overview's logout form. */
const dashboard = dashboardClient(() => collector.url)
const { request, session } = dashboard

/** A login with the token, from `client`'s collector. */
const login = (token: string, headers: Record<string, string> = {}, client: DashboardClient = dashboard) => client.request('/admin/login', { form: { token }, headers })

const errorCode = (a: Answer) => (JSON.parse(a.text) as { error: { code: string } }).error.code
const clicksOf = (visitor: string) => readRows<{ n: number }>(collector.dbPath, 'SELECT count(*) AS n FROM clicks WHERE visitor_id = ?', visitor)[0]!.n

/** Every action of the admin API: each must refuse a viewer. */
const ACTIONS: Array<[string, unknown]> = [
  ['/admin/events/1/replay', {}],
  ['/admin/replays', { from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }],
  ['/admin/deletions', { visitor_id: VISITOR }],
]

describe('dashboard access', () => {
  beforeEach(async () => {
    clock = manualClock(Date.now())
    sandbox = await startTestSandbox({ clock })
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN, CLICKRELAY_VIEWER_TOKEN: VIEWER_TOKEN } })
    assert.equal((await postClick(collector.url, { v: VISITOR, u: 'https://shop.example/?ttclid=E.C.P.dash1' }, { Origin: collector.url })).status, 200)
  })
  afterEach(async () => {
    await collector.stop()
    await sandbox.close()
  })

  test('the admin token logs in: a 12-hour session cookie, HttpOnly, SameSite=Strict, Path=/admin, not Secure over http', async () => {
    const answer = await login(ADMIN_TOKEN)
    assert.equal(answer.status, 303)
    assert.equal(answer.headers.get('location'), './')
    const attributes = answer.setCookie!.split(';').map((a) => a.trim().toLowerCase())
    assert.ok(attributes.includes('httponly'), answer.setCookie)
    assert.ok(attributes.includes('samesite=strict'), answer.setCookie)
    assert.ok(attributes.includes('path=/admin'), answer.setCookie)
    assert.ok(attributes.includes(`max-age=${12 * 3600}`), answer.setCookie)
    assert.ok(attributes.some((a) => a.startsWith('expires=')), answer.setCookie)
    assert.ok(!attributes.includes('secure'), answer.setCookie)

    const page = await request('/admin/', { cookie: answer.cookie })
    assert.equal(page.status, 200)
    assert.match(page.text, /<h1>Overview<\/h1>/)
    assert.match(page.text, /class="badge">admin</)
  })

  test('the viewer token logs in read-only, and reads the JSON API by session and by Bearer', async () => {
    const { cookie } = await session(VIEWER_TOKEN)
    const page = await request('/admin/', { cookie })
    assert.match(page.text, /viewer · read-only/)
    const bySession = await request('/admin/status', { cookie })
    assert.equal(bySession.status, 200)
    assert.equal(JSON.parse(bySession.text).delivery.state, 'ok')
    const byBearer = await request('/admin/status', { headers: { Authorization: `Bearer ${VIEWER_TOKEN}` } })
    assert.equal(byBearer.status, 200)
    assert.equal((await request('/admin/status', { headers: { Authorization: 'Bearer not-a-token-at-all-000' } })).status, 401)
  })

  test('behind a trusted https proxy the cookie is Secure; an untrusted proxy cannot make it so', async () => {
    const proxied = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'shop.example' }
    assert.ok(!(await login(ADMIN_TOKEN, proxied)).setCookie!.toLowerCase().includes('secure'), 'CLICKRELAY_TRUST_PROXY is off here')
    const trusting = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN, CLICKRELAY_TRUST_PROXY: 'loopback' } })
    try {
      const answer = await login(ADMIN_TOKEN, proxied, dashboardClient(() => trusting.url))
      assert.equal(answer.status, 303)
      assert.ok(answer.setCookie!.split(';').map((a) => a.trim().toLowerCase()).includes('secure'), answer.setCookie)
    } finally {
      await trusting.stop()
    }
  })

  test('a wrong token is a 401 with the form again; after 10 failures from one IP even the right token waits: 429 with Retry-After', async () => {
    const wrong = await login('wrong-token-wrong-token-wrong')
    assert.equal(wrong.status, 401)
    assert.equal(wrong.cookie, undefined)
    assert.match(wrong.text, /not CLICKRELAY_ADMIN_TOKEN or CLICKRELAY_VIEWER_TOKEN/)
    assert.match(wrong.text, /name="token"/)
    // A prefix of the right token is as wrong as any other value.
    assert.equal((await login(ADMIN_TOKEN.slice(0, -1))).status, 401)
    for (let i = 2; i < LOGIN_FAILURES_ALLOWED; i++) assert.equal((await login(`wrong-${i}`)).status, 401)

    const limited = await login(ADMIN_TOKEN)
    assert.equal(limited.status, 429)
    assert.equal(limited.cookie, undefined)
    assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After in seconds')
    clock.advance(16 * 60_000)
    assert.equal((await login(ADMIN_TOKEN)).status, 303, 'the window has passed')
  })

  test('wrong Bearer tokens count against the same limit: after 10, even the right one waits (429, Retry-After)', async () => {
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) assert.equal((await request('/admin/status', { headers: { Authorization: `Bearer guess-${i}` } })).status, 401)
    const limited = await request('/admin/status', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })
    assert.equal(limited.status, 429)
    assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After in seconds')
    assert.equal((await login(ADMIN_TOKEN)).status, 429, 'the login form shares the limit')
    clock.advance(16 * 60_000)
    assert.equal((await request('/admin/status', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 200)
  })

  test("another site's form cannot log in: a cross-site Origin or Sec-Fetch-Site is 403, with no cookie", async () => {
    const fromElsewhere = await login(ADMIN_TOKEN, { Origin: 'https://evil.example' })
    assert.equal(fromElsewhere.status, 403)
    assert.equal(fromElsewhere.cookie, undefined)
    const crossSite = await login(ADMIN_TOKEN, { 'Sec-Fetch-Site': 'cross-site' })
    assert.equal(crossSite.status, 403)
    assert.equal(crossSite.cookie, undefined)
    assert.equal((await login(ADMIN_TOKEN, { Origin: collector.url, 'Sec-Fetch-Site': 'same-origin' })).status, 303, 'the dashboard\'s own form still logs in')
    assert.equal((await login(ADMIN_TOKEN, { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'same-site' })).status, 403, 'a sibling subdomain is another site here')
  })

  test("the dashboard's own form, as Chromium posts it from a no-referrer page (Origin: null), logs in; a null Origin from elsewhere does not", async () => {
    const ownForm = await login(ADMIN_TOKEN, { Origin: 'null', 'Sec-Fetch-Site': 'same-origin' })
    assert.equal(ownForm.status, 303, ownForm.text)
    assert.ok(ownForm.cookie)
    // A sandboxed frame or a data: page posts with Origin: null too, but cross-site.
    const sandboxedFrame = await login(ADMIN_TOKEN, { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' })
    assert.equal(sandboxedFrame.status, 403)
    assert.equal(sandboxedFrame.cookie, undefined)
    // A null Origin that does not say where it came from is not trusted.
    assert.equal((await login(ADMIN_TOKEN, { Origin: 'null' })).status, 403)
  })

  test('a page below /admin/ without a session goes to the login form, wherever it is', async () => {
    const top = await request('/admin/orders')
    assert.equal(top.status, 303)
    assert.equal(new URL(top.headers.get('location')!, collector.url + '/admin/orders').pathname, '/admin/login')
    const deeper = await request('/admin/outbox/replay?status=failed')
    assert.equal(deeper.status, 303)
    assert.equal(new URL(deeper.headers.get('location')!, collector.url + '/admin/outbox/replay').pathname, '/admin/login')
  })

  test('a session ends after 12 hours: pages go to the login form, the API answers 401', async () => {
    const { cookie } = await session(ADMIN_TOKEN)
    clock.advance(12 * HOUR_MS - 1000)
    assert.equal((await request('/admin/', { cookie })).status, 200)
    clock.advance(2000)
    const page = await request('/admin/', { cookie })
    assert.equal(page.status, 303)
    assert.equal(page.headers.get('location'), './login')
    assert.equal((await request('/admin/status', { cookie })).status, 401)
  })

  test('a forged or altered cookie is no session', async () => {
    const { cookie } = await session(VIEWER_TOKEN)
    const asAdmin = cookie.replace(`${SESSION_COOKIE}=viewer.`, `${SESSION_COOKIE}=admin.`)
    assert.notEqual(asAdmin, cookie)
    assert.equal((await request('/admin/status', { cookie: asAdmin })).status, 401)
    const later = cookie.replace(/\.(\d+)\./, (_m, ms: string) => `.${Number(ms) + 10 * HOUR_MS}.`)
    assert.equal((await request('/admin/status', { cookie: later })).status, 401)
  })

  test('logout needs the CSRF token, then clears the cookie and goes to the login form', async () => {
    const { cookie, csrf } = await session(ADMIN_TOKEN)
    const refused = await request('/admin/logout', { cookie, form: {} })
    assert.equal(refused.status, 403)
    assert.match(refused.text, /csrf_failed/)
    const out = await request('/admin/logout', { cookie, form: { _csrf: csrf } })
    assert.equal(out.status, 303)
    assert.equal(out.headers.get('location'), 'login')
    assert.match(out.setCookie!, new RegExp(`^${SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`))
  })

  test('a viewer gets 403 on every action, by session with a valid CSRF token and by Bearer, and nothing changes', async () => {
    const viewer = await session(VIEWER_TOKEN)
    for (const [path, body] of ACTIONS) {
      const bySession = await request(path, { cookie: viewer.cookie, json: body, headers: { 'X-CSRF-Token': viewer.csrf } })
      assert.equal(bySession.status, 403, `${path}: ${bySession.text}`)
      assert.equal(errorCode(bySession), 'read_only', path)
      const asForm = await request(path, { cookie: viewer.cookie, form: { _csrf: viewer.csrf, visitor_id: VISITOR } })
      assert.equal(asForm.status, 403, path)
      assert.equal(errorCode(asForm), 'read_only', path)
      const byBearer = await request(path, { json: body, headers: { Authorization: `Bearer ${VIEWER_TOKEN}` } })
      assert.equal(byBearer.status, 403, path)
      assert.equal(errorCode(byBearer), 'read_only', path)
    }
    assert.equal(clicksOf(VISITOR), 1, "the viewer's deletion did not happen")

    // The same requests from an admin session go through (a 404 for an event that does not exist is the route's own answer).
    const admin = await session(ADMIN_TOKEN)
    assert.equal((await request('/admin/events/1/replay', { cookie: admin.cookie, json: {}, headers: { 'X-CSRF-Token': admin.csrf } })).status, 404)
    assert.equal((await request('/admin/deletions', { cookie: admin.cookie, json: { visitor_id: VISITOR }, headers: { 'X-CSRF-Token': admin.csrf } })).status, 200)
    assert.equal(clicksOf(VISITOR), 0)
  })

  test('CSRF: a state-changing request on a session without its token, or with another session\'s, is 403; Bearer needs none', async () => {
    const admin = await session(ADMIN_TOKEN)
    const other = await session(ADMIN_TOKEN)
    const without = await request('/admin/deletions', { cookie: admin.cookie, json: { visitor_id: VISITOR } })
    assert.equal(without.status, 403)
    assert.equal(errorCode(without), 'csrf_failed')
    const foreign = await request('/admin/deletions', { cookie: admin.cookie, json: { visitor_id: VISITOR }, headers: { 'X-CSRF-Token': other.csrf } })
    assert.equal(foreign.status, 403)
    assert.equal(clicksOf(VISITOR), 1)
    const bearer = await request('/admin/deletions', { json: { visitor_id: VISITOR }, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })
    assert.equal(bearer.status, 200)
    assert.equal(clicksOf(VISITOR), 0)
  })

  test('every dashboard and admin answer carries the security headers; pages need no inline script or style', async () => {
    const { cookie } = await session(ADMIN_TOKEN)
    const answers = {
      login: await request('/admin/login'),
      overview: await request('/admin/', { cookie }),
      stylesheet: await request('/admin/assets/dashboard.css'),
      status: await request('/admin/status', { cookie }),
      unauthorized: await request('/admin/status'),
      redirect: await request('/admin/'),
    }
    for (const [name, answer] of Object.entries(answers)) {
      const csp = answer.headers.get('content-security-policy') ?? ''
      assert.match(csp, /script-src 'self'/, name)
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, name)
      assert.match(csp, /frame-ancestors 'none'/, name)
      assert.equal(answer.headers.get('x-frame-options'), 'DENY', name)
      // The login page alone sends its referrer, to its own origin only: its form's POST then carries its Origin (router.ts).
      assert.equal(answer.headers.get('referrer-policy'), name === 'login' ? 'same-origin' : 'no-referrer', name)
      assert.equal(answer.headers.get('cache-control'), 'no-store', name)
    }
    assert.match(answers.stylesheet.headers.get('content-type') ?? '', /text\/css/)
    for (const page of [answers.login, answers.overview]) {
      // A script element must load a file of the collector's own (script-src 'self'): none is inline.
      assert.doesNotMatch(page.text, /<script(?![^>]*\ssrc="\.\/assets\/[\w.-]+\.js")|<style|\sstyle=|\son[a-z]+=/i)
      assert.match(page.text, /<link rel="stylesheet" href="\.\/assets\/dashboard\.css">/)
    }
  })

  test('the Overview shows what /admin/status says, and text a shopper or merchant wrote as text, never as markup', async () => {
    const orderId = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    const order = await postSignedOrder(collector.url, { order_id: orderId, value: 10, currency: 'EUR', url: 'https://shop.example/thanks', email: 'not-an-email', visitor_id: VISITOR }, { timestamp: Math.floor(clock.now() / 1000) })
    assert.equal(order.status, 201, JSON.stringify(order.body))
    const { cookie } = await session(VIEWER_TOKEN)
    const status = JSON.parse((await request('/admin/status', { cookie })).text)
    assert.ok(status.problems.some((p: { message: string }) => p.message.includes(orderId)), 'the problem message carries the order key as written')

    const page = (await request('/admin/', { cookie })).text
    assert.ok(!page.includes('<script>alert(1)'), 'no script element from the order key')
    assert.ok(!page.includes('<img src=x'), 'no img element from the order key')
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;'), 'the order key shown escaped')
    assert.match(page, /order_fields_left_out/)
    assert.match(page, new RegExp(`class="state ${status.delivery.state}"`))
    assert.match(page, /data-chart="coverage"/)
  })
})

describe('the sandbox on loopback', () => {
  let running: RunningCollector
  let dir: string
  const open = dashboardClient(() => running.url)
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clickrelay-dash-'))
    const config = loadConfig({ PORT: '0', CLICKRELAY_DB: join(dir, 'db.sqlite'), CLICKRELAY_LOG_LEVEL: 'silent' })
    assert.equal(config.mode, 'sandbox')
    running = await startCollector(config, { log: createLogger('silent', new Writable({ write: (_c, _e, done) => done() })) })
  })
  after(async () => {
    await running.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('opens the dashboard without a token, as admin, and still wants the CSRF token for actions', async () => {
    const page = await open.request('/admin/')
    assert.equal(page.status, 200)
    assert.match(page.text, /class="badge">admin</)
    assert.match(page.text, /sandbox/)
    assert.ok(page.cookie, 'a session of its own, for the CSRF token')

    const noSession = await open.request('/admin/deletions', { json: { visitor_id: VISITOR } })
    assert.equal(noSession.status, 403)
    assert.equal(errorCode(noSession), 'csrf_failed')
    const csrf = await open.csrfOf(page.cookie)
    const done = await open.request('/admin/deletions', { cookie: page.cookie, json: { visitor_id: VISITOR }, headers: { 'X-CSRF-Token': csrf, 'User-Agent': BROWSER_UA } })
    assert.equal(done.status, 200, done.text)
  })

  test('is not open to a page of another site pointed at 127.0.0.1 (a Host that is not loopback: DNS rebinding)', async () => {
    const port = new URL(running.url).port
    const asked = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/admin/status', headers: { Host: host } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end()
      })
    assert.equal(await asked(`rebind.attacker.example:${port}`), 403)
    assert.equal(await asked(`127.0.0.1:${port}`), 200)
    assert.equal(await asked(`localhost:${port}`), 200)
  })

  test('is not open to requests that came through a proxy', async () => {
    const proxied = await open.request('/admin/', { headers: { 'X-Forwarded-For': '203.0.113.9' } })
    assert.equal(proxied.status, 303)
    assert.equal((await open.request('/admin/status', { headers: { 'X-Forwarded-For': '203.0.113.9' } })).status, 403)
  })
})
