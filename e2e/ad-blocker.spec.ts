/**
 * Journey 5: the shopper's ad blocker stops the TikTok pixel's script. The server event still
 * arrives, with the ttclid, and the collector reports the order as server-only.
 */
import { expect, test } from '@playwright/test'
import { E2E } from './helpers/env.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, expectReport, received } from './helpers/sandbox.js'
import { buy, orderReport } from './helpers/shop.js'
import { unique } from './helpers/storefront.js'

test.use(TIKTOK_IN_APP_IPHONE)

test('with the pixel blocked, the server event still arrives and the order is reported server-only', async ({ page, request }) => {
  await page.route('**/sandbox/pixel/events.js*', (route) => route.abort('blockedbyclient'))
  const ttclid = `E.C.P.${unique('blocked')}`
  await page.goto(`${E2E.baseUrl}/demo/?ttclid=${ttclid}`)
  const orderId = await buy(page, { email: `${unique('blocker')}@example.com` })
  const eventId = `ord_${orderId}`
  await expectReceived(request, eventId, 'server', [{ event: 'Purchase', payload: { user: { ttclid } } }])
  await expectReport(request, eventId, { counted_once: true, paired: false })
  await page.waitForTimeout(1_500)
  expect(await received(request, { event_id: eventId, source: 'pixel' })).toEqual([])
  const report = await orderReport(request, orderId)
  expect(report.pixel).toEqual({ status: 'server_only', events: [] })
  expect(report.event.status).toBe('delivered')
})
