/**
 * Stripe Payment Links, end to end: a storefront made only of Payment Links, whose ClickRelay
 * tag says `data-stripe-links`. The shopper lands from a TikTok ad in the in-app browser; the
 * script appends `client_reference_id=<visitor ID>` to every `https://buy.stripe.com/` link,
 * one there at load and one the page adds later. Stripe's `checkout.session.completed`,
 * signed as Stripe signs, comes back to /webhooks/stripe with that client_reference_id; the
 * server Purchase carries the landing's ttclid, the amount converted from minor units, and the
 * IP and user agent of the shopper's click (Stripe's event has neither).
 */
import { randomBytes } from 'node:crypto'
import type { Page } from '@playwright/test'
import { eventId } from '../common/event-id.js'
import { VISITOR_COOKIE, VISITOR_ID_PATTERN } from '../common/wire.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, query } from './helpers/sandbox.js'
import { orderReport } from './helpers/shop.js'
import { expect, tag, test, unique } from './helpers/storefront.js'
import { PLATFORM_IPS, sendStripeWebhook } from './helpers/webhooks.js'

test.use(TIKTOK_IN_APP_IPHONE)

const JACKET_LINK = 'https://buy.stripe.com/6oE5kQ0Xx3bD8Ra288'
const BOOTS_LINK = 'https://buy.stripe.com/bIY9B63jn5jLdby4gh?prefilled_email=ada%40example.com&locale=ja'
const NOT_STRIPE = 'https://example.com/buy.stripe.com/6oE5kQ0Xx3bD8Ra288'

/** Stripe's IDs: a prefix and random letters and digits (Checkout Sessions' are 66 characters long). */
const stripeId = (prefix: string, length: number) =>
  prefix +
  Array.from(randomBytes(length), (b) => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[b % 62])
    .join('')
    .slice(0, length)

/** A link's href, once the script has had the chance to decorate it. */
const hrefOf = (page: Page, selector: string) => page.locator(selector).getAttribute('href').then((href) => new URL(href ?? '', page.url()))

/**
 * A live-mode `checkout.session.completed` event, from Stripe's documented Event and Checkout
 * Session objects. Live, like the links: test-mode events are ignored unless the merchant sets
 * CLICKRELAY_ACCEPT_TEST_ORDERS, which this collector does not.
 */
function checkoutCompleted(session: { id: string; clientReferenceId: string; amountTotal: number; currency: string; paymentLink: string }) {
  const created = Math.floor(Date.now() / 1000)
  return {
    id: stripeId('evt_1', 23),
    object: 'event',
    api_version: '2025-09-30.clover',
    created,
    livemode: true,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'checkout.session.completed',
    data: {
      object: {
        id: session.id,
        object: 'checkout.session',
        after_expiration: null,
        allow_promotion_codes: false,
        amount_subtotal: session.amountTotal,
        amount_total: session.amountTotal,
        automatic_tax: { enabled: false, liability: null, status: null },
        billing_address_collection: 'auto',
        cancel_url: null,
        client_reference_id: session.clientReferenceId,
        consent: null,
        created: created - 95,
        currency: session.currency,
        customer: null,
        customer_creation: 'if_required',
        customer_details: { address: { city: null, country: 'JP', line1: null, line2: null, postal_code: null, state: null }, email: 'ada@example.com', name: 'Ada Shopper', phone: null, tax_exempt: 'none', tax_ids: [] },
        customer_email: null,
        expires_at: created + 86_305,
        invoice: null,
        livemode: true,
        locale: 'auto',
        metadata: {},
        mode: 'payment',
        payment_intent: stripeId('pi_3', 24),
        payment_link: session.paymentLink,
        payment_method_types: ['card'],
        payment_status: 'paid',
        status: 'complete',
        submit_type: 'auto',
        success_url: 'https://shop.example/thank-you',
        total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
        ui_mode: 'hosted',
        url: null,
      },
    },
  }
}

test('Stripe Payment Links: each link, even one added later, carries the visitor; checkout.session.completed becomes a Purchase with the click’s ttclid, IP and user agent', async ({ page, request, store }) => {
  const ttclid = `E.C.P.${unique('stripe')}`
  store.page(
    '/stripe-links',
    tag('data-stripe-links'),
    `<h1>Trail gear</h1>
     <p><a id="jacket" href="${JACKET_LINK}">Buy the Trail Jacket</a></p>
     <p><a id="lookalike" href="${NOT_STRIPE}">Not a Payment Link</a></p>`,
  )

  await page.goto(`${store.url}/stripe-links?ttclid=${ttclid}`)
  await expect.poll(() => query(`SELECT COUNT(*) AS n FROM clicks WHERE ttclid = ?`, ttclid), { message: 'the click is stored' }).toEqual([{ n: 1 }])
  const visitorId = (await page.context().cookies(store.url)).find((c) => c.name === VISITOR_COOKIE)?.value
  expect(visitorId).toMatch(VISITOR_ID_PATTERN)

  // The link present at load.
  await expect.poll(async () => (await hrefOf(page, '#jacket')).searchParams.get('client_reference_id'), { message: 'the Payment Link present at load' }).toBe(visitorId)
  expect((await hrefOf(page, '#jacket')).href.split('?')[0]).toBe(JACKET_LINK)

  // A link the page adds later (a product grid rendered by the theme's script, say).
  await page.evaluate((href) => {
    const link = document.createElement('a')
    link.id = 'boots'
    link.href = href
    link.textContent = 'Buy the Trail Boots'
    document.body.append(link)
  }, BOOTS_LINK)
  await expect.poll(async () => (await hrefOf(page, '#boots')).searchParams.get('client_reference_id'), { message: 'the Payment Link added later' }).toBe(visitorId)
  const boots = await hrefOf(page, '#boots')
  expect([boots.origin + boots.pathname, boots.searchParams.get('prefilled_email'), boots.searchParams.get('locale')], 'the link keeps its own parameters').toEqual([
    BOOTS_LINK.split('?')[0],
    'ada@example.com',
    'ja',
  ])
  expect(await page.locator('#lookalike').getAttribute('href'), 'only buy.stripe.com links are touched').toBe(NOT_STRIPE)

  // Following the link: what Stripe's checkout receives (no network here, so a stand-in page).
  await page.route('https://buy.stripe.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Stripe Checkout</h1>' }))
  const [checkout] = await Promise.all([page.waitForRequest((r) => r.url().startsWith('https://buy.stripe.com/') && r.isNavigationRequest()), page.locator('#boots').click()])
  expect(new URL(checkout.url()).searchParams.get('client_reference_id'), 'the checkout Stripe opens knows the visitor').toBe(visitorId)

  // Stripe reports the two payments; amounts in minor units: yen have none, dollars have cents.
  for (const payment of [
    { amountTotal: 4200, currency: 'jpy', value: 4200, link: JACKET_LINK },
    { amountTotal: 1999, currency: 'usd', value: 19.99, link: BOOTS_LINK },
  ]) {
    const sessionId = stripeId('cs_live_a1', 56)
    const expectedEventId = eventId('Purchase', sessionId)
    const event = checkoutCompleted({ id: sessionId, clientReferenceId: visitorId!, amountTotal: payment.amountTotal, currency: payment.currency, paymentLink: stripeId('plink_1', 24) })
    const answer = await sendStripeWebhook(request, event)
    expect(answer, answer.text).toMatchObject({ status: 201, body: { status: 'accepted', order_id: sessionId, event_id: expectedEventId } })

    const [server] = await expectReceived(request, expectedEventId, 'server', [
      {
        event: 'Purchase',
        eventId: expectedEventId,
        payload: {
          event_id: expectedEventId,
          // The click's: the browser reached the collector from loopback with the in-app user agent.
          user: { ttclid, ip: '127.0.0.1', user_agent: TIKTOK_IN_APP_IPHONE.userAgent },
          properties: { value: payment.value, currency: payment.currency.toUpperCase(), order_id: sessionId },
        },
      },
    ])
    expect((server!.payload.user as { ip?: string }).ip, "not the webhook's own sender").not.toBe(PLATFORM_IPS.stripe)

    const report = await orderReport(request, sessionId)
    expect(report).toMatchObject({ order_id: sessionId, event_id: expectedEventId, source: 'stripe', attribution: { ttclid, linked_by: 'visitor_id' } })
    expect(report.provenance, 'the IP and user agent are the click’s').toMatchObject({
      delivery_id: event.id,
      topic: 'checkout.session.completed',
      visitor_id_from: 'client_reference_id',
      ip_from: expect.stringContaining('click'),
      user_agent_from: expect.stringContaining('click'),
    })
  }
})
