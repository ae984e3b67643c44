/**
 * Journey 9: landing pages that lose the ttclid from the address bar. One strips it with
 * history.replaceState right after load (before cr.js runs); one is a tracking link that
 * 302-redirects to the product, keeping the query. Both are captured and reach the order.
 */
import { expect, test } from '@playwright/test'
import { E2E } from './helpers/env.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, query } from './helpers/sandbox.js'
import { buy } from './helpers/shop.js'
import { unique } from './helpers/storefront.js'

test.use(TIKTOK_IN_APP_IPHONE)

test('a landing page that strips the ttclid from the address bar right after load is still captured', async ({ page, request }) => {
  const ttclid = `E.C.P.${unique('stripped')}`
  await page.goto(`${E2E.baseUrl}/demo/?ttclid=${ttclid}&strip=1`)
  expect(page.url()).toBe(`${E2E.baseUrl}/demo/`)
  await expect.poll(() => query(`SELECT landing_url FROM clicks WHERE ttclid = ?`, ttclid)).toEqual([{ landing_url: `${E2E.baseUrl}/demo/?ttclid=${ttclid}&strip=1` }])
  const orderId = await buy(page, { email: `${unique('stripped')}@example.com` })
  await expectReceived(request, `ord_${orderId}`, 'server', [{ payload: { user: { ttclid } } }])
})

test('a landing URL that 302-redirects keeping its query is captured after the redirect', async ({ page, request }) => {
  const ttclid = `E.C.P.${unique('redirected')}`
  const redirects: number[] = []
  page.on('response', (r) => r.url().includes('/demo/go/') && redirects.push(r.status()))
  await page.goto(`${E2E.baseUrl}/demo/go/summit-pack?ttclid=${ttclid}&utm_source=tiktok`)
  expect(redirects).toEqual([302])
  expect(page.url()).toBe(`${E2E.baseUrl}/demo/products/summit-pack?ttclid=${ttclid}&utm_source=tiktok`)
  await expect.poll(() => query(`SELECT utm_source FROM clicks WHERE ttclid = ?`, ttclid)).toEqual([{ utm_source: 'tiktok' }])
  const orderId = await buy(page, { product: 'summit-pack', email: `${unique('redirected')}@example.com` })
  await expectReceived(request, `ord_${orderId}`, 'server', [{ payload: { user: { ttclid }, properties: { value: 89 } } }])
})
