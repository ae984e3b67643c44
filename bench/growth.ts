/**
 * Months of data: 1,000,000 click records and 100,000 orders with their events and receipts,
 * spread over 120 days, in a real SQLite file migrated as the collector does. Prints:
 *   - bytes on disk per click (the whole file, and the clicks table with its indexes);
 *   - p50/p99 of order acceptance with attribution: the store's acceptOrder called as POST /orders
 *     calls it (same window, same event builder), without HTTP, for orders whose buyers have clicks,
 *     identities and earlier orders in the database; back to back, then 1 ms apart;
 *   - the retention purge at 90 days: rows deleted and scrubbed, its steps (p50, p99) and the
 *     longest one: how long the purge held the database at most;
 *   - migration 010 (the Overview's daily counts of data already there) over it, and the
 *     dashboard's Overview rendered by a real collector over HTTP, for each range: p50, p99, max
 *     (goal: within 200 ms). GROWTH_SPAN_DAYS=28 puts all of it in the 28-day range.
 * The data is written directly with prepared inserts in one transaction (not over HTTP), so it
 * takes seconds. Sizes come from the environment for quick runs:
 *
 *   npm run bench -- growth
 *   GROWTH_CLICKS=100000 GROWTH_ORDERS=10000 npm run bench -- growth
 *   (also GROWTH_SAMPLES orders timed in each run, default 5000; GROWTH_CHUNK purge rows per step;
 *   GROWTH_OVERVIEW_ONLY=1 stops after the Overview;
 *   GROWTH_KEEP=1 keeps the file; GROWTH_TRACE=1 lists the slow orders and steps by index)
 */
import Database from 'better-sqlite3'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DAY_MS } from '../collector/src/clock.js'
import { loadConfig } from '../collector/src/config.js'
import { createLogger } from '../collector/src/log.js'
import { startCollector } from '../collector/src/server.js'
import { SQL_DIR } from '../collector/src/paths.js'
import { scrubEvent } from '../collector/src/retention.js'
import { openSqliteStore } from '../collector/src/store/sqlite.js'
import type { Attribution, Click, OrderInput } from '../collector/src/store/store.js'
import { buildOrderEvent } from '../collector/src/tiktok/payload.js'

const CLICKS = Number(process.env.GROWTH_CLICKS ?? 1_000_000)
const ORDERS = Number(process.env.GROWTH_ORDERS ?? 100_000)
const SAMPLES = Number(process.env.GROWTH_SAMPLES ?? 5_000)
const CHUNK = process.env.GROWTH_CHUNK ? Number(process.env.GROWTH_CHUNK) : undefined
const SPAN_DAYS = Number(process.env.GROWTH_SPAN_DAYS ?? 120)
const RETENTION_DAYS = 90
const CLICK_WINDOW_DAYS = 28
const CLOCK_SKEW_MS = 10 * 60_000
const WARMUP = 200

const END = Date.UTC(2026, 5, 1)
const START = END - SPAN_DAYS * DAY_MS
const dir = mkdtempSync(join(tmpdir(), 'clickrelay-growth-'))
const dbPath = join(dir, 'growth.db')

// Deterministic randomness, so two runs build the same database.
let seed = 42
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
  return seed / 2_147_483_648
}
const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!
const token = (length: number) => randomBytes(Math.ceil((length * 3) / 4)).toString('base64url').slice(0, length)
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const UAS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_34.1.0 BytedanceWebview/d8a21c6',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
]

interface Visitor {
  id: string
  email: string | undefined
  lastClick: Click | undefined
}

/** Visitors seen lately: most clicks and orders come from them, so a buyer's evidence is near in time. */
const RECENT = 20_000
const recent: Visitor[] = []
let nextRecent = 0
const newVisitor = (): Visitor => {
  const visitor: Visitor = { id: token(22), email: random() < 0.3 ? sha(`buyer-${token(8)}@example.com`) : undefined, lastClick: undefined }
  if (recent.length < RECENT) recent.push(visitor)
  else recent[nextRecent++ % RECENT] = visitor
  return visitor
}
const someVisitor = () => (recent.length > 100 && random() < 0.6 ? pick(recent) : newVisitor())

function build(): { clicks: number; orders: number; seconds: number } {
  const started = performance.now()
  openSqliteStore(dbPath).close() // migrations, as the collector applies them
  const db = new Database(dbPath)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')
  const insertClick = db.prepare(`
    INSERT INTO clicks (visitor_id, ttclid, ttp, utm_source, utm_medium, utm_campaign, utm_content, utm_term, landing_url, referrer, in_app, ip, user_agent, captured_at)
    VALUES (@visitorId, @ttclid, @ttp, @source, @medium, @campaign, NULL, NULL, @landingUrl, NULL, @inApp, @ip, @userAgent, @capturedAt)`)
  const insertIdentity = db.prepare(`
    INSERT INTO identities (visitor_id, kind, sha256, first_seen, last_seen) VALUES (@visitorId, 'email', @hash, @at, @at)
    ON CONFLICT (visitor_id, kind, sha256) DO UPDATE SET last_seen = excluded.last_seen`)
  const insertOrder = db.prepare(`
    INSERT INTO orders (order_id, event_id, visitor_id, email_sha256, phone_sha256, value, currency, event_time_s, click_id, linked_by, received_at)
    VALUES (@orderId, @eventId, @visitorId, @emailHash, NULL, @value, 'USD', @eventTimeS, @clickId, @linkedBy, @receivedAt)`)
  const insertEvent = db.prepare(`
    INSERT INTO events (event_name, event_id, order_id, payload, status, attempts, next_attempt_at, created_at, delivered_at)
    VALUES ('Purchase', @eventId, @orderId, @payload, 'delivered', 1, @at, @at, @at)`)
  const insertAttempt = db.prepare(`
    INSERT INTO attempts (event_row, started_at, duration_ms, batch_size, http_status, code, message, request_id)
    VALUES (@eventRow, @at, 180, 100, 200, 0, 'OK', @requestId)`)
  const insertReceipt = db.prepare(`
    INSERT INTO pixel_receipts (visitor_id, event_name, event_id, order_key, client_time, received_at) VALUES (@visitorId, 'Purchase', @eventId, @orderId, @at, @at)`)

  let orders = 0
  let sharedTtclid = ''
  db.transaction(() => {
    for (let i = 0; i < CLICKS; i++) {
      const at = START + Math.floor((i / CLICKS) * SPAN_DAYS * DAY_MS)
      const visitor = someVisitor()
      // 40% of records carry an ad click; one in twenty of those is a link opened in several browsers.
      const ad = random() < 0.4
      if (ad && random() > 0.05) sharedTtclid = 'E.C.P.' + token(120)
      const ttclid = ad ? sharedTtclid : null
      const userAgent = pick(UAS)
      const click = {
        visitorId: visitor.id,
        ttclid,
        ttp: random() < 0.5 ? `${token(27)}.${Math.floor(at / 1000)}` : null,
        source: ad ? 'tiktok' : null,
        medium: ad ? 'paid' : null,
        campaign: ad ? `summer-${i % 40}` : null,
        landingUrl: `https://shop.example/products/item-${i % 5000}` + (ad ? `?utm_source=tiktok&utm_medium=paid&ttclid=${ttclid}` : ''),
        inApp: userAgent.includes('musical_ly') ? 1 : 0,
        ip: `198.51.${i % 256}.${(i >> 8) % 256}`,
        userAgent,
        capturedAt: at,
      }
      const id = Number(insertClick.run(click).lastInsertRowid)
      visitor.lastClick = { id, visitorId: visitor.id, ttclid: ttclid ?? undefined, ttp: click.ttp ?? undefined, utm: {}, landingUrl: click.landingUrl, referrer: undefined, inApp: click.inApp === 1, ip: click.ip, userAgent, capturedAt: at }
      if (visitor.email && random() < 0.2) insertIdentity.run({ visitorId: visitor.id, hash: visitor.email, at })

      // Orders arrive among the clicks, from visitors seen lately.
      while (orders < ((i + 1) * ORDERS) / CLICKS) {
        const buyer = pick(recent)
        const orderId = `ord-${orders++}`
        const order: OrderInput = {
          orderId,
          eventName: 'Purchase',
          eventId: `ord_${orderId}`,
          visitorId: buyer.id,
          emailHash: buyer.email,
          phoneHash: undefined,
          value: 20 + (orders % 200),
          currency: 'USD',
          contents: [{ content_id: `sku-${orders % 5000}`, quantity: 1, price: 20 + (orders % 200) }],
          ip: undefined,
          userAgent: undefined,
          url: `https://shop.example/checkout/thank-you/${orderId}`,
          eventTimeS: Math.floor(at / 1000),
          receivedAt: at,
        }
        const attribution: Attribution = { click: buyer.lastClick?.ttclid ? buyer.lastClick : undefined, linkedBy: buyer.lastClick?.ttclid ? 'visitor_id' : undefined, ttp: buyer.lastClick?.ttp, lastSeen: buyer.lastClick }
        const event = buildOrderEvent(order, attribution)
        insertOrder.run({ ...order, emailHash: order.emailHash ?? null, clickId: attribution.click?.id ?? null, linkedBy: attribution.linkedBy ?? null })
        if (buyer.email) insertIdentity.run({ visitorId: buyer.id, hash: buyer.email, at })
        const eventRow = insertEvent.run({ eventId: order.eventId, orderId, payload: JSON.stringify(event), at }).lastInsertRowid
        insertAttempt.run({ eventRow, at: at + 1000, requestId: token(32) })
        if (random() < 0.5) insertReceipt.run({ visitorId: buyer.id, eventId: order.eventId, orderId, at })
      }
    }
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  return { clicks: CLICKS, orders, seconds: (performance.now() - started) / 1000 }
}

function sizes(): { fileBytes: number; clickBytes: number } {
  const db = new Database(dbPath, { readonly: true })
  try {
    const clickBytes = db
      .prepare(`SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name = 'clicks' OR name IN (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'clicks')`)
      .pluck()
      .get() as number
    return { fileBytes: statSync(dbPath).size, clickBytes }
  } finally {
    db.close()
  }
}

/** Migration 010 over the data written above, as a database that held it before 009 is migrated; seconds. */
function backfillDailyCounts(): number {
  const db = new Database(dbPath)
  try {
    db.exec('DELETE FROM daily_counts; UPDATE orders SET pixel_pairing = NULL')
    const started = performance.now()
    db.exec(readFileSync(join(SQL_DIR, '010_daily_rollups_backfill.sql'), 'utf8'))
    return (performance.now() - started) / 1000
  } finally {
    db.close()
  }
}

/** GET /admin/?range= from a collector on this database, its clock at the end of the data: p50, p99, max in ms. */
async function timeOverview(): Promise<void> {
  const ADMIN = 'bench-admin-token-0123456789abcdef'
  const config = loadConfig({ PORT: '0', CLICKRELAY_HOST: '127.0.0.1', CLICKRELAY_DB: dbPath, CLICKRELAY_ADMIN_TOKEN: ADMIN, CLICKRELAY_RETENTION_DAYS: '3650', CLICKRELAY_LOG_LEVEL: 'silent' })
  const collector = await startCollector(config, { log: createLogger('silent'), clock: { now: () => END - 1 } })
  try {
    for (const range of ['28d', '7d', 'today']) {
      const latencies: number[] = []
      let figures = ''
      for (let n = 0; n < 55; n++) {
        const started = performance.now()
        const response = await fetch(`${collector.url}/admin/?range=${range}`, { headers: { Authorization: `Bearer ${ADMIN}` } })
        const html = await response.text()
        const took = performance.now() - started
        if (response.status !== 200) throw new Error(`GET /admin/?range=${range}: ${response.status}`)
        if (n >= 5) latencies.push(took)
        figures = ['orders', 'ad_clicks', 'delivery.delivered'].map((name) => `${name} ${new RegExp(`data-figure="${name.replace('.', '\\.')}">([^<]*)<`).exec(html)?.[1]}`).join(', ')
      }
      latencies.sort((a, b) => a - b)
      console.log(`Overview, range ${range} (${figures}): p50 ${ms(percentile(latencies, 0.5))} ms, p99 ${ms(percentile(latencies, 0.99))} ms, max ${ms(latencies.at(-1)!)} ms over HTTP (goal: <= 200 ms)`)
    }
  } finally {
    await collector.stop()
  }
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
const ms = (n: number) => n.toFixed(3)

try {
  const built = build()
  const { fileBytes, clickBytes } = sizes()
  console.log(`built ${built.clicks.toLocaleString('en')} clicks and ${built.orders.toLocaleString('en')} orders over ${SPAN_DAYS} days in ${built.seconds.toFixed(1)} s`)
  console.log(
    `bytes on disk per click: ${Math.round(fileBytes / built.clicks)} (whole file, ${(fileBytes / 1e6).toFixed(0)} MB, orders and events included); ${Math.round(clickBytes / built.clicks)} for the clicks table and its indexes`,
  )

  console.log(`migration 010 (the daily counts of data already there): ${backfillDailyCounts().toFixed(1)} s`)
  await timeOverview()
  if (!process.env.GROWTH_OVERVIEW_ONLY) {
    const store = openSqliteStore(dbPath)
    try {
      // Orders as POST /orders makes them, after the data: buyers seen lately, some with an email.
      // First back to back (the worst case: no pause for the log to be checkpointed in), then with
      // 1 ms between orders, still several hundred a second.
      let next = 0
      async function timeOrders(label: string, gapMs: number) {
        const latencies: number[] = []
        for (let n = 0; n < SAMPLES + WARMUP; n++) {
          if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs))
          const buyer = random() < 0.9 ? pick(recent) : newVisitor()
          const orderId = `timed-${next++}`
          const receivedAt = END + next
          const order: OrderInput = {
            orderId,
            eventName: 'Purchase',
            eventId: `ord_${orderId}`,
            visitorId: random() < 0.85 ? buyer.id : undefined,
            emailHash: buyer.email ?? (random() < 0.5 ? sha(`guest-${next}@example.com`) : undefined),
            phoneHash: undefined,
            value: 49.9,
            currency: 'USD',
            contents: [{ content_id: 'sku-1', quantity: 1, price: 49.9 }],
            ip: '203.0.113.5',
            userAgent: UAS[0],
            url: `https://shop.example/checkout/thank-you/${orderId}`,
            eventTimeS: Math.floor(receivedAt / 1000),
            receivedAt,
          }
          const orderTime = order.eventTimeS * 1000
          const started = performance.now()
          const accepted = await store.acceptOrder(order, { from: orderTime - CLICK_WINDOW_DAYS * DAY_MS, to: orderTime + CLOCK_SKEW_MS }, buildOrderEvent, undefined)
          const took = performance.now() - started
          if (!accepted.created) throw new Error(`order ${orderId} not created`)
          if (n >= WARMUP) latencies.push(took)
        }
        if (process.env.GROWTH_TRACE) console.log(latencies.map((took, i) => `${i}:${took.toFixed(1)}`).filter((_, i) => latencies[i]! > 2).join(' '))
        latencies.sort((a, b) => a - b)
        console.log(`order acceptance with attribution (store.acceptOrder as POST /orders calls it, no HTTP), ${SAMPLES} orders ${label}: p50 ${ms(percentile(latencies, 0.5))} ms, p99 ${ms(percentile(latencies, 0.99))} ms, max ${ms(latencies.at(-1)!)} ms (goal: p99 <= 2 ms)`)
      }
      await timeOrders('back to back', 0)
      await timeOrders('1 ms apart', 1)

      const started = performance.now()
      const steps: number[] = []
      const report = await store.purgeBefore(END - RETENTION_DAYS * DAY_MS, { now: END, scrub: scrubEvent, chunkSize: CHUNK, onStep: (took) => steps.push(took) })
      if (process.env.GROWTH_TRACE) console.log(steps.map((took, i) => `${i}:${took.toFixed(1)}`).filter((_, i) => steps[i]! > 5).join(' '))
      steps.sort((a, b) => a - b)
      const seconds = (performance.now() - started) / 1000
      const total = (counts: Record<string, number>) => Object.entries(counts).map(([k, v]) => `${v.toLocaleString('en')} ${k}`).join(', ')
      console.log(`retention purge at ${RETENTION_DAYS} days: deleted ${total(report.deleted)}; scrubbed ${total(report.scrubbed)}; ${report.steps.toLocaleString('en')} steps in ${seconds.toFixed(1)} s; step p50 ${ms(percentile(steps, 0.5))} ms, p99 ${ms(percentile(steps, 0.99))} ms, longest ${ms(report.longestStepMs)} ms (goal: <= 10 ms)`)
    } finally {
      await store.close()
    }
  }
} finally {
  if (process.env.GROWTH_KEEP) console.log(`kept ${dbPath}`)
  else rmSync(dir, { recursive: true, force: true })
}
