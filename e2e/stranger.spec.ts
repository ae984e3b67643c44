/**
 * Journey 4: another shopper on the same network (same IP) with the same kind of phone and the
 * same in-app browser buys, with no link to the one who clicked the ad: no ttclid is guessed.
 */
import { expect, test } from '@playwright/test'
import { E2E } from './helpers/env.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, expectReport, query } from './helpers/sandbox.js'
import { buy, orderReport } from './helpers/shop.js'
import { unique } from './helpers/storefront.js'

test.use(TIKTOK_IN_APP_IPHONE)

test('a stranger on the same network and device type gets no ttclid', async ({ page, browser, request }) => {
  const ttclid = `E.C.P.${unique('not-yours')}`
  await page.goto(`${E2E.baseUrl}/demo/?ttclid=${ttclid}`)
  await expect.poll(() => query(`SELECT COUNT(*) AS n FROM clicks WHERE ttclid = ?`, ttclid)).toEqual([{ n: 1 }])

  const stranger = await browser.newContext(TIKTOK_IN_APP_IPHONE)
  try {
    const strangerPage = await stranger.newPage()
    await strangerPage.goto(`${E2E.baseUrl}/demo/`)
    const orderId = await buy(strangerPage, { email: `${unique('stranger')}@example.com` })
    const [server] = await expectReceived(request, `ord_${orderId}`, 'server', [{ event: 'Purchase' }])
    const user = (server!.payload as { user: Record<string, unknown> }).user
    expect(user.ttclid).toBeUndefined()
    expect(user.ip).toBe('127.0.0.1')
    expect(user.user_agent).toBe(TIKTOK_IN_APP_IPHONE.userAgent)
    await expectReport(request, `ord_${orderId}`, { counted_once: true })
    expect((await orderReport(request, orderId)).attribution.summary).toBe('no ttclid: no click from a TikTok ad is linked to this buyer')
  } finally {
    await stranger.close()
  }
})
