import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Attribution, Click, OrderInput } from '../../src/store/store.js'
import { buildOrderEvent, buildTrackRequest } from '../../src/tiktok/payload.js'
import { hashExternalId } from '../../src/hashing.js'

const order: OrderInput = {
  orderId: '84213',
  eventName: 'Purchase',
  eventId: 'ord_84213',
  visitorId: 'abcdefghijklmnop',
  emailHash: 'a'.repeat(64),
  phoneHash: 'b'.repeat(64),
  value: 129,
  currency: 'USD',
  contents: [{ content_id: '42', quantity: 1, price: 129 }],
  ip: undefined,
  userAgent: undefined,
  url: 'https://shop.example/thank-you',
  eventTimeS: 1_781_438_400,
  receivedAt: 1_781_438_400_000,
}
const click: Click = {
  id: 1,
  visitorId: 'abcdefghijklmnop',
  ttclid: 'E.C.P.abc',
  ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH',
  utm: {},
  landingUrl: 'https://shop.example/?ttclid=E.C.P.abc',
  referrer: undefined,
  inApp: true,
  ip: '203.0.113.9',
  userAgent: 'Mozilla/5.0 BytedanceWebview',
  capturedAt: 1_781_438_000_000,
}
const attribution: Attribution = { click, linkedBy: 'visitor_id', ttp: click.ttp, lastSeen: click }

test('the order event has the reference shape: seconds, string ids, hashed arrays, page.url', () => {
  const event = buildOrderEvent(order, attribution)
  assert.deepEqual(event, {
    event: 'Purchase',
    event_time: 1_781_438_400,
    event_id: 'ord_84213',
    user: {
      ttclid: 'E.C.P.abc',
      ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH',
      email: ['a'.repeat(64)],
      phone: ['b'.repeat(64)],
      external_id: [hashExternalId('abcdefghijklmnop')],
      ip: '203.0.113.9',
      user_agent: 'Mozilla/5.0 BytedanceWebview',
    },
    properties: { contents: [{ content_id: '42', quantity: 1, price: 129 }], content_type: 'product', currency: 'USD', value: 129, order_id: '84213' },
    page: { url: 'https://shop.example/thank-you' },
  })
})

test("the order's own ip and user agent win over the click's", () => {
  const event = buildOrderEvent({ ...order, ip: '198.51.100.7', userAgent: 'Safari' }, attribution)
  assert.equal(event.user.ip, '198.51.100.7')
  assert.equal(event.user.user_agent, 'Safari')
})

test('no click, no ttclid: nothing is guessed', () => {
  const event = buildOrderEvent({ ...order, visitorId: undefined }, { click: undefined, linkedBy: undefined, ttp: undefined, lastSeen: undefined })
  assert.equal(event.user.ttclid, undefined)
  assert.equal(event.user.ttp, undefined)
  assert.equal(event.user.external_id, undefined)
})

test('test_event_code goes at the top level of the request, never inside data', () => {
  const event = buildOrderEvent(order, attribution)
  const body = buildTrackRequest('CPIXEL', [event], 'TEST123')
  assert.equal(body.test_event_code, 'TEST123')
  assert.equal(body.event_source, 'web')
  assert.equal(body.event_source_id, 'CPIXEL')
  assert.equal('test_event_code' in body.data[0]!, false)
  assert.equal('test_event_code' in buildTrackRequest('CPIXEL', [event], undefined), false)
})
