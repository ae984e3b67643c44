/**
 * Journey 8: a single-page storefront whose router brings the ttclid into the address bar with
 * pushState after the page has loaded; the click is captured and reaches the order.
 */
import { expect, test } from '@playwright/test'
import type { ClickRecord } from '../common/wire.js'
import { E2E } from './helpers/env.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived } from './helpers/sandbox.js'
import { unique } from './helpers/storefront.js'

test.use(TIKTOK_IN_APP_IPHONE)

test('a ttclid that arrives through client-side navigation is captured and reaches the order', async ({ page, request }) => {
  const ttclid = `E.C.P.${unique('spa')}`
  const records: ClickRecord[] = []
  page.on('request', (r) => r.url().endsWith('/collect') && records.push(JSON.parse(r.postData() ?? '{}') as ClickRecord))
  const deepLink = `/demo/spa/products/trail-jacket?ttclid=${ttclid}`
  await page.goto(`${E2E.baseUrl}/demo/spa/?next=${encodeURIComponent(deepLink)}`)
  await expect(page.getByRole('heading', { name: 'Trail Jacket' })).toBeVisible()
  expect(page.url()).toBe(E2E.baseUrl + deepLink)
  await expect.poll(() => records.map((r) => r.u)).toContain(E2E.baseUrl + deepLink)
  expect(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).name), 'the page itself was loaded without it').not.toContain('ttclid=E.C.P')

  await page.getByRole('link', { name: 'Buy now' }).click()
  await page.getByLabel('Email').fill(`${unique('spa-shopper')}@example.com`)
  await page.getByRole('button', { name: /Pay/ }).click()
  await expect(page.getByRole('heading', { name: /Thank you/ })).toBeVisible()
  const orderId = new URL(page.url()).searchParams.get('order')!
  await expectReceived(request, `ord_${orderId}`, 'server', [{ payload: { user: { ttclid } } }])
})
