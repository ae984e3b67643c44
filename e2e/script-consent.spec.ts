/**
 * data-consent="required": no cookie, no storage, no request until clickrelay.consent(true);
 * consent(false) clears what was stored and stops capture.
 */
import type { BrowserContext, Page } from '@playwright/test'
import type { ClickRecord } from '../common/wire.js'
import { E2E } from './helpers/env.js'
import { query } from './helpers/sandbox.js'
import { expect, tag, test, unique } from './helpers/storefront.js'


type Api = { clickrelay: { consent(g: boolean): void; visitorId(): string | undefined; eventId(e: string, o: string): string } }
const stored = async (page: Page, context: BrowserContext) => ({
  cookies: (await context.cookies()).filter((c) => c.name.startsWith('cr_')).map((c) => c.name),
  storage: await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('cr_'))),
})

test('without consent nothing is stored or sent; consent(true) captures from then on; consent(false) clears', async ({ page, context, store }) => {
  const ttclid = `E.C.P.${unique('consent')}`
  store.page('/consent', tag('data-consent="required"'))
  const requests: string[] = []
  page.on('request', (r) => r.url().startsWith(E2E.baseUrl) && !r.url().endsWith('/cr.js') && requests.push(r.url()))
  await page.goto(`${store.url}/consent?ttclid=${ttclid}`)
  await page.waitForFunction(() => typeof (window as unknown as Partial<Api>).clickrelay?.consent === 'function')
  await page.waitForTimeout(1_500)
  expect(requests).toEqual([])
  expect(await stored(page, context)).toEqual({ cookies: [], storage: [] })
  expect(await page.evaluate(() => (window as unknown as Api).clickrelay.visitorId())).toBeUndefined()
  expect(await page.evaluate(() => (window as unknown as Api).clickrelay.eventId('Purchase', '7')), 'the pure API still works').toBe('ord_7')

  const collect = page.waitForRequest((r) => r.url().endsWith('/collect'))
  await page.evaluate(() => (window as unknown as Api).clickrelay.consent(true))
  const record = JSON.parse((await collect).postData()!) as ClickRecord
  expect(record.u).toContain(`ttclid=${ttclid}`)
  await expect.poll(() => query(`SELECT visitor_id FROM clicks WHERE ttclid = ?`, ttclid)).toEqual([{ visitor_id: record.v }])
  expect((await stored(page, context)).cookies).toEqual(['cr_vid'])

  // The choice is remembered: the next page captures without being asked again.
  const next = page.waitForRequest((r) => r.url().endsWith('/collect'))
  await page.goto(`${store.url}/consent?utm_source=after-consent`)
  expect(JSON.parse((await next).postData()!)).toMatchObject({ v: record.v, u: expect.stringContaining('after-consent') })

  await page.waitForFunction(() => typeof (window as unknown as Partial<Api>).clickrelay?.consent === 'function')
  await page.evaluate(() => (window as unknown as Api).clickrelay.consent(false))
  expect(await stored(page, context)).toEqual({ cookies: [], storage: [] })
  requests.length = 0
  await page.evaluate(() => history.pushState({}, '', '/consent?ttclid=E.C.P.after-refusal'))
  await page.waitForTimeout(1_500)
  expect(requests).toEqual([])
})

test('consent given through the stub before the script loads is applied once it does', async ({ page, store }) => {
  store.page(
    '/consent-stub',
    `<script>window.clickrelay = window.clickrelay || { q: [], ready: function (f) { this.q.push(f) } }; clickrelay.ready(function (cr) { cr.consent(true) })</script>` + tag('data-consent="required"'),
  )
  const collect = page.waitForRequest((r) => r.url().endsWith('/collect'))
  await page.goto(`${store.url}/consent-stub?ttclid=E.C.P.consent-stub`)
  expect(JSON.parse((await collect).postData()!).u).toContain('E.C.P.consent-stub')
})
