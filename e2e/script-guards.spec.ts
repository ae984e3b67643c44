/**
 * cr.js never breaks the page, whatever the page does (issue 13, part 1). Each case loads one
 * fixture page twice, without the ClickRelay tag and with it, and makes the same calls in both:
 * order events into TikTok's base code and its library, directly and through an instance, the
 * library replacing the stub, history.pushState and replaceState. With the tag,
 *   (a) every call returns or throws exactly what it did without it, and the pixel receives the
 *       same calls, plus the event_ids ClickRelay adds where it can;
 *   (b) nothing reaches window.onerror or unhandledrejection;
 *   (c) what can still work does: the event_ids, the click record at the collector where the
 *       network allows it, identify() resolving, at most one receipt per order.
 * The pages: a sandboxed iframe, storage and cookies disabled or throwing, an http origin
 * without crypto.subtle, a frozen / Proxy / twice-replaced window.ttq, routers that wrap
 * history before and after the script or throw, a CSP that blocks the collector.
 */
import type { Frame, Page } from '@playwright/test'
import type { ReceiptRecord, WireRecord } from '../common/wire.js'
import { E2E } from './helpers/env.js'
import { guardedHead, HELD_LIBRARY_PATH, listenForErrors, orderKeys, standardCalls, visit, withOurEventIds, withoutOurEventIds, type OrderKeys, type Run, type Step } from './helpers/guards.js'
import { query } from './helpers/sandbox.js'
import { expect, recordsSent, tag, test, unique, type Storefront } from './helpers/storefront.js'

interface Case {
  name: string
  slug: string
  /** Before the first visit: init scripts, browser settings. */
  prepare?: (page: Page) => Promise<unknown>
  /** The page's origin, when not the storefront's own. */
  origin?: (store: Storefront) => string
  /** The page sits in `<iframe sandbox="allow-scripts">` (no allow-same-origin) of a plain page. */
  sandboxed?: boolean
  csp?: string
  beforeTag?: string
  /** Page calls before and after the standard ones, and straight after the library loaded. */
  firstCalls?: string
  lastCalls?: string
  afterLibrary?: string
  libraryOptions?: string
  /** Order keys whose events may or may not get ClickRelay's event_id, where the page leaves no way to add it (every other order event without an event_id of its own must get it). */
  mayPair?: (keys: OrderKeys) => string[]
  /**
   * The click records that must reach the collector: the landing ttclid, and the ttclid of the
   * URL the page pushes and replaces straight after (checked where the page's history and its
   * storage are the point: the storage cases and the routers).
   */
  sends?: { landing: boolean; pushed: boolean }
  /** Steps of the run without the tag that show the page is what the case says (a cookie that throws, a router that throws...). */
  shows?: Array<Partial<Record<keyof Step, unknown>>>
  /** Further checks on the run with the tag, in the frame that ran it. */
  check?: (run: { withTag: Run; without: Run; frame: Frame; records: WireRecord[] }) => Promise<void>
}

const throwSecurityError = `function () { throw new DOMException('The operation is insecure.', 'SecurityError') }`
/** Storage that throws, as with storage disabled: the localStorage getter, and every Storage method (sessionStorage). */
const storageDisabled = `Object.defineProperty(window, 'localStorage', { configurable: true, get: ${throwSecurityError} });
['getItem', 'setItem', 'removeItem', 'clear', 'key'].forEach(function (m) { Storage.prototype[m] = ${throwSecurityError} })`
/** The page's own touches of storage and cookies: what they do is part of what must not change. */
const ownStorageCalls = `
g.step('localStorage.length', function () { return localStorage.length })
g.step('sessionStorage.getItem', function () { return sessionStorage.getItem('x') })
g.step('document.cookie = ...', function () { document.cookie = 'page_own=1; Path=/'; return 'written' })
g.step('document.cookie', function () { return document.cookie.indexOf('page_own=1') >= 0 ? 'has page_own' : 'no page_own' })
`
const identifyResolves = async ({ frame }: { frame: Frame }) => {
  const outcome = await frame.evaluate(() =>
    Promise.race([
      (window as unknown as { clickrelay: { identify(f: object): Promise<unknown> } }).clickrelay.identify({ email: 'guards@example.com', phone: '+33612345678' }).then(
        (v) => `resolved ${String(v)}`,
        (e: Error) => `rejected ${e.name}: ${e.message}`,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still pending after 5 s'), 5_000)),
    ]),
  )
  expect.soft(outcome, 'identify() resolves').toBe('resolved undefined')
  await frame.page().waitForTimeout(300)
  expect.soft(await frame.evaluate('__errors.slice()'), 'nothing reaches window.onerror after identify()').toEqual([])
}
const routerCalls = `g.step('what the router saw', function () { return __router.calls.join(' | ') })`
const routerWrapsHistory = `window.__router = { calls: [] };
['pushState', 'replaceState'].forEach(function (method) {
  var inner = history[method]
  history[method] = function (state, title, url) {
    __router.calls.push(method + ' ' + url)
    inner.apply(this, arguments)
    return 'routed ' + url
  }
})`

const cases: Case[] = [
  {
    name: 'in a sandboxed iframe, where document.cookie and localStorage throw SecurityError',
    slug: 'sandboxed',
    sandboxed: true,
    firstCalls: ownStorageCalls,
    shows: [
      { step: 'localStorage.length', threw: expect.stringMatching(/^SecurityError/) },
      { step: 'document.cookie', threw: expect.stringMatching(/^SecurityError/) },
    ],
    sends: { landing: false, pushed: false }, // an opaque origin, which the collector does not allow
  },
  {
    name: 'with storage disabled and cookies disabled',
    slug: 'no-storage',
    prepare: async (page) => {
      await page.addInitScript(storageDisabled)
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('Emulation.setDocumentCookieDisabled', { disabled: true })
    },
    firstCalls: ownStorageCalls,
    shows: [
      { step: 'localStorage.length', threw: expect.stringMatching(/^SecurityError/) },
      { step: 'sessionStorage.getItem', threw: expect.stringMatching(/^SecurityError/) },
      { step: 'document.cookie', returned: 'no page_own' },
    ],
    sends: { landing: true, pushed: true },
  },
  {
    name: "with storage disabled and document.cookie throwing on the shop's own origin",
    slug: 'cookie-throws',
    prepare: (page) => page.addInitScript(`${storageDisabled};\nObject.defineProperty(Document.prototype, 'cookie', { configurable: true, get: ${throwSecurityError}, set: ${throwSecurityError} })`),
    firstCalls: ownStorageCalls,
    shows: [{ step: 'document.cookie', threw: expect.stringMatching(/^SecurityError/) }],
    sends: { landing: true, pushed: true },
  },
  {
    name: 'on an http origin that is not localhost, without crypto.subtle: identify() resolves',
    slug: 'no-subtle',
    origin: (store) => `http://www.${E2E.shopDomain}:${new URL(store.url).port}`,
    firstCalls: `g.step('typeof crypto.subtle', function () { return typeof crypto.subtle })`,
    shows: [{ step: 'typeof crypto.subtle', returned: 'undefined' }],
    sends: { landing: true, pushed: false },
    check: identifyResolves,
  },
  {
    name: "with the base code's stub frozen (Object.freeze(ttq))",
    slug: 'frozen-stub',
    beforeTag: 'Object.freeze(ttq)',
    shows: [{ step: "ttq.track('Purchase') into the stub", threw: expect.stringMatching(/^TypeError/) }],
    mayPair: (k) => [k.stubInstance],
    sends: { landing: true, pushed: false },
  },
  {
    name: 'with a frozen pixel library and frozen instances',
    slug: 'frozen-library',
    libraryOptions: '{ freeze: true }',
    mayPair: (k) => [k.library, k.libraryInstance],
    sends: { landing: true, pushed: false },
  },
  {
    name: 'with window.ttq non-writable and non-configurable',
    slug: 'fixed-ttq',
    beforeTag: "Object.defineProperty(window, 'ttq', { value: ttq, writable: false, configurable: false })",
    sends: { landing: true, pushed: false },
  },
  {
    name: 'with window.ttq a Proxy of the stub that refuses every write',
    slug: 'proxy-readonly',
    beforeTag: `window.ttq = new Proxy(ttq, {
  set: function () { var e = new TypeError('this pixel is read-only'); e.fromPage = 'proxy'; throw e },
  defineProperty: function () { var e = new TypeError('this pixel is read-only'); e.fromPage = 'proxy'; throw e },
})`,
    mayPair: (k) => [k.stub, k.stubInstance],
    sends: { landing: true, pushed: false },
  },
  {
    name: 'with the library published as a Proxy that binds every method it hands out',
    slug: 'proxy-binding',
    libraryOptions: '{ proxy: true }',
    sends: { landing: true, pushed: false },
  },
  {
    name: 'with window.ttq replaced twice: by the library, then by another script delegating to it',
    slug: 'replaced-twice',
    afterLibrary: `g.step('another script replaces window.ttq', function () {
  var library = window.ttq
  window.ttq = __guard.name('the second replacement', {
    track: function () { return library.track.apply(library, arguments) },
    page: function () { return library.page.apply(library, arguments) },
    instance: function (code) { return library.instance(code) },
  })
  return window.ttq
})`,
    sends: { landing: true, pushed: false },
  },
  {
    name: 'with a router that wraps history.pushState and replaceState before cr.js, and one that wraps them after',
    slug: 'routers',
    beforeTag: routerWrapsHistory,
    // The second router wraps what is there once cr.js has run.
    firstCalls: `g.step('a second router wraps history', function () {
  var outer = { pushState: history.pushState, replaceState: history.replaceState }
  history.pushState = function (state, title, url) { __router.calls.push('after: pushState ' + url); return outer.pushState.apply(this, arguments) }
  history.replaceState = function (state, title, url) { __router.calls.push('after: replaceState ' + url); return outer.replaceState.apply(this, arguments) }
})`,
    lastCalls: routerCalls,
    shows: [{ step: 'what the router saw', returned: expect.stringMatching(/^after: pushState [^|]+ \| pushState [^|]+ \| after: replaceState [^|]+ \| replaceState [^|]+$/) }],
    sends: { landing: true, pushed: true },
  },
  {
    name: "with a router whose pushState throws: the router's own exception reaches the page's caller, once",
    slug: 'router-throws',
    beforeTag: `window.__router = { calls: [] }
history.pushState = function (state, title, url) {
  __router.calls.push('pushState ' + url)
  var e = new Error('navigation cancelled'); e.name = 'RouterError'; e.fromPage = 'router error'; throw e
}`,
    lastCalls: routerCalls,
    shows: [
      { step: 'history.pushState', threw: expect.stringContaining("(the page's own router error)") },
      { step: 'what the router saw', returned: expect.stringMatching(/^pushState [^|]+$/) },
    ],
    sends: { landing: true, pushed: false },
  },
  {
    name: "with a CSP (connect-src 'self') that blocks the collector",
    slug: 'csp',
    csp: "connect-src 'self'",
    sends: { landing: false, pushed: false },
    check: async (run) => {
      expect.soft(run.withTag.violations, 'the collector was blocked by the CSP (the case is exercised)').toContainEqual(expect.stringMatching(/^connect-src .*\/collect/))
      await identifyResolves(run)
    },
  },
]

test.beforeEach(async ({ page, store }) => {
  store.route(HELD_LIBRARY_PATH, (_req, res) => res.writeHead(200, { 'Content-Type': 'text/javascript' }).end('/* TikTok events.js, held back */'))
  // To show that these tests fail without the guards: GUARDS_CR_JS=<another build of cr.js> serves that file as cr.js.
  const other = process.env.GUARDS_CR_JS
  if (other) await page.route(`${E2E.baseUrl}/cr.js`, (route) => route.fulfill({ path: other, contentType: 'text/javascript' }))
})

test.describe('the page works as without cr.js', () => {
  for (const c of cases) {
    test(c.name, async ({ page, store }) => {
      await listenForErrors(page)
      await c.prepare?.(page)
      const keys = orderKeys(c.slug)
      const ttclid = `E.C.P.${unique(`guards-${c.slug}`)}`
      const pushed = `E.C.P.${unique(`guards-${c.slug}-pushed`)}`
      const origin = c.origin?.(store) ?? store.url
      const scenario = [
        c.firstCalls ?? '',
        standardCalls({ push: `?ttclid=${pushed}`, replace: `?utm_source=guards&utm_content=${unique('replaced')}`, libraryOptions: c.libraryOptions, afterLibrary: c.afterLibrary }),
        c.lastCalls ?? '',
      ].join('\n')
      const path = (withTag: boolean) => `/guards/${c.slug}/${withTag ? 'with' : 'without'}`
      for (const withTag of [false, true]) {
        const head = guardedHead({ keys, tag: withTag ? tag() : '', libraryUrl: `${origin}${HELD_LIBRARY_PATH}`, csp: c.csp, beforeTag: c.beforeTag, scenario })
        if (c.sandboxed) {
          store.page(`${path(withTag)}/frame`, head)
          store.page(path(withTag), '', `<iframe sandbox="allow-scripts" src="${path(withTag)}/frame?ttclid=${ttclid}"></iframe>`)
        } else store.page(path(withTag), head)
      }
      const frame = c.sandboxed ? (p: Page) => sandboxedFrame(p) : undefined

      const without = await visit(page, `${origin}${path(false)}?ttclid=${ttclid}`, { withTag: false, frame })
      expect(without.errors, 'the fixture page itself raises nothing').toEqual([])
      expect(without.pageErrors, 'the fixture page itself throws nothing uncaught').toEqual([])
      if (c.shows) expect(without.calls, 'the page is what the case says').toEqual(expect.arrayContaining(c.shows.map((s) => expect.objectContaining(s))))
      const records = recordsSent(page)
      const withTag = await visit(page, `${origin}${path(true)}?ttclid=${ttclid}`, { withTag: true, frame })

      // (a) The page's own calls: what each returned or threw, and what the pixel queued and received.
      expect.soft(withTag.calls, "each of the page's calls returns or throws exactly what it did without cr.js").toEqual(without.calls)
      const mayPair = c.mayPair?.(keys) ?? []
      const paired = [keys.early, keys.stub, keys.stubInstance, keys.library, keys.libraryInstance]
      const expected = (calls: unknown[][]) => withOurEventIds(calls, paired.filter((k) => !mayPair.includes(k)))
      expect.soft(withoutOurEventIds(withTag.library, mayPair), "the pixel library receives the page's calls, with ClickRelay's event_ids").toEqual(expected(without.library))
      expect.soft(Object.fromEntries(Object.entries(withTag.queues).map(([q, calls]) => [q, withoutOurEventIds(calls, mayPair)])), "the base code's queues hold the page's calls, with ClickRelay's event_ids").toEqual(
        Object.fromEntries(Object.entries(without.queues).map(([q, calls]) => [q, expected(calls)])),
      )
      // (b) Nothing of ours reaches the page's error handlers.
      expect.soft(withTag.errors, 'nothing reaches window.onerror or unhandledrejection').toEqual([])
      expect.soft(withTag.pageErrors, 'no uncaught error in the page').toEqual([])
      // (c) What can still work, does.
      const receipts = records.filter((r): r is ReceiptRecord => 'k' in r && r.k === 'r')
      const perOrder = receipts.reduce<Record<string, number>>((n, r) => ({ ...n, [String(r.o)]: (n[String(r.o)] ?? 0) + 1 }), {})
      expect.soft(Object.entries(perOrder).filter(([, n]) => n > 1), 'at most one receipt per order event').toEqual([])
      const soft = expect.configure({ soft: true })
      if (c.sends?.landing) await soft.poll(() => clicksOf(ttclid), { message: 'the landing click reaches the collector', timeout: 3_000 }).toBe(1)
      // The router replaces the pushed URL in the same task: the ttclid must be read from it at once.
      if (c.sends?.pushed) await soft.poll(() => clicksOf(pushed), { message: "the ttclid of the pushed URL reaches the collector, though the page replaced that URL straight after", timeout: 3_000 }).toBe(1)
      await c.check?.({ withTag, without, frame: c.sandboxed ? await sandboxedFrame(page) : page.mainFrame(), records })
    })
  }
})

const clicksOf = (ttclid: string) => query<{ n: number }>(`SELECT COUNT(*) AS n FROM clicks WHERE ttclid = ?`, ttclid)[0]!.n

async function sandboxedFrame(page: Page): Promise<Frame> {
  await expect.poll(() => page.frames().length, { message: 'the sandboxed iframe is attached' }).toBe(2)
  return page.frames()[1]!
}
