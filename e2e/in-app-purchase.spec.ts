/**
 * Journey 1: a shopper taps a TikTok ad, lands on the demo store in TikTok's in-app browser
 * (an iPhone viewport and an in-app user agent) with a ttclid, and buys there. The sandbox
 * receives one server Purchase with that ttclid and the pixel's event_id, paired with the
 * pixel's copy and counted once; the collector stored the click and the order.
 */
import { expect, test } from '@playwright/test'
import { TIKTOK_IN_APP_IPHONE } from './helpers/devices.js'
import { expectReceived, expectReport, query } from './helpers/sandbox.js'
import { orderReport } from './helpers/shop.js'

test.use(TIKTOK_IN_APP_IPHONE)

test('an in-app shopper who lands with a ttclid and buys is sent to TikTok once, paired with the pixel', async ({ page, request }, testInfo) => {
  const ttclid = `E.C.P.demo-${testInfo.workerIndex}-${Date.now()}`
  const shot = async (name: string) => testInfo.attach(name, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' })

  const collected = page.waitForRequest((r) => r.url().endsWith('/collect') && r.method() === 'POST')
  await page.goto(`/demo/?ttclid=${ttclid}`)
  await expect(page.getByRole('heading', { name: 'New for the season' })).toBeVisible()
  expect(JSON.parse((await collected).postData() ?? '{}')).toMatchObject({ u: expect.stringContaining(`ttclid=${ttclid}`) })
  await shot('1-landing')

  await page.getByRole('link', { name: /Trail Jacket/ }).click()
  await expect(page.getByRole('heading', { name: 'Trail Jacket' })).toBeVisible()
  await shot('2-product')

  await page.getByRole('link', { name: 'Buy now' }).click()
  await page.getByLabel('Email').fill('shopper@example.com')
  await page.getByLabel('Phone').fill('+1 213 373 4253')
  await shot('3-checkout')
  await page.getByRole('button', { name: /Pay/ }).click()

  await expect(page.getByRole('heading', { name: /Thank you/ })).toBeVisible()
  const orderId = new URL(page.url()).searchParams.get('order')!
  const eventId = await page.evaluate((id) => (window as unknown as { clickrelay: { eventId(e: string, o: string): string } }).clickrelay.eventId('Purchase', id), orderId)
  expect(eventId).toBe(`ord_${orderId}`)

  const visitorId = await page.evaluate(() => (window as unknown as { clickrelay: { visitorId(): string } }).clickrelay.visitorId())
  const ttp = (await page.context().cookies()).find((c) => c.name === '_ttp')?.value
  expect(ttp).toBeTruthy()

  const [server] = await expectReceived(request, eventId, 'server', [
    {
      event: 'Purchase',
      eventId,
      payload: {
        event: 'Purchase',
        event_id: eventId,
        user: {
          ttclid,
          ttp,
          email: [expect.stringMatching(/^[0-9a-f]{64}$/)],
          phone: [expect.stringMatching(/^[0-9a-f]{64}$/)],
          external_id: [expect.stringMatching(/^[0-9a-f]{64}$/)],
          ip: '127.0.0.1',
          user_agent: TIKTOK_IN_APP_IPHONE.userAgent,
        },
        properties: { value: 129, currency: 'USD', order_id: orderId, contents: [{ content_id: 'trail-jacket', quantity: 1, price: 129 }] },
        page: { url: expect.stringContaining(`/demo/thank-you?order=${orderId}`) },
      },
    },
  ])
  expect(JSON.stringify(server)).not.toContain('shopper@example.com')
  await expectReceived(request, eventId, 'pixel', [{ event: 'Purchase', eventId, payload: expect.objectContaining({ properties: expect.objectContaining({ order_id: orderId }) }) }])
  await expectReport(request, eventId, { counted_once: true, paired: true, events: [{ event: 'Purchase', server: 1, pixel: 1, counted: 1, merged: true, test: false }] })

  // The thank-you page shows the newcomer the same verdict.
  await expect(page.locator('#counted')).toHaveText('counted once')
  await expect(page.locator('#ttclid')).toHaveText(ttclid)
  await shot('4-thank-you')

  // What the collector stored: the order, attributed to the landing click through the visitor ID.
  const rows = query<{ linked_by: string; ttclid: string; in_app: number; visitor_id: string; status: string }>(
    `SELECT o.linked_by, c.ttclid, c.in_app, o.visitor_id, e.status
       FROM orders o JOIN clicks c ON c.id = o.click_id JOIN events e ON e.order_id = o.order_id
      WHERE o.order_id = ?`,
    orderId,
  )
  expect(rows).toEqual([{ linked_by: 'visitor_id', ttclid, in_app: 1, visitor_id: visitorId, status: 'delivered' }])
  await expect.poll(async () => (await orderReport(request, orderId)).pixel.status).toBe('paired')

  // The thank-you page links to the order in the dashboard, open in the sandbox on loopback.
  await page.getByRole('link', { name: 'See this order in the dashboard' }).click()
  await expect(page.getByRole('heading', { name: `Order ${orderId}` })).toBeVisible()
  await expect(page.getByText(ttclid).first()).toBeVisible()
  await shot('5-dashboard-order')
})
