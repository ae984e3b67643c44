/**
 * Pairing with the pixel without merchant code: an order event fired with an order_id and no
 * event_id gets the shared event_id, whether the ClickRelay tag comes before or after the
 * pixel's base code and after the pixel's library replaced its stub; each order event the pixel
 * fires becomes a receipt at the collector; a blocked pixel leaves none.
 */
import type { Page } from '@playwright/test'
import { SANDBOX_PIXEL_CODE } from '../collector/src/config.js'
import { E2E } from './helpers/env.js'
import { expectReceived, query } from './helpers/sandbox.js'
import { expect, pixel, pixelLibraryAfterScript, tag, test, unique } from './helpers/storefront.js'


const orderKey = unique
const fire = (page: Page, event: string, order: string) =>
  page.evaluate(([e, o]) => (window as unknown as { ttq: { track(e: string, p: object): void } }).ttq.track(e!, { value: 10, currency: 'EUR', order_id: o }), [event, order])

const receipts = (key: string) => query<{ event_name: string; event_id: string | null; order_key: string }>(`SELECT event_name, event_id, order_key FROM pixel_receipts WHERE order_key = ?`, key)

for (const [placement, head] of [
  ['before', () => tag() + pixel()],
  ['after', () => pixel() + tag()],
] as const) {
  test(`with the tag ${placement} the pixel's base code, an order event fired at once gets the shared event_id`, async ({ page, request, store }) => {
    await pixelLibraryAfterScript(page)
    const key = orderKey(`tag-${placement}`)
    // Fired from an inline script straight after both tags: into the base code's stub, before either library has loaded.
    store.page(`/thanks-${placement}`, head() + `<script>ttq.track('Purchase', { value: 10, currency: 'EUR', order_id: ${JSON.stringify(key)} })</script>`)
    await page.goto(`${store.url}/thanks-${placement}`)
    await expectReceived(request, `ord_${key}`, 'pixel', [{ event: 'Purchase', eventId: `ord_${key}` }])
    await expect.poll(() => receipts(key)).toEqual([{ event_name: 'Purchase', event_id: `ord_${key}`, order_key: key }])
  })
}

test('after the pixel library has replaced its stub, ttq.track still gets the event_id, and an explicit one is kept', async ({ page, request, store }) => {
  store.page('/late-order', tag() + pixel())
  await page.goto(`${store.url}/late-order`)
  await page.waitForFunction(() => !Array.isArray((window as unknown as { ttq: unknown }).ttq))
  const key = orderKey('loaded')
  await fire(page, 'CompletePayment', key)
  await expectReceived(request, `ord_${key}`, 'pixel', [{ event: 'CompletePayment', eventId: `ord_${key}` }])
  await expect.poll(() => receipts(key)).toEqual([{ event_name: 'CompletePayment', event_id: `ord_${key}`, order_key: key }])

  const own = orderKey('own-id')
  const chosen = unique('merchant-chosen')
  await page.evaluate(([o, id]) => (window as unknown as { ttq: { track(e: string, p: object, x: object): void } }).ttq.track('Purchase', { order_id: o }, { event_id: id }), [own, chosen])
  await expectReceived(request, chosen, 'pixel', [{ event: 'Purchase', eventId: chosen }])
})

test("ttq.instance('<pixel>').track gets what ttq.track gets; another integration's own event_id shows in /admin/status", async ({ page, request, store }) => {
  store.page('/instance', tag() + pixel())
  await page.goto(`${store.url}/instance`)
  await page.waitForFunction(() => !Array.isArray((window as unknown as { ttq: unknown }).ttq))
  type Instanced = { ttq: { instance(code: string): { track(e: string, p: object, o?: object): void } } }

  const key = orderKey('instance')
  await page.evaluate(([o, code]) => (window as unknown as Instanced).ttq.instance(code!).track('Purchase', { value: 10, currency: 'EUR', order_id: o }), [key, SANDBOX_PIXEL_CODE])
  await expectReceived(request, `ord_${key}`, 'pixel', [{ event: 'Purchase', eventId: `ord_${key}` }])
  await expect.poll(() => receipts(key)).toEqual([{ event_name: 'Purchase', event_id: `ord_${key}`, order_key: key }])

  // As TikTok for WooCommerce fires it: through an instance, with an event_id of its own, kept.
  const foreignKey = orderKey('foreign')
  const foreignId = unique('tt4b_woocommerce')
  await page.evaluate(([o, id, code]) => (window as unknown as Instanced).ttq.instance(code!).track('Purchase', { order_id: o }, { event_id: id }), [foreignKey, foreignId, SANDBOX_PIXEL_CODE])
  await expectReceived(request, foreignId, 'pixel', [{ event: 'Purchase', eventId: foreignId }])
  await expect.poll(() => receipts(foreignKey)).toEqual([{ event_name: 'Purchase', event_id: foreignId, order_key: foreignKey }])
  const status = await (await request.get('/admin/status', { headers: { Authorization: `Bearer ${E2E.adminToken}` } })).json()
  const problem = status.problems.find((p: { code: string }) => p.code === 'foreign_pixel_event_id')
  expect(problem?.message).toContain(`not ClickRelay's ord_${foreignKey}`)
})

test('clickrelay.track() fires the pixel with the shared event_id', async ({ page, request, store }) => {
  store.page('/explicit', tag() + pixel())
  await page.goto(`${store.url}/explicit`)
  await page.waitForFunction(() => typeof (window as unknown as { clickrelay?: { track?: unknown } }).clickrelay?.track === 'function')
  const key = orderKey('explicit')
  await page.evaluate((o) => (window as unknown as { clickrelay: { track(e: string, p: object): void } }).clickrelay.track('Purchase', { value: 5, currency: 'EUR', order_id: o }), key)
  await expectReceived(request, `ord_${key}`, 'pixel', [{ event: 'Purchase', eventId: `ord_${key}`, payload: expect.objectContaining({ properties: expect.objectContaining({ value: 5 }) }) }])
})

test('events that are not orders pass through untouched and leave no receipt', async ({ page, request, store }) => {
  store.page('/browse', tag() + pixel())
  await page.goto(`${store.url}/browse`)
  await page.waitForFunction(() => !Array.isArray((window as unknown as { ttq: unknown }).ttq))
  const key = orderKey('view')
  await fire(page, 'ViewContent', key)
  await expect.poll(async () => (await (await request.get('/sandbox/received', { params: { source: 'pixel' } })).json()).events.filter((e: { payload: { properties: { order_id?: string } } }) => e.payload.properties.order_id === key)).toEqual([
    expect.objectContaining({ event: 'ViewContent', payload: expect.not.objectContaining({ event_id: expect.anything() }) }),
  ])
  expect(receipts(key)).toEqual([])
})

test('a blocked pixel library leaves the order without a receipt (server-only)', async ({ page, store }) => {
  await page.route('**/sandbox/pixel/events.js*', (route) => route.abort('blockedbyclient'))
  const key = orderKey('blocked')
  store.page('/blocked', tag() + pixel() + `<script>ttq.track('Purchase', { order_id: ${JSON.stringify(key)} })</script>`)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${store.url}/blocked`)
  await page.waitForTimeout(2_000)
  expect(receipts(key)).toEqual([])
  expect(errors).toEqual([])
})
