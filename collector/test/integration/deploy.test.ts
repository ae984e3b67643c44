/**
 * A deployment works or says why not: the public origin behind a reverse proxy, refusals
 * counted by reason and warned about with the fix, GET /admin/status and /healthz, the dry run
 * `npm run doctor` relies on, and the sandbox's order secret made per database.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { request } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/log.js'
import { startCollector } from '../../src/server.js'
import { ACCESS_TOKEN, ADMIN_TOKEN, BROWSER_UA, eventually, ORDER_SECRET, PIXEL_CODE, postClick, readRows, postSignedOrder, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

interface Answer {
  status: number
  setCookie: string
  body: Record<string, any> | undefined
}

/** POST /collect with any headers, Host included (fetch will not send a Host of our choosing). */
function postAs(baseUrl: string, record: unknown, headers: Record<string, string>): Promise<Answer> {
  const url = new URL('/collect', baseUrl)
  const body = typeof record === 'string' ? record : JSON.stringify(record)
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'User-Agent': BROWSER_UA, 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: String(res.headers['set-cookie'] ?? ''), body: text ? (JSON.parse(text) as Record<string, any>) : undefined }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const click = (v: string, ttclid = 'E.C.P.deploy') => ({ v, u: `https://shop.example/?ttclid=${ttclid}` })
const order = (orderId: string, visitorId?: string) => ({ order_id: orderId, value: 10, currency: 'EUR', visitor_id: visitorId, url: `https://shop.example/thank-you?order=${orderId}` })

async function status(collector: TestCollector) {
  const r = await fetch(collector.url + '/admin/status', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })
  assert.equal(r.status, 200)
  return (await r.json()) as Record<string, any>
}

/** The client IPs the collector stored for a visitor's clicks. */
const clickIps = (collector: TestCollector, visitorId: string) => readRows<{ ip: string }>(collector.dbPath, `SELECT ip FROM clicks WHERE visitor_id = ?`, visitorId).map((row) => row.ip)

const warnings = (collector: TestCollector, problem: string) =>
  collector
    .logs()
    .split('\n')
    .filter((line) => line.includes('"level":40') && line.includes(`"problem":"${problem}"`))

let sandbox: TestSandbox
before(async () => {
  sandbox = await startTestSandbox()
})
after(async () => {
  await sandbox.close()
})

describe('behind a trusted reverse proxy', () => {
  let collector: TestCollector
  before(async () => {
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_TRUST_PROXY: 'loopback', CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN } })
  })
  after(() => collector.stop())

  test("nginx's default Host rewrite with X-Forwarded-Host/-Proto: the shop's own pages are accepted and the cookie is Secure", async () => {
    const upstreamHost = new URL(collector.url).host
    const r = await postAs(collector.url, click('proxy_visitor_00001'), { Host: upstreamHost, Origin: 'https://shop.example', 'X-Forwarded-Host': 'shop.example', 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7' })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.match(r.setCookie, /; Secure/)
    assert.deepEqual(clickIps(collector, 'proxy_visitor_00001'), ['203.0.113.7'])
  })

  test('RFC 7239 Forwarded: the element the trusted proxy appended names the scheme, host and client', async () => {
    const r = await postAs(collector.url, click('proxy_visitor_00002'), { Host: 'upstream:8787', Origin: 'https://shop.example:8443', Forwarded: 'for=192.0.2.1;host=evil.example, for="[2001:db8::7]:4711";proto=https;host="shop.example:8443"' })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.match(r.setCookie, /; Secure/)
    assert.deepEqual(clickIps(collector, 'proxy_visitor_00002'), ['2001:db8::7'])
  })

  test("a client's own Forwarded header changes nothing: the proxy's X-Forwarded-Host wins, and of Forwarded only the last element counts", async () => {
    const spoofed = await postAs(collector.url, click('proxy_visitor_00006'), { Origin: 'https://evil.example', Forwarded: 'host=evil.example;proto=https', 'X-Forwarded-Host': 'shop.example', 'X-Forwarded-Proto': 'https' })
    assert.equal(spoofed.status, 403)
    const own = await postAs(collector.url, click('proxy_visitor_00007'), { Origin: 'https://shop.example', Forwarded: 'host=evil.example;proto=https', 'X-Forwarded-Host': 'shop.example', 'X-Forwarded-Proto': 'https' })
    assert.equal(own.status, 200)
    const appended = await postAs(collector.url, click('proxy_visitor_00008'), { Origin: 'https://evil.example', Forwarded: 'host=evil.example;proto=https, for=198.51.100.1;host=shop.example;proto=https' })
    assert.equal(appended.status, 403, 'the first element is what the client wrote')
  })

  test('a forwarded host without a port (nginx $host) matches the page on any port of that host, never another host', async () => {
    const ok = await postAs(collector.url, click('proxy_visitor_00003'), { Origin: 'http://www.shop.test:8080', 'X-Forwarded-Host': 'www.shop.test', 'X-Forwarded-Proto': 'http' })
    assert.equal(ok.status, 200)
    assert.doesNotMatch(ok.setCookie, /Secure/)
    const other = await postAs(collector.url, click('proxy_visitor_00004'), { Origin: 'http://evil.test:8080', 'X-Forwarded-Host': 'www.shop.test', 'X-Forwarded-Proto': 'http' })
    assert.equal(other.status, 403)
    const scheme = await postAs(collector.url, click('proxy_visitor_00005'), { Origin: 'https://www.shop.test', 'X-Forwarded-Host': 'www.shop.test', 'X-Forwarded-Proto': 'http' })
    assert.equal(scheme.status, 403)
  })

  test('GET /admin/status: clicks stored, orders with the share that carried a ttclid, the queue and delivery', async () => {
    await postClick(collector.url, click('status_visitor_0001', 'E.C.P.status1'))
    assert.equal((await postSignedOrder(collector.url, order('status-1', 'status_visitor_0001'))).status, 201)
    assert.equal((await postSignedOrder(collector.url, order('status-2', 'status_visitor_none'))).status, 201)
    const s = await eventually(async () => {
      const current = await status(collector)
      return current.delivery.last_accepted_at && current.queue.waiting === 0 ? current : undefined
    }, 5_000, 'both events delivered')
    assert.equal(s.mode, 'live')
    assert.ok(s.clicks.last_hour >= 4, `clicks stored: ${JSON.stringify(s.clicks)}`)
    assert.equal(s.clicks.last_24h, s.clicks.last_hour)
    assert.deepEqual(s.orders.last_hour, { accepted: 2, with_ttclid: 1, ttclid_share: 0.5 })
    assert.deepEqual(s.queue, { waiting: 0, oldest_waiting_age_s: null })
    assert.equal(s.delivery.state, 'ok')
    assert.equal(s.delivery.last_code, 0)
    assert.ok(Date.parse(s.delivery.last_accepted_at) > Date.now() - 60_000)
    assert.deepEqual(Object.keys(s.refusals.last_hour).sort(), ['bot', 'malformed', 'origin', 'rate_limit', 'too_large'])
  })

  test('a path parameter that is not valid percent-encoding is a 400, not a 500 (found by the fuzz run)', async () => {
    for (const path of ['/admin/orders/%E0%A4%A', '/admin/events/%E0%A4%A', '/admin/events/%E0%A4%A/replay']) {
      const r = await fetch(collector.url + path, { method: path.endsWith('replay') ? 'POST' : 'GET', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })
      assert.equal(r.status, 400, path)
      assert.deepEqual(await r.json(), { error: { code: 'bad_request', message: 'the URL is not valid percent-encoding' } })
    }
  })

  test('a dry run (ClickRelay-Dry-Run: 1) passes every check and sets the cookie, but stores nothing', async () => {
    const before = (await status(collector)).clicks.last_hour
    const r = await postAs(collector.url, click('dry_run_visitor_001'), { Origin: 'https://shop.example', 'X-Forwarded-Host': 'shop.example', 'X-Forwarded-Proto': 'https', 'ClickRelay-Dry-Run': '1' })
    assert.equal(r.status, 200)
    assert.deepEqual(r.body, { v: 'dry_run_visitor_001', dry_run: true })
    assert.match(r.setCookie, /^cr_vid=dry_run_visitor_001;.*Secure/)
    assert.equal((await status(collector)).clicks.last_hour, before)
    const refused = await postAs(collector.url, click('dry_run_visitor_002'), { Origin: 'https://elsewhere.example', 'ClickRelay-Dry-Run': '1' })
    assert.equal(refused.status, 403)
  })
})

describe('refusals are counted by reason and setup mistakes are warned about with the fix', () => {
  let collector: TestCollector
  before(async () => {
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN, CLICKRELAY_RATE_LIMIT: '40' } })
  })
  after(() => collector.stop())

  test('the shop behind a proxy the collector does not trust: 403 naming CLICKRELAY_TRUST_PROXY, counted, one warning a minute, shown in status', async () => {
    const headers = { Host: new URL(collector.url).host, Origin: 'https://shop.example', 'X-Forwarded-Host': 'shop.example', 'X-Forwarded-Proto': 'https' }
    for (let i = 0; i < 3; i++) {
      const r = await postAs(collector.url, click(`untrusted_visitor_0${i}`), headers)
      assert.equal(r.status, 403)
      assert.equal(r.body?.error.code, 'origin_not_allowed')
      assert.match(r.body?.error.message, /CLICKRELAY_TRUST_PROXY=loopback/)
    }
    const s = await status(collector)
    assert.equal(s.refusals.last_hour.origin, 3)
    assert.equal(s.refusals.last_24h.origin, 3)
    const problem = s.problems.find((p: { code: string }) => p.code === 'untrusted_proxy')
    assert.ok(problem, JSON.stringify(s.problems))
    assert.equal(problem.count, 3)
    assert.match(problem.message, /CLICKRELAY_TRUST_PROXY/)
    assert.equal(warnings(collector, 'untrusted_proxy').length, 1, 'warned once, not once per request')
  })

  test("a proxy that rewrites Host and sends only X-Forwarded-For: the fix names nginx's proxy_set_header Host", async () => {
    const r = await postAs(collector.url, click('rewritten_visitor_01'), { Host: new URL(collector.url).host, Origin: 'https://shop.example', 'X-Forwarded-For': '203.0.113.9' })
    assert.equal(r.status, 403)
    assert.match(r.body?.error.message, /proxy_set_header Host \$host/)
    assert.equal(warnings(collector, 'host_rewritten').length, 1)
  })

  test('an https page seen as http with no proxy headers at all: a TLS proxy the collector does not trust', async () => {
    const r = await postAs(collector.url, click('tls_visitor_000001'), { Host: 'shop.example', Origin: 'https://shop.example' })
    assert.equal(r.status, 403)
    assert.match(r.body?.error.message, /the page is https but the collector sees http.*CLICKRELAY_TRUST_PROXY/)
    assert.ok((await status(collector)).problems.some((p: { code: string }) => p.code === 'tls_proxy_untrusted'))
  })

  test('an allowed https page whose record arrives over plain http is kept, with a warning that the cookie lost Secure', async () => {
    const allowed = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN, CLICKRELAY_ALLOWED_ORIGINS: 'https://shop.example' } })
    try {
      const r = await postAs(allowed.url, click('tls_hidden_visitor1'), { Host: 't.shop.example', Origin: 'https://shop.example' })
      assert.equal(r.status, 200)
      assert.doesNotMatch(r.setCookie, /Secure/)
      const problem = (await status(allowed)).problems.find((p: { code: string }) => p.code === 'tls_proxy_untrusted')
      assert.match(problem?.message ?? '', /without Secure.*CLICKRELAY_TRUST_PROXY/)
      assert.equal(warnings(allowed, 'tls_proxy_untrusted').length, 1)
    } finally {
      await allowed.stop()
    }
  })

  test("the fixes never echo what the request claims: a client's X-Forwarded-For address is not offered for CLICKRELAY_TRUST_PROXY", async () => {
    const r = await postAs(collector.url, click('echo_visitor_00001'), { Host: new URL(collector.url).host, Origin: 'https://attacker.example', 'X-Forwarded-For': '203.0.113.66' })
    assert.equal(r.status, 403)
    assert.doesNotMatch(r.body?.error.message, /CLICKRELAY_PUBLIC_URL=https:\/\/attacker|203\.0\.113\.66/)
  })

  test('a page from another site: the fix names CLICKRELAY_ALLOWED_ORIGINS', async () => {
    const r = await postAs(collector.url, click('stranger_visitor_01'), { Origin: 'https://other-shop.example' })
    assert.equal(r.status, 403)
    assert.match(r.body?.error.message, /^pages on https:\/\/other-shop\.example may not send .*add that origin to CLICKRELAY_ALLOWED_ORIGINS/)
  })

  test('malformed, too large, bot and rate-limited requests are each counted under their reason', async () => {
    const before = (await status(collector)).refusals.last_hour
    assert.equal((await postAs(collector.url, '{not json', {})).status, 400)
    assert.equal((await postAs(collector.url, { v: 'x' }, {})).status, 400)
    assert.equal((await postAs(collector.url, 'x'.repeat(20_000), {})).status, 413)
    assert.equal((await postAs(collector.url, click('bot_visitor_000001'), { 'User-Agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' })).status, 204)
    let limited = 0
    for (let i = 0; i < 45 && !limited; i++) if ((await postAs(collector.url, click(`flood_visitor_${String(i).padStart(4, '0')}`), {})).status === 429) limited++
    assert.equal(limited, 1, 'the rate limit answered 429')
    const after = (await status(collector)).refusals.last_hour
    assert.equal(after.malformed - before.malformed, 2)
    assert.equal(after.too_large - before.too_large, 1)
    assert.equal(after.bot - before.bot, 1)
    assert.equal(after.rate_limit - before.rate_limit, 1)
  })
})

describe('CLICKRELAY_PUBLIC_URL', () => {
  let collector: TestCollector
  before(async () => {
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_PUBLIC_URL: 'https://shop.example/cr/', CLICKRELAY_TRUST_PROXY: 'loopback', CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN } })
  })
  after(() => collector.stop())

  test('states the public origin outright and wins over the proxy headers', async () => {
    const own = await postAs(collector.url, click('public_url_visitor1'), { Origin: 'https://shop.example', 'X-Forwarded-Host': 'other.example', 'X-Forwarded-Proto': 'http' })
    assert.equal(own.status, 200)
    assert.match(own.setCookie, /; Secure/)
    const spoofed = await postAs(collector.url, click('public_url_visitor2'), { Origin: 'https://other.example', 'X-Forwarded-Host': 'other.example', 'X-Forwarded-Proto': 'https' })
    assert.equal(spoofed.status, 403)
    const otherPort = await postAs(collector.url, click('public_url_visitor3'), { Origin: 'https://shop.example:8443' })
    assert.equal(otherPort.status, 403, 'a stated URL without a port means 443')
    assert.equal((await status(collector)).public_url, 'https://shop.example/cr')
    assert.equal(collector.publicUrl, 'https://shop.example/cr')
  })
})

describe('sandbox mode', () => {
  test('the order secret is made once per database, kept in it, and signs orders; no constant secret works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clickrelay-sandbox-'))
    const quiet = createLogger('silent')
    try {
      const start = (db: string) => startCollector(loadConfig({ PORT: '0', CLICKRELAY_DB: join(dir, db), CLICKRELAY_LOG_LEVEL: 'silent' }), { log: quiet })
      const first = await start('a.db')
      const secret = first.orderSecret
      try {
        assert.match(secret, /^[\w-]{32}$/)
        assert.equal((await postSignedOrder(first.url, order('sandbox-secret-1'), { secret })).status, 201)
        assert.equal((await postSignedOrder(first.url, order('sandbox-secret-2'), { secret: 'sandbox-order-secret-not-for-production' })).status, 401)
      } finally {
        await first.stop()
      }
      const again = await start('a.db')
      await again.stop()
      assert.equal(again.orderSecret, secret, 'the same database keeps its secret')
      const other = await start('b.db')
      await other.stop()
      assert.notEqual(other.orderSecret, secret, 'another database makes another')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('start-up refuses a setup that would lose data in silence', () => {
  const main = new URL('../../src/main.ts', import.meta.url).pathname
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', main], { env: { PATH: process.env.PATH, PORT: '0', CLICKRELAY_DB: ':memory:', ...env }, encoding: 'utf8', timeout: 20_000 })

  test('NODE_ENV=production without credentials exits 1, naming the variables to set', () => {
    const result = run({ NODE_ENV: 'production' })
    assert.equal(result.status, 1, result.stdout + result.stderr)
    assert.match(result.stderr, /invalid configuration: .*CLICKRELAY_PIXEL_CODE, CLICKRELAY_ACCESS_TOKEN and CLICKRELAY_ORDER_SECRET/)
    assert.doesNotMatch(result.stdout, /collector on/, 'it never listened')
  })

  test('a sandbox on a non-loopback address exits 1, naming CLICKRELAY_HOST', () => {
    const result = run({ CLICKRELAY_HOST: '0.0.0.0' })
    assert.equal(result.status, 1)
    assert.match(result.stderr, /CLICKRELAY_HOST: 0\.0\.0\.0 is not a loopback address/)
  })

  test('a live collector mounts neither the demo store nor the sandbox', async () => {
    const collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl })
    try {
      for (const path of ['/demo/', '/sandbox/received', '/']) assert.equal((await fetch(collector.url + path)).status, 404, path)
    } finally {
      await collector.stop()
    }
  })
})

describe('the delivery state across a restart', () => {
  test('a collector restarted while TikTok refuses its token says auth_failing at once, from the last recorded answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clickrelay-restart-'))
    const env = {
      PORT: '0',
      CLICKRELAY_DB: join(dir, 'c.db'),
      CLICKRELAY_PIXEL_CODE: PIXEL_CODE,
      CLICKRELAY_ORDER_SECRET: ORDER_SECRET,
      CLICKRELAY_EVENTS_API_URL: sandbox.trackUrl,
      CLICKRELAY_LOG_LEVEL: 'silent',
      // The refused event's retry falls due long after the restart: only the recalled state can say auth_failing.
      CLICKRELAY_RETRY_BASE_MS: '600000',
    }
    const start = (token: string) => startCollector(loadConfig({ ...env, CLICKRELAY_ACCESS_TOKEN: token }), { log: createLogger('silent') })
    const health = async (url: string) => ((await (await fetch(url + '/healthz')).json()) as { delivery: string }).delivery
    try {
      const refused = await start('a-token-for-another-pixel')
      try {
        assert.equal(await health(refused.url), 'ok', 'a new database knows of no refusal')
        assert.equal((await postSignedOrder(refused.url, order('restart-1'))).status, 201)
        await eventually(async () => ((await health(refused.url)) === 'auth_failing' ? true : undefined), 5_000, 'auth_failing')
      } finally {
        await refused.stop()
      }
      const restarted = await start(ACCESS_TOKEN)
      try {
        assert.equal(await health(restarted.url), 'auth_failing')
        assert.equal(restarted.delivery.status().lastCode, 40001)
      } finally {
        await restarted.stop()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the rate limit behind a trusted proxy', () => {
  let collector: TestCollector
  before(async () => {
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_TRUST_PROXY: 'loopback', CLICKRELAY_RATE_LIMIT: '3' } })
  })
  after(() => collector.stop())

  test('counts per shopper, from Forwarded for= when the proxy speaks only RFC 7239', async () => {
    const from = (address: string, i: number) => postAs(collector.url, click(`limit_visitor_${address.replace(/\D/g, '')}_${i}`), { Forwarded: `for=${address};proto=http;host=${new URL(collector.url).host}` })
    for (let i = 0; i < 3; i++) assert.equal((await from('198.51.100.1', i)).status, 200)
    assert.equal((await from('198.51.100.1', 3)).status, 429, 'the fourth from one shopper')
    assert.equal((await from('198.51.100.2', 0)).status, 200, 'another shopper behind the same proxy')
  })
})
