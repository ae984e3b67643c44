/**
 * Journey 6: the shopper reloads the thank-you page and the shop's backend resends the order
 * webhook: one server event; both pixel copies carry the same event_id; counted once.
 */
import { expect, test } from '@playwright/test'
import { signBody, SIGNATURE_HEADER } from '../collector/src/sign.js'
import { E2E } from './helpers/env.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, expectReport, query } from './helpers/sandbox.js'
import { buy, orderReport } from './helpers/shop.js'
import { unique } from './helpers/storefront.js'

test.use(TIKTOK_IN_APP_IPHONE)

test('a reloaded thank-you page and a resent webhook still make one purchase, counted once', async ({ page, request }) => {
  await page.goto(`${E2E.baseUrl}/demo/?ttclid=E.C.P.${unique('reload')}`)
  const orderId = await buy(page, { email: `${unique('reloader')}@example.com` })
  const eventId = `ord_${orderId}`
  await expectReceived(request, eventId, 'pixel', [{ eventId }])

  await page.reload()
  await expectReceived(request, eventId, 'pixel', [{ eventId }, { eventId }])

  const body = JSON.stringify({ order_id: orderId, value: 129, currency: 'USD', url: `${E2E.baseUrl}/demo/thank-you?order=${orderId}` })
  const resend = await request.post('/orders', { headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signBody(E2E.orderSecret, body) }, data: body })
  expect(resend.status()).toBe(200)
  expect(await resend.json()).toMatchObject({ event_id: eventId, status: 'duplicate' })

  await expectReceived(request, eventId, 'server', [{ eventId }])
  await expectReport(request, eventId, { counted_once: true, paired: true, events: [{ event: 'Purchase', server: 1, pixel: 2, counted: 1, merged: true, test: false }] })
  expect(query(`SELECT COUNT(*) AS n FROM events WHERE order_id = ?`, orderId)).toEqual([{ n: 1 }])
  await expect.poll(async () => (await orderReport(request, orderId)).pixel.status).toBe('paired')
})
