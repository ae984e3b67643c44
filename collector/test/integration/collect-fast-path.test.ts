/**
 * POST /collect made fast (routes/collect.ts, store/group-commit.ts) without giving anything
 * up: grouped writes still mean "stored" when answered, a failed group stores nothing and
 * fails each of its requests, and every body the old body-parser route took is still taken.
 */
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { BROWSER_UA, postClick, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

let sandbox: TestSandbox
let collector: TestCollector

const click = (visitor: string, extra: Record<string, unknown> = {}) => ({ v: visitor, u: `https://shop.example/p?ttclid=E.C.P.${visitor}`, ...extra })

function rows<T>(sql: string, ...params: unknown[]): T[] {
  const conn = new Database(collector.dbPath, { readonly: true })
  try {
    return conn.prepare(sql).all(...params) as T[]
  } finally {
    conn.close()
  }
}

async function post(path: string, body: string | Buffer | ReadableStream, headers: Record<string, string> = {}) {
  const response = await fetch(collector.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'User-Agent': BROWSER_UA, ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined }
}

describe('POST /collect under a burst', () => {
  before(async () => {
    sandbox = await startTestSandbox()
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_ALLOWED_ORIGINS: 'https://shop.example' } })
  })
  after(async () => {
    await collector.stop()
    await sandbox.close()
  })

  test('200 concurrent click records: every one answered 200 only once its row is in the database, and all are stored', async () => {
    const visitors = Array.from({ length: 200 }, (_, i) => `burst_visitor_${String(i).padStart(4, '0')}`)
    const storedWhenAnswered = await Promise.all(
      visitors.map(async (visitor) => {
        const r = await postClick(collector.url, click(visitor))
        assert.equal(r.status, 200)
        assert.deepEqual(r.body, { v: visitor })
        // Read by another connection the moment the answer arrived: committed, not merely queued.
        return rows<{ n: number }>('SELECT COUNT(*) AS n FROM clicks WHERE visitor_id = ?', visitor)[0]!.n
      }),
    )
    assert.deepEqual(storedWhenAnswered, new Array(200).fill(1))
    assert.equal(rows<{ n: number }>(`SELECT COUNT(*) AS n FROM clicks WHERE visitor_id LIKE 'burst_visitor_%'`)[0]!.n, 200)
  })

  test('when the store fails, each request of the burst gets a 5xx JSON error, none of them is stored, and the next record is', async () => {
    const conn = new Database(collector.dbPath)
    try {
      conn.exec(`CREATE TRIGGER clicks_fail BEFORE INSERT ON clicks BEGIN SELECT RAISE(ABORT, 'injected store failure'); END`)
      const visitors = Array.from({ length: 30 }, (_, i) => `failed_visitor_${String(i).padStart(4, '0')}`)
      const answers = await Promise.all(visitors.map((visitor) => postClick(collector.url, click(visitor))))
      for (const r of answers) {
        assert.ok(r.status >= 500, `status ${r.status}`)
        assert.equal(typeof r.body?.error.code, 'string')
        assert.equal(r.headers.get('set-cookie'), null, 'no visitor cookie for a record that was not stored')
      }
      assert.equal(rows<{ n: number }>(`SELECT COUNT(*) AS n FROM clicks WHERE visitor_id LIKE 'failed_visitor_%'`)[0]!.n, 0)
      conn.exec('DROP TRIGGER clicks_fail')
    } finally {
      conn.close()
    }
    assert.equal((await postClick(collector.url, click('recovered_visitor_01'))).status, 200)
    assert.equal(rows<{ n: number }>(`SELECT COUNT(*) AS n FROM clicks WHERE visitor_id = 'recovered_visitor_01'`)[0]!.n, 1)
  })

  test('every body the body-parser route took is still taken: gzip, chunked, a byte order mark, another charset', async () => {
    const gz = gzipSync(JSON.stringify(click('gzip_visitor_000001')))
    assert.equal((await post('/collect', gz, { 'Content-Encoding': 'gzip' })).status, 200)
    const chunks = [JSON.stringify(click('chunked_visitor_001')).slice(0, 10), JSON.stringify(click('chunked_visitor_001')).slice(10)]
    const stream = new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
        controller.close()
      },
    })
    assert.equal((await post('/collect', stream)).status, 200)
    assert.equal((await post('/collect', '\ufeff' + JSON.stringify(click('bom_visitor_0000001')))).status, 200)
    const latin1 = Buffer.from(JSON.stringify(click('latin1_visitor_0001', { r: 'https://www.example/caf\u00e9' })), 'latin1')
    assert.equal((await post('/collect', latin1, { 'Content-Type': 'text/plain; charset=ISO-8859-1' })).status, 200)
    assert.deepEqual(
      rows(`SELECT visitor_id, referrer FROM clicks WHERE visitor_id IN ('gzip_visitor_000001', 'chunked_visitor_001', 'bom_visitor_0000001', 'latin1_visitor_0001') ORDER BY visitor_id`),
      [
        { visitor_id: 'bom_visitor_0000001', referrer: null },
        { visitor_id: 'chunked_visitor_001', referrer: null },
        { visitor_id: 'gzip_visitor_000001', referrer: null },
        { visitor_id: 'latin1_visitor_0001', referrer: 'https://www.example/caf\u00e9' },
      ],
    )
    const tooLarge = await post('/collect', JSON.stringify(click('large_visitor_00001', { r: 'x'.repeat(20_000) })))
    assert.equal(tooLarge.status, 413)
    assert.equal(tooLarge.body?.error.code, 'payload_too_large')
  })

  test("an allowed page's error answers name its origin too, so the script can read them", async () => {
    const r = await post('/collect', '{not json', { Origin: 'https://shop.example' })
    assert.equal(r.status, 400)
    assert.equal(r.body?.error.code, 'invalid_json')
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://shop.example')
    assert.equal(r.headers.get('access-control-allow-credentials'), 'true')
    const bot = await post('/collect', JSON.stringify(click('cors_bot_visitor_01')), { Origin: 'https://shop.example', 'User-Agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' })
    assert.equal(bot.status, 204)
    assert.equal(bot.headers.get('access-control-allow-origin'), 'https://shop.example')
  })

  test('the answer is the JSON and cookie res.json and res.cookie wrote, never cached', async () => {
    const r = await postClick(collector.url, click('answer_visitor_0001', { d: '127.0.0.1' }), { Origin: 'https://shop.example' })
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(r.headers.get('cache-control'), 'no-store')
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://shop.example')
    assert.equal(r.headers.get('vary'), 'Origin')
    const expires = new Date(Date.now() + 400 * 86_400_000)
    const cookie = r.headers.get('set-cookie') ?? ''
    assert.match(cookie, /^cr_vid=answer_visitor_0001; Max-Age=34560000; Domain=127\.0\.0\.1; Path=\/; Expires=([^;]+); SameSite=Lax$/)
    assert.ok(Math.abs(Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!) - expires.getTime()) < 5_000, 'expires in 400 days')
  })

  test('the route matches as router.post did: any case, an optional trailing slash; other methods are 404', async () => {
    assert.equal((await post('/collect/', JSON.stringify(click('slash_visitor_00001')))).status, 200)
    assert.equal((await post('/COLLECT', JSON.stringify(click('upper_visitor_00001')))).status, 200)
    const get = await fetch(collector.url + '/collect')
    assert.equal(get.status, 404)
    assert.equal(((await get.json()) as { error: { code: string } }).error.code, 'not_found')
    assert.equal((await post('/collected', JSON.stringify(click('other_visitor_00001')))).status, 404)
  })
})

describe('POST /collect over the rate limit', () => {
  test('429 with Retry-After and the RateLimit headers, counted, and nothing stored', async () => {
    const s = await startTestSandbox()
    const c = await startTestCollector({ eventsApiUrl: s.trackUrl, env: { CLICKRELAY_RATE_LIMIT: '2' } })
    try {
      const statuses: number[] = []
      let limited: Awaited<ReturnType<typeof postClick>> | undefined
      for (let i = 0; i < 3; i++) {
        const r = await postClick(c.url, click(`limited_visitor_${String(i).padStart(4, '0')}`))
        statuses.push(r.status)
        limited = r
      }
      assert.deepEqual(statuses, [200, 200, 429])
      assert.ok(Number(limited!.headers.get('retry-after')) >= 1)
      assert.match(limited!.headers.get('ratelimit-policy') ?? '', /^"2-in-1min"; q=2; w=60$/)
      assert.match(limited!.headers.get('ratelimit') ?? '', /^"2-in-1min"; r=0; t=\d+$/)
      const conn = new Database(c.dbPath, { readonly: true })
      try {
        assert.equal((conn.prepare(`SELECT COUNT(*) AS n FROM clicks`).get() as { n: number }).n, 2)
      } finally {
        conn.close()
      }
    } finally {
      await c.stop()
      await s.close()
    }
  })
})
