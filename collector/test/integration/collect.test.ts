/** POST /collect, GET /cr.js and GET /healthz over a real socket with a real SQLite file. */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { postClick, readRows, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

let sandbox: TestSandbox
let collector: TestCollector

describe('collector endpoints', () => {
  before(async () => {
    sandbox = await startTestSandbox()
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_ALLOWED_ORIGINS: 'https://shop.example, https://www.shop.example' } })
  })
  after(async () => {
    await collector.stop()
    await sandbox.close()
  })

  test('a click record is stored with its ttclid, UTMs, ip and user agent, and the visitor cookie is set by the server', async () => {
    const r = await postClick(
      collector.url,
      { v: 'collect_visitor_001', u: 'https://shop.example/p?ttclid=E.C.P.xyz&utm_source=tiktok&utm_campaign=spring', r: 'https://www.tiktok.com/', p: '2F7h37YkS1j57AYSKTI7IHhJPYH.tt.1' },
      { 'User-Agent': 'Mozilla/5.0 trill_340100 BytedanceWebview' },
    )
    assert.equal(r.status, 200)
    assert.deepEqual(r.body, { v: 'collect_visitor_001' })
    const cookie = r.headers.get('set-cookie') ?? ''
    assert.match(cookie, /^cr_vid=collect_visitor_001;/)
    assert.match(cookie, /Max-Age=34560000/)
    assert.match(cookie, /SameSite=Lax/)
    assert.match(cookie, /Path=\//)
    const conn = new Database(collector.dbPath, { readonly: true })
    try {
      const row = conn.prepare(`SELECT ttclid, ttp, utm_source, utm_campaign, referrer, in_app, ip, user_agent FROM clicks WHERE visitor_id = 'collect_visitor_001'`).get()
      assert.deepEqual(row, {
        ttclid: 'E.C.P.xyz',
        ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH.tt.1',
        utm_source: 'tiktok',
        utm_campaign: 'spring',
        referrer: 'https://www.tiktok.com/',
        in_app: 1,
        ip: '127.0.0.1',
        user_agent: 'Mozilla/5.0 trill_340100 BytedanceWebview',
      })
    } finally {
      conn.close()
    }
  })

  test('the visitor cookie the browser sent wins over the script\'s ID, and the answer hands it back', async () => {
    const r = await postClick(collector.url, { v: 'script_visitor_0001', u: 'https://shop.example/?ttclid=E.C.P.handback' }, { Cookie: 'other=1; cr_vid=server_visitor_0001' })
    assert.deepEqual(r.body, { v: 'server_visitor_0001' })
    assert.match(r.headers.get('set-cookie') ?? '', /^cr_vid=server_visitor_0001;/)
    const conn = new Database(collector.dbPath, { readonly: true })
    try {
      assert.deepEqual(conn.prepare(`SELECT visitor_id FROM clicks WHERE ttclid = 'E.C.P.handback'`).all(), [{ visitor_id: 'server_visitor_0001' }])
    } finally {
      conn.close()
    }
  })

  test('data-cookie-domain sets the cookie Domain only for the request host or a parent of it', async () => {
    const covered = await postClick(collector.url, { v: 'domain_visitor_0001', u: 'https://shop.example/', d: '127.0.0.1' })
    assert.match(covered.headers.get('set-cookie') ?? '', /Domain=127\.0\.0\.1/)
    const foreign = await postClick(collector.url, { v: 'domain_visitor_0001', u: 'https://shop.example/', d: 'evil.example' })
    assert.doesNotMatch(foreign.headers.get('set-cookie') ?? '', /Domain=/)
  })

  test('consent withdrawn (k: "x"): the visitor cookie is expired host-only and on the cookie domain, and nothing is stored', async () => {
    const before = readRows<{ n: number }>(collector.dbPath, 'SELECT (SELECT COUNT(*) FROM clicks) + (SELECT COUNT(*) FROM identities) + (SELECT COUNT(*) FROM pixel_receipts) AS n')[0]!.n
    const r = await postClick(collector.url, { k: 'x', d: '127.0.0.1' }, { Cookie: 'cr_vid=server_visitor_0001' })
    assert.equal(r.status, 204)
    const cookies = r.headers.getSetCookie()
    assert.equal(cookies.length, 2, cookies.join(' | '))
    assert.match(cookies[0]!, /^cr_vid=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax$/)
    assert.match(cookies[1]!, /^cr_vid=; Max-Age=0; Domain=127\.0\.0\.1; Path=\//)
    // A domain that does not cover the collector's host is not a cookie it could have set.
    const foreign = await postClick(collector.url, { k: 'x', d: 'other.example' })
    assert.deepEqual(foreign.headers.getSetCookie().map((c) => c.split(';')[0]), ['cr_vid='])
    assert.equal((await postClick(collector.url, { k: 'x', d: 'not a domain!' })).status, 400)
    const after = readRows<{ n: number }>(collector.dbPath, 'SELECT (SELECT COUNT(*) FROM clicks) + (SELECT COUNT(*) FROM identities) + (SELECT COUNT(*) FROM pixel_receipts) AS n')[0]!.n
    assert.equal(after, before)
  })

  test('identify records store the hashes; pixel receipts store the event, event_id and order key', async () => {
    const email = 'a'.repeat(64)
    const phone = 'b'.repeat(64)
    assert.equal((await postClick(collector.url, { k: 'i', v: 'ident_visitor_0001', e: email, h: phone })).status, 200)
    assert.equal((await postClick(collector.url, { k: 'i', v: 'ident_visitor_0001', e: email })).status, 200)
    assert.equal((await postClick(collector.url, { k: 'r', v: 'ident_visitor_0001', n: 'Purchase', i: 'ord_1001', o: '1001', t: 1_781_438_400_000 })).status, 200)
    for (const bad of [
      { k: 'i', v: 'ident_visitor_0001' },
      { k: 'i', v: 'ident_visitor_0001', e: 'raw@example.com' },
      { k: 'r', v: 'ident_visitor_0001', n: 'purchase', t: 1 },
      { k: 'z', v: 'ident_visitor_0001' },
    ]) {
      const r = await postClick(collector.url, bad)
      assert.equal(r.status, 400, JSON.stringify(bad))
    }
    const conn = new Database(collector.dbPath, { readonly: true })
    try {
      assert.deepEqual(conn.prepare(`SELECT kind, sha256 FROM identities WHERE visitor_id = 'ident_visitor_0001' ORDER BY kind`).all(), [
        { kind: 'email', sha256: email },
        { kind: 'phone', sha256: phone },
      ])
      assert.deepEqual(conn.prepare(`SELECT event_name, event_id, order_key, client_time FROM pixel_receipts WHERE visitor_id = 'ident_visitor_0001'`).all(), [
        { event_name: 'Purchase', event_id: 'ord_1001', order_key: '1001', client_time: 1_781_438_400_000 },
      ])
    } finally {
      conn.close()
    }
  })

  test('pages on other origins may send records only when CLICKRELAY_ALLOWED_ORIGINS lists them', async () => {
    const allowed = await postClick(collector.url, { v: 'origin_visitor_001', u: 'https://shop.example/' }, { Origin: 'https://shop.example' })
    assert.equal(allowed.status, 200)
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://shop.example')
    assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true')
    const refused = await postClick(collector.url, { v: 'origin_visitor_002', u: 'https://elsewhere.example/' }, { Origin: 'https://elsewhere.example' })
    assert.equal(refused.status, 403)
    assert.equal(refused.body?.error.code, 'origin_not_allowed')
    const sameOrigin = await postClick(collector.url, { v: 'origin_visitor_003', u: 'https://shop.example/' }, { Origin: collector.url })
    assert.equal(sameOrigin.status, 200)
    assert.doesNotMatch(sameOrigin.headers.get('set-cookie') ?? '', /Secure/i, 'plain http: no Secure cookie')
    // its own origin over https, behind a TLS proxy it was not told to trust: refused, with the fix in the message
    const untrusted = await postClick(collector.url, { v: 'origin_visitor_004', u: 'https://shop.example/' }, { Origin: collector.url.replace('http:', 'https:'), 'X-Forwarded-Proto': 'https' })
    assert.equal(untrusted.status, 403)
    assert.match(untrusted.body?.error.message ?? '', /CLICKRELAY_TRUST_PROXY/)
  })

  test('bots and clients without a user agent are not stored', async () => {
    for (const ua of ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36', '']) {
      const r = await postClick(collector.url, { v: 'bot_visitor_000001', u: 'https://shop.example/?ttclid=E.C.P.bot' }, { 'User-Agent': ua })
      assert.equal(r.status, 204)
      assert.equal(r.headers.get('set-cookie'), null)
    }
    const conn = new Database(collector.dbPath, { readonly: true })
    try {
      assert.equal((conn.prepare(`SELECT COUNT(*) AS n FROM clicks WHERE visitor_id = 'bot_visitor_000001'`).get() as { n: number }).n, 0)
    } finally {
      conn.close()
    }
  })

  test('X-Forwarded-For is ignored unless the proxy is trusted', async () => {
    await postClick(collector.url, { v: 'collect_visitor_002', u: 'https://shop.example/' }, { 'X-Forwarded-For': '203.0.113.50' })
    const conn = new Database(collector.dbPath, { readonly: true })
    try {
      assert.deepEqual(conn.prepare(`SELECT ip FROM clicks WHERE visitor_id = 'collect_visitor_002'`).get(), { ip: '127.0.0.1' })
    } finally {
      conn.close()
    }
  })

  test('bad click records get a 400 JSON error and store nothing', async () => {
    const cases: Array<[unknown, string]> = [
      ['not json', 'invalid_json'],
      [{ u: 'https://shop.example/' }, 'invalid_request'],
      [{ v: 'collect_visitor_003', u: 'not a url' }, 'invalid_request'],
      [{ v: 'collect_visitor_003', u: 'https://shop.example/?ttclid=%3Cscript%3E' }, 'invalid_request'],
      [{ v: 'collect_visitor_003', u: `https://shop.example/?ttclid=${'a'.repeat(1025)}` }, 'invalid_request'],
      [{ v: 'collect_visitor_003', u: 'https://shop.example/', p: 'a;b' }, 'invalid_request'],
    ]
    for (const [body, code] of cases) {
      const r = await postClick(collector.url, body)
      assert.equal(r.status, 400, JSON.stringify(body))
      assert.equal(r.body?.error.code, code)
    }
    const big = await postClick(collector.url, { v: 'collect_visitor_003', u: 'https://shop.example/?q=' + 'x'.repeat(20_000) })
    assert.equal(big.status, 413)
    const conn = new Database(collector.dbPath, { readonly: true })
    try {
      assert.equal((conn.prepare(`SELECT COUNT(*) AS n FROM clicks WHERE visitor_id = 'collect_visitor_003'`).get() as { n: number }).n, 0)
    } finally {
      conn.close()
    }
  })

  test('GET /cr.js serves the built script as cacheable JavaScript', async () => {
    const r = await fetch(collector.url + '/cr.js')
    assert.equal(r.status, 200)
    assert.match(r.headers.get('content-type') ?? '', /^application\/javascript/)
    assert.match(r.headers.get('cache-control') ?? '', /public, max-age=\d+/)
    assert.ok(r.headers.get('etag'))
    assert.equal(await r.text(), readFileSync(new URL('../../../dist/cr.js', import.meta.url), 'utf8'))
    // fetch() would add "Cache-Control: no-cache" to a conditional request; a browser revalidating sends max-age=0
    const again = await fetch(collector.url + '/cr.js', { headers: { 'If-None-Match': r.headers.get('etag')!, 'Cache-Control': 'max-age=0' } })
    assert.equal(again.status, 304)
  })

  test('GET /healthz reports the database, the delivery state and the queue', async () => {
    const r = await fetch(collector.url + '/healthz')
    assert.equal(r.status, 200)
    assert.deepEqual(await r.json(), { status: 'ok', database: 'ok', delivery: 'ok', events_waiting: 0, oldest_waiting_age_s: null })
  })

  test('unknown routes answer 404 as JSON', async () => {
    const r = await fetch(collector.url + '/nothing-here')
    assert.equal(r.status, 404)
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'not_found')
  })

  test('GET /healthz answers 503 when the database cannot be read', async () => {
    await collector.store.close()
    const r = await fetch(collector.url + '/healthz')
    assert.equal(r.status, 503)
    assert.equal(((await r.json()) as { status: string }).status, 'unavailable')
  })
})

describe('collector behind a trusted proxy, with a rate limit', () => {
  test('the client IP comes from X-Forwarded-For when CLICKRELAY_TRUST_PROXY trusts the proxy', async () => {
    const c = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_TRUST_PROXY: 'loopback' } })
    try {
      await postClick(c.url, { v: 'proxied_visitor_01', u: 'https://shop.example/' }, { 'X-Forwarded-For': '203.0.113.50' })
      // a client that forges a hop: only the address the trusted proxy saw counts
      await postClick(c.url, { v: 'proxied_visitor_02', u: 'https://shop.example/' }, { 'X-Forwarded-For': '198.51.100.1, 203.0.113.60' })
      const conn = new Database(c.dbPath, { readonly: true })
      try {
        assert.deepEqual(conn.prepare(`SELECT visitor_id, ip FROM clicks WHERE visitor_id LIKE 'proxied%' ORDER BY visitor_id`).all(), [
          { visitor_id: 'proxied_visitor_01', ip: '203.0.113.50' },
          { visitor_id: 'proxied_visitor_02', ip: '203.0.113.60' },
        ])
      } finally {
        conn.close()
      }
    } finally {
      await c.stop()
    }
  })

  test('behind a trusted TLS proxy the own https origin may send and the visitor cookie is Secure', async () => {
    const c = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_TRUST_PROXY: 'loopback' } })
    try {
      const r = await postClick(c.url, { v: 'tls_proxied_visitor', u: 'https://shop.example/' }, { Origin: c.url.replace('http:', 'https:'), 'X-Forwarded-Proto': 'https' })
      assert.equal(r.status, 200)
      assert.match(r.headers.get('set-cookie') ?? '', /^cr_vid=tls_proxied_visitor;.*; Secure/i)
    } finally {
      await c.stop()
    }
  })

  test('one address over CLICKRELAY_RATE_LIMIT a minute gets 429 with Retry-After, and is not stored', async () => {
    const c = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_RATE_LIMIT: '3' } })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) statuses.push((await postClick(c.url, { v: 'flooding_visitor01', u: `https://shop.example/?utm_source=${i}` })).status)
      assert.deepEqual(statuses, [200, 200, 200, 429, 429])
      const limited = await postClick(c.url, { v: 'flooding_visitor01', u: 'https://shop.example/' })
      assert.equal(limited.body?.error.code, 'rate_limited')
      assert.ok(Number(limited.headers.get('retry-after')) > 0)
      const conn = new Database(c.dbPath, { readonly: true })
      try {
        assert.equal((conn.prepare(`SELECT COUNT(*) AS n FROM clicks`).get() as { n: number }).n, 3)
      } finally {
        conn.close()
      }
    } finally {
      await c.stop()
    }
  })
})
