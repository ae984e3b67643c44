/** The script never throws into the page and degrades silently where a browser API is missing. */
import { query } from './helpers/sandbox.js'
import { expect, tag, test, unique } from './helpers/storefront.js'


test('with localStorage throwing (private modes, blocked storage) the click is still captured by cookie, without errors', async ({ page, store }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', {
      get() {
        throw new DOMException('denied', 'SecurityError')
      },
    })
  })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  store.page('/no-storage', tag())
  const ttclid = `E.C.P.${unique('no-storage')}`
  await page.goto(`${store.url}/no-storage?ttclid=${ttclid}`)
  await expect.poll(() => query(`SELECT COUNT(*) AS n FROM clicks WHERE ttclid = ?`, ttclid)).toEqual([{ n: 1 }])
  await page.waitForTimeout(1_200)
  expect(errors).toEqual([])
})

test('without Web Crypto digest (plain http on a non-local host) identify() resolves and sends nothing', async ({ page, store }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window.crypto, 'subtle', { get: () => undefined })
  })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  store.page('/no-subtle', tag())
  await page.goto(`${store.url}/no-subtle`)
  await page.waitForFunction(() => typeof (window as unknown as { clickrelay?: { identify?: unknown } }).clickrelay?.identify === 'function')
  const bodies: string[] = []
  page.on('request', (r) => r.url().endsWith('/collect') && bodies.push(r.postData() ?? ''))
  await page.evaluate(() => (window as unknown as { clickrelay: { identify(f: object): Promise<void> } }).clickrelay.identify({ email: 'x@y.example' }))
  await page.waitForTimeout(300)
  expect(bodies.filter((b) => b.includes('"k":"i"'))).toEqual([])
  expect(errors).toEqual([])
})

test('an error in a ready() callback of the page does not stop the script', async ({ page, store }) => {
  store.page(
    '/bad-callback',
    `<script>window.clickrelay = { q: [], ready: function (f) { this.q.push(f) } }; clickrelay.ready(function () { throw new Error('merchant bug') })</script>` + tag(),
  )
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  const ttclid = `E.C.P.${unique('bad-callback')}`
  await page.goto(`${store.url}/bad-callback?ttclid=${ttclid}`)
  await expect.poll(() => query(`SELECT COUNT(*) AS n FROM clicks WHERE ttclid = ?`, ttclid)).toEqual([{ n: 1 }])
  await expect.poll(() => errors).toEqual(['merchant bug'])
})
