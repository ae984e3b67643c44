/**
 * An index for every lookup the code does (STYLE: EXPLAIN QUERY PLAN is the test). The plans
 * are those of the statements the SQLite store really prepared, read through explainStatements,
 * not copies: a new statement that scans a table that grows with traffic fails here.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { explainStatements, migrate, openSqliteStore, type StatementPlan } from '../../src/store/sqlite.js'
import type { Store } from '../../src/store/store.js'

/** Tables that grow with traffic. settings, and the temp tables of a deletion request, do not. */
const GROWING = new Set(['clicks', 'orders', 'events', 'attempts', 'identities', 'pixel_receipts'])

/** Statements allowed to scan, and why. Nothing on a hot path belongs here. */
const ALLOWED_SCANS: Array<{ sql: RegExp; why: string }> = [
  { sql: /^SELECT \* FROM attempts ORDER BY id DESC LIMIT 1$/, why: 'walks the rowid b-tree from its end: reads one row' },
  {
    sql: /\(@ids IS NULL OR id IN \(SELECT value FROM json_each\(@ids\)\)\)/,
    why: "admin listing and replay: the operator's filter, every term optional, read in id order up to a limit",
  },
]

/**
 * The hot paths, each named by the statements it must find (so the test cannot pass by finding
 * none): collect, order acceptance with attribution, delivery, /admin/status, and the purge.
 */
const HOT: Array<[string, RegExp]> = [
  ['collect: click', /INSERT INTO clicks\b/],
  ['collect: identify()', /INSERT INTO identities\b/],
  ['collect: pixel receipt', /INSERT INTO pixel_receipts\b/],
  ['order: resend lookup', /FROM orders WHERE event_id = @eventId/],
  ['order: insert', /INSERT INTO orders\b/],
  ['order: outbox event', /INSERT INTO events\b/],
  ['attribution: visitors of an email or phone hash', /FROM identities\s+WHERE[\s\S]*sha256 = @/],
  ['attribution: clicks of a visitor', /FROM clicks\s+WHERE[\s\S]*visitor_id = @visitorId/],
  ['attribution: browsers of a ttclid', /FROM clicks\s+WHERE[\s\S]*ttclid = @ttclid/],
  ['delivery: due events', /status = 'pending' AND next_attempt_at <= @now/],
  ['delivery: lease', /UPDATE events SET status = 'sending'/],
  ['delivery: receipt', /INSERT INTO attempts\b/],
  ['delivery: delivered', /UPDATE events SET status = 'delivered'/],
  ['delivery: next due', /MIN\(CASE status WHEN 'pending'/],
  ['status: clicks since', /FROM clicks WHERE captured_at >= @since/],
  ['status: orders since', /FROM orders WHERE received_at >= @since/],
  ['status: last delivery', /MAX\(delivered_at\)/],
  ['dashboard: latest orders', /WHERE \(o\.received_at, o\.rowid\) < \(@beforeTime, @beforeRow\) ORDER BY/],
  ['dashboard: orders of an email hash', /WHERE o\.email_sha256 = @emailHash/],
  ['dashboard: an order key or event_id', /WHERE o\.order_id = @orderId OR o\.event_id IN/],
  ['purge: clicks', /DELETE FROM clicks WHERE rowid IN/],
  ['purge: identities', /DELETE FROM identities WHERE rowid IN/],
  ['purge: pixel receipts', /DELETE FROM pixel_receipts WHERE rowid IN/],
  ['purge: orders to scrub', /FROM orders\s+WHERE scrubbed_at IS NULL/],
  ['purge: scrub an order', /UPDATE orders SET visitor_id = NULL/],
  ['purge: events of an order', /FROM events WHERE order_id = @orderId/],
  ['purge: scrub a payload', /UPDATE events SET payload = @payload WHERE id = @id/],
  ['collect: first record of an ad click', /visitor_id = @visitorId AND \+?ttclid = @ttclid LIMIT 2/],
  ['collect: pixel pairing probes', /AS paired/],
  ['collect: the order a receipt names', /FROM orders o WHERE o\.event_id = @eventId/],
  ['collect: orders of a browser around an anonymous receipt', /FROM orders o WHERE o\.visitor_id = @visitorId/],
  ['rollups: a daily count', /INSERT INTO daily_counts\b/],
  ['overview: daily counts of a range', /FROM daily_counts WHERE day >= @from/],
  ['overview: events not delivered since', /FROM events WHERE status IN \('pending', 'sending', 'failed', 'expired'\) AND created_at >= @since/],
  ['order page: pixel events of an order', /ORDER BY id LIMIT 50/],
]

/**
 * Statements on a path anyone's browser can drive whose rows an attacker can pile up: each must
 * read the index made for it, not just any index (a shared link's ttclid index made the ad-click
 * check read every browser of a link, each time).
 */
const INDEX_FOR: Array<[string, RegExp, RegExp[]]> = [
  ['collect: first record of an ad click', /visitor_id = @visitorId AND \+?ttclid = @ttclid LIMIT 2/, [/clicks USING INDEX clicks_by_visitor/]],
  ['collect: pixel pairing probes', /AS paired/, [/pixel_receipts USING (COVERING )?INDEX pixel_receipts_by_event_id \(event_id=\? AND event_name=\?\)/, /pixel_receipts_by_order_ref \(order_ref=\? AND event_id/, /pixel_receipts USING (COVERING )?INDEX pixel_receipts_anonymous \(visitor_id=\? AND event_name=\? AND received_at>\? AND received_at<\?\)/]],
  ['order page: pixel events of an order', /ORDER BY id LIMIT 50/, [/pixel_receipts_by_event_id/, /pixel_receipts_by_order_ref/, /pixel_receipts_anonymous/]],
  ['overview: events not delivered since', /status IN \('pending', 'sending', 'failed', 'expired'\) AND created_at >= @since/, [/events USING COVERING INDEX events_by_status_creation \(status=\? AND created_at>\?\)/]],
]

const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim()

/** The table behind each name or alias a statement reads or writes ("orders o" makes o mean orders). */
function tablesByName(sql: string): Map<string, string> {
  const names = new Map<string, string>()
  for (const m of sql.matchAll(/\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?/gi)) {
    names.set(m[1]!, m[1]!)
    if (m[2] && !/^(WHERE|SET|ON|LEFT|INNER|JOIN|ORDER|GROUP|LIMIT|VALUES|SELECT|USING|AS|DEFAULT|WITH)$/i.test(m[2])) names.set(m[2], m[1]!)
  }
  return names
}

/** The plan lines that read a growing table whole: "SCAN clicks", with or without an index to walk. */
function fullScans({ sql, plan }: StatementPlan): string[] {
  const names = tablesByName(sql)
  return plan.filter((line) => {
    const m = /^SCAN (\w+)/.exec(line)
    return m !== null && GROWING.has(names.get(m[1]!) ?? m[1]!)
  })
}

describe('query plans', () => {
  let store: Store
  let plans: StatementPlan[]
  before(() => {
    store = openSqliteStore(':memory:')
    plans = explainStatements(store)
  })
  after(() => store.close())

  test('every statement on a hot path is found, and none reads a growing table whole', () => {
    const problems: string[] = []
    for (const [path, pattern] of HOT) {
      const found = plans.filter((p) => pattern.test(oneLine(p.sql)))
      if (found.length === 0) problems.push(`${path}: no statement matches ${pattern} (renamed? update HOT)`)
      for (const p of found) {
        const scans = fullScans(p)
        if (scans.length) problems.push(`${path}: ${scans.join(', ')}\n    in ${oneLine(p.sql)}\n    plan: ${p.plan.join(' | ')}`)
      }
    }
    assert.deepEqual(problems, [])
  })

  test('what a stranger can pile up is read through the index made for it', () => {
    const problems: string[] = []
    for (const [path, pattern, indexes] of INDEX_FOR) {
      const found = plans.filter((plan) => pattern.test(oneLine(plan.sql)))
      if (found.length === 0) problems.push(`${path}: no statement matches ${pattern} (renamed? update INDEX_FOR)`)
      for (const p of found) {
        const plan = p.plan.join(' | ')
        for (const index of indexes) if (!index.test(plan)) problems.push(`${path}: expected ${index}\n    plan: ${plan}`)
      }
    }
    assert.deepEqual(problems, [])
  })

  test('no statement at all scans a growing table, but the few listed with a reason', () => {
    const problems = plans
      .filter((p) => fullScans(p).length > 0 && !ALLOWED_SCANS.some((allowed) => allowed.sql.test(oneLine(p.sql))))
      .map((p) => `${fullScans(p).join(', ')}\n    in ${oneLine(p.sql)}\n    plan: ${p.plan.join(' | ')}`)
    assert.deepEqual(problems, [])
  })

  test('deleting a click looks its orders up through an index (ON DELETE SET NULL), not once per order', () => {
    const purge = plans.find((p) => /DELETE FROM clicks WHERE rowid IN/.test(oneLine(p.sql)))
    assert.ok(purge, 'the purge statement for clicks')
    assert.ok(
      purge.plan.some((line) => /^SEARCH orders USING (COVERING )?INDEX \w+ \(click_id=\?\)/.test(line)),
      purge.plan.join(' | '),
    )
  })

  test('every foreign key has an index on its child column', () => {
    const db = new Database(':memory:')
    try {
      migrate(db)
      const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[]
      const unindexed: string[] = []
      let keys = 0
      for (const table of tables) {
        for (const fk of db.pragma(`foreign_key_list(${table})`) as Array<{ table: string; from: string }>) {
          keys++
          const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT 1 FROM ${table} WHERE ${fk.from} = ?`).all(null) as Array<{ detail: string }>).map((r) => r.detail)
          if (!plan.some((line) => line.startsWith(`SEARCH ${table} USING`))) unindexed.push(`${table}.${fk.from} -> ${fk.table}: ${plan.join(' | ')}`)
        }
      }
      assert.ok(keys >= 3, `found ${keys} foreign keys`)
      assert.deepEqual(unindexed, [])
    } finally {
      db.close()
    }
  })
})
