/** Which click an order gets, with the collector's clock under the test's control. */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { eventId } from '../../../common/event-id.js'
import { DAY_MS } from '../../src/clock.js'
import { createHash } from 'node:crypto'
import { eventually, manualClock, postClick, postSignedOrder, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

const clock = manualClock()
let sandbox: TestSandbox
let collector: TestCollector

const order = (orderId: string, visitorId: string | undefined, extra: Record<string, unknown> = {}) => ({ order_id: orderId, value: 10, currency: 'EUR', visitor_id: visitorId, url: 'https://shop.example/thanks', ...extra })
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const IN_APP = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 musical_ly_35.1.0 BytedanceWebview/d8a21c6'
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const signedAt = () => ({ timestamp: Math.floor(clock.now() / 1000) })

function attached(orderId: string) {
  const conn = new Database(collector.dbPath, { readonly: true })
  try {
    return conn.prepare(`SELECT c.ttclid, c.ttp, c.captured_at, o.linked_by FROM orders o LEFT JOIN clicks c ON c.id = o.click_id WHERE o.order_id = ?`).get(orderId) as Record<string, unknown>
  } finally {
    conn.close()
  }
}

describe('attribution', () => {
  before(async () => {
    sandbox = await startTestSandbox()
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_ADMIN_TOKEN: 'admin-token-for-tests-0123456789' } })
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

  test('in-app, then Safari on the same link: the Safari order carries the in-app click, linked by ttclid', async () => {
    const clickedAt = clock.now()
    await postClick(collector.url, { v: 'inapp_visitor_0001', u: 'https://shop.example/p/jacket?ttclid=E.C.P.hop' }, { 'User-Agent': IN_APP })
    clock.advance(90_000)
    await postClick(collector.url, { v: 'safari_visitor_001', u: 'https://shop.example/p/jacket?ttclid=E.C.P.hop' }, { 'User-Agent': SAFARI })
    clock.advance(600_000)
    assert.equal((await postSignedOrder(collector.url, order('hop-1', 'safari_visitor_001', { user_agent: SAFARI }), signedAt())).status, 201)
    assert.deepEqual(attached('hop-1'), { ttclid: 'E.C.P.hop', ttp: null, captured_at: clickedAt, linked_by: 'ttclid' })
    const server = await eventually(() => sandbox.sandbox.received().find((e) => e.eventId === 'ord_hop-1'), 3_000, 'the server event')
    assert.deepEqual((server.payload as { user: object }).user, { ttclid: 'E.C.P.hop', external_id: [sha('safari_visitor_001')], ip: '127.0.0.1', user_agent: SAFARI })
  })

  test('identify in-app, buy two weeks later on a desktop with the same email: the ttclid is restored, linked by email', async () => {
    const clickedAt = clock.now()
    await postClick(collector.url, { v: 'inapp_visitor_0002', u: 'https://shop.example/?ttclid=E.C.P.email-return', p: '2F7h37YkS1j57AYSKTI7IHhJPYH' }, { 'User-Agent': IN_APP })
    await postClick(collector.url, { k: 'i', v: 'inapp_visitor_0002', e: sha('return@example.com') })
    clock.advance(14 * DAY_MS)
    await postClick(collector.url, { v: 'desktop_visitor_02', u: 'https://shop.example/?utm_source=newsletter' })
    assert.equal((await postSignedOrder(collector.url, order('email-return-1', 'desktop_visitor_02', { email: ' Return@Example.com ' }), signedAt())).status, 201)
    assert.deepEqual(attached('email-return-1'), { ttclid: 'E.C.P.email-return', ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH', captured_at: clickedAt, linked_by: 'email' })

    // What the operator (and later the dashboard) is told about it.
    const report = await fetch(collector.url + '/admin/orders/email-return-1', { headers: { Authorization: 'Bearer admin-token-for-tests-0123456789' } })
    assert.equal(report.status, 200)
    const body = (await report.json()) as { attribution: Record<string, unknown>; event: Record<string, unknown> }
    assert.equal(body.attribution.summary, `ttclid captured ${new Date(clickedAt).toISOString().slice(0, 10)} on / in TikTok's in-app browser, linked by email`)
    assert.equal(body.attribution.linked_by, 'email')
    assert.equal(body.event.name, 'Purchase')
  })

  test('a phone given at identify links like an email, and an order without a visitor ID still finds its click', async () => {
    await postClick(collector.url, { v: 'inapp_visitor_0003', u: 'https://shop.example/?ttclid=E.C.P.phone-link' })
    await postClick(collector.url, { k: 'i', v: 'inapp_visitor_0003', h: sha('+12133734253') })
    clock.advance(DAY_MS)
    assert.equal((await postSignedOrder(collector.url, order('phone-1', undefined, { phone: '+1 (213) 373-4253' }), signedAt())).status, 201)
    assert.equal(attached('phone-1').linked_by, 'phone')
    assert.equal(attached('phone-1').ttclid, 'E.C.P.phone-link')
  })

  test("an earlier order's email links the buyer's next order from another browser", async () => {
    await postClick(collector.url, { v: 'first_order_vis_04', u: 'https://shop.example/?ttclid=E.C.P.repeat' })
    assert.equal((await postSignedOrder(collector.url, order('repeat-1', 'first_order_vis_04', { email: 'repeat@example.com' }), signedAt())).status, 201)
    clock.advance(3 * DAY_MS)
    assert.equal((await postSignedOrder(collector.url, order('repeat-2', 'other_browser_vis4', { email: 'repeat@example.com' }), signedAt())).status, 201)
    assert.deepEqual([attached('repeat-2').ttclid, attached('repeat-2').linked_by], ['E.C.P.repeat', 'email'])
  })

  test('with CLICKRELAY_PURCHASE_EVENT=CompletePayment the server sends the legacy name with the event_id the script gives it', async () => {
    const legacy = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_PURCHASE_EVENT: 'CompletePayment' } })
    try {
      assert.equal((await postSignedOrder(legacy.url, order('legacy-1', undefined), signedAt())).status, 201)
      const server = await eventually(() => sandbox.sandbox.received().find((e) => e.eventId === 'ord_legacy-1'), 3_000, 'the server event')
      assert.equal(server.event, 'CompletePayment')
      assert.equal(server.eventId, eventId('CompletePayment', 'legacy-1'))
    } finally {
      await legacy.stop()
    }
  })
})
