/**
 * Orders straight from Shopify, WooCommerce and Stripe (POST /webhooks/:platform), over real HTTP
 * with each platform's exact signing. The payloads are written here from each platform's
 * documented shape (../../../../shared/reference/order-platforms.md), trimmed to what matters.
 */
import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import Stripe from 'stripe'
import { eventId } from '../../../common/event-id.js'
import { ADMIN_TOKEN, BROWSER_UA, eventually, postClick, readRows, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

const SHOPIFY_SECRET = 'shpss_test_0123456789abcdef'
const WOO_SECRET = 'woo secret with spaces & symbols'
const STRIPE_SECRET = 'whsec_test_0123456789abcdef0123456789'
const IN_APP_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 musical_ly_35.1.0 BytedanceWebview/d8a21c6'

interface Answer {
  status: number
  body: Record<string, any>
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers, body })
  const text = await response.text()
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} }
}

const base64Hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('base64')

let webhookIds = 0
function sendShopify(collector: TestCollector, topic: string, order: object, options: { id?: string; secret?: string; hmac?: string | null } = {}) {
  const body = JSON.stringify(order)
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Shopify-Topic': topic,
    'X-Shopify-Shop-Domain': 'clickrelay-test.myshopify.com',
    'X-Shopify-API-Version': '2025-10',
    'X-Shopify-Webhook-Id': options.id ?? `b54557e4-bdd9-4b37-8a5f-${String(++webhookIds).padStart(12, '0')}`,
  }
  if (options.hmac !== null) headers['X-Shopify-Hmac-Sha256'] = options.hmac ?? base64Hmac(options.secret ?? SHOPIFY_SECRET, body)
  return post(`${collector.url}/webhooks/shopify`, body, headers)
}

function shopifyOrder(id: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    name: `#${1000 + (id % 1000)}`,
    order_number: 1000 + (id % 1000),
    email: 'Buyer.One@Example.com',
    phone: null,
    total_price: '59.90',
    currency: 'EUR',
    presentment_currency: 'EUR',
    financial_status: 'paid',
    test: false,
    cancelled_at: null,
    processed_at: new Date().toISOString(),
    created_at: new Date().toISOString(),
    browser_ip: '203.0.113.50',
    client_details: { user_agent: IN_APP_UA, browser_ip: '203.0.113.50' },
    landing_site: '/products/tee?utm_source=tiktok',
    order_status_url: `https://shop.example/60221653/orders/${id}abc/authenticate?key=secretkey`,
    note_attributes: [],
    customer: { email: 'buyer.one@example.com', phone: '+49 1512 3456789' },
    billing_address: { phone: '01512 3456789', country_code: 'DE' },
    line_items: [
      { product_id: 7513594, variant_id: 42380, sku: 'TEE-M', quantity: 2, price: '24.95' },
      { product_id: null, sku: 'GIFTWRAP', quantity: 1, price: '10.00' },
    ],
    ...extra,
  }
}

let wooDeliveries = 0
function sendWoo(collector: TestCollector, topic: string, order: object, options: { deliveryId?: string } = {}) {
  const body = JSON.stringify(order)
  return post(`${collector.url}/webhooks/woocommerce`, body, {
    'Content-Type': 'application/json',
    'User-Agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7)',
    'X-WC-Webhook-Source': 'https://woo.example/',
    'X-WC-Webhook-Topic': topic,
    'X-WC-Webhook-Resource': 'order',
    'X-WC-Webhook-Event': topic.split('.')[1]!,
    'X-WC-Webhook-ID': '7',
    'X-WC-Webhook-Delivery-ID': options.deliveryId ?? `d${++wooDeliveries}`,
    'X-WC-Webhook-Signature': base64Hmac(WOO_SECRET, body),
  })
}

/** WooCommerce's *_gmt fields: ISO 8601 in UTC without a zone, to the second. */
const gmt = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)

function wooOrder(id: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    number: String(id),
    status: 'processing',
    currency: 'GBP',
    total: '42.50',
    date_created_gmt: gmt(Date.now() - 60_000),
    date_paid_gmt: gmt(Date.now()),
    date_paid: gmt(Date.now()),
    customer_ip_address: '198.51.100.23',
    customer_user_agent: BROWSER_UA,
    billing: { email: 'woo.buyer@example.com', phone: '07911 123456', country: 'GB' },
    meta_data: [{ id: 991, key: '_wc_order_attribution_source_type', value: 'utm' }],
    line_items: [{ id: 1, product_id: 55, sku: 'MUG', quantity: 1, price: 42.5 }],
    ...extra,
  }
}

function sendStripe(collector: TestCollector, event: object, options: { timestamp?: number; secret?: string } = {}) {
  const body = JSON.stringify(event)
  const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? STRIPE_SECRET, timestamp: options.timestamp ?? Math.floor(Date.now() / 1000) })
  return post(`${collector.url}/webhooks/stripe`, body, { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': header, 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' })
}

let stripeEvents = 0
function stripeEvent(type: string, session: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: `evt_1Q${String(++stripeEvents).padStart(22, '0')}`,
    object: 'event',
    api_version: '2025-10-29.clover',
    created: Math.floor(Date.now() / 1000),
    livemode: true,
    type,
    data: {
      object: {
        id: 'cs_live_a1B2c3D4e5F6',
        object: 'checkout.session',
        mode: 'payment',
        status: 'complete',
        payment_status: 'paid',
        amount_total: 4980,
        currency: 'jpy',
        client_reference_id: null,
        metadata: {},
        success_url: 'https://stripe-shop.example/thanks?session_id={CHECKOUT_SESSION_ID}',
        customer_details: { email: 'stripe.buyer@example.com', phone: null, address: { country: 'JP' } },
        payment_link: 'plink_1Q',
        ...session,
      },
    },
    ...extra,
  }
}

async function adminGet(collector: TestCollector, path: string) {
  const response = await fetch(collector.url + path, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })
  return { status: response.status, body: (await response.json()) as Record<string, any> }
}

describe('order webhooks', () => {
  let sandbox: TestSandbox
  let collector: TestCollector
  const serverEvents = (id: string) => sandbox.sandbox.received().filter((r) => r.source === 'server' && (r.payload as { event_id: string }).event_id === id)
  const serverEvent = async (id: string) => (await eventually(() => serverEvents(id)[0], 5_000, `the server event ${id}`)).payload as Record<string, any>

  before(async () => {
    sandbox = await startTestSandbox()
    collector = await startTestCollector({
      eventsApiUrl: sandbox.trackUrl,
      env: {
        CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN,
        CLICKRELAY_SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
        CLICKRELAY_WOOCOMMERCE_WEBHOOK_SECRET: WOO_SECRET,
        CLICKRELAY_STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
      },
    })
  })
  after(async () => {
    await collector.stop()
    await sandbox.close()
  })

  describe('Shopify', () => {
    test('a paid order carries the visitor from its cart attribute: its ttclid, the event_id the custom pixel computes, the provenance', async () => {
      const visitor = 'shopify_visitor_000001'
      assert.equal((await postClick(collector.url, { v: visitor, u: 'https://shop.example/products/tee?ttclid=E.C.P.shopify1' }, { 'User-Agent': IN_APP_UA })).status, 200)
      const id = 5396439498987
      const answer = await sendShopify(collector, 'orders/paid', shopifyOrder(id, { note_attributes: [{ name: 'gift_note', value: 'hi' }, { name: '_cr_vid', value: visitor }] }))
      // A shop in EUR selling in CHF: the event carries what the buyer paid, as the custom pixel does.
      const chf = await sendShopify(collector, 'orders/paid', shopifyOrder(5396439498999, {
        presentment_currency: 'CHF',
        total_price_set: { shop_money: { amount: '59.90', currency_code: 'EUR' }, presentment_money: { amount: '57.40', currency_code: 'CHF' } },
        line_items: [{ product_id: 7513594, sku: 'TEE-M', quantity: 2, price: '24.95', price_set: { shop_money: { amount: '24.95', currency_code: 'EUR' }, presentment_money: { amount: '23.70', currency_code: 'CHF' } } }],
      }))
      const chfEvent = await serverEvent(chf.body.event_id)
      assert.deepEqual([chfEvent.properties.value, chfEvent.properties.currency, chfEvent.properties.contents[0].price], [57.4, 'CHF', 23.7])
      assert.equal(answer.status, 201)
      assert.deepEqual(answer.body, { status: 'accepted', order_id: String(id), event_id: 'ord_5396439498987' })
      assert.equal(answer.body.event_id, eventId('Purchase', String(id)))

      const event = await serverEvent('ord_5396439498987')
      assert.equal(event.user.ttclid, 'E.C.P.shopify1')
      assert.equal(event.user.ip, '203.0.113.50')
      assert.equal(event.user.user_agent, IN_APP_UA)
      assert.equal(event.user.email.length, 1)
      assert.equal(event.user.phone.length, 1, 'the customer phone, normalised to E.164')
      assert.deepEqual(event.properties, {
        contents: [
          { content_id: '7513594', quantity: 2, price: 24.95 },
          { content_id: 'GIFTWRAP', quantity: 1, price: 10 },
        ],
        content_type: 'product',
        currency: 'EUR',
        value: 59.9,
        order_id: String(id),
      })
      assert.equal(event.page.url, 'https://shop.example/', 'the shop domain from order_status_url, without its key')

      const report = await adminGet(collector, `/admin/orders/${id}`)
      assert.equal(report.body.source, 'shopify')
      assert.equal(report.body.provenance.visitor_id_from, 'note_attributes._cr_vid')
      assert.equal(report.body.provenance.topic, 'orders/paid')
      assert.equal(report.body.provenance.ip_from, 'the order')
      assert.equal(report.body.attribution.rule, 'same_browser')
    })

    test('orders/paid and orders/updated of one order give one event; a redelivery of either is a no-op', async () => {
      // Past 2^53 as a JSON number: the id is read exactly from admin_graphql_api_id.
      const order = { ...shopifyOrder(5396439498988), id: 9007199254740993123, admin_graphql_api_id: 'gid://shopify/Order/9007199254740993123' }
      const first = await sendShopify(collector, 'orders/paid', order, { id: 'shopify-delivery-paid-1' })
      assert.equal(first.status, 201)
      const second = await sendShopify(collector, 'orders/updated', order, { id: 'shopify-delivery-updated-1' })
      assert.deepEqual([second.status, second.body.status, second.body.event_id], [200, 'duplicate', first.body.event_id])
      const again = await sendShopify(collector, 'orders/paid', order, { id: 'shopify-delivery-paid-1' })
      assert.deepEqual([again.status, again.body.status, again.body.first_outcome], [200, 'duplicate_delivery', 'accepted'])
      await serverEvent(first.body.event_id)
      await new Promise((r) => setTimeout(r, 200))
      assert.equal(serverEvents(first.body.event_id).length, 1)
      assert.equal(first.body.order_id, '9007199254740993123')
      assert.equal(readRows<{ n: number }>(collector.dbPath, `SELECT COUNT(*) AS n FROM events WHERE order_id = ?`, '9007199254740993123')[0]!.n, 1)
    })

    test('what is not a paid order is a 200 ignored with its reason, stores no order, and is counted in /admin/status', async () => {
      const pending = await sendShopify(collector, 'orders/create', shopifyOrder(1001, { financial_status: 'pending' }))
      assert.deepEqual(pending, { status: 200, body: { status: 'ignored', reason: 'orders/create with financial_status pending, not paid' } })
      const customer = await sendShopify(collector, 'customers/create', { id: 1, email: 'x@example.com' })
      assert.equal(customer.body.status, 'ignored')
      assert.match(customer.body.reason, /customers\/create is not a paid order/)
      const testOrder = await sendShopify(collector, 'orders/paid', shopifyOrder(1002, { test: true }))
      assert.equal(testOrder.body.status, 'ignored')
      assert.match(testOrder.body.reason, /CLICKRELAY_ACCEPT_TEST_ORDERS/)
      const cancelled = await sendShopify(collector, 'orders/updated', shopifyOrder(1003, { cancelled_at: new Date().toISOString() }))
      assert.equal(cancelled.body.reason, 'the order is cancelled')
      assert.equal(readRows(collector.dbPath, `SELECT 1 FROM orders WHERE order_id IN ('1001', '1002', '1003')`).length, 0)

      const status = await adminGet(collector, '/admin/status')
      const shopify = status.body.webhooks.shopify
      assert.equal(shopify.enabled, true)
      assert.ok(shopify.last_24h.ignored >= 4)
      assert.ok(shopify.ignored_reasons_24h.some((r: { reason: string; count: number }) => r.reason === 'orders/create with financial_status pending, not paid' && r.count >= 1))
    })

    test('a bad or missing signature is a 401 and stores nothing', async () => {
      const wrong = await sendShopify(collector, 'orders/paid', shopifyOrder(2001), { secret: 'not-the-secret' })
      assert.equal(wrong.status, 401)
      assert.equal(wrong.body.error.code, 'invalid_signature')
      const missing = await sendShopify(collector, 'orders/paid', shopifyOrder(2002), { hmac: null })
      assert.equal(missing.status, 401)
      assert.match(missing.body.error.message, /missing X-Shopify-Hmac-Sha256/)
      // A body changed on the way no longer matches its signature.
      const body = JSON.stringify(shopifyOrder(2003))
      const tampered = await post(`${collector.url}/webhooks/shopify`, body.replace('59.90', '5.90'), { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/paid', 'X-Shopify-Hmac-Sha256': base64Hmac(SHOPIFY_SECRET, body) })
      assert.equal(tampered.status, 401)
      assert.equal(readRows(collector.dbPath, `SELECT 1 FROM orders WHERE order_id IN ('2001', '2002', '2003')`).length, 0)
    })

    test('without a visitor, the ttclid of the landing_site Shopify reports is the last resort, and the order says so', async () => {
      const id = 3001
      const answer = await sendShopify(collector, 'orders/paid', shopifyOrder(id, { landing_site: '/collections/all?ttclid=E.C.P.fromlanding&utm_source=tiktok', email: 'nobody.seen@example.com', customer: null, billing_address: { country_code: 'FR' } }))
      assert.equal(answer.status, 201)
      const event = await serverEvent(answer.body.event_id)
      assert.equal(event.user.ttclid, 'E.C.P.fromlanding')
      const report = await adminGet(collector, `/admin/orders/${id}`)
      assert.equal(report.body.attribution.rule, 'landing_url')
      assert.equal(report.body.attribution.ttclid, 'E.C.P.fromlanding')
      assert.equal(report.body.provenance.landing_url_from, 'landing_site')
    })
  })

  describe('WooCommerce', () => {
    test("the ping WooCommerce sends when a webhook is saved gets a plain 200", async () => {
      const response = await fetch(`${collector.url}/webhooks/woocommerce`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'webhook_id=7' })
      assert.equal(response.status, 200)
    })

    test('a processing order carries the visitor from its _cr_vid meta; created then updated is one event; a redelivery is a no-op', async () => {
      const visitor = 'woo_visitor_0000000001'
      await postClick(collector.url, { v: visitor, u: 'https://woo.example/?ttclid=E.C.P.woo1' })
      const order = wooOrder(4101, { meta_data: [{ id: 1, key: '_cr_vid', value: visitor }] })
      const created = await sendWoo(collector, 'order.created', order, { deliveryId: 'woo-created-4101' })
      assert.equal(created.status, 201)
      assert.equal(created.body.event_id, eventId('Purchase', '4101'))
      const updated = await sendWoo(collector, 'order.updated', { ...order, status: 'completed' })
      assert.equal(updated.body.status, 'duplicate')
      const redelivered = await sendWoo(collector, 'order.created', order, { deliveryId: 'woo-created-4101' })
      assert.equal(redelivered.body.status, 'duplicate_delivery')

      const event = await serverEvent(created.body.event_id)
      assert.equal(event.user.ttclid, 'E.C.P.woo1')
      assert.equal(event.user.ip, '198.51.100.23')
      assert.equal(event.properties.value, 42.5)
      assert.equal(event.properties.currency, 'GBP')
      assert.equal(event.page.url, 'https://woo.example/')
      assert.equal(event.event_time, Date.parse(`${order.date_paid_gmt}Z`) / 1000)
      assert.equal(event.user.phone.length, 1, 'a national UK number, read with the billing country')
      await new Promise((r) => setTimeout(r, 200))
      assert.equal(serverEvents(created.body.event_id).length, 1)
      const report = await adminGet(collector, '/admin/orders/4101')
      assert.equal(report.body.source, 'woocommerce')
      assert.equal(report.body.provenance.visitor_id_from, 'meta_data._cr_vid')
    })

    test('two deliveries in one second share WooCommerce\'s delivery ID: both are read, and only a resend of the same body is a no-op', async () => {
      const sameSecond = 'wc-delivery-same-second'
      const pending = await sendWoo(collector, 'order.updated', wooOrder(4301, { status: 'pending', date_paid: null, date_paid_gmt: null }), { deliveryId: sameSecond })
      assert.equal(pending.body.status, 'ignored')
      const paid = await sendWoo(collector, 'order.updated', wooOrder(4301), { deliveryId: sameSecond })
      assert.equal(paid.status, 201, 'the paid update of the same second is not taken for a resend of the pending one')
      // One body, sent twice: wooOrder() stamps the time, and a second built later may be a second later.
      const order4302 = wooOrder(4302)
      const other = await sendWoo(collector, 'order.updated', order4302, { deliveryId: sameSecond })
      assert.equal(other.status, 201, 'another order of the same second is its own delivery')
      const resend = await sendWoo(collector, 'order.updated', order4302, { deliveryId: sameSecond })
      assert.equal(resend.body.status, 'duplicate_delivery')
    })

    test('an update to an order paid longer ago than CLICKRELAY_EVENT_MAX_AGE_DAYS is ignored, not a new purchase', async () => {
      const old = await sendWoo(collector, 'order.updated', wooOrder(4401, { status: 'completed', date_paid_gmt: gmt(Date.now() - 30 * 86_400_000) }))
      assert.equal(old.status, 200)
      assert.match(old.body.reason, /^paid 30 days ago, longer ago than CLICKRELAY_EVENT_MAX_AGE_DAYS \(7\)/)
      assert.equal(readRows(collector.dbPath, `SELECT 1 FROM orders WHERE order_id = '4401'`).length, 0)
    })

    test('pending, on-hold without payment, refunded and other topics are ignored; a wrong signature is a 401', async () => {
      assert.equal((await sendWoo(collector, 'order.created', wooOrder(4201, { status: 'pending', date_paid: null, date_paid_gmt: null }))).body.reason, 'status pending without date_paid, not paid yet')
      assert.equal((await sendWoo(collector, 'order.updated', wooOrder(4202, { status: 'refunded' }))).body.reason, 'status refunded, not paid')
      assert.equal((await sendWoo(collector, 'product.updated', { id: 9 })).body.status, 'ignored')
      const body = JSON.stringify(wooOrder(4203))
      const forged = await post(`${collector.url}/webhooks/woocommerce`, body, { 'Content-Type': 'application/json', 'X-WC-Webhook-Topic': 'order.updated', 'X-WC-Webhook-Signature': base64Hmac('guess', body) })
      assert.equal(forged.status, 401)
      // An unsigned body that is not the ping is no ping.
      const unsigned = await post(`${collector.url}/webhooks/woocommerce`, body, { 'Content-Type': 'application/json', 'X-WC-Webhook-Topic': 'order.updated' })
      assert.equal(unsigned.status, 401)
      assert.equal(readRows(collector.dbPath, `SELECT 1 FROM orders WHERE order_id IN ('4201', '4202', '4203')`).length, 0)
    })
  })

  describe('Stripe', () => {
    test('a paid Checkout Session: the visitor from client_reference_id, JPY as whole yen, IP and user agent from the visitor\'s click', async () => {
      const visitor = 'stripe_visitor_00000001'
      await postClick(collector.url, { v: visitor, u: 'https://stripe-shop.example/?ttclid=E.C.P.stripe1' }, { 'User-Agent': IN_APP_UA, 'X-Forwarded-For': '192.0.2.77' })
      const clickIp = readRows<{ ip: string }>(collector.dbPath, `SELECT ip FROM clicks WHERE visitor_id = ?`, visitor)[0]!.ip
      const answer = await sendStripe(collector, stripeEvent('checkout.session.completed', { id: 'cs_live_jpy_order_1', client_reference_id: visitor }))
      assert.equal(answer.status, 201)
      assert.equal(answer.body.event_id, eventId('Purchase', 'cs_live_jpy_order_1'))
      const event = await serverEvent(answer.body.event_id)
      assert.equal(event.user.ttclid, 'E.C.P.stripe1')
      assert.equal(event.properties.value, 4980, 'JPY is zero-decimal: 4980 minor units are 4,980 yen')
      assert.equal(event.properties.currency, 'JPY')
      assert.equal(event.user.user_agent, IN_APP_UA)
      assert.equal(event.user.ip, clickIp)
      assert.equal(event.page.url, 'https://stripe-shop.example/')
      const report = await adminGet(collector, '/admin/orders/cs_live_jpy_order_1')
      assert.equal(report.body.source, 'stripe')
      assert.equal(report.body.provenance.visitor_id_from, 'client_reference_id')
      assert.equal(report.body.provenance.ip_from, "the visitor's latest click record (the platform sends none)")
      assert.equal(report.body.provenance.user_agent_from, "the visitor's latest click record (the platform sends none)")
    })

    test("without a visitor ID, the email links the buyer's browser, whose latest click gives IP and user agent", async () => {
      const visitor = 'stripe_visitor_00000009'
      await postClick(collector.url, { v: visitor, u: 'https://stripe-shop.example/?ttclid=E.C.P.stripe9' }, { 'User-Agent': IN_APP_UA })
      const emailHash = createHash('sha256').update('linked.by.email@example.com').digest('hex')
      assert.equal((await postClick(collector.url, { k: 'i', v: visitor, e: emailHash })).status, 200)
      const answer = await sendStripe(collector, stripeEvent('checkout.session.completed', { id: 'cs_live_email_1', amount_total: 2500, currency: 'eur', customer_details: { email: 'Linked.By.Email@example.com', phone: null, address: null } }))
      assert.equal(answer.status, 201)
      const event = await serverEvent(answer.body.event_id)
      assert.equal(event.user.ttclid, 'E.C.P.stripe9')
      assert.equal(event.user.user_agent, IN_APP_UA)
      const report = await adminGet(collector, '/admin/orders/cs_live_email_1')
      assert.equal(report.body.attribution.rule, 'email')
      assert.equal(report.body.provenance.user_agent_from, "the visitor's latest click record (the platform sends none)")
    })

    test('metadata.cr_vid wins over a client_reference_id that holds the merchant\'s own ID', async () => {
      const visitor = 'stripe_visitor_00000010'
      await postClick(collector.url, { v: visitor, u: 'https://stripe-shop.example/?ttclid=E.C.P.stripe10' })
      const answer = await sendStripe(collector, stripeEvent('checkout.session.completed', { id: 'cs_live_meta_1', client_reference_id: '3f2b8c1e-9a4d-4e7b-b1c2-5d6e7f8a9b0c', metadata: { cr_vid: visitor } }))
      assert.equal((await serverEvent(answer.body.event_id)).user.ttclid, 'E.C.P.stripe10')
      assert.equal((await adminGet(collector, '/admin/orders/cs_live_meta_1')).body.provenance.visitor_id_from, 'metadata.cr_vid')
    })

    test('a currency whose minor units are unknown is refused (400, in /admin/status), never sent 100 times too large', async () => {
      const answer = await sendStripe(collector, stripeEvent('checkout.session.completed', { id: 'cs_live_xcg_1', amount_total: 1999, currency: 'xcg' }))
      assert.equal(answer.status, 400)
      assert.equal(answer.body.error.code, 'unknown_currency')
      const status = await adminGet(collector, '/admin/status')
      assert.ok(status.body.problems.some((p: { code: string; message: string }) => p.code === 'stripe_order_refused' && p.message.includes('currency xcg')))
      assert.equal(readRows(collector.dbPath, `SELECT 1 FROM orders WHERE order_id = 'cs_live_xcg_1'`).length, 0)
    })

    test('USD and KWD amounts by their exponents; metadata.cr_vid also carries the visitor', async () => {
      const usd = await sendStripe(collector, stripeEvent('checkout.session.completed', { id: 'cs_live_usd_1', amount_total: 1999, currency: 'usd', metadata: { cr_vid: 'stripe_visitor_00000002' } }))
      assert.equal((await serverEvent(usd.body.event_id)).properties.value, 19.99)
      assert.equal((await adminGet(collector, '/admin/orders/cs_live_usd_1')).body.provenance.visitor_id_from, 'metadata.cr_vid')
      const kwd = await sendStripe(collector, stripeEvent('checkout.session.completed', { id: 'cs_live_kwd_1', amount_total: 12340, currency: 'kwd' }))
      assert.equal((await serverEvent(kwd.body.event_id)).properties.value, 12.34)
    })

    test('an unpaid session is ignored until async_payment_succeeded; two events for one session give one event; a redelivery is a no-op', async () => {
      const session = { id: 'cs_live_async_1', payment_status: 'unpaid' }
      const completed = await sendStripe(collector, stripeEvent('checkout.session.completed', session))
      assert.deepEqual(completed.body, { status: 'ignored', reason: 'payment_status unpaid, not paid' })
      const succeeded = stripeEvent('checkout.session.async_payment_succeeded', { ...session, payment_status: 'paid' })
      const first = await sendStripe(collector, succeeded)
      assert.equal(first.status, 201)
      const again = await sendStripe(collector, succeeded)
      assert.equal(again.body.status, 'duplicate_delivery')
      const completedPaid = await sendStripe(collector, stripeEvent('checkout.session.completed', { id: 'cs_live_async_1' }))
      assert.equal(completedPaid.body.status, 'duplicate')
      await serverEvent(first.body.event_id)
      await new Promise((r) => setTimeout(r, 200))
      assert.equal(serverEvents(first.body.event_id).length, 1)
      assert.equal((await sendStripe(collector, stripeEvent('payment_intent.succeeded', {}))).body.status, 'ignored')
    })

    test('a stale timestamp, a wrong secret or no signature is a 401; a test-mode event is ignored', async () => {
      const stale = await sendStripe(collector, stripeEvent('checkout.session.completed', { id: 'cs_live_stale' }), { timestamp: Math.floor(Date.now() / 1000) - 301 })
      assert.equal(stale.status, 401)
      assert.match(stale.body.error.message, /tolerance/)
      const wrong = await sendStripe(collector, stripeEvent('checkout.session.completed', { id: 'cs_live_wrong' }), { secret: 'whsec_wrong' })
      assert.equal(wrong.status, 401)
      const none = await post(`${collector.url}/webhooks/stripe`, JSON.stringify(stripeEvent('checkout.session.completed', { id: 'cs_live_none' })), { 'Content-Type': 'application/json' })
      assert.equal(none.status, 401)
      const testMode = await sendStripe(collector, stripeEvent('checkout.session.completed', { id: 'cs_test_1' }, { livemode: false }))
      assert.equal(testMode.body.status, 'ignored')
      assert.equal(readRows(collector.dbPath, `SELECT 1 FROM orders WHERE order_id LIKE 'cs_%' AND order_id IN ('cs_live_stale', 'cs_live_wrong', 'cs_live_none', 'cs_test_1')`).length, 0)
    })
  })

  test('a pixel Purchase with an event_id that is not ClickRelay\'s is shown in /admin/status with the fix', async () => {
    const answer = await postClick(collector.url, { k: 'r', v: 'foreign_pixel_visitor_1', n: 'Purchase', i: 'wc_tiktok_8f3a1c', o: '4101', t: Date.now() })
    assert.equal(answer.status, 200)
    const status = await adminGet(collector, '/admin/status')
    const problem = status.body.problems.find((p: { code: string }) => p.code === 'foreign_pixel_event_id')
    assert.ok(problem, 'the problem is listed')
    assert.match(problem.message, /not ClickRelay's ord_4101/)
    assert.match(problem.message, /Turn off that integration's Purchase/)
  })
})

describe('order webhooks without their secrets', () => {
  test('each route is off, with a 404 that names its variable', async () => {
    const sandbox = await startTestSandbox()
    const collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl })
    try {
      for (const [platform, variable] of [
        ['shopify', 'CLICKRELAY_SHOPIFY_WEBHOOK_SECRET'],
        ['woocommerce', 'CLICKRELAY_WOOCOMMERCE_WEBHOOK_SECRET'],
        ['stripe', 'CLICKRELAY_STRIPE_WEBHOOK_SECRET'],
      ] as const) {
        const answer = await post(`${collector.url}/webhooks/${platform}`, '{}', { 'Content-Type': 'application/json' })
        assert.equal(answer.status, 404)
        assert.equal(answer.body.error.code, 'webhook_not_configured')
        assert.match(answer.body.error.message, new RegExp(variable))
      }
    } finally {
      await collector.stop()
      await sandbox.close()
    }
  })
})
