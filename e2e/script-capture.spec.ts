/**
 * The script records a visit when it brings something new (a first visit, a ttclid or UTMs, a
 * new _ttp), not on every pageview; single-page navigations count like page loads; a ttclid the
 * page strips from the address bar before the script runs is still captured.
 */
import type { ClickRecord } from '../common/wire.js'
import { query } from './helpers/sandbox.js'
import { expect, pixel, pixelLibraryAfterScript, recordsSent, tag, test, unique } from './helpers/storefront.js'


test('a first visit is recorded once; later pageviews without news send nothing; a UTM visit is recorded', async ({ page, store }) => {
  store.page('/a', tag())
  const sent = recordsSent(page)
  await page.goto(`${store.url}/a`)
  await expect.poll(() => sent.length).toBe(1)
  expect(sent[0]).toMatchObject({ v: expect.stringMatching(/^[0-9a-f]{24}$/), u: `${store.url}/a` })

  await page.goto(`${store.url}/a?page=2`)
  await page.goto(`${store.url}/a`)
  await page.waitForTimeout(1_500) // a second check of the _ttp watcher has run
  expect(sent.length).toBe(1)

  await page.goto(`${store.url}/a?utm_source=newsletter&utm_campaign=spring`)
  await expect.poll(() => sent.length).toBe(2)
  expect(sent[1]).toMatchObject({ v: (sent[0] as ClickRecord).v, u: expect.stringContaining('utm_campaign=spring') })
})

test('a ttclid the page strips with replaceState before the script runs is still captured', async ({ page, store }) => {
  const ttclid = `E.C.P.${unique('stripped')}`
  store.page('/strip', `<script>history.replaceState(null, '', location.pathname)</script>${tag()}`)
  const sent = recordsSent(page)
  await page.goto(`${store.url}/strip?ttclid=${ttclid}&utm_source=tiktok`)
  await expect.poll(() => sent.length).toBe(1)
  expect(page.url()).toBe(`${store.url}/strip`)
  expect((sent[0] as ClickRecord).u).toBe(`${store.url}/strip?ttclid=${ttclid}&utm_source=tiktok`)
  await expect.poll(() => query(`SELECT utm_source FROM clicks WHERE ttclid = ?`, ttclid)).toEqual([{ utm_source: 'tiktok' }])
})

test('single-page navigation through pushState, replaceState and popstate is captured like page loads', async ({ page, store }) => {
  store.page('/spa', tag())
  const sent = recordsSent(page)
  await page.goto(`${store.url}/spa`)
  await expect.poll(() => sent.length).toBe(1)
  await page.evaluate(() => history.pushState({}, '', '/spa/products?ttclid=E.C.P.spa-push'))
  await expect.poll(() => sent.map((r) => (r as ClickRecord).u)).toContain(`${store.url}/spa/products?ttclid=E.C.P.spa-push`)
  await page.evaluate(() => history.replaceState({}, '', '/spa/products?utm_source=spa-replace'))
  await expect.poll(() => sent.map((r) => (r as ClickRecord).u)).toContain(`${store.url}/spa/products?utm_source=spa-replace`)
  await page.evaluate(() => history.pushState({}, '', '/spa/cart'))
  await page.waitForTimeout(300)
  const plain = sent.filter((r) => (r as ClickRecord).u.endsWith('/spa/cart'))
  // Back from the cart lands on the campaign URL before the last one sent: popstate is heard.
  await page.evaluate(() => history.pushState({}, '', '/spa/b?utm_source=spa-other'))
  await expect.poll(() => sent.length).toBe(4)
  await page.goBack()
  await page.goBack()
  await expect.poll(() => sent.map((r) => (r as ClickRecord).u)).toEqual([
    `${store.url}/spa`,
    `${store.url}/spa/products?ttclid=E.C.P.spa-push`,
    `${store.url}/spa/products?utm_source=spa-replace`,
    `${store.url}/spa/b?utm_source=spa-other`,
    `${store.url}/spa/products?utm_source=spa-replace`,
  ])
  expect(plain, 'a navigation with nothing new sends nothing').toEqual([])
})

test('a _ttp the pixel sets a second after load is noticed and sent once', async ({ page, context, store }) => {
  store.page('/late', tag() + pixel({ ttpDelayMs: 1_200 }))
  await pixelLibraryAfterScript(page) // the first record must go before the _ttp exists
  const sent = recordsSent(page)
  await page.goto(`${store.url}/late?ttclid=E.C.P.late-ttp`)
  await expect.poll(() => sent.length).toBe(1)
  expect((sent[0] as ClickRecord).p).toBeUndefined()
  await expect.poll(() => sent.length, { timeout: 5_000 }).toBe(2)
  const ttp = (await context.cookies()).find((c) => c.name === '_ttp')!.value
  expect(sent[1]).toMatchObject({ p: ttp, v: (sent[0] as ClickRecord).v })
  await page.waitForTimeout(1_500)
  expect(sent.length, 'the same _ttp is not sent again').toBe(2)
  await page.goto(`${store.url}/late`)
  await page.waitForTimeout(1_500)
  expect(sent.length, 'nor on the next page').toBe(2)
  await expect.poll(() => query(`SELECT ttp FROM clicks WHERE ttp = ?`, ttp).length).toBe(1)
})
