/**
 * WooCommerce, end to end: a shopper lands from a TikTok ad on a WooCommerce storefront carrying
 * the ClickRelay tag. At checkout the plugin (integrations/woocommerce/clickrelay.php) copies the
 * `cr_vid` cookie into the order's meta `_cr_vid`; here the fixture stands in for it, reading the
 * cookie from the browser. WooCommerce's `order.updated` webhook, signed as WooCommerce signs,
 * reaches /webhooks/woocommerce and becomes a Purchase with the ad click's ttclid. Saving the
 * webhook in WooCommerce's admin first pings the URL, unsigned: that gets a plain 200.
 */
import { eventId } from '../common/event-id.js'
import { VISITOR_COOKIE, VISITOR_ID_PATTERN } from '../common/wire.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, query } from './helpers/sandbox.js'
import { orderReport } from './helpers/shop.js'
import { expect, tag, test, unique } from './helpers/storefront.js'
import { sendWooCommercePing, sendWooCommerceWebhook, uniqueOrderNumber } from './helpers/webhooks.js'

test.use(TIKTOK_IN_APP_IPHONE)

/** A WooCommerce order as its REST API (v3) shows it, which is what the webhook delivers. */
function wooOrder(fields: { id: number; status: string; visitorId: string; total: string; currency: string; ip: string; userAgent: string }) {
  const now = new Date().toISOString().slice(0, 19)
  return {
    id: fields.id,
    parent_id: 0,
    status: fields.status,
    currency: fields.currency,
    version: '9.4.2',
    prices_include_tax: false,
    date_created: now,
    date_created_gmt: now,
    date_modified: now,
    date_modified_gmt: now,
    discount_total: '0.00',
    discount_tax: '0.00',
    shipping_total: '5.00',
    shipping_tax: '0.00',
    cart_tax: '0.00',
    total: fields.total,
    total_tax: '0.00',
    customer_id: 0,
    order_key: 'wc_order_Xk2pQ9vT4mZrA',
    billing: { first_name: 'Ada', last_name: 'Shopper', company: '', address_1: '1 Trail Way', address_2: '', city: 'Portland', state: 'OR', postcode: '97201', country: 'US', email: 'ada@example.com', phone: '(213) 373-4253' },
    shipping: { first_name: 'Ada', last_name: 'Shopper', company: '', address_1: '1 Trail Way', address_2: '', city: 'Portland', state: 'OR', postcode: '97201', country: 'US', phone: '' },
    payment_method: 'stripe',
    payment_method_title: 'Credit card',
    transaction_id: 'pi_3QxE2bLkdIwHu7ix0ZbG1a2b',
    customer_ip_address: fields.ip,
    customer_user_agent: fields.userAgent,
    created_via: 'checkout',
    customer_note: '',
    date_completed: null,
    date_paid: now,
    date_paid_gmt: now,
    cart_hash: '4f7e1a2b3c4d5e6f7a8b9c0d1e2f3a4b',
    number: String(fields.id),
    meta_data: [
      { id: 901, key: '_wc_order_attribution_source_type', value: 'utm' },
      { id: 902, key: '_cr_vid', value: fields.visitorId },
    ],
    line_items: [
      { id: 77, name: 'Trail Jacket - M', product_id: 312, variation_id: 318, quantity: 1, tax_class: '', subtotal: '124.00', subtotal_tax: '0.00', total: '124.00', total_tax: '0.00', taxes: [], meta_data: [], sku: 'TRAIL-JKT-M', price: 124, parent_name: 'Trail Jacket' },
    ],
    tax_lines: [],
    shipping_lines: [{ id: 78, method_title: 'Flat rate', method_id: 'flat_rate', total: '5.00', total_tax: '0.00', taxes: [] }],
    fee_lines: [],
    coupon_lines: [],
    refunds: [],
    currency_symbol: '$',
  }
}

test('WooCommerce: an order.updated webhook now processing, with the plugin’s _cr_vid meta, becomes a Purchase with the ttclid', async ({ page, request, store }) => {
  const ttclid = `E.C.P.${unique('woo')}`
  store.page('/product/trail-jacket/', tag(), '<h1>Trail Jacket</h1>')

  await page.goto(`${store.url}/product/trail-jacket/?ttclid=${ttclid}`)
  await expect.poll(() => query(`SELECT COUNT(*) AS n FROM clicks WHERE ttclid = ?`, ttclid), { message: 'the click is stored' }).toEqual([{ n: 1 }])
  // What the plugin reads at checkout: the cookie the browser sends to the shop.
  const visitorId = (await page.context().cookies(store.url)).find((c) => c.name === VISITOR_COOKIE)?.value
  expect(visitorId).toMatch(VISITOR_ID_PATTERN)

  const orderNumber = uniqueOrderNumber()
  const orderId = String(orderNumber)
  const expectedEventId = eventId('Purchase', orderId)
  const order = wooOrder({ id: orderNumber, status: 'processing', visitorId: visitorId!, total: '129.00', currency: 'USD', ip: '198.51.100.23', userAgent: TIKTOK_IN_APP_IPHONE.userAgent! })

  const deliveryId = String(uniqueOrderNumber())
  const answer = await sendWooCommerceWebhook(request, 'order.updated', order, { deliveryId })
  expect(answer, answer.text).toMatchObject({ status: 201, body: { status: 'accepted', order_id: orderId, event_id: expectedEventId } })

  await expectReceived(request, expectedEventId, 'server', [
    {
      event: 'Purchase',
      eventId: expectedEventId,
      payload: {
        event_id: expectedEventId,
        user: { ttclid, ip: '198.51.100.23', user_agent: TIKTOK_IN_APP_IPHONE.userAgent, email: [expect.stringMatching(/^[0-9a-f]{64}$/)], phone: [expect.stringMatching(/^[0-9a-f]{64}$/)] },
        properties: { value: 129, currency: 'USD', order_id: orderId },
      },
    },
  ])

  const report = await orderReport(request, orderId)
  expect(report).toMatchObject({ order_id: orderId, event_id: expectedEventId, source: 'woocommerce', attribution: { ttclid, linked_by: 'visitor_id' } })
  expect(report.provenance, 'the delivery, and the meta that carried the visitor').toMatchObject({ delivery_id: deliveryId, topic: 'order.updated', visitor_id_from: 'meta_data._cr_vid' })
  expect(query(`SELECT visitor_id, source FROM orders WHERE order_id = ?`, orderId)).toEqual([{ visitor_id: visitorId, source: 'woocommerce' }])
})

test('WooCommerce: the ping sent when the webhook is saved gets a plain 200, and an unsigned order does not', async ({ request }) => {
  const ping = await sendWooCommercePing(request, 1)
  expect(ping.status, ping.text).toBe(200)

  // The ping's leniency is for the ping only: an order with a wrong signature is refused.
  const orderNumber = uniqueOrderNumber()
  const forged = await sendWooCommerceWebhook(
    request,
    'order.updated',
    wooOrder({ id: orderNumber, status: 'processing', visitorId: 'forged-visitor-0123456789', total: '1.00', currency: 'USD', ip: '198.51.100.23', userAgent: 'x' }),
    { secret: 'not-the-shop-secret' },
  )
  expect(forged, forged.text).toMatchObject({ status: 401, body: { error: { code: 'invalid_signature' } } })
  expect(query(`SELECT COUNT(*) AS n FROM orders WHERE order_id = ?`, String(orderNumber))).toEqual([{ n: 0 }])
})
