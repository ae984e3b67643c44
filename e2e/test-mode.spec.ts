/**
 * Journey 10: a merchant checks dedup in TikTok's test mode. With CLICKRELAY_TEST_EVENT_CODE set
 * (a second collector, started that way), both the pixel and the server events arrive as test
 * events and are reported paired, counted once.
 */
import { expect, test } from '@playwright/test'
import { E2E } from './helpers/env.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, expectReport } from './helpers/sandbox.js'
import { buy, orderReport } from './helpers/shop.js'
import { unique } from './helpers/storefront.js'

test.use(TIKTOK_IN_APP_IPHONE)

test('in test mode the pixel and server events are test events, paired and counted once', async ({ page, request }) => {
  const { baseUrl, code } = E2E.testMode
  const ttclid = `E.C.P.${unique('test-mode')}`
  await page.goto(`${baseUrl}/demo/?ttclid=${ttclid}`)
  const orderId = await buy(page, { email: `${unique('tester')}@example.com`, baseUrl })
  const eventId = `ord_${orderId}`
  await expectReceived(request, eventId, 'server', [{ testEventCode: code, payload: { user: { ttclid } } }], baseUrl)
  await expectReceived(request, eventId, 'pixel', [{ testEventCode: code }], baseUrl)
  await expectReport(request, eventId, { counted_once: true, paired: true, events: [{ event: 'Purchase', server: 1, pixel: 1, counted: 1, merged: true, test: true }] }, baseUrl)
  const report = await orderReport(request, orderId, baseUrl)
  expect(report.event.test_event_code).toBe(code)
  // The pixel's receipt reaches the collector on its own way, after the pixel's event.
  await expect.poll(async () => (await orderReport(request, orderId, baseUrl)).pixel.status).toBe('paired')
})
