/**
 * The SQLite implementation of Store (better-sqlite3, WAL). Schema and migrations are the
 * numbered .sql files in collector/sql, applied in order against PRAGMA user_version.
 * Statements are prepared once, here, with named @params.
 */
import Database from 'better-sqlite3'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SQL_DIR } from '../paths.js'
import type { TikTokEvent } from '../tiktok/types.js'
import type { AcceptedOrder, Attribution, AttributionWindow, BuildEvent, Click, ClickInput, DeliveryOutcome, IdentityInput, OrderInput, OutboxEvent, PixelReceiptInput, QueueStats, Store } from './store.js'

export function migrate(db: Database.Database, dir = SQL_DIR): number {
  const files = readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
  let version = db.pragma('user_version', { simple: true }) as number
  for (const file of files) {
    const number = Number(file.slice(0, 3))
    if (number <= version) continue
    const sql = readFileSync(join(dir, file), 'utf8')
    db.transaction(() => {
      db.exec(sql)
      db.pragma(`user_version = ${number}`)
    })()
    version = number
  }
  return version
}

interface ClickRow {
  id: number
  visitor_id: string
  ttclid: string | null
  ttp: string | null
  utm_source: string | null
  utm_medium: string | null
  utm_campaign: string | null
  utm_content: string | null
  utm_term: string | null
  landing_url: string
  referrer: string | null
  in_app: number
  ip: string | null
  user_agent: string | null
  captured_at: number
}

interface EventRow {
  id: number
  destination: string
  event_name: string
  event_id: string
  payload: string
  test_event_code: string | null
  attempts: number
  created_at: number
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v)

function toClick(row: ClickRow): Click {
  const utm: Click['utm'] = {}
  for (const key of ['source', 'medium', 'campaign', 'content', 'term'] as const) {
    const v = row[`utm_${key}`]
    if (v !== null) utm[key] = v
  }
  return {
    id: row.id,
    visitorId: row.visitor_id,
    ttclid: opt(row.ttclid),
    ttp: opt(row.ttp),
    utm,
    landingUrl: row.landing_url,
    referrer: opt(row.referrer),
    inApp: row.in_app === 1,
    ip: opt(row.ip),
    userAgent: opt(row.user_agent),
    capturedAt: row.captured_at,
  }
}

export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  migrate(db)

  const insertClick = db.prepare(`
    INSERT INTO clicks (visitor_id, ttclid, ttp, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
                        landing_url, referrer, in_app, ip, user_agent, captured_at)
    VALUES (@visitorId, @ttclid, @ttp, @utm_source, @utm_medium, @utm_campaign, @utm_content, @utm_term,
            @landingUrl, @referrer, @inApp, @ip, @userAgent, @capturedAt)`)
  // An order is known by its event_id: keys the contract treats as one ("#1001" and "1001") are one order.
  const upsertIdentity = db.prepare(`
    INSERT INTO identities (visitor_id, kind, sha256, first_seen, last_seen) VALUES (@visitorId, @kind, @hash, @at, @at)
    ON CONFLICT (visitor_id, kind, sha256) DO UPDATE SET last_seen = excluded.last_seen`)
  const insertReceipt = db.prepare(`
    INSERT INTO pixel_receipts (visitor_id, event_name, event_id, order_key, client_time, received_at)
    VALUES (@visitorId, @eventName, @eventId, @orderKey, @clientTime, @receivedAt)`)
  const saveIdentityTx = db.transaction((identity: IdentityInput) => {
    if (identity.emailHash) upsertIdentity.run({ visitorId: identity.visitorId, kind: 'email', hash: identity.emailHash, at: identity.seenAt })
    if (identity.phoneHash) upsertIdentity.run({ visitorId: identity.visitorId, kind: 'phone', hash: identity.phoneHash, at: identity.seenAt })
  })
  const findOrder = db.prepare<{ eventId: string }, { order_id: string; event_id: string }>(`SELECT order_id, event_id FROM orders WHERE event_id = @eventId`)
  // The most recent ttclid, and the moment it was first captured: later records of the same
  // visit (a _ttp that appeared, a reload) repeat the ttclid but are not the click.
  const latestClickWithTtclid = db.prepare<{ visitorId: string; from: number; to: number }, ClickRow>(`
    SELECT * FROM clicks
    WHERE visitor_id = @visitorId AND captured_at BETWEEN @from AND @to
      AND ttclid = (SELECT ttclid FROM clicks
                    WHERE visitor_id = @visitorId AND ttclid IS NOT NULL AND captured_at BETWEEN @from AND @to
                    ORDER BY captured_at DESC, id DESC LIMIT 1)
    ORDER BY captured_at, id LIMIT 1`)
  const latestClickWithTtp = db.prepare<{ visitorId: string; from: number; to: number }, ClickRow>(`
    SELECT * FROM clicks
    WHERE visitor_id = @visitorId AND ttp IS NOT NULL AND captured_at BETWEEN @from AND @to
    ORDER BY captured_at DESC, id DESC LIMIT 1`)
  const latestClick = db.prepare<{ visitorId: string; to: number }, ClickRow>(`
    SELECT * FROM clicks WHERE visitor_id = @visitorId AND captured_at <= @to
    ORDER BY captured_at DESC, id DESC LIMIT 1`)
  const insertOrder = db.prepare(`
    INSERT INTO orders (order_id, event_id, visitor_id, email_sha256, phone_sha256, value, currency, event_time_s, click_id, linked_by, received_at)
    VALUES (@orderId, @eventId, @visitorId, @emailHash, @phoneHash, @value, @currency, @eventTimeS, @clickId, @linkedBy, @receivedAt)`)
  const insertEvent = db.prepare(`
    INSERT INTO events (destination, event_name, event_id, order_id, payload, test_event_code, next_attempt_at, created_at)
    VALUES ('tiktok', @eventName, @eventId, @orderId, @payload, @testEventCode, @now, @now)`)
  const selectDue = db.prepare<{ now: number; limit: number }, EventRow>(`
    SELECT id, destination, event_name, event_id, payload, test_event_code, attempts, created_at FROM events
    WHERE (status = 'pending' AND next_attempt_at <= @now) OR (status = 'sending' AND lease_until <= @now)
    ORDER BY next_attempt_at, id LIMIT @limit`)
  const lease = db.prepare(`UPDATE events SET status = 'sending', lease_until = @leaseUntil, attempts = attempts + 1 WHERE id = @id`)
  const insertAttempt = db.prepare(`
    INSERT INTO attempts (event_row, started_at, duration_ms, batch_size, http_status, code, message, request_id)
    VALUES (@id, @startedAt, @durationMs, @batchSize, @httpStatus, @code, @message, @requestId)`)
  const markDelivered = db.prepare(`UPDATE events SET status = 'delivered', delivered_at = @now, lease_until = NULL, last_error = NULL WHERE id = @id`)
  const markRetry = db.prepare(`UPDATE events SET status = 'pending', next_attempt_at = @nextAttemptAt, lease_until = NULL, last_error = @message WHERE id = @id`)
  const markFailed = db.prepare(`UPDATE events SET status = 'failed', lease_until = NULL, last_error = @message WHERE id = @id`)
  const nextDue = db.prepare<[], { at: number | null }>(`
    SELECT MIN(CASE status WHEN 'pending' THEN next_attempt_at ELSE lease_until END) AS at
    FROM events WHERE status IN ('pending', 'sending')`)
  const stats = db.prepare<[], { waiting: number; oldest: number | null }>(`
    SELECT COUNT(*) AS waiting, MIN(created_at) AS oldest FROM events WHERE status IN ('pending', 'sending')`)

  function attribute(order: OrderInput, window: AttributionWindow): Attribution {
    if (!order.visitorId) return { click: undefined, linkedBy: undefined, ttp: undefined, lastSeen: undefined }
    const range = { visitorId: order.visitorId, ...window }
    const click = latestClickWithTtclid.get(range)
    const ttp = latestClickWithTtp.get(range)
    const last = latestClick.get({ visitorId: order.visitorId, to: window.to })
    return {
      click: click && toClick(click),
      linkedBy: click ? 'visitor_id' : undefined,
      ttp: opt(ttp?.ttp ?? null),
      lastSeen: last && toClick(last),
    }
  }

  const acceptOrderTx = db.transaction((order: OrderInput, window: AttributionWindow, build: BuildEvent, testEventCode: string | undefined): AcceptedOrder => {
    const existing = findOrder.get({ eventId: order.eventId })
    if (existing) return { created: false, orderId: existing.order_id, eventId: existing.event_id }
    const attribution = attribute(order, window)
    const event = build(order, attribution)
    insertOrder.run({
      ...order,
      clickId: attribution.click?.id ?? null,
      linkedBy: attribution.linkedBy ?? null,
      visitorId: order.visitorId ?? null,
      emailHash: order.emailHash ?? null,
      phoneHash: order.phoneHash ?? null,
    })
    insertEvent.run({ eventName: event.event, eventId: event.event_id, orderId: order.orderId, payload: JSON.stringify(event), testEventCode: testEventCode ?? null, now: order.receivedAt })
    return { created: true, orderId: order.orderId, eventId: event.event_id }
  })

  const claimTx = db.transaction((now: number, limit: number, leaseUntil: number): OutboxEvent[] => {
    const rows = selectDue.all({ now, limit })
    for (const row of rows) lease.run({ id: row.id, leaseUntil })
    return rows.map((row) => ({
      id: row.id,
      destination: row.destination,
      eventName: row.event_name,
      eventId: row.event_id,
      payload: JSON.parse(row.payload) as TikTokEvent,
      testEventCode: opt(row.test_event_code),
      attempts: row.attempts + 1,
      createdAt: row.created_at,
    }))
  })

  const recordTx = db.transaction((outcomes: DeliveryOutcome[], now: number) => {
    for (const outcome of outcomes) {
      const { attempt } = outcome
      insertAttempt.run({ id: outcome.id, ...attempt, httpStatus: attempt.httpStatus ?? null, code: attempt.code ?? null, requestId: attempt.requestId ?? null })
      if (outcome.status === 'delivered') markDelivered.run({ id: outcome.id, now })
      else if (outcome.status === 'retry') markRetry.run({ id: outcome.id, nextAttemptAt: outcome.nextAttemptAt, message: attempt.message })
      else markFailed.run({ id: outcome.id, message: attempt.message })
    }
  })

  return {
    async saveClick(click: ClickInput) {
      insertClick.run({
        visitorId: click.visitorId,
        ttclid: click.ttclid ?? null,
        ttp: click.ttp ?? null,
        utm_source: click.utm.source ?? null,
        utm_medium: click.utm.medium ?? null,
        utm_campaign: click.utm.campaign ?? null,
        utm_content: click.utm.content ?? null,
        utm_term: click.utm.term ?? null,
        landingUrl: click.landingUrl,
        referrer: click.referrer ?? null,
        inApp: click.inApp ? 1 : 0,
        ip: click.ip ?? null,
        userAgent: click.userAgent ?? null,
        capturedAt: click.capturedAt,
      })
    },
    async saveIdentity(identity: IdentityInput) {
      saveIdentityTx(identity)
    },
    async savePixelReceipt(r: PixelReceiptInput) {
      insertReceipt.run({ ...r, eventId: r.eventId ?? null, orderKey: r.orderKey ?? null, clientTime: r.clientTime ?? null })
    },
    async acceptOrder(order, window, build, testEventCode) {
      return acceptOrderTx.immediate(order, window, build, testEventCode)
    },
    async claimDueEvents(now, limit, leaseUntil) {
      return claimTx.immediate(now, limit, leaseUntil)
    },
    async recordOutcomes(outcomes, now) {
      recordTx.immediate(outcomes, now)
    },
    async nextDueAt() {
      return opt(nextDue.get()?.at ?? null)
    },
    async queueStats(): Promise<QueueStats> {
      const row = stats.get()
      return { waiting: row?.waiting ?? 0, oldestWaitingSince: opt(row?.oldest ?? null) }
    },
    async close() {
      db.close()
    },
  }
}
