/**
 * Journey 2: a shopper taps the ad in TikTok, the page opens in the in-app browser, then they
 * "open in Safari" (its own cookie jar, Safari's user agent) on the same URL and buy there. The
 * Safari order still carries the ttclid, and the collector has linked the two visitors.
 */
import { expect, test } from '@playwright/test'
import { E2E } from './helpers/env.js'
import { SAFARI_IPHONE, TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, expectReport, query } from './helpers/sandbox.js'
import { buy, orderReport, visitorIdOf } from './helpers/shop.js'
import { unique } from './helpers/storefront.js'

test.use(TIKTOK_IN_APP_IPHONE)

test('in-app browser, then Safari on the same link: the Safari purchase carries the ttclid, the visitors are linked', async ({ page, browser, request }) => {
  const ttclid = `E.C.P.${unique('safari')}`
  const landing = `${E2E.baseUrl}/demo/products/trail-jacket?ttclid=${ttclid}`
  await page.goto(landing)
  await expect.poll(() => query(`SELECT COUNT(*) AS n FROM clicks WHERE ttclid = ?`, ttclid)).toEqual([{ n: 1 }])
  const inAppVisitor = await visitorIdOf(page)

  const safari = await browser.newContext(SAFARI_IPHONE)
  try {
    const safariPage = await safari.newPage()
    await safariPage.goto(landing)
    await safariPage.waitForFunction(() => typeof (window as unknown as { clickrelay?: { visitorId?: unknown } }).clickrelay?.visitorId === 'function')
    const safariVisitor = await visitorIdOf(safariPage)
    expect(safariVisitor, 'Safari has its own cookie jar, so its own visitor').not.toBe(inAppVisitor)

    const orderId = await buy(safariPage, { email: 'hopper@example.com' })
    const eventId = `ord_${orderId}`
    await expectReceived(request, eventId, 'server', [{ event: 'Purchase', payload: { user: { ttclid, user_agent: SAFARI_IPHONE.userAgent } } }])
    await expectReport(request, eventId, { counted_once: true, paired: true })

    const report = await orderReport(request, orderId)
    expect(report.attribution).toMatchObject({ ttclid, in_app: true, linked_by: 'ttclid' })
    expect(report.attribution.summary).toContain("in TikTok's in-app browser, linked by the same ad click opened in another browser")
    expect(query(`SELECT o.visitor_id AS buyer, c.visitor_id AS clicker FROM orders o JOIN clicks c ON c.id = o.click_id WHERE o.order_id = ?`, orderId)).toEqual([
      { buyer: safariVisitor, clicker: inAppVisitor },
    ])
  } finally {
    await safari.close()
  }
})
