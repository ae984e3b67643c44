/**
 * Pairing with TikTok's real pixel base code (e2e/fixtures/pixel/base-code.js, the snippet from
 * TikTok's documentation), in every way a page calls the pixel: `ttq.track(...)` and
 * `ttq.instance('<pixel>').track(...)`, before the pixel's library has run (into the stub's queues)
 * and after, with the ClickRelay tag before the base code, after it, or with the base code injected
 * later by a tag manager.
 *
 * - Library blocked (events.js aborted, as an ad blocker or this offline machine does): both call
 *   forms get `event_id: "ord_<order_id>"` in the queue the library would replay (`ttq` itself, and
 *   the instance's `ttq._i[code]`), a page's own event_id is kept, and no receipt reaches the
 *   collector, so it can tell "pixel blocked".
 * - Library present: a stand-in for events.js (fixtures/pixel/events.js, which, like the real one,
 *   annotates the stub and loads main.<hash>.js), then the library proper in either shape: one that
 *   keeps the array object and installs its methods on it, one that replaces `window.ttq`. In
 *   both, TikTok's endpoint gets every order event with the shared (or the page's own) event_id,
 *   and a receipt for each reaches the collector.
 * - What a script can watch to know the library runs, whichever its shape: the base code's queued
 *   `ready(fn)`, and the library's own requests (main.<hash>.js, analytics.tiktok.com/api/v2/pixel)
 *   in Resource Timing, where a refused events.js shows too.
 *
 * CR_JS=<file> runs the spec against another build of cr.js (see below).
 */
import type { Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { E2E } from './helpers/env.js'
import { query } from './helpers/sandbox.js'
import { expect, tag, test, unique } from './helpers/storefront.js'

/** A pixel code of TikTok's form (20 characters), used by no other spec. */
const CODE = 'CRE2EBASECODE0000000'
const LIBRARY = 'https://analytics.tiktok.com/i18n/pixel/events.js'
/** The library proper, which events.js loads (main.<hash>.js). */
const MAIN = 'https://analytics.tiktok.com/i18n/pixel/static/main.'
const ENDPOINT = 'https://analytics.tiktok.com/api/v2/pixel'
const fixture = (file: string) => readFileSync(new URL(`./fixtures/pixel/${file}`, import.meta.url), 'utf8')
const BASE_CODE = fixture('base-code.js').replace(/__PIXEL_CODE__/g, CODE)
const EVENTS_JS = fixture('events.js')
/** The library proper in its two possible shapes, served in place of main.<hash>.js. */
const STAND_INS = { 'keeps the array': fixture('main-keeps-array.js'), 'replaces window.ttq': fixture('main-replaces-ttq.js') } as const

/**
 * CR_JS=<file>: serves that build of the script instead of the collector's dist/cr.js, to see which
 * of these cases a given build fails (e.g. `git show HEAD:dist/cr.js > /tmp/cr-head.js`).
 */
test.beforeEach(async ({ page }) => {
  const file = process.env.CR_JS
  if (file) await page.route(`${E2E.baseUrl}/cr.js`, (route) => route.fulfill({ status: 200, contentType: 'application/javascript', body: readFileSync(file, 'utf8') }))
})

/** [method, ...args] as the stub queues a call. */
type Call = [string, ...unknown[]]
type Sent = { event: string; event_id?: string; properties: { order_id?: string }; context: { pixel: { code: string } }; library: string }
type Receipt = { event_name: string; event_id: string | null; order_key: string }
type Ttq = {
  track(event: string, properties?: object, options?: object): void
  instance(code: string): { track(event: string, properties?: object, options?: object): void }
  ready(fn: () => void): void
  _i: Record<string, Call[]>
}

const receipts = (key: string) => query<Receipt>(`SELECT event_name, event_id, order_key FROM pixel_receipts WHERE order_key = ?`, key)
const scriptRan = (page: Page) => page.waitForFunction(() => typeof (window as unknown as { clickrelay?: { track?: unknown } }).clickrelay?.track === 'function')

/** The order events a test fires: both call forms, each with and without an event_id of the page's own. */
function orders(name: string) {
  return {
    track: unique(`${name}-track`),
    instance: unique(`${name}-instance`),
    ownTrack: unique(`${name}-own-track`),
    ownInstance: unique(`${name}-own-instance`),
    ownTrackId: unique('page-own-id'),
    ownInstanceId: unique('page-own-id'),
  }
}
type Orders = ReturnType<typeof orders>

/** The page's own calls, as a thank-you page makes them, straight after the base code. */
function pageCalls(o: Orders): string {
  const j = JSON.stringify
  return `ttq.track('Purchase', { value: 10, currency: 'EUR', order_id: ${j(o.track)} });
ttq.instance(${j(CODE)}).track('Purchase', { value: 10, currency: 'EUR', order_id: ${j(o.instance)} });
ttq.track('Purchase', { order_id: ${j(o.ownTrack)} }, { event_id: ${j(o.ownTrackId)} });
ttq.instance(${j(CODE)}).track('Purchase', { order_id: ${j(o.ownInstance)} }, { event_id: ${j(o.ownInstanceId)} });`
}

/**
 * Where the tag stands: before the base code or after it in the HTML (the tag is async, so cr.js
 * mostly runs after the inline base code and its calls either way, and pairs them in the queues),
 * or first, with the base code injected once cr.js has run (a tag manager, a consent banner), so
 * that the base code's `w[t]=w[t]||[]` and every call meet the script's watch on window.ttq.
 */
const PLACEMENTS = {
  'the tag before the base code': (o: Orders) => tag() + `<script>${BASE_CODE}</script><script>${pageCalls(o)}</script>`,
  'the tag after the base code': (o: Orders) => `<script>${BASE_CODE}</script><script>${pageCalls(o)}</script>` + tag(),
  'the base code injected after the tag ran': (o: Orders) =>
    tag() + `<script>(function later() { if (!(window.clickrelay && window.clickrelay.track)) return setTimeout(later, 10);\n${BASE_CODE}\n${pageCalls(o)} })()</script>`,
} as const

/** Aborts events.js as an ad blocker does; returns the URLs the page asked for. */
async function blockLibrary(page: Page): Promise<string[]> {
  const asked: string[] = []
  await page.route(`${LIBRARY}*`, (route) => {
    asked.push(route.request().url())
    return route.abort('blockedbyclient')
  })
  return asked
}

/**
 * Serves the stand-ins: events.js, once cr.js has run (TikTok's library is a large third-party
 * download that normally arrives after the merchant's small script), then `main` in place of
 * main.<hash>.js. Returns the URLs the page asked for.
 */
async function serveLibrary(page: Page, main: string): Promise<string[]> {
  const asked: string[] = []
  await page.route(`${LIBRARY}*`, async (route) => {
    asked.push(route.request().url())
    await scriptRan(page)
    await route.fulfill({ status: 200, contentType: 'application/javascript', body: EVENTS_JS })
  })
  await page.route(`${MAIN}*`, (route) => {
    asked.push(route.request().url())
    return route.fulfill({ status: 200, contentType: 'application/javascript', body: main })
  })
  return asked
}

/** TikTok's endpoint, answered here: every body the pixel sent to it. */
async function tiktokEndpoint(page: Page): Promise<Sent[]> {
  const sent: Sent[] = []
  await page.route(`${ENDPOINT}*`, (route) => {
    sent.push(JSON.parse(route.request().postData() ?? 'null') as Sent)
    return route.fulfill({ status: 200, contentType: 'application/json', headers: { 'Access-Control-Allow-Origin': '*' }, body: '{"code":0}' })
  })
  return sent
}

function pageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  return errors
}

/** The order calls queued in the stub (`ttq`) and in the instance's queue (`ttq._i[code]`), as [event, order_id, event_id]. */
function queued(page: Page) {
  return page.evaluate((code) => {
    const ttq = (window as unknown as { ttq: Ttq }).ttq
    const orderCalls = (queue: Call[]) =>
      Array.from(queue)
        .filter((call) => call[0] === 'track')
        .map((call) => [call[1], (call[2] as { order_id?: string } | undefined)?.order_id, (call[3] as { event_id?: string } | undefined)?.event_id])
    return { isArray: Array.isArray(ttq), stub: orderCalls(ttq as unknown as Call[]), instance: orderCalls(ttq._i[code]!) }
  }, CODE)
}

test.describe('library blocked', () => {
  for (const [placement, head] of Object.entries(PLACEMENTS)) {
    test(`${placement}: both call forms get the shared event_id in the queues, a page's own is kept, and no receipt is sent`, async ({ page, store }) => {
      const asked = await blockLibrary(page)
      const errors = pageErrors(page)
      const o = orders('blocked')
      const path = `/basecode-blocked-${placement.replace(/\W+/g, '-')}`
      store.page(path, head(o))
      await page.goto(`${store.url}${path}`)
      await scriptRan(page)
      await page.waitForFunction(() => Array.isArray((window as unknown as { ttq?: unknown }).ttq))
      // The base code asked for the library where TikTok documents it, and was refused.
      await expect.poll(() => asked).toEqual([`${LIBRARY}?sdkid=${CODE}&lib=ttq`])

      // Calls the page makes later, into the stub that stays a stub.
      const { lateTrack, lateInstance } = await lateCalls(page, 'blocked')

      await expect
        .poll(() => queued(page))
        .toEqual({
          isArray: true,
          stub: [
            ['Purchase', o.track, `ord_${o.track}`],
            ['Purchase', o.ownTrack, o.ownTrackId],
            ['CompletePayment', lateTrack, `ord_${lateTrack}`],
          ],
          instance: [
            ['Purchase', o.instance, `ord_${o.instance}`],
            ['Purchase', o.ownInstance, o.ownInstanceId],
            ['CompletePayment', lateInstance, `ord_${lateInstance}`],
          ],
        })

      // The script checks every second: three checks without the library, and still no receipt.
      await page.waitForTimeout(3_200)
      for (const key of [o.track, o.instance, o.ownTrack, o.ownInstance, lateTrack, lateInstance]) expect(receipts(key), `receipts for ${key}`).toEqual([])
      expect(errors).toEqual([])
    })
  }
})


/** The page's calls once the script runs: a CompletePayment by ttq.track and one by ttq.instance(code).track. */
async function lateCalls(page: Page, label: string): Promise<{ lateTrack: string; lateInstance: string }> {
  const lateTrack = unique(`${label}-late-track`)
  const lateInstance = unique(`${label}-late-instance`)
  await page.evaluate(
    ([code, t, i]) => {
      const ttq = (window as unknown as { ttq: Ttq }).ttq
      ttq.track('CompletePayment', { order_id: t })
      ttq.instance(code!).track('CompletePayment', { order_id: i })
    },
    [CODE, lateTrack, lateInstance],
  )
  return { lateTrack, lateInstance }
}

for (const [shape, source] of Object.entries(STAND_INS)) {
  test.describe(`library present, a stand-in that ${shape}`, () => {
    for (const [placement, head] of Object.entries(PLACEMENTS)) {
      test(`${placement}: TikTok gets both call forms with their event_ids, and a receipt for each reaches the collector`, async ({ page, store }) => {
        const asked = await serveLibrary(page, source)
        const sent = await tiktokEndpoint(page)
        const errors = pageErrors(page)
        const o = orders('present')
        const path = `/basecode-present-${shape.replace(/\W+/g, '-')}-${placement.replace(/\W+/g, '-')}`
        store.page(path, head(o))
        await page.goto(`${store.url}${path}`)
        await expect.poll(() => asked).toEqual([`${LIBRARY}?sdkid=${CODE}&lib=ttq`, expect.stringMatching(/^https:\/\/analytics\.tiktok\.com\/i18n\/pixel\/static\/main\./)])
        // The stand-in has run: its PageView (the base code's queued ttq.page()) went out.
        await expect.poll(() => sent.map((s) => s.event)).toContain('Pageview')
        expect(await page.evaluate(() => Array.isArray((window as unknown as { ttq: unknown }).ttq))).toBe(shape === 'keeps the array')

        // Calls the page makes once the library runs.
        const { lateTrack, lateInstance } = await lateCalls(page, 'present')

        const orderEvents = () =>
          sent
            .filter((s) => s.event !== 'Pageview')
            .map((s) => [s.event, s.properties.order_id, s.event_id ?? null])
            .sort((a, b) => String(a[1]).localeCompare(String(b[1])))
        const expected: Array<[string, string, string]> = [
          ['Purchase', o.track, `ord_${o.track}`],
          ['Purchase', o.instance, `ord_${o.instance}`],
          ['Purchase', o.ownTrack, o.ownTrackId],
          ['Purchase', o.ownInstance, o.ownInstanceId],
          ['CompletePayment', lateTrack, `ord_${lateTrack}`],
          ['CompletePayment', lateInstance, `ord_${lateInstance}`],
        ]
        await expect.poll(orderEvents, { message: 'order events at TikTok' }).toEqual([...expected].sort((a, b) => a[1].localeCompare(b[1])))
        // Each went through the pixel it was tracked on (the instance form through the instance).
        expect(sent.every((s) => s.context.pixel.code === CODE)).toBe(true)

        for (const [event, key, eventId] of expected) {
          await expect.poll(() => receipts(key), { message: `receipt for ${key}`, timeout: 10_000 }).toEqual([{ event_name: event, event_id: eventId, order_key: key }])
        }
        expect(errors).toEqual([])
      })
    }
  })
}

test.describe('signals that the library runs, whichever its shape', () => {
  /**
   * What the page can see: whether a queued ready(fn) was called, and which requests to TikTok
   * show in Resource Timing (the library's scripts, and its calls to the endpoint), by path.
   */
  async function signals(page: Page) {
    await page.waitForTimeout(1_000)
    return page.evaluate(() => {
      const w = window as unknown as { readyCalled?: number }
      const paths = performance
        .getEntriesByType('resource')
        .filter((e) => e.name.indexOf('https://analytics.tiktok.com/') === 0)
        .map((e) => new URL(e.name).pathname.replace(/main\.[^/]*$/, 'main.<hash>.js'))
      return { readyCalled: w.readyCalled ?? 0, tiktokRequests: [...new Set(paths)].sort() }
    })
  }
  const head = () =>
    tag() + `<script>${BASE_CODE}</script><script>window.readyCalled = 0; window.pageReady = function () { window.readyCalled++ }; ttq.ready(pageReady)</script>`

  test('blocked: the base code queues ready(fn) and never calls it, and the refused events.js is all Resource Timing shows', async ({ page, store }) => {
    await blockLibrary(page)
    store.page('/basecode-signals-blocked', head())
    await page.goto(`${store.url}/basecode-signals-blocked`)
    await scriptRan(page)
    // Chromium lists even the refused events.js in Resource Timing (no status to tell it failed):
    // a sign that the library runs must be a request only a running library makes, never events.js.
    expect(await signals(page)).toEqual({ readyCalled: 0, tiktokRequests: ['/i18n/pixel/events.js'] })
    // Still in the stub's queue, for a library that never comes.
    const queuedReady = await page.evaluate(() => {
      const w = window as unknown as { ttq: Call[]; pageReady: unknown }
      return w.ttq.filter((call) => call[0] === 'ready' && call[1] === w.pageReady).length
    })
    expect(queuedReady).toBe(1)
  })

  for (const [shape, source] of Object.entries(STAND_INS)) {
    test(`present, a stand-in that ${shape}: the queued ready(fn) is called once, and the library's requests show in Resource Timing`, async ({ page, store }) => {
      await serveLibrary(page, source)
      await tiktokEndpoint(page)
      const path = `/basecode-signals-${shape.replace(/\W+/g, '-')}`
      store.page(path, head())
      await page.goto(`${store.url}${path}`)
      await expect
        .poll(() => signals(page))
        .toEqual({ readyCalled: 1, tiktokRequests: ['/api/v2/pixel', '/i18n/pixel/events.js', '/i18n/pixel/static/main.<hash>.js'] })
    })
  }
})
