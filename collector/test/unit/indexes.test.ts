/** The lookups /admin/status makes by time use an index, not a scan of a year of data (STYLE: EXPLAIN QUERY PLAN is the test). */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { migrate } from '../../src/store/sqlite.js'

const plan = (db: Database.Database, sql: string) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ since: 0 }) as Array<{ detail: string }>).map((row) => row.detail).join('; ')

test('clicks and orders since a time, and the last delivery, are read through indexes', () => {
  const db = new Database(':memory:')
  try {
    migrate(db)
    assert.match(plan(db, `SELECT COUNT(*), SUM(ttclid IS NOT NULL) FROM clicks WHERE captured_at >= @since`), /USING (COVERING )?INDEX clicks_by_time/)
    assert.match(plan(db, `SELECT COUNT(*), SUM(linked_by IS NOT NULL) FROM orders WHERE received_at >= @since`), /USING (COVERING )?INDEX orders_by_time/)
    assert.match(plan(db, `SELECT MAX(delivered_at) FROM events WHERE delivered_at IS NOT NULL`), /USING (COVERING )?INDEX events_by_delivery/)
  } finally {
    db.close()
  }
})
