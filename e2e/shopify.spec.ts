/**
 * Shopify, end to end: a shopper taps a TikTok ad and lands in the in-app browser on a Shopify
 * storefront (the fixture of helpers/shopify.ts) whose ClickRelay tag says
 * `data-platform="shopify"`. The script writes the visitor ID into the cart as the hidden
 * attribute `_cr_vid`; Shopify hands the cart's attributes back in the order's
 * `note_attributes`, and its `orders/paid` webhook, signed as Shopify signs, reaches
 * /webhooks/shopify. The server Purchase carries the ad click's ttclid and the event_id the
 * custom pixel computes on the thank-you page, so TikTok counts the purchase once.
 */
import { randomUUID } from 'node:crypto'
import { VISITOR_COOKIE, VISITOR_ID_PATTERN } from '../common/wire.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, query } from './helpers/sandbox.js'
import { orderReport } from './helpers/shop.js'
import { customPixelEventId, shopifyOrder, shopifyStore } from './helpers/shopify.js'
import { expect, test, unique } from './helpers/storefront.js'
import { sendShopifyWebhook, uniqueOrderNumber } from './helpers/webhooks.js'

test.use(TIKTOK_IN_APP_IPHONE)

test('Shopify: the visitor ID rides the cart into the order, and orders/paid becomes a Purchase with the ttclid and the custom pixel’s event_id', async ({ page, request, store }) => {
  const shop = shopifyStore(store)
  const ttclid = `E.C.P.${unique('shopify')}`

  await page.goto(`${shop.productUrl}?ttclid=${ttclid}`)
  await expect.poll(() => query(`SELECT COUNT(*) AS n FROM clicks WHERE ttclid = ?`, ttclid), { message: 'the click is stored' }).toEqual([{ n: 1 }])
  const cookies = await page.context().cookies(store.url)
  const visitorId = cookies.find((c) => c.name === VISITOR_COOKIE)?.value
  expect(visitorId).toMatch(VISITOR_ID_PATTERN)
  const cartCookie = cookies.find((c) => c.name === 'cart')?.value
  expect(cartCookie, 'the fixture theme gave the shopper a cart').toBeTruthy()
  const cart = decodeURIComponent(cartCookie!)

  // The script writes the attribute through Shopify's Ajax Cart API, on the shopper's own cart.
  await expect
    .poll(() => shop.attributes(cart), { message: `the cart's attributes after POST /cart/update.js` })
    .toEqual({ _cr_vid: visitorId })
  expect(shop.updates().filter((u) => u.cart === cart)).toEqual([expect.objectContaining({ cart, attributes: { _cr_vid: visitorId } })])

  // Once per cart: the next page view of the same cart and visitor writes nothing.
  const addOnRan = page.waitForResponse((r) => r.url().endsWith('/cr-shopify.js') && r.ok())
  await page.reload()
  await addOnRan
  // The add-on decides as it starts; an absence needs a moment to be one.
  await page.waitForTimeout(1000)
  expect(shop.updates().filter((u) => u.cart === cart), 'POST /cart/update.js after a reload of the same cart').toHaveLength(1)

  // Checkout happens on Shopify; the order comes back with the cart's attributes as note_attributes.
  const orderNumber = uniqueOrderNumber()
  const noteAttributes = Object.entries(shop.attributes(cart)).map(([name, value]) => ({ name, value }))
  const order = shopifyOrder({
    id: orderNumber,
    cartToken: cart.split('?')[0]!,
    noteAttributes,
    browserIp: '203.0.113.45',
    userAgent: TIKTOK_IN_APP_IPHONE.userAgent!,
    // A later session's landing page, without the ttclid: only the cart attribute can link this order.
    landingSite: '/collections/all',
    totalPrice: '59.00',
    currency: 'EUR',
    email: 'ada@example.com',
  })
  // On the thank-you page, the custom pixel's checkout_completed names the order by its GID.
  const eventId = await customPixelEventId(`gid://shopify/OrderIdentity/${orderNumber}`, visitorId!)
  expect(eventId).toBe(`ord_${orderNumber}`)

  const webhookId = randomUUID()
  const paid = await sendShopifyWebhook(request, 'orders/paid', order, { webhookId })
  expect(paid, paid.text).toMatchObject({ status: 201, body: { status: 'accepted', order_id: String(orderNumber), event_id: eventId } })

  await expectReceived(request, eventId, 'server', [
    {
      event: 'Purchase',
      eventId,
      payload: {
        event: 'Purchase',
        event_id: eventId,
        user: { ttclid, ip: '203.0.113.45', user_agent: TIKTOK_IN_APP_IPHONE.userAgent },
        properties: { value: 59, currency: 'EUR', order_id: String(orderNumber) },
      },
    },
  ])

  // Shopify also announces the same order as orders/updated: one order, one event.
  const updated = await sendShopifyWebhook(request, 'orders/updated', { ...order, updated_at: new Date().toISOString() })
  expect(updated, updated.text).toMatchObject({ status: 200, body: { status: 'duplicate', order_id: String(orderNumber), event_id: eventId } })

  const report = await orderReport(request, String(orderNumber))
  expect(report).toMatchObject({ order_id: String(orderNumber), event_id: eventId, source: 'shopify', attribution: { ttclid, linked_by: 'visitor_id' } })
  expect(report.provenance, 'the delivery, and the cart attribute that carried the visitor').toMatchObject({
    delivery_id: webhookId,
    topic: 'orders/paid',
    visitor_id_from: 'note_attributes._cr_vid',
    landing_url_from: null,
  })
  expect(query(`SELECT visitor_id, source FROM orders WHERE order_id = ?`, String(orderNumber))).toEqual([{ visitor_id: visitorId, source: 'shopify' }])
})
