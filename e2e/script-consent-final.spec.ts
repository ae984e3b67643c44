/**
 * Consent withdrawal is final (issue 13, part 3). The collector sits on its own subdomain
 * (t.shop.test, the store on www.shop.test) without data-cookie-domain, so its cookie is
 * host-only there: the page cannot delete it, and consent(false) asks the collector to. After
 * that no cr_vid is left in any jar, an answer still on its way writes nothing back, and consent
 * given again starts a new visitor ID.
 */
import type { BrowserContext, Page } from '@playwright/test'
import { E2E } from './helpers/env.js'
import { query } from './helpers/sandbox.js'
import { expect, test, unique } from './helpers/storefront.js'

type Api = { clickrelay: { consent(given: boolean): void; visitorId(): string | undefined } }
const collector = `http://t.${E2E.shopDomain}:${E2E.port}`

/** Every cr_vid in the browser, whatever its domain, and the page's storage. */
async function visitorTraces(page: Page, context: BrowserContext) {
  return {
    cookies: (await context.cookies()).filter((c) => c.name === 'cr_vid').map((c) => `${c.domain}=${c.value}`),
    storage: await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('cr_'))),
  }
}

const isForget = (body: string | null) => body !== null && JSON.parse(body).k === 'x'

test('consent(false) leaves no cr_vid in any jar, the collector\'s host-only one included; consent(true) starts a new visitor', async ({ page, context, store }) => {
  const port = new URL(store.url).port
  store.page('/final', `<script async src="${collector}/cr.js"></script>`)
  const ttclid = `E.C.P.${unique('final')}`
  const answered = page.waitForResponse((r) => r.url() === `${collector}/collect`)
  await page.goto(`http://www.${E2E.shopDomain}:${port}/final?ttclid=${ttclid}`)
  expect(await (await answered).headerValue('set-cookie'), 'the collector set its own cookie, host-only on its subdomain').toMatch(/^cr_vid=[\w-]+;(?!.*Domain=)/i)
  const first = await page.evaluate(() => (window as unknown as Api).clickrelay.visitorId())
  expect((await visitorTraces(page, context)).cookies.sort()).toEqual([`t.${E2E.shopDomain}=${first}`, `www.${E2E.shopDomain}=${first}`])

  const forgotten = page.waitForResponse((r) => r.url() === `${collector}/collect` && isForget(r.request().postData()))
  await page.evaluate(() => (window as unknown as Api).clickrelay.consent(false))
  expect((await forgotten).status()).toBe(204)
  expect(await visitorTraces(page, context)).toEqual({ cookies: [], storage: [] })
  expect(await page.evaluate(() => (window as unknown as Api).clickrelay.visitorId())).toBeUndefined()

  // Given again: a new visitor, which the collector keeps (it has no old cookie to hand back).
  const again = page.waitForResponse((r) => r.url() === `${collector}/collect` && !isForget(r.request().postData()))
  await page.evaluate(() => (window as unknown as Api).clickrelay.consent(true))
  const answer = (await (await again).json()) as { v: string }
  const second = await page.evaluate(() => (window as unknown as Api).clickrelay.visitorId())
  expect(second).toBeTruthy()
  expect(second).not.toBe(first)
  expect(answer.v).toBe(second)
  expect((await visitorTraces(page, context)).cookies.sort()).toEqual([`t.${E2E.shopDomain}=${second}`, `www.${E2E.shopDomain}=${second}`])
  await expect.poll(() => query<{ visitor_id: string }>('SELECT visitor_id FROM clicks WHERE ttclid = ? ORDER BY id', ttclid)).toEqual([{ visitor_id: first }, { visitor_id: second }])
})

test('an answer that arrives after consent(false) writes nothing back: not the cookie, not storage', async ({ page, context, store }) => {
  const port = new URL(store.url).port
  store.page('/final-late', `<script async src="${collector}/cr.js"></script>`)
  // The click record's answer is held until consent has been withdrawn.
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  let heldOne = false
  await page.route(`${collector}/collect`, async (route) => {
    if (!heldOne && !isForget(route.request().postData())) {
      heldOne = true
      await held
    }
    await route.continue()
  })
  const sent = page.waitForRequest((r) => r.url() === `${collector}/collect` && !isForget(r.postData()))
  await page.goto(`http://www.${E2E.shopDomain}:${port}/final-late?ttclid=E.C.P.${unique('late')}`)
  await sent
  await page.waitForFunction(() => typeof (window as unknown as Partial<Api>).clickrelay?.consent === 'function')
  await page.evaluate(() => (window as unknown as Api).clickrelay.consent(false))
  expect(await visitorTraces(page, context)).toEqual({ cookies: [], storage: [] })

  const forgotten = page.waitForResponse((r) => r.url() === `${collector}/collect` && isForget(r.request().postData()))
  const lateAnswer = page.waitForResponse((r) => r.url() === `${collector}/collect` && !isForget(r.request().postData()))
  release()
  await lateAnswer
  await forgotten
  // The late answer came first (its Set-Cookie too), then the forget request expired it.
  await page.waitForTimeout(300)
  expect(await visitorTraces(page, context)).toEqual({ cookies: [], storage: [] })
  expect(await page.evaluate(() => (window as unknown as Api).clickrelay.visitorId())).toBeUndefined()
})

test('consent(true) said again while a record is on its way changes nothing: its answer is kept', async ({ page, context, store }) => {
  const port = new URL(store.url).port
  const origin = `http://www.${E2E.shopDomain}:${port}`
  store.page('/final-again', `<script async src="${collector}/cr.js"></script>`)
  // The pixel's cookie is there already, so the click record carries it, and its answer marks it sent.
  await context.addCookies([{ name: '_ttp', value: 'again-ttp.1781436000', url: origin }])
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  await page.route(`${collector}/collect`, async (route) => {
    await held
    await route.continue()
  })
  const sent = page.waitForRequest((r) => r.url() === `${collector}/collect`)
  await page.goto(`${origin}/final-again?ttclid=E.C.P.${unique('again')}`)
  expect(JSON.parse((await sent).postData()!)).toMatchObject({ p: 'again-ttp.1781436000' })
  // A consent banner that confirms on every page.
  await page.evaluate(() => (window as unknown as Api).clickrelay.consent(true))
  const answered = page.waitForResponse((r) => r.url() === `${collector}/collect`)
  release()
  await answered
  await expect.poll(() => page.evaluate(() => localStorage.getItem('cr_ttp')), 'the _ttp counts as sent').toBe('again-ttp.1781436000')
})
