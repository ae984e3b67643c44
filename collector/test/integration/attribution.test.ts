/** Which click an order gets, with the collector's clock under the test's control. */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { DAY_MS } from '../../src/clock.js'
import { manualClock, postClick, postSignedOrder, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

const clock = manualClock()
let sandbox: TestSandbox
let collector: TestCollector

const order = (orderId: string, visitorId: string) => ({ order_id: orderId, value: 10, currency: 'EUR', visitor_id: visitorId, url: 'https://shop.example/thanks' })
const signedAt = () => ({ timestamp: Math.floor(clock.now() / 1000) })

function attached(orderId: string) {
  const conn = new Database(collector.dbPath, { readonly: true })
  try {
    return conn.prepare(`SELECT c.ttclid, c.ttp, c.captured_at, o.linked_by FROM orders o LEFT JOIN clicks c ON c.id = o.click_id WHERE o.order_id = ?`).get(orderId)
  } finally {
    conn.close()
  }
}

describe('attribution', () => {
  before(async () => {
    sandbox = await startTestSandbox()
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock })
  })
  after(async () => {
    await collector.stop()
    await sandbox.close()
  })

  test('the most recent ttclid wins, attached at the moment it was first captured', async () => {
    const landedAt = clock.now()
    await postClick(collector.url, { v: 'attr_visitor_00001', u: 'https://shop.example/?ttclid=E.C.P.older' })
    clock.advance(DAY_MS)
    const newerAt = clock.now()
    await postClick(collector.url, { v: 'attr_visitor_00001', u: 'https://shop.example/?ttclid=E.C.P.newer' })
    clock.advance(60_000)
    // the same visit again, now with the _ttp the pixel set: not a new click
    await postClick(collector.url, { v: 'attr_visitor_00001', u: 'https://shop.example/?ttclid=E.C.P.newer', p: '2F7h37YkS1j57AYSKTI7IHhJPYH' })
    clock.advance(60_000)
    assert.equal((await postSignedOrder(collector.url, order('attr-1', 'attr_visitor_00001'), signedAt())).status, 201)
    assert.deepEqual(attached('attr-1'), { ttclid: 'E.C.P.newer', ttp: null, captured_at: newerAt, linked_by: 'visitor_id' })
    assert.ok(newerAt > landedAt)
  })

  test('a click older than the attribution window is not attached', async () => {
    await postClick(collector.url, { v: 'attr_visitor_00002', u: 'https://shop.example/?ttclid=E.C.P.expired' })
    clock.advance(29 * DAY_MS)
    assert.equal((await postSignedOrder(collector.url, order('attr-2', 'attr_visitor_00002'), signedAt())).status, 201)
    assert.deepEqual(attached('attr-2'), { ttclid: null, ttp: null, captured_at: null, linked_by: null })
  })

  test('a stranger with no recorded link gets no ttclid, even on the same IP and user agent', async () => {
    await postClick(collector.url, { v: 'attr_visitor_00003', u: 'https://shop.example/?ttclid=E.C.P.someone-else' }, { 'User-Agent': 'Same/1.0' })
    await postClick(collector.url, { v: 'attr_visitor_00004', u: 'https://shop.example/' }, { 'User-Agent': 'Same/1.0' })
    assert.equal((await postSignedOrder(collector.url, order('attr-3', 'attr_visitor_00004'), signedAt())).status, 201)
    assert.deepEqual(attached('attr-3'), { ttclid: null, ttp: null, captured_at: null, linked_by: null })
  })
})
