/**
 * Journey 7: the shop asks for consent. Refused: no cookie, no storage, no request. Granted later
 * in the visit (through the cookie settings): captured from then on.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { E2E } from './helpers/env.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, query } from './helpers/sandbox.js'
import { buy } from './helpers/shop.js'
import { unique } from './helpers/storefront.js'

test.use(TIKTOK_IN_APP_IPHONE)

const ours = async (page: Page, context: BrowserContext) => ({
  cookies: (await context.cookies()).filter((c) => c.name.startsWith('cr_')).map((c) => c.name),
  storage: await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('cr_'))),
})

test('refused consent stores and sends nothing; consent given later captures from then on', async ({ page, context, request }) => {
  const collects: string[] = []
  page.on('request', (r) => r.url().endsWith('/collect') && collects.push(r.postData() ?? ''))
  const firstTtclid = `E.C.P.${unique('refused')}`
  await page.goto(`${E2E.baseUrl}/demo/?ttclid=${firstTtclid}&consent=required`)
  await expect(page.getByRole('dialog', { name: 'Cookie consent' })).toBeVisible()
  await page.getByRole('button', { name: 'Refuse' }).click()
  await page.getByRole('link', { name: /Summit Pack/ }).click()
  await expect(page.getByRole('heading', { name: 'Summit Pack 28L' })).toBeVisible()
  await page.waitForTimeout(1_500)
  expect(collects).toEqual([])
  expect(await ours(page, context)).toEqual({ cookies: [], storage: [] })

  // Later in the visit the shopper opens the cookie settings and accepts.
  await page.getByRole('button', { name: 'Cookie settings' }).click()
  await page.getByRole('button', { name: 'Accept' }).click()
  await expect.poll(() => collects.length).toBe(1)
  expect((await ours(page, context)).cookies).toEqual(['cr_vid'])

  // From then on the visit is captured: back to the ad's link, then a purchase.
  const laterTtclid = `E.C.P.${unique('granted')}`
  await page.goto(`${E2E.baseUrl}/demo/?ttclid=${laterTtclid}`)
  await expect.poll(() => collects.some((c) => c.includes(laterTtclid))).toBe(true)
  expect(query(`SELECT COUNT(*) AS n FROM clicks WHERE ttclid = ?`, firstTtclid), 'the click made before consent was not captured').toEqual([{ n: 0 }])
  const orderId = await buy(page, { email: `${unique('consenter')}@example.com` })
  await expectReceived(request, `ord_${orderId}`, 'server', [{ payload: { user: { ttclid: laterTtclid } } }])
})
