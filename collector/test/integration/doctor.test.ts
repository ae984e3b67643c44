/**
 * `npm run doctor` against real collectors, each behind a small real HTTP server playing the shop:
 * it serves a page with the tag and reverse-proxies the collector's paths as nginx would (Host
 * passed or rewritten to the upstream's, X-Forwarded-* or not, mounted at / or under /cr/).
 * An https shop is played by a fetch that sends https://shop.example to that server, which then
 * says X-Forwarded-Proto: https as a TLS proxy would.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { scanPage } from '../../src/doctor/page.js'
import { runDoctor, tokenRefusal } from '../../src/doctor/doctor.js'
import type { Fetch } from '../../src/doctor/http.js'
import type { Check, DoctorReport } from '../../src/doctor/result.js'
import { parseSetCookie, siteOf } from '../../src/doctor/site.js'
import { findTag } from '../../src/doctor/tag.js'
import { eventually, postSignedOrder, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

const ADMIN_TOKEN = 'doctor-admin-token-0123456789'
const PIXEL_BASE_CODE = `<script>
!function (w, d, t) {
  w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track"];
  ttq.load=function(e,n){var r="https://analytics.tiktok.com/i18n/pixel/events.js";ttq._i=ttq._i||{}};
  ttq.load('CTESTPIXEL1234567890');
  ttq.page();
}(window, document, 'ttq');
</script>`

function page(head: string, body = '<h1>Trail jacket</h1>'): string {
  return `<!doctype html>\n<html><head>\n<meta charset="utf-8">\n<title>Shop</title>\n${head}\n</head>\n<body>${body}</body></html>\n`
}
const TAG = '<script async src="/cr.js"></script>'
const GOOD_PAGE = page(`${TAG}\n${PIXEL_BASE_CODE}`)

interface ShopOptions {
  upstream: string
  html: string
  /** Collector paths mounted under this prefix, stripped on the way (nginx `location /cr/ { proxy_pass …/; }`). */
  prefix?: string
  /** false: the prefix goes upstream too (nginx `proxy_pass http://127.0.0.1:8787;` without the slash). */
  strip?: boolean
  /** `pass`: proxy_set_header Host $host. `upstream`: plain nginx, Host becomes the upstream's. */
  host: 'pass' | 'upstream'
  /** Adds X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host, as the README's nginx config does. */
  forwarded?: boolean
  /** The origin shoppers use, when a TLS proxy sits in front (the fetch below maps it to this server). */
  publicOrigin?: string
}

interface Shop {
  url: string
  /** Collector paths the shop forwarded, in order. */
  proxied: string[]
  setPage(html: string): void
  close(): Promise<void>
}

const COLLECTOR_PATHS = /^\/(cr\.js|collect|healthz|admin\/.*)$/

async function startShop(options: ShopOptions): Promise<Shop> {
  const proxied: string[] = []
  let html = options.html
  const upstream = new URL(options.upstream)
  const proxy = (req: IncomingMessage, res: ServerResponse, path: string) => {
    proxied.push(`${req.method} ${path}`)
    const headers = { ...req.headers }
    if (options.host === 'upstream') headers.host = upstream.host
    if (options.forwarded) {
      const shown = options.publicOrigin ? new URL(options.publicOrigin) : undefined
      headers['x-forwarded-for'] = req.socket.remoteAddress ?? ''
      headers['x-forwarded-proto'] = shown ? shown.protocol.slice(0, -1) : 'http'
      headers['x-forwarded-host'] = shown ? shown.host : (req.headers.host ?? '')
    }
    const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    up.on('error', () => {
      res.writeHead(502, { 'Content-Type': 'text/html' })
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>')
    })
    req.pipe(up)
  }
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/'
    const prefix = options.prefix ?? ''
    const inner = path.startsWith(prefix + '/') ? path.slice(prefix.length) : undefined
    if (inner !== undefined && COLLECTOR_PATHS.test(inner.split('?')[0]!)) return proxy(req, res, options.strip === false ? path : inner)
    if (path === '/') {
      res.writeHead(302, { Location: '/home' })
      return res.end()
    }
    if (path === '/home') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      return res.end(html)
    }
    res.writeHead(404, { 'Content-Type': 'text/html' })
    res.end('<html><body>Not found</body></html>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    proxied,
    setPage: (next) => {
      html = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** DNS and TLS for the test: requests to these https origins go to local http servers; the answer keeps the https URL. */
function mappedFetch(hosts: Record<string, string>): Fetch {
  return async (url, init) => {
    const wanted = new URL(url)
    const local = hosts[wanted.origin]
    if (!local) return fetch(url, init)
    const response = await fetch(local + wanted.pathname + wanted.search, { ...init, redirect: 'manual' })
    const location = response.headers.get('location')
    if (location && init?.redirect !== 'manual' && response.status >= 300 && response.status < 400) return mappedFetch(hosts)(new URL(location, wanted).href, init)
    Object.defineProperty(response, 'url', { value: wanted.href })
    return response
  }
}

function byId(report: DoctorReport, id: string): Check {
  const check = report.checks.find((c) => c.id === id)
  assert.ok(check, `no check ${id} in:\n${describe_(report)}`)
  return check
}
function describe_(report: DoctorReport): string {
  return report.checks.map((c) => `${c.status} ${c.id}: ${c.summary}${c.fix ? `\n    fix: ${c.fix}` : ''}`).join('\n')
}
function assertStatus(report: DoctorReport, id: string, status: Check['status']): Check {
  const check = byId(report, id)
  assert.equal(check.status, status, `${id} should be ${status}:\n${describe_(report)}`)
  return check
}

let sandbox: TestSandbox
const running: Array<{ stop(): Promise<void> } | { close(): Promise<void> }> = []

async function collector(env: Record<string, string> = {}): Promise<TestCollector> {
  const c = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_LOG_LEVEL: 'warn', ...env } })
  running.push(c)
  return c
}
async function shop(options: ShopOptions): Promise<Shop> {
  const s = await startShop(options)
  running.push(s)
  return s
}

describe('npm run doctor', () => {
  before(async () => {
    sandbox = await startTestSandbox()
  })
  after(async () => {
    for (const r of running.reverse()) await ('stop' in r ? r.stop() : r.close())
    await sandbox.close()
  })

  test('a correct setup (root mount, Host and X-Forwarded-* passed, proxy trusted) passes every check, stores nothing, and reads /admin/status', async () => {
    const c = await collector({ CLICKRELAY_TRUST_PROXY: 'loopback', CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN })
    const s = await shop({ upstream: c.url, html: GOOD_PAGE, host: 'pass', forwarded: true })
    const report = await runDoctor({ url: new URL(s.url + '/'), adminToken: ADMIN_TOKEN })
    assert.equal(report.ok, true, describe_(report))
    assert.deepEqual({ warn: report.counts.warn, fail: report.counts.fail, skip: report.counts.skip }, { warn: 0, fail: 0, skip: 0 }, describe_(report))
    assert.equal(report.page_url, s.url + '/home', 'the redirect is followed')
    assert.equal(report.script_url, s.url + '/cr.js')
    assert.equal(report.collect_url, s.url + '/collect')
    for (const id of ['tag.found', 'tag.async', 'tag.position', 'tag.pixel_order', 'script.loads', 'script.cache', 'collect.accepted', 'cookie.first_party', 'cookie.domain', 'cookie.secure', 'cookie.attributes', 'health', 'admin.delivery', 'admin.refusals']) {
      assertStatus(report, id, 'pass')
    }
    assert.match(byId(report, 'tag.pixel_order').summary, /^before the TikTok pixel's base code/)
    assert.match(byId(report, 'collect.accepted').summary, /: 200, a dry run: nothing stored/)
    assert.match(byId(report, 'cookie.attributes').summary, /Max-Age 400 days, SameSite=Lax, Path=\//)
    assert.match(byId(report, 'health').summary, /delivery ok, 0 events waiting/)
    assert.match(byId(report, 'admin.delivery').summary, /last event accepted by TikTok: never; 0 events waiting/)
    assert.deepEqual(s.proxied, ['GET /cr.js', 'POST /collect', 'GET /healthz', 'GET /admin/status'])
    const conn = new Database(c.dbPath, { readonly: true })
    try {
      assert.equal((conn.prepare('SELECT COUNT(*) AS n FROM clicks').get() as { n: number }).n, 0, 'a dry run stores no click')
    } finally {
      conn.close()
    }
  })

  test('mounted under /cr/ (the proxy strips the prefix): the endpoint and /healthz are found beside the script', async () => {
    const c = await collector({ CLICKRELAY_TRUST_PROXY: 'loopback' })
    const s = await shop({ upstream: c.url, html: page(`<script async src="/cr/cr.js"></script>\n${PIXEL_BASE_CODE}`), prefix: '/cr', host: 'pass', forwarded: true })
    const report = await runDoctor({ url: new URL(s.url + '/home') })
    assert.equal(report.ok, true, describe_(report))
    assert.equal(report.counts.warn, 0, describe_(report))
    assert.equal(report.collect_url, s.url + '/cr/collect')
    assert.match(assertStatus(report, 'health', 'pass').summary, new RegExp(`^GET ${s.url}/cr/healthz: 200`))
    assertStatus(report, 'admin.skipped', 'skip')
    assert.deepEqual(s.proxied, ['GET /cr.js', 'POST /collect', 'GET /healthz'])
  })

  test('the collector on another origin without the shop in CLICKRELAY_ALLOWED_ORIGINS fails item 3 with the allowed-origins fix', async () => {
    const c = await collector({ CLICKRELAY_ALLOWED_ORIGINS: 'https://elsewhere.example' })
    const s = await shop({ upstream: c.url, html: page(`<script async src="${c.url}/cr.js"></script>`), host: 'pass' })
    const report = await runDoctor({ url: new URL(s.url + '/home') })
    assert.equal(report.ok, false)
    const collect = assertStatus(report, 'collect.accepted', 'fail')
    assert.match(collect.summary, /: 403: origin_not_allowed: /)
    assert.match(collect.fix ?? '', new RegExp(`CLICKRELAY_ALLOWED_ORIGINS=${s.url.replace(/[.]/g, '\\.')}`))
    assert.doesNotMatch(collect.fix ?? '', /TRUST_PROXY/)
    assertStatus(report, 'cookie.skipped', 'skip')
    assertStatus(report, 'health', 'pass')

    // listed, the same setup passes, and the answer carries the CORS headers the script needs
    const listed = await collector({ CLICKRELAY_ALLOWED_ORIGINS: s.url })
    s.setPage(page(`<script async src="${listed.url}/cr.js"></script>`))
    const fixed = await runDoctor({ url: new URL(s.url + '/home') })
    assert.equal(fixed.ok, true, describe_(fixed))
    assertStatus(fixed, 'collect.accepted', 'pass')
    assert.equal(fixed.checks.find((c) => c.id === 'collect.cors'), undefined, describe_(fixed))
  })

  test('plain nginx (Host rewritten to the upstream, X-Forwarded-Host/Proto set) with a collector that does not trust it fails item 3 with the trust-proxy fix', async () => {
    const c = await collector({ CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN })
    const s = await shop({ upstream: c.url, html: GOOD_PAGE, host: 'upstream', forwarded: true })
    const report = await runDoctor({ url: new URL(s.url + '/home'), adminToken: ADMIN_TOKEN })
    assert.equal(report.ok, false)
    const collect = assertStatus(report, 'collect.accepted', 'fail')
    assert.match(collect.summary, /403: origin_not_allowed/)
    assert.match(collect.fix ?? '', /CLICKRELAY_TRUST_PROXY=loopback/)
    assert.match(collect.fix ?? '', new RegExp(`CLICKRELAY_PUBLIC_URL=${s.url.replace(/[.]/g, '\\.')}\\b`))
    assert.match(collect.fix ?? '', /proxy_set_header Host \$host/)
    assert.doesNotMatch(collect.fix ?? '', /CLICKRELAY_ALLOWED_ORIGINS/)
    // the tag, the script and /healthz are fine: only the click is lost
    for (const id of ['tag.found', 'script.loads', 'health']) assertStatus(report, id, 'pass')
    // and the collector's status counts the refusal and names the problem
    const refusals = assertStatus(report, 'admin.refusals', 'warn')
    assert.match(refusals.summary, /\borigin 1\b/)
    const problem = report.checks.find((c) => c.id.startsWith('admin.problem.'))
    assert.equal(problem?.status, 'warn', describe_(report))
    assert.match(problem?.fix ?? '', /CLICKRELAY_TRUST_PROXY/)

    // the same proxy, trusted: the collector reads its public origin from X-Forwarded-Host
    const trusting = await collector({ CLICKRELAY_TRUST_PROXY: 'loopback' })
    const s2 = await shop({ upstream: trusting.url, html: GOOD_PAGE, host: 'upstream', forwarded: true })
    const fixed = await runDoctor({ url: new URL(s2.url + '/home') })
    assert.equal(fixed.ok, true, describe_(fixed))
  })

  test('an https shop behind a TLS proxy: untrusted it fails item 3; trusted, the cookie is Secure; CLICKRELAY_PUBLIC_URL works without trust', async () => {
    const origin = 'https://shop.example'
    const untrusted = await collector()
    const s1 = await shop({ upstream: untrusted.url, html: GOOD_PAGE, host: 'upstream', forwarded: true, publicOrigin: origin })
    const refused = await runDoctor({ url: new URL(origin + '/'), fetch: mappedFetch({ [origin]: s1.url }) })
    assert.equal(refused.page_url, origin + '/home')
    const collect = assertStatus(refused, 'collect.accepted', 'fail')
    assert.match(collect.fix ?? '', /CLICKRELAY_TRUST_PROXY/)
    assert.match(collect.fix ?? '', /CLICKRELAY_PUBLIC_URL=https:\/\/shop\.example\b/)

    const trusted = await collector({ CLICKRELAY_TRUST_PROXY: 'loopback' })
    const s2 = await shop({ upstream: trusted.url, html: GOOD_PAGE, host: 'upstream', forwarded: true, publicOrigin: origin })
    const ok = await runDoctor({ url: new URL(origin + '/'), fetch: mappedFetch({ [origin]: s2.url }) })
    assert.equal(ok.ok, true, describe_(ok))
    assert.match(assertStatus(ok, 'cookie.secure', 'pass').summary, /^Secure/)

    const stated = await collector({ CLICKRELAY_PUBLIC_URL: origin })
    const s3 = await shop({ upstream: stated.url, html: GOOD_PAGE, host: 'upstream', forwarded: true, publicOrigin: origin })
    const viaPublicUrl = await runDoctor({ url: new URL(origin + '/'), fetch: mappedFetch({ [origin]: s3.url }) })
    assert.equal(viaPublicUrl.ok, true, describe_(viaPublicUrl))
  })

  test('a collector on t.shop.example with data-cookie-domain: behind an untrusted TLS proxy the cookie is neither Secure nor on the domain; trusted, both', async () => {
    const shopOrigin = 'https://www.shop.example'
    const collectorOrigin = 'https://t.shop.example'
    const html = page(`<script async src="${collectorOrigin}/cr.js" data-cookie-domain="shop.example"></script>\n${PIXEL_BASE_CODE}`)
    const run = async (env: Record<string, string>) => {
      const c = await collector({ CLICKRELAY_ALLOWED_ORIGINS: shopOrigin, ...env })
      const front = await shop({ upstream: c.url, html: '', host: 'upstream', forwarded: true, publicOrigin: collectorOrigin })
      const storefront = await shop({ upstream: c.url, html, host: 'pass' })
      return runDoctor({ url: new URL(shopOrigin + '/'), fetch: mappedFetch({ [shopOrigin]: storefront.url, [collectorOrigin]: front.url }) })
    }
    const untrusted = await run({})
    assertStatus(untrusted, 'collect.accepted', 'pass')
    assert.match(assertStatus(untrusted, 'cookie.first_party', 'pass').summary, /the same site as the shop \(shop\.example\)/)
    assertStatus(untrusted, 'tag.cookie_domain', 'pass')
    assert.match(assertStatus(untrusted, 'cookie.secure', 'fail').fix ?? '', /the collector thinks the browser came over http: trust the TLS proxy with CLICKRELAY_TRUST_PROXY.*CLICKRELAY_PUBLIC_URL=https:\/\/t\.shop\.example/)
    assert.match(assertStatus(untrusted, 'cookie.domain', 'fail').fix ?? '', /CLICKRELAY_TRUST_PROXY/)

    const trusted = await run({ CLICKRELAY_TRUST_PROXY: 'loopback' })
    assert.equal(trusted.ok, true, describe_(trusted))
    assert.equal(trusted.counts.warn, 0, describe_(trusted))
    assert.match(assertStatus(trusted, 'cookie.domain', 'pass').summary, /Domain=shop\.example/)
  })

  test('the tag after the pixel base code, without async, in <body>: warnings with their fixes, and no failure', async () => {
    const c = await collector()
    const html = page(PIXEL_BASE_CODE, `<h1>Shop</h1>\n<script src="/cr.js"></script>`)
    const s = await shop({ upstream: c.url, html, host: 'pass' })
    const report = await runDoctor({ url: new URL(s.url + '/home') })
    assert.equal(report.ok, true, describe_(report))
    const order = assertStatus(report, 'tag.pixel_order', 'warn')
    assert.match(order.summary, /^after the TikTok pixel's base code/)
    assert.match(order.fix ?? '', /above the pixel's base code/)
    assert.match(assertStatus(report, 'tag.async', 'warn').fix ?? '', /add async: <script async src="\/cr\.js"><\/script>/)
    assert.match(assertStatus(report, 'tag.position', 'warn').summary, /^in <body>/)
  })

  test('a page without the tag fails item 1 and skips the rest, without a request to the collector', async () => {
    const c = await collector()
    const s = await shop({ upstream: c.url, html: page(PIXEL_BASE_CODE + '\n<!-- <script async src="/cr.js"></script> -->'), host: 'pass' })
    const report = await runDoctor({ url: new URL(s.url + '/home') })
    assert.equal(report.ok, false)
    const found = assertStatus(report, 'tag.found', 'fail')
    assert.match(found.summary, /no <script src="…\/cr\.js"> tag in the HTML/)
    assert.match(found.fix ?? '', /<script async src="\/cr\.js"><\/script>.*early in <head>/)
    assert.deepEqual(
      report.checks.filter((c) => c.item > 1).map((c) => [c.item, c.status]),
      [2, 3, 4, 5, 6].map((item) => [item, 'skip']),
    )
    assert.match(report.checks.at(-1)!.summary, /no ClickRelay tag to follow/)
    assert.deepEqual(s.proxied, [])
  })

  test('a proxy that does not forward /collect, one that passes the /cr/ prefix on, and a shop that cannot be reached, are named', async () => {
    const c = await collector()
    const s = await shop({ upstream: c.url, html: page(TAG), prefix: '/nothing', host: 'pass' })
    const report = await runDoctor({ url: new URL(s.url + '/home') })
    assert.match(assertStatus(report, 'script.loads', 'fail').fix ?? '', /does not forward \/cr\.js/)
    const collect = assertStatus(report, 'collect.accepted', 'fail')
    assert.match(collect.summary, new RegExp(`POST ${s.url.replace(/[.]/g, '\\.')}/collect .*: 404 \\(not the collector's answer\\)`))
    assert.match(collect.fix ?? '', /the reverse proxy does not forward \/collect to the collector: forward \/cr\.js, \/collect and \/healthz/)

    // under /cr/ with the prefix passed on: the collector's own 404s, and the fix says to strip it
    const unstripped = await shop({ upstream: c.url, html: page('<script async src="/cr/cr.js"></script>'), prefix: '/cr', strip: false, host: 'pass' })
    const prefixed = await runDoctor({ url: new URL(unstripped.url + '/home') })
    for (const id of ['script.loads', 'collect.accepted']) assert.match(assertStatus(prefixed, id, 'fail').fix ?? '', /with the prefix \/cr\/ still on: strip it .*proxy_pass http:\/\/127\.0\.0\.1:8787\/; \}`, the trailing slash/)
    assert.match(assertStatus(prefixed, 'health', 'warn').fix ?? '', /prefix \/cr\/ still on/)

    const closed = await startShop({ upstream: c.url, html: '', host: 'pass' })
    await closed.close()
    const unreachable = await runDoctor({ url: new URL(closed.url + '/') })
    assert.match(assertStatus(unreachable, 'tag.page', 'fail').summary, /connection refused/)
  })

  test('TikTok refusing the access token: /healthz and /admin/status fail with TikTok\'s answer and the fix', async () => {
    const c = await collector({ CLICKRELAY_ACCESS_TOKEN: 'a-token-tiktok-refuses', CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN })
    const s = await shop({ upstream: c.url, html: GOOD_PAGE, host: 'pass' })
    const order = await postSignedOrder(c.url, { order_id: 'doctor-1', value: 10, currency: 'USD', url: 'https://shop.example/thanks' })
    assert.equal(order.status, 201)
    await eventually(async () => ((await (await fetch(c.url + '/healthz')).json()) as { delivery?: string }).delivery === 'auth_failing' || undefined, 5_000, 'delivery auth_failing')
    const report = await runDoctor({ url: new URL(s.url + '/home'), adminToken: ADMIN_TOKEN })
    assert.equal(report.ok, false)
    assert.match(assertStatus(report, 'health', 'fail').summary, /delivery auth_failing, 1 event waiting/)
    const delivery = assertStatus(report, 'admin.delivery', 'fail')
    assert.match(delivery.summary, /^delivery auth_failing since .*: TikTok said .*code 40001.*; last event accepted by TikTok: never; 1 event waiting/)
    assert.match(delivery.fix ?? '', /generate a new access token/)
  })

  test('with a wrong admin token item 6 fails and says so', async () => {
    const c = await collector({ CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN })
    const s = await shop({ upstream: c.url, html: GOOD_PAGE, host: 'pass' })
    const report = await runDoctor({ url: new URL(s.url + '/home'), adminToken: 'not-the-token-0000000000' })
    assert.match(assertStatus(report, 'admin.status', 'fail').summary, /401, the admin token is wrong/)
  })

  test('the CLI: a checklist and exit 0 on a good setup (never printing the token), JSON with --json, exit 1 on a failure, 2 on a usage error', async () => {
    const c = await collector({ CLICKRELAY_TRUST_PROXY: 'loopback', CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN })
    const good = await shop({ upstream: c.url, html: GOOD_PAGE, host: 'pass', forwarded: true })
    const bare = await shop({ upstream: c.url, html: page(''), host: 'pass' })
    const main = fileURLToPath(new URL('../../src/doctor/main.ts', import.meta.url))
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', main, ...args], { env: { PATH: process.env.PATH } }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
      )
    const [text, json, failing, usage] = await Promise.all([cli(good.url + '/', '--admin-token', ADMIN_TOKEN), cli(good.url + '/home', '--json'), cli(bare.url + '/home'), cli()])
    assert.equal(text.code, 0, text.stdout + text.stderr)
    assert.match(text.stdout, /^ClickRelay install check: /)
    assert.match(text.stdout, /\n1\. The tag is on the page\n  ✓ found <script async src="\/cr\.js">/)
    assert.match(text.stdout, /\n6\. Delivery to TikTok \(admin status\)\n  ✓ /)
    assert.match(text.stdout, /✓ no failures, 0 warnings, \d+ passed\.\n$/)
    assert.ok(!text.stdout.includes(ADMIN_TOKEN) && !text.stderr.includes(ADMIN_TOKEN), 'the admin token is never printed')

    assert.equal(json.code, 0)
    const report = JSON.parse(json.stdout) as DoctorReport
    assert.equal(report.ok, true)
    assert.equal(report.collect_url, good.url + '/collect')

    assert.equal(failing.code, 1)
    assert.match(failing.stdout, /  ✗ no <script src="…\/cr\.js"> tag in the HTML of .*\n      Fix: paste <script async src="\/cr\.js"><\/script>/)

    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /the shop URL is missing\n\nUsage: npm run doctor -- <shop URL>/)
  })
})

describe('doctor: reading pages and cookies', () => {
  test('the tag is found with its data- attributes; comments, <base href> and the endpoint rules are honoured', () => {
    const html = page(`<base href="https://cdn.shop.example/assets/">\n<!-- <script src="/old/cr.js"></script> -->\n<script async src="cr/cr.js?v=2" data-cookie-domain="shop.example" data-consent="required"></script>`)
    const { found } = findTag(html, new URL('https://shop.example/p/1'))
    assert.ok(found)
    assert.equal(found.scriptUrl.href, 'https://cdn.shop.example/assets/cr/cr.js?v=2')
    assert.equal(found.collectUrl.href, 'https://cdn.shop.example/assets/cr/collect')
    assert.equal(found.cookieDomain, 'shop.example')
    assert.equal(found.consent, 'required')
    assert.equal(found.count, 1)

    const endpoint = findTag(page('<script async src="https://cdn.example/cr.js" data-endpoint="https://t.shop.example/"></script>'), new URL('https://shop.example/'))
    assert.equal(endpoint.found?.collectUrl.href, 'https://t.shop.example/collect')
    assert.equal(endpoint.found?.endpointFrom, 'data-endpoint')
  })

  test('script and style contents are not taken for tags, and <head> ends at <body> when </head> is left out', () => {
    const scan = scanPage('<head><script>document.write("<script src=/x/cr.js></scr" + "ipt>")</script><style>a::after{content:"<script>"}</style><body><script src="/b.js"></script>')
    assert.deepEqual(
      scan.scripts.map((s) => s.attributes.get('src') ?? 'inline'),
      ['inline', '/b.js'],
    )
    assert.ok(scan.scripts[1]!.index >= scan.headEnd)
  })

  test('Set-Cookie attributes and registrable domains', () => {
    const cookie = parseSetCookie('cr_vid=abc; Max-Age=34560000; Domain=shop.example; Path=/; Expires=Sat, 18 Jul 2027 12:00:00 GMT; Secure; SameSite=Lax')
    assert.equal(cookie.name, 'cr_vid')
    assert.equal(cookie.attributes.get('max-age'), '34560000')
    assert.equal(cookie.attributes.get('secure'), '')
    assert.equal(siteOf('t.shop.example'), 'shop.example')
    assert.equal(siteOf('www.shop.co.uk'), 'shop.co.uk')
    assert.equal(siteOf('collector.herokuapp.com'), 'collector.herokuapp.com')
    assert.equal(siteOf('127.0.0.1'), '127.0.0.1')
  })

  test('the admin token goes only over https or to this machine, and only to the site asked about', () => {
    const shop = new URL('https://www.shop.example/')
    assert.equal(tokenRefusal(new URL('https://t.shop.example/collect'), shop), undefined)
    assert.equal(tokenRefusal(new URL('http://127.0.0.1:8787/collect'), new URL('http://127.0.0.1:8080/')), undefined)
    assert.match(tokenRefusal(new URL('http://t.shop.example/collect'), shop) ?? '', /plain http/)
    assert.match(tokenRefusal(new URL('https://collector.elsewhere.example/collect'), shop) ?? '', /not on shop\.example/)
  })
})
