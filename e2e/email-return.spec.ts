/**
 * Journey 3: a shopper lands from the ad in TikTok's in-app browser and signs up to the
 * newsletter; two weeks later (time travel through the stored timestamps) they come back on a
 * desktop from an email link, without a ttclid, and buy with the same email: the ttclid is restored.
 */
import { expect, test } from '@playwright/test'
import { E2E } from './helpers/env.js'
import { DESKTOP, TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { ageVisitor, expectReceived, expectReport, query } from './helpers/sandbox.js'
import { buy, orderReport, visitorIdOf } from './helpers/shop.js'
import { unique } from './helpers/storefront.js'

const DAY = 86_400_000
test.use(TIKTOK_IN_APP_IPHONE)

test('newsletter signup in-app, purchase two weeks later on a desktop with the same email: the ttclid is restored', async ({ page, browser, request }) => {
  const ttclid = `E.C.P.${unique('email-return')}`
  const email = `${unique('returner')}@example.com`
  await page.goto(`${E2E.baseUrl}/demo/?ttclid=${ttclid}`)
  await page.getByLabel('Newsletter email').fill(email)
  await page.getByRole('button', { name: 'Sign up' }).click()
  await expect(page.getByText('Thanks! Check your inbox.')).toBeVisible()
  const inAppVisitor = await visitorIdOf(page)
  await expect.poll(() => query(`SELECT kind FROM identities WHERE visitor_id = ?`, inAppVisitor)).toEqual([{ kind: 'email' }])

  ageVisitor(inAppVisitor, 14 * DAY)

  const desktop = await browser.newContext(DESKTOP)
  try {
    const desktopPage = await desktop.newPage()
    await desktopPage.goto(`${E2E.baseUrl}/demo/?utm_source=newsletter&utm_medium=email`)
    const orderId = await buy(desktopPage, { email: `  ${email.toUpperCase()} ` })
    const eventId = `ord_${orderId}`
    await expectReceived(request, eventId, 'server', [{ event: 'Purchase', payload: { user: { ttclid, user_agent: DESKTOP.userAgent } } }])
    await expectReport(request, eventId, { counted_once: true })
    const report = await orderReport(request, orderId)
    expect(report.attribution).toMatchObject({ ttclid, in_app: true, linked_by: 'email' })
    const capturedDay = new Date(Date.now() - 14 * DAY).toISOString().slice(0, 10)
    expect(report.attribution.summary).toBe(`ttclid captured ${capturedDay} on /demo/ in TikTok's in-app browser, linked by email`)
  } finally {
    await desktop.close()
  }
})
