/**
 * No crash, no partial write, no order lost over an optional field (issue 10, §7), over real
 * sockets and real SQLite files: malformed enrichment is left out with a warning; a store that
 * fails on any path answers JSON and ends nothing; a full disk (SQLite's max_page_count) or a
 * busy database answers 503 with Retry-After, writes nothing half, and passes by itself.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import type { Clock } from '../../src/clock.js'
import { signBody, SIGNATURE_HEADER } from '../../src/sign.js'
import { sqliteStore } from '../../src/store/sqlite.js'
import type { Store } from '../../src/store/store.js'
import { ACCESS_TOKEN, ADMIN_TOKEN, BROWSER_UA, eventually, ORDER_SECRET, PIXEL_CODE, postClick, startTestCollector, readRows, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

// Every rejection nobody handled, in this process: each test asserts there was none.
const unhandled: unknown[] = []
process.on('unhandledRejection', (reason) => unhandled.push(reason))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const VISITOR = 'vIsItOr_0123456789ab'

/** The system clock, pushed forward on demand (past a delivery lease) without waiting for it. */
function skewedClock(): Clock & { skip(ms: number): void } {
  let skew = 0
  return { now: () => Date.now() + skew, skip: (ms) => void (skew += ms) }
}

/** A store whose methods fail on cue: each call of a failing method rejects, as a real store's would. */
function faultyStore(inner: Store) {
  const faults = new Map<string, () => Error>()
  const failed = new Map<string, number>()
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const fault = faults.get(String(name))
        if (!fault) return (value as (...a: unknown[]) => unknown).apply(target, args)
        failed.set(String(name), (failed.get(String(name)) ?? 0) + 1)
        return Promise.reject(fault())
      }
    },
  })
  return {
    store,
    fail: (method: keyof Store, error: () => Error) => void faults.set(method, error),
    heal: () => faults.clear(),
    /** How many calls of `method` failed. */
    failures: (method: keyof Store) => failed.get(method) ?? 0,
  }
}
const sqliteError = (code: string, message: string) => () => new Database.SqliteError(message, code)
const FULL = sqliteError('SQLITE_FULL', 'database or disk is full')
const BUSY = sqliteError('SQLITE_BUSY', 'database is locked')
const IOERR = sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error')
const BUG = () => new Error('injected: a failure that is nobody’s fault in particular')

let sandbox: TestSandbox
let collector: TestCollector | undefined
let clock: ReturnType<typeof skewedClock>

async function start(store?: (dbPath: string) => Store) {
  collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, store, env: { CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN } })
  return collector
}

/** POST /orders signed, with the answer's headers. */
async function postOrder(order: unknown) {
  const body = JSON.stringify(order)
  const response = await fetch(collector!.url + '/orders', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signBody(ORDER_SECRET, body, Math.floor(clock.now() / 1000)) },
    body,
  })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> }
}
async function get(path: string) {
  const response = await fetch(collector!.url + path, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> }
}
async function adminPost(path: string, body: unknown) {
  const response = await fetch(collector!.url + path, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> }
}
const rows = <T>(sql: string, ...params: unknown[]) => readRows<T>(collector!.dbPath, sql, ...params)
const count = (sql: string, ...params: unknown[]) => rows<{ n: number }>(sql, ...params)[0]!.n
const statusOf = (eventId: string) => rows<{ status: string }>(`SELECT status FROM events WHERE event_id = ?`, eventId)[0]?.status
const order = (orderId: string, extra: Record<string, unknown> = {}) => ({
  order_id: orderId,
  value: 129.5,
  currency: 'USD',
  url: `https://shop.example/thanks?order=${orderId}`,
  ...extra,
})

describe('robustness', { timeout: 60_000 }, () => {
  beforeEach(async () => {
    unhandled.length = 0
    clock = skewedClock()
    sandbox = await startTestSandbox()
  })
  afterEach(async () => {
    await collector?.stop()
    collector = undefined
    await sandbox.close()
    assert.deepEqual(unhandled, [], 'no promise failed unhandled')
  })

  describe('an order is never refused over an optional field', () => {
    test('malformed enrichment is left out of the event and each field named in warnings; the order is accepted and delivered', async () => {
      await start()
      const answer = await postOrder(
        order('enrich-1', {
          visitor_id: 'abcdefghijklmn', // 14 characters: not a visitor ID
          ip: 'not-an-ip',
          user_agent: 'Mozilla/5.0\u0000(broken)',
          email: 42,
          phone: '+1 (213) 373-4253',
          contents: [
            { content_id: 'jacket', quantity: 1, price: 99.5 },
            { content_id: 'socks', quantity: 0, price: 10 },
            'scarf',
            { content_id: 'hat', quantity: 2, price: 15 },
          ],
          event_time: Date.now(), // milliseconds
        }),
      )
      assert.equal(answer.status, 201)
      assert.equal(answer.body.status, 'accepted')
      const warnings = answer.body.warnings as string[]
      assert.deepEqual(
        warnings.map((w) => w.split(/[:.[]/)[0]),
        ['email', 'visitor_id', 'ip', 'user_agent', 'event_time', 'contents', 'contents'],
      )
      assert.match(warnings.find((w) => w.startsWith('visitor_id'))!, /^visitor_id: must be the cr_vid cookie value.*; left out of the event$/)
      assert.match(warnings.find((w) => w.startsWith('event_time'))!, /Unix seconds, not milliseconds; the time the order was received is sent instead$/)
      assert.ok(warnings.includes('contents[1].quantity: Too small: expected number to be >0; line left out of the event'), warnings.join('\n'))
      assert.ok(warnings.some((w) => w.startsWith('contents[2]: ') && w.endsWith('; line left out of the event')), warnings.join('\n'))

      const [received] = await eventually(() => (sandbox.sandbox.received().length ? sandbox.sandbox.received() : undefined), 5_000, 'the event')
      const payload = received!.payload as { event_time: number; user: Record<string, unknown>; properties: { contents: unknown[]; value: number } }
      assert.deepEqual(payload.user, { phone: [sha('+12133734253')] }, 'only the usable match key went out')
      assert.deepEqual(payload.properties.contents, [
        { content_id: 'jacket', quantity: 1, price: 99.5 },
        { content_id: 'hat', quantity: 2, price: 15 },
      ])
      assert.equal(payload.properties.value, 129.5)
      assert.ok(Math.abs(payload.event_time - Date.now() / 1000) < 5)
      assert.deepEqual(rows(`SELECT visitor_id, email_sha256 FROM orders`), [{ visitor_id: null, email_sha256: null }])

      // The operator learns that the backend sends fields TikTok cannot use, with the fix.
      const problem = (await get('/admin/status')).body.problems.find((p: { code: string }) => p.code === 'order_fields_left_out')
      assert.match(problem.message, /^POST \/orders accepted order enrich-1 without .*visitor_id: must be the cr_vid cookie value.*Fix what your backend sends/)
      assert.match(collector!.logs(), /"warnings":\["email: /)
    })

    test('a field of the wrong shape is left out too (contents not a list, a user agent too long, a future event_time); null counts as absent', async () => {
      await start()
      const answer = await postOrder(
        order('enrich-2', { contents: 'jacket', user_agent: 'x'.repeat(2000), event_time: Math.floor(Date.now() / 1000) + 86_400, visitor_id: null, ip: null, email: null }),
      )
      assert.equal(answer.status, 201)
      assert.deepEqual(
        (answer.body.warnings as string[]).map((w) => w.split(':')[0]),
        ['user_agent', 'contents', 'event_time'],
      )
      assert.match(answer.body.warnings[2], /in the future/)
      const lines = [...Array.from({ length: 15 }, (_, i) => ({ content_id: `bad-${i}`, quantity: -1, price: 1 })), { content_id: 'good', quantity: 1, price: 5 }]
      const many = await postOrder(order('enrich-4', { contents: lines }))
      assert.equal(many.status, 201)
      assert.equal(many.body.warnings.length, 11, 'ten bad lines named, the rest counted')
      assert.equal(many.body.warnings[10], 'contents: 5 more lines that cannot be used left out of the event')
      const clean = await postOrder(order('enrich-3', { visitor_id: VISITOR, ip: '2001:db8::1', user_agent: BROWSER_UA }))
      assert.equal(clean.status, 201)
      assert.equal(clean.body.warnings, undefined, 'a clean order carries no warnings')
    })

    test('only order_id, value, currency and url are required: each missing or wrong is a 400 naming it, and nothing is stored', async () => {
      await start()
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ order_id: undefined }, /^order_id:/],
        [{ order_id: '' }, /^order_id:/],
        [{ value: undefined }, /^value:/],
        [{ value: '129.50' }, /^value:/],
        [{ value: -1 }, /^value:/],
        [{ currency: undefined }, /^currency:/],
        [{ currency: 'XYZ' }, /^currency:/],
        [{ url: undefined }, /^url:/],
        [{ url: 'javascript:alert(1)' }, /^url:/],
      ]
      for (const [overrides, message] of cases) {
        const r = await postOrder(order('required', overrides))
        assert.equal(r.status, 400, JSON.stringify(overrides))
        assert.match(r.body.error.message, message)
      }
      assert.equal(count(`SELECT COUNT(*) AS n FROM orders`), 0)
    })
  })

  test('a store failure on any request path answers JSON (503 with Retry-After when it passes by itself, 500 otherwise) and the collector lives on', async () => {
    let faults!: ReturnType<typeof faultyStore>
    const { url } = await start((path) => (faults = faultyStore(sqliteStore(new Database(path)))).store)
    assert.equal((await postOrder(order('before'))).status, 201)
    const eventRow = rows<{ id: number }>(`SELECT id FROM events`)[0]!.id
    const click = () => postClick(url, { v: VISITOR, u: 'https://shop.example/?ttclid=E.C.P.robust' })
    const identify = () => postClick(url, { k: 'i', v: VISITOR, e: sha('a@b.example') })

    const cases: Array<[keyof Store, () => Error, () => Promise<{ status: number; headers: Headers; body?: Record<string, any> }>, number, string, string | null]> = [
      ['saveClick', FULL, click, 503, 'storage_full', '60'],
      ['saveClick', BUG, click, 500, 'internal', null],
      ['saveIdentity', BUSY, identify, 503, 'storage_busy', '5'],
      ['acceptOrder', FULL, () => postOrder(order('o-full')), 503, 'storage_full', '60'],
      ['acceptOrder', BUSY, () => postOrder(order('o-busy')), 503, 'storage_busy', '5'],
      ['acceptOrder', IOERR, () => postOrder(order('o-io')), 503, 'storage_unavailable', '30'],
      ['acceptOrder', BUG, () => postOrder(order('o-bug')), 500, 'internal', null],
      ['activity', BUG, () => get('/admin/status'), 500, 'internal', null],
      ['findOrder', BUSY, () => get('/admin/orders/before'), 503, 'storage_busy', '5'],
      ['getEvent', BUG, () => get(`/admin/events/${eventRow}`), 500, 'internal', null],
      ['replayEvents', FULL, () => adminPost(`/admin/events/${eventRow}/replay`, {}), 503, 'storage_full', '60'],
      ['replayEvents', BUG, () => adminPost('/admin/replays', { from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }), 500, 'internal', null],
      ['deleteSubject', IOERR, () => adminPost('/admin/deletions', { visitor_id: VISITOR }), 503, 'storage_unavailable', '30'],
      ['queueStats', BUG, () => get('/healthz'), 503, 'unhealthy', null],
    ]
    for (const [method, error, call, status, code, retryAfter] of cases) {
      faults.fail(method, error)
      const answer = await call()
      faults.heal()
      const what = `${method} failing with ${error().message}`
      assert.equal(answer.status, status, what)
      assert.equal(answer.body?.error?.code, code, what)
      assert.equal(typeof answer.body?.error?.message, 'string', what)
      assert.equal(answer.headers.get('retry-after'), retryAfter, what)
    }

    // Nothing was half-written, and every path works again.
    assert.deepEqual(rows(`SELECT order_id FROM orders`), [{ order_id: 'before' }])
    assert.equal((await click()).status, 200)
    assert.equal((await postOrder(order('o-full'))).status, 201, 'the order refused with 503 is accepted when sent again')
    const status = await get('/admin/status')
    assert.equal(status.status, 200)
    const problems = (status.body.problems as Array<{ code: string; message: string; count: number }>).map((p) => [p.code, p.count])
    assert.deepEqual(problems.sort(), [
      ['storage_busy', 3],
      ['storage_full', 3],
      ['storage_unavailable', 2],
    ])
    assert.match((status.body.problems as Array<{ code: string; message: string }>).find((p) => p.code === 'storage_full')!.message, /free space/)
    assert.equal((await get('/healthz')).status, 200)
  })

  test('a store failure while scheduling the next delivery ends nothing: delivery carries on by itself', async () => {
    let faults!: ReturnType<typeof faultyStore>
    await start((path) => (faults = faultyStore(sqliteStore(new Database(path)))).store)
    // The first attempt fails, so the event needs a timer; setting that timer fails too.
    sandbox.sandbox.inject({ kind: 'http', status: 503 })
    faults.fail('nextDueAt', FULL)
    assert.equal((await postOrder(order('schedule-1'))).status, 201)
    await eventually(() => (sandbox.sandbox.requests().length ? true : undefined), 5_000, 'the failed attempt')
    await eventually(() => faults.failures('nextDueAt') || undefined, 5_000, 'a failed nextDueAt')
    await sleep(200)
    faults.heal()
    assert.deepEqual(unhandled, [], 'the failure was handled')
    await eventually(() => (statusOf('ord_schedule-1') === 'delivered' ? true : undefined), 10_000, 'delivery without another order to wake it')
    assert.equal(sandbox.sandbox.report('ord_schedule-1').counted_once, true)
    assert.match(collector!.logs(), /"level":50[^\n]*database or disk is full/)
    // And the loop still answers a kick: the next order goes out at once.
    assert.equal((await postOrder(order('schedule-2'))).status, 201)
    await eventually(() => (statusOf('ord_schedule-2') === 'delivered' ? true : undefined), 5_000, 'the next order')
  })

  test('a store failure while claiming or recording a delivery is retried by the loop itself until the order is delivered', async () => {
    let faults!: ReturnType<typeof faultyStore>
    await start((path) => (faults = faultyStore(sqliteStore(new Database(path)))).store)
    faults.fail('claimDueEvents', BUSY)
    assert.equal((await postOrder(order('claim-1'))).status, 201)
    await sleep(100)
    faults.heal()
    await eventually(() => (statusOf('ord_claim-1') === 'delivered' ? true : undefined), 10_000, 'delivery after the claim failed')

    // TikTok takes the event, and its receipt cannot be written: the event stays leased, and is
    // sent again (same event_id) once the lease runs out, which the clock skips to.
    faults.fail('recordOutcomes', IOERR)
    assert.equal((await postOrder(order('record-1'))).status, 201)
    await eventually(() => (sandbox.sandbox.received().some((e) => e.eventId === 'ord_record-1') ? true : undefined), 5_000, 'the send')
    await sleep(100)
    faults.heal()
    clock.skip(2 * 60_000)
    await eventually(() => (statusOf('ord_record-1') === 'delivered' ? true : undefined), 10_000, 'delivery after the receipt failed')
    assert.equal(sandbox.sandbox.report('ord_record-1').counted_once, true)
  })

  test('a failing retention purge is logged and ends nothing', async () => {
    let faults!: ReturnType<typeof faultyStore>
    await start((path) => {
      faults = faultyStore(sqliteStore(new Database(path)))
      faults.fail('purgeBefore', IOERR)
      return faults.store
    })
    await eventually(() => (collector!.logs().includes('retention purge failed') ? true : undefined), 5_000, 'the purge failure in the log')
    faults.heal()
    assert.equal((await get('/healthz')).status, 200)
    assert.equal((await postOrder(order('after-purge'))).status, 201)
  })

  test('a full disk: 503 with Retry-After on /collect and /orders, nothing half-written, and once space returns every accepted order is delivered', async () => {
    let db!: Database.Database
    await start((path) => sqliteStore((db = new Database(path))))
    assert.equal((await postOrder(order('warm-up'))).status, 201)
    // The disk is full from here: the database may not grow by a page.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`)

    const accepted = ['warm-up']
    const refused: string[] = []
    const buyer = (i: number) => ({ visitor_id: `visitor_full_${String(i).padStart(8, '0')}`, email: `buyer${i}@example.com`, ip: '198.51.100.23', user_agent: BROWSER_UA })
    for (let i = 0; i < 400 && refused.length < 3; i++) {
      const answer = await postOrder(order(`full-${i}`, buyer(i)))
      if (answer.status === 201) {
        accepted.push(`full-${i}`)
        continue
      }
      assert.equal(answer.status, 503, JSON.stringify(answer.body))
      assert.equal(answer.body.error.code, 'storage_full')
      assert.equal(answer.headers.get('retry-after'), '60')
      refused.push(`full-${i}`)
    }
    assert.equal(refused.length, 3, 'the disk filled up')
    for (const id of refused) {
      // The order, its event and the buyer's identity are one write: none of them is there.
      assert.equal(count(`SELECT COUNT(*) AS n FROM orders WHERE order_id = ?`, id), 0, id)
      assert.equal(count(`SELECT COUNT(*) AS n FROM events WHERE event_id = ?`, `ord_${id}`), 0, id)
      assert.equal(count(`SELECT COUNT(*) AS n FROM identities WHERE visitor_id = ?`, buyer(Number(id.slice(5))).visitor_id), 0, id)
    }
    for (const id of accepted) assert.equal(count(`SELECT COUNT(*) AS n FROM events WHERE event_id = ?`, `ord_${id}`), 1, id)

    let clickRefused: Awaited<ReturnType<typeof postClick>> | undefined
    for (let i = 0; i < 400 && !clickRefused; i++) {
      const answer = await postClick(collector!.url, { v: `visitor_click_${String(i).padStart(6, '0')}`, u: `https://shop.example/products/${i}?ttclid=E.C.P.${'x'.repeat(300)}${i}` })
      if (answer.status !== 200) clickRefused = answer
    }
    assert.ok(clickRefused, 'a click was refused once the disk was full')
    assert.equal(clickRefused.status, 503)
    assert.equal(clickRefused.body?.error.code, 'storage_full')
    assert.equal(clickRefused.headers.get('retry-after'), '60')
    assert.equal((await get('/healthz')).status, 200, 'reads still work: the collector stays in rotation')
    assert.ok((await get('/admin/status')).body.problems.some((p: { code: string }) => p.code === 'storage_full'))

    // Space returns. Nothing is restarted: the refused orders are sent again and accepted, and a
    // delivery whose receipt could not be written is sent again once its lease (60 s) runs out,
    // which the clock skips to.
    db.pragma('max_page_count = 1073741823')
    clock.skip(2 * 60_000)
    for (const id of refused) {
      const again = await postOrder(order(id, buyer(Number(id.slice(5)))))
      assert.equal(again.status, 201, 'accepted as new: nothing of it was stored before')
      accepted.push(id)
    }
    assert.equal((await postClick(collector!.url, { v: VISITOR, u: 'https://shop.example/' })).status, 200)
    await eventually(
      () => (count(`SELECT COUNT(*) AS n FROM events WHERE status = 'delivered'`) === accepted.length ? true : undefined),
      15_000,
      `all ${accepted.length} accepted orders delivered`,
    )
    for (const id of accepted) assert.equal(sandbox.sandbox.report(`ord_${id}`).counted_once, true, id)
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok')
  })

  test('a busy database: 503 with Retry-After on /collect and /orders, nothing stored, and accepted again once the lock is gone', async () => {
    let db!: Database.Database
    await start((path) => sqliteStore((db = new Database(path))))
    // Another process (a backup, a sqlite3 shell) holds the write lock; waiting 5 s for it is the
    // default, shortened here.
    db.pragma('busy_timeout = 100')
    const locker = new Database(collector!.dbPath)
    locker.exec('BEGIN IMMEDIATE')
    try {
      const refused = await postOrder(order('busy-1', { visitor_id: VISITOR, email: 'busy@example.com' }))
      assert.equal(refused.status, 503)
      assert.equal(refused.body.error.code, 'storage_busy')
      assert.equal(refused.headers.get('retry-after'), '5')
      const click = await postClick(collector!.url, { v: VISITOR, u: 'https://shop.example/?ttclid=E.C.P.busy' })
      assert.equal(click.status, 503)
      assert.equal(click.body?.error.code, 'storage_busy')
      assert.equal(click.headers.get('retry-after'), '5')
      assert.equal((await get('/healthz')).status, 200)
    } finally {
      locker.exec('ROLLBACK')
      locker.close()
    }
    assert.equal(count(`SELECT COUNT(*) AS n FROM orders`), 0)
    assert.equal(count(`SELECT COUNT(*) AS n FROM clicks`), 0)
    assert.equal((await postOrder(order('busy-1', { visitor_id: VISITOR, email: 'busy@example.com' }))).status, 201)
    assert.equal((await postClick(collector!.url, { v: VISITOR, u: 'https://shop.example/?ttclid=E.C.P.busy' })).status, 200)
    await eventually(() => (statusOf('ord_busy-1') === 'delivered' ? true : undefined), 5_000, 'delivery')
  })

  test('the collector process logs a rejection nothing handled at error, and keeps serving', async () => {
    const dir = fileURLToPath(new URL('.', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', `${dir}fixtures/reject-on-signal.mjs`, fileURLToPath(new URL('../../src/main.ts', import.meta.url))], {
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        CLICKRELAY_DB: ':memory:',
        CLICKRELAY_PIXEL_CODE: PIXEL_CODE,
        CLICKRELAY_ACCESS_TOKEN: ACCESS_TOKEN,
        CLICKRELAY_ORDER_SECRET: ORDER_SECRET,
        CLICKRELAY_EVENTS_API_URL: sandbox.trackUrl,
        CLICKRELAY_LOG_LEVEL: 'info',
      },
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')))
    try {
      const url = await eventually(() => /ClickRelay collector on (http:\/\/\S+)/.exec(output)?.[1], 20_000, `the banner:\n${output}`)
      child.kill('SIGUSR2')
      await sleep(500)
      assert.equal(child.exitCode, null, `still running:\n${output}`)
      const line = await eventually(() => output.split('\n').find((l) => l.includes('nothing handled it')), 5_000, `the log line:\n${output}`)
      assert.match(line, /"level":50/)
      assert.match(line, /injected: a rejection nothing handles/)
      assert.equal((await fetch(url + '/healthz')).status, 200)
      child.kill('SIGTERM')
      assert.equal(await exited, 0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
