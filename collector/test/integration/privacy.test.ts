/** Retention and deletion requests, over a real socket and a real SQLite file. */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { DAY_MS } from '../../src/clock.js'
import { scrubEvent } from '../../src/retention.js'
import { eventually, manualClock, postClick, postSignedOrder, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789'
const clock = manualClock()
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
let sandbox: TestSandbox
let collector: TestCollector

function count(table: string, where = '1'): number {
  const conn = new Database(collector.dbPath, { readonly: true })
  try {
    return (conn.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n
  } finally {
    conn.close()
  }
}

const admin = (path: string, body: unknown, token = ADMIN_TOKEN) =>
  fetch(collector.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body) })

describe('privacy', () => {
  before(async () => {
    sandbox = await startTestSandbox()
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN, CLICKRELAY_RETENTION_DAYS: '30' } })
  })
  after(async () => {
    await collector.stop()
    await sandbox.close()
  })

  test('click records older than CLICKRELAY_RETENTION_DAYS are purged, newer ones kept', async () => {
    await postClick(collector.url, { v: 'retention_old_0001', u: 'https://shop.example/?ttclid=E.C.P.old' })
    clock.advance(20 * DAY_MS)
    await postClick(collector.url, { v: 'retention_new_0001', u: 'https://shop.example/?ttclid=E.C.P.new' })
    clock.advance(11 * DAY_MS)
    const report = await collector.store.purgeBefore(clock.now() - 30 * DAY_MS, { now: clock.now(), scrub: scrubEvent })
    assert.deepEqual(report.deleted, { clicks: 1, identities: 0, pixel_receipts: 0, webhook_deliveries: 0 })
    assert.equal(count('clicks', `visitor_id = 'retention_old_0001'`), 0)
    assert.equal(count('clicks', `visitor_id = 'retention_new_0001'`), 1)
  })

  test('a deletion request removes everything linked to the email and reports how much went', async () => {
    const signed = { timestamp: Math.floor(clock.now() / 1000) }
    await postClick(collector.url, { v: 'delete_me_inapp_01', u: 'https://shop.example/?ttclid=E.C.P.delete' })
    await postClick(collector.url, { k: 'i', v: 'delete_me_inapp_01', e: sha('gone@example.com') })
    await postClick(collector.url, { k: 'r', v: 'delete_me_inapp_01', n: 'Purchase', i: 'ord_del-1', o: 'del-1', t: 1 })
    await postClick(collector.url, { v: 'delete_me_desktop1', u: 'https://shop.example/' })
    assert.equal((await postSignedOrder(collector.url, { order_id: 'del-1', value: 5, currency: 'EUR', url: 'https://shop.example/t', visitor_id: 'delete_me_desktop1', email: 'Gone@Example.com' }, signed)).status, 201)
    await postClick(collector.url, { v: 'keep_me_visitor_01', u: 'https://shop.example/?ttclid=E.C.P.keep' })
    await eventually(() => (count('attempts') > 0 ? true : undefined), 3_000, 'the delivery attempt')

    const r = await admin('/admin/deletions', { email: ' GONE@example.com' })
    assert.equal(r.status, 200)
    const { deleted } = (await r.json()) as { deleted: Record<string, number> }
    assert.deepEqual(deleted, { visitors: 2, attempts: 1, events: 1, orders: 1, clicks: 2, identities: 2, pixel_receipts: 1 })
    for (const table of ['clicks', 'identities', 'pixel_receipts', 'orders']) assert.equal(count(table, `${table === 'orders' ? 'visitor_id' : 'visitor_id'} LIKE 'delete_me%'`), 0, table)
    assert.equal(count('clicks', `visitor_id = 'keep_me_visitor_01'`), 1)
  })

  test('the admin API refuses a wrong token and bad requests, and is off without a token', async () => {
    assert.equal((await admin('/admin/deletions', { email: 'a@b.example' }, 'wrong-token')).status, 401)
    const empty = await admin('/admin/deletions', {})
    assert.equal(empty.status, 400)
    assert.match(((await empty.json()) as { error: { message: string } }).error.message, /at least one/)
    assert.equal((await admin('/admin/deletions', { phone: '12' })).status, 400)

    const plain = await startTestCollector({ eventsApiUrl: sandbox.trackUrl })
    try {
      const off = await fetch(plain.url + '/admin/deletions', { method: 'POST', headers: { Authorization: 'Bearer anything' }, body: '{}' })
      assert.equal(off.status, 403)
      assert.equal(((await off.json()) as { error: { code: string } }).error.code, 'admin_disabled')
    } finally {
      await plain.stop()
    }
  })
})
