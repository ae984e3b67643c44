/**
 * Journey 11: the pixel sets _ttp a second after the page loaded, after cr.js ran. The script
 * notices it on the same page, and it reaches the order's server event.
 */
import { expect, test } from '@playwright/test'
import type { ClickRecord } from '../common/wire.js'
import { E2E } from './helpers/env.js'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived } from './helpers/sandbox.js'
import { buy } from './helpers/shop.js'
import { unique } from './helpers/storefront.js'

test.use(TIKTOK_IN_APP_IPHONE)

test('a _ttp set a second after load is sent from the same page and reaches the order', async ({ page, context, request }) => {
  const records: ClickRecord[] = []
  page.on('request', (r) => r.url().endsWith('/collect') && records.push(JSON.parse(r.postData() ?? '{}') as ClickRecord))
  await page.goto(`${E2E.baseUrl}/demo/?ttclid=E.C.P.${unique('late-ttp')}&ttp_delay=1000`)
  await expect.poll(() => records.length).toBe(1)
  expect(records[0]!.p, 'no _ttp yet when cr.js ran').toBeUndefined()
  await expect.poll(() => records.length, { timeout: 5_000 }).toBe(2)
  const ttp = (await context.cookies()).find((c) => c.name === '_ttp')!.value
  expect(records[1]!.p).toBe(ttp)

  const orderId = await buy(page, { email: `${unique('late')}@example.com` })
  await expectReceived(request, `ord_${orderId}`, 'server', [{ payload: { user: { ttp } } }])
})
