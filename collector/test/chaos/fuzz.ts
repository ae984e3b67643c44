/**
 * The fuzz run: generated requests (fast-check) against a real collector process, across
 * /collect, /orders (signed and not), /webhooks/* (each platform's signing, right and wrong) and
 * /admin: malformed JSON, wrong types, huge, deeply
 * nested and unicode-laden values, and abused headers. Every answer must be below 500, the
 * process must stay alive with flat memory, and the database must pass its integrity check
 * with no order missing its event.
 */
import { readFileSync } from 'node:fs'
import { createHmac } from 'node:crypto'
import { Agent, request } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { signBody, SIGNATURE_HEADER } from '../../src/sign.js'
import { ADMIN_TOKEN, BROWSER_UA, ORDER_SECRET, startChildCollector, startTestSandbox } from '../harness.js'

export interface FuzzOptions {
  runs: number
  seed: number
}

export interface FuzzResult {
  requests: number
  /** Answers by status class, e.g. { '2xx': 10, '4xx': 90 }. */
  statuses: Record<string, number>
  /** Requests the server answered 5xx, first few, to reproduce. */
  serverErrors: Array<{ status: number; method: string; path: string; body: string }>
  /** Connections the server closed without an answer (e.g. a body far over the limit). */
  noAnswer: number
  alive: boolean
  rssStartMb: number
  rssEndMb: number
  integrity: string
  ordersWithoutEvent: number
  seconds: number
}

interface FuzzRequest {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  headers: Record<string, string>
  body: string | undefined
  /** Sign the body as the merchant's backend (for /orders) or the platform (for /webhooks/*) would. */
  sign: 'valid' | 'none' | 'garbage' | 'stale'
  /** Whose signing: the order secret's (the default) or a platform's. */
  signer?: 'orders' | 'shopify' | 'woocommerce' | 'stripe'
}

export const WEBHOOK_SECRETS = { shopify: 'fuzz-shopify-secret-0123456789', woocommerce: 'fuzz-woo-secret-0123456789', stripe: 'whsec_fuzz0123456789abcdef' } as const

const printable = fc.stringMatching(/^[\x20-\x7e]{0,300}$/)
const unicode = fc.string({ unit: 'binary', maxLength: 200 })
const anyText = fc.oneof(fc.string({ maxLength: 100 }), unicode, printable)

/** A value of any JSON type, or a string that stresses parsers and normalisers. */
const scalarOrJunk = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  unicode,
  fc.double(),
  fc.integer(),
  fc.constantFrom('', ' ', '\u0000', 'null', '-1', '1e309', 'NaN', '__proto__', '<script>', '%00', '../..', 'E.C.P.' + 'a'.repeat(2000)),
)

/** Bodies that are not JSON, or JSON no schema expects. */
const junkBody = fc.oneof(
  anyText,
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => `{"v":"${'x'.repeat(n)}"}`),
  fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
)

const visitor = fc.oneof(fc.stringMatching(/^[\w-]{16,64}$/), scalarOrJunk)
const url = fc.oneof(fc.webUrl({ withQueryParameters: true }), fc.constant('https://shop.example/?ttclid=E.C.P.fuzz&utm_source=tiktok'), scalarOrJunk)

const clickRecord = fc.record(
  {
    k: fc.oneof(fc.constant(undefined), fc.constantFrom('i', 'r', 'x'), scalarOrJunk),
    v: visitor,
    u: url,
    r: scalarOrJunk,
    p: scalarOrJunk,
    d: fc.oneof(fc.constantFrom('shop.example', '.shop.example', 'example.com'), scalarOrJunk),
    e: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), scalarOrJunk),
    h: scalarOrJunk,
    n: fc.oneof(fc.constantFrom('Purchase', 'CompletePayment', 'ViewContent'), scalarOrJunk),
    i: scalarOrJunk,
    o: scalarOrJunk,
    t: fc.oneof(fc.integer(), scalarOrJunk),
  },
  { requiredKeys: [] },
)

const orderBody = fc.record(
  {
    order_id: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.integer(), scalarOrJunk),
    value: fc.oneof(fc.double(), fc.integer(), scalarOrJunk),
    currency: fc.oneof(fc.constantFrom('USD', 'eur', 'XXX', ''), scalarOrJunk),
    url,
    email: fc.oneof(fc.emailAddress(), scalarOrJunk),
    phone: fc.oneof(fc.constantFrom('+1 213 373 4253', '2133734253', '+999'), scalarOrJunk),
    visitor_id: visitor,
    ttclid: scalarOrJunk,
    ip: fc.oneof(fc.ipV4(), fc.ipV6(), scalarOrJunk),
    user_agent: fc.oneof(fc.constant(BROWSER_UA), scalarOrJunk),
    event_time: fc.oneof(fc.integer(), scalarOrJunk),
    contents: fc.oneof(fc.array(fc.record({ content_id: scalarOrJunk, quantity: scalarOrJunk, price: scalarOrJunk }, { requiredKeys: [] }), { maxLength: 5 }), scalarOrJunk),
  },
  { requiredKeys: [] },
)

/** Headers a client may send, any of them abused. */
const headerAbuse = fc.dictionary(
  fc.constantFrom('x-forwarded-for', 'forwarded', 'x-forwarded-host', 'x-forwarded-proto', 'origin', 'cookie', 'content-type', 'user-agent', 'content-encoding', 'authorization', 'clickrelay-dry-run', 'accept', 'x-clickrelay-actor'),
  printable,
  { maxKeys: 4 },
)

const collectRequest = fc.record({ body: fc.oneof(clickRecord.map((r) => JSON.stringify(r)), junkBody), headers: headerAbuse }).map(
  ({ body, headers }): FuzzRequest => ({ method: 'POST', path: '/collect', headers: { 'content-type': 'text/plain', 'user-agent': BROWSER_UA, ...headers }, body, sign: 'none' }),
)

const orderRequest = fc.record({ body: fc.oneof(orderBody.map((o) => JSON.stringify(o)), junkBody), sign: fc.constantFrom('valid', 'valid', 'none', 'garbage', 'stale'), headers: headerAbuse }).map(
  ({ body, sign, headers }): FuzzRequest => ({ method: 'POST', path: '/orders', headers: { 'content-type': 'application/json', ...headers }, body, sign: sign as FuzzRequest['sign'] }),
)

// Platform-shaped payloads whose every field may be junk, with topics right and wrong.
const platformOrder = fc.record(
  {
    id: fc.oneof(fc.integer({ min: 1 }), fc.string({ maxLength: 30 }), scalarOrJunk),
    admin_graphql_api_id: fc.oneof(fc.integer().map((n) => `gid://shopify/Order/${n}`), scalarOrJunk),
    total_price: fc.oneof(fc.constantFrom('59.90', '0', '-1', '1e9', 'abc'), scalarOrJunk),
    total: fc.oneof(fc.constantFrom('42.50', ''), scalarOrJunk),
    currency: fc.oneof(fc.constantFrom('EUR', 'usd', 'XXX'), scalarOrJunk),
    financial_status: fc.oneof(fc.constantFrom('paid', 'pending', 'refunded'), scalarOrJunk),
    status: fc.oneof(fc.constantFrom('processing', 'completed', 'pending', 'cancelled'), scalarOrJunk),
    test: fc.oneof(fc.boolean(), scalarOrJunk),
    email: fc.oneof(fc.emailAddress(), scalarOrJunk),
    phone: scalarOrJunk,
    browser_ip: fc.oneof(fc.ipV4(), scalarOrJunk),
    landing_site: fc.oneof(fc.constant('/p?ttclid=E.C.P.fuzz'), scalarOrJunk),
    note_attributes: fc.oneof(fc.array(fc.record({ name: fc.constantFrom('_cr_vid', 'x'), value: scalarOrJunk })), scalarOrJunk),
    meta_data: fc.oneof(fc.array(fc.record({ key: fc.constantFrom('_cr_vid', 'x'), value: scalarOrJunk })), scalarOrJunk),
    billing: fc.oneof(fc.record({ email: scalarOrJunk, phone: scalarOrJunk, country: scalarOrJunk }), scalarOrJunk),
    line_items: fc.oneof(fc.array(fc.record({ product_id: scalarOrJunk, sku: scalarOrJunk, quantity: scalarOrJunk, price: scalarOrJunk, price_set: scalarOrJunk }), { maxLength: 4 }), scalarOrJunk),
    processed_at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), scalarOrJunk),
    date_paid_gmt: fc.oneof(fc.constant(new Date().toISOString().slice(0, 19)), scalarOrJunk),
    date_paid: scalarOrJunk,
    total_price_set: scalarOrJunk,
  },
  { requiredKeys: [] },
)
const stripeEvent = fc.record(
  {
    id: fc.oneof(fc.stringMatching(/^evt_[\w]{1,24}$/), scalarOrJunk),
    type: fc.oneof(fc.constantFrom('checkout.session.completed', 'checkout.session.async_payment_succeeded', 'charge.refunded'), scalarOrJunk),
    livemode: fc.oneof(fc.boolean(), scalarOrJunk),
    created: fc.oneof(fc.integer(), scalarOrJunk),
    data: fc.oneof(
      fc.record({ object: fc.record({ id: fc.oneof(fc.stringMatching(/^cs_[\w]{1,30}$/), scalarOrJunk), payment_status: fc.oneof(fc.constantFrom('paid', 'unpaid'), scalarOrJunk), amount_total: fc.oneof(fc.integer(), scalarOrJunk), currency: fc.oneof(fc.constantFrom('jpy', 'usd', 'kwd', 'xcg'), scalarOrJunk), client_reference_id: scalarOrJunk, metadata: scalarOrJunk, customer_details: scalarOrJunk, success_url: scalarOrJunk, line_items: scalarOrJunk }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      scalarOrJunk,
    ),
  },
  { requiredKeys: [] },
)
const webhookRequest = fc
  .record({
    platform: fc.constantFrom('shopify', 'woocommerce', 'stripe'),
    body: fc.oneof(platformOrder.map((o) => JSON.stringify(o)), stripeEvent.map((e) => JSON.stringify(e)), junkBody, fc.constant('webhook_id=12')),
    topic: fc.oneof(fc.constantFrom('orders/paid', 'orders/updated', 'order.updated', 'order.created', 'customers/create'), printable),
    deliveryId: fc.oneof(fc.uuid(), printable),
    sign: fc.constantFrom('valid', 'valid', 'valid', 'none', 'garbage', 'stale'),
    headers: headerAbuse,
  })
  .map(({ platform, body, topic, deliveryId, sign, headers }): FuzzRequest => {
    const platformHeaders: Record<string, string> =
      platform === 'shopify' ? { 'x-shopify-topic': topic, 'x-shopify-webhook-id': deliveryId, 'x-shopify-shop-domain': 'fuzz.myshopify.com' } : platform === 'woocommerce' ? { 'x-wc-webhook-topic': topic, 'x-wc-webhook-delivery-id': deliveryId, 'x-wc-webhook-source': 'https://woo.example/' } : {}
    return { method: 'POST', path: `/webhooks/${platform}`, headers: { 'content-type': 'application/json', ...headers, ...platformHeaders }, body, sign: sign as FuzzRequest['sign'], signer: platform }
  })

const segment = fc.oneof(fc.stringMatching(/^[\w.-]{1,20}$/), fc.integer().map(String), fc.constantFrom('%00', '..', '%E0%A4%A', 'null', '-1', '99999999999999999999'))
const adminRequest = fc
  .record({
    route: fc.constantFrom('status', 'order', 'events', 'event', 'replay', 'replays', 'deletions'),
    id: segment,
    query: fc.dictionary(fc.constantFrom('status', 'from', 'to', 'limit'), printable, { maxKeys: 4 }),
    body: fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), junkBody, fc.record({ status: scalarOrJunk, from: scalarOrJunk, to: scalarOrJunk, limit: scalarOrJunk, force: scalarOrJunk, email: scalarOrJunk, phone: scalarOrJunk, visitor_id: scalarOrJunk }, { requiredKeys: [] }).map((v) => JSON.stringify(v))),
    token: fc.oneof(fc.constant(ADMIN_TOKEN), fc.constant(ADMIN_TOKEN), printable),
    headers: headerAbuse,
  })
  .map(({ route, id, query, body, token, headers }): FuzzRequest => {
    const qs = new URLSearchParams(query).toString()
    const paths: Record<string, [FuzzRequest['method'], string]> = {
      status: ['GET', '/admin/status'],
      order: ['GET', `/admin/orders/${id}`],
      events: ['GET', `/admin/events${qs ? `?${qs}` : ''}`],
      event: ['GET', `/admin/events/${id}`],
      replay: ['POST', `/admin/events/${id}/replay`],
      replays: ['POST', '/admin/replays'],
      deletions: ['POST', '/admin/deletions'],
    }
    const [method, path] = paths[route]!
    return { method, path, headers: { 'content-type': 'application/json', ...headers, authorization: `Bearer ${token}` }, body: method === 'POST' ? body : undefined, sign: 'none' }
  })

export const fuzzRequest = fc.oneof(collectRequest, orderRequest, webhookRequest, adminRequest)

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return Math.round(kb / 102.4) / 10
}

interface Answer {
  status: number | undefined
}

function send(base: URL, agent: Agent, r: FuzzRequest): Promise<Answer> {
  const headers: Record<string, string> = { ...r.headers }
  if (r.body !== undefined && r.sign !== 'none') {
    const now = Math.floor(Date.now() / 1000)
    const at = r.sign === 'stale' ? now - 3600 : now
    const signer = r.signer ?? 'orders'
    if (signer === 'orders') headers[SIGNATURE_HEADER] = r.sign === 'garbage' ? 't=1,v1=deadbeef' : signBody(ORDER_SECRET, r.body, at)
    else if (signer === 'stripe') headers['stripe-signature'] = r.sign === 'garbage' ? 't=1,v1=deadbeef' : `t=${at},v1=${createHmac('sha256', WEBHOOK_SECRETS.stripe).update(`${at}.${r.body}`).digest('hex')}`
    else headers[signer === 'shopify' ? 'x-shopify-hmac-sha256' : 'x-wc-webhook-signature'] = r.sign === 'garbage' ? 'deadbeef' : createHmac('sha256', WEBHOOK_SECRETS[signer]).update(r.body).digest('base64')
  }
  if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body))
  return new Promise((resolve) => {
    const req = request(new URL(r.path, base), { method: r.method, headers, agent }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode }))
      res.on('error', () => resolve({ status: res.statusCode }))
    })
    req.on('error', () => resolve({ status: undefined }))
    req.end(r.body)
  })
}

export async function fuzz(options: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now()
  const dir = mkdtempSync(join(tmpdir(), 'clickrelay-fuzz-'))
  const dbPath = join(dir, 'fuzz.db')
  const sandbox = await startTestSandbox()
  const collector = await startChildCollector({
    CLICKRELAY_DB: dbPath,
    CLICKRELAY_EVENTS_API_URL: sandbox.trackUrl,
    CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN,
    CLICKRELAY_SHOPIFY_WEBHOOK_SECRET: WEBHOOK_SECRETS.shopify,
    CLICKRELAY_WOOCOMMERCE_WEBHOOK_SECRET: WEBHOOK_SECRETS.woocommerce,
    CLICKRELAY_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRETS.stripe,
    CLICKRELAY_ACCEPT_TEST_ORDERS: 'true',
    CLICKRELAY_ALLOWED_ORIGINS: 'https://shop.example',
    CLICKRELAY_TRUST_PROXY: 'loopback',
    CLICKRELAY_RATE_LIMIT: '1000000',
    CLICKRELAY_LOG_LEVEL: 'fatal',
  })
  const pid = collector.process.pid!
  let alive = true
  void collector.exited.then(() => (alive = false))
  const base = new URL(collector.url)
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  const statuses: Record<string, number> = {}
  const serverErrors: FuzzResult['serverErrors'] = []
  let noAnswer = 0
  let requests = 0
  let rssStartMb = rssMb(pid)
  const warmup = Math.max(1, Math.floor(options.runs / 10))
  try {
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (r) => {
        const { status } = await send(base, agent, r)
        requests++
        if (requests === warmup) rssStartMb = rssMb(pid)
        if (status === undefined) {
          noAnswer++
          return alive
        }
        const family = `${Math.floor(status / 100)}xx`
        statuses[family] = (statuses[family] ?? 0) + 1
        if (status >= 500 && serverErrors.length < 5) serverErrors.push({ status, method: r.method, path: r.path, body: (r.body ?? '').slice(0, 300) })
        return alive
      }),
      // Failures are collected, not shrunk: the run goes on and reports every 5xx it met.
      { numRuns: options.runs, seed: options.seed, endOnFailure: true },
    )
  } finally {
    agent.destroy()
  }
  const aliveAtEnd = alive
  const rssEndMb = aliveAtEnd ? rssMb(pid) : 0
  collector.process.kill('SIGTERM')
  await collector.exited
  await sandbox.close()
  const db = new Database(dbPath)
  try {
    return {
      requests,
      statuses,
      serverErrors,
      noAnswer,
      alive: aliveAtEnd,
      rssStartMb,
      rssEndMb,
      integrity: (db.pragma('integrity_check', { simple: true }) as string) ?? 'unknown',
      ordersWithoutEvent: (db.prepare(`SELECT COUNT(*) AS n FROM orders o LEFT JOIN events e ON e.order_id = o.order_id WHERE e.id IS NULL`).get() as { n: number }).n,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    }
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
