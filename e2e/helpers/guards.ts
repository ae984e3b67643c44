/**
 * Fixture pages for "cr.js never breaks the page" (script-guards.spec.ts). Each page is built
 * twice, with the ClickRelay tag and without it, from the same parts: the page's recorder
 * (fixtures/guards/harness.js), TikTok's real base code with its library held back, an order
 * event fired into the stub at once, whatever the case adds before the tag, and the page's own
 * calls (`__scenario()`), run once cr.js has loaded. A run returns what each call returned or
 * threw, what the base code queued and the library received, and every error that reached
 * window.onerror or unhandledrejection, so the two runs can be compared.
 */
import type { Frame, Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { ORDER_EVENTS } from '../../common/event-id.js'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/guards/${name}`, import.meta.url), 'utf8')
const HARNESS = fixture('harness.js')
const PIXEL_LIBRARY = fixture('pixel-library.js')

export const PIXEL_CODE = 'CGUARDS0PIXEL0000001'
/** Where the base code loads the library from: an empty script, as when TikTok's events.js is late or blocked. The page loads its own stand-in when it chooses. */
export const HELD_LIBRARY_PATH = '/guards/events.js'

/** TikTok's pixel base code as Events Manager gives it (the same text as integrations/shopify/custom-pixel.js), loading `libraryUrl`. */
export function tiktokBaseCode(pixelCode: string, libraryUrl: string): string {
  return `!function (w, d, t) {
w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track","identify","instances","debug","on","off","once","ready","alias","group","enableCookie","disableCookie","holdConsent","revokeConsent","grantConsent"],ttq.setAndDefer=function(t,e){t[e]=function(){t.push([e].concat(Array.prototype.slice.call(arguments,0)))}};for(var i=0;i<ttq.methods.length;i++)ttq.setAndDefer(ttq,ttq.methods[i]);ttq.instance=function(t){for(
var e=ttq._i[t]||[],n=0;n<ttq.methods.length;n++)ttq.setAndDefer(e,ttq.methods[n]);return e},ttq.load=function(e,n){var r=${JSON.stringify(libraryUrl)},o=n&&n.partner;ttq._i=ttq._i||{},ttq._i[e]=[],ttq._i[e]._u=r,ttq._t=ttq._t||{},ttq._t[e]=+new Date,ttq._o=ttq._o||{},ttq._o[e]=n||{};n=document.createElement("script")
;n.type="text/javascript",n.async=!0,n.src=r+"?sdkid="+e+"&lib="+t;e=document.getElementsByTagName("script")[0];e.parentNode.insertBefore(n,e)};
ttq.load(${JSON.stringify(pixelCode)});
ttq.page();
}(window, document, 'ttq');`
}

/** The order keys of one test's page: each order event of the standard calls has its own. */
export type OrderKeys = Record<'early' | 'stub' | 'stubInstance' | 'library' | 'libraryInstance' | 'own', string>

export function orderKeys(prefix: string): OrderKeys {
  const base = `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  return { early: `${base}-early`, stub: `${base}-stub`, stubInstance: `${base}-stub-inst`, library: `${base}-lib`, libraryInstance: `${base}-lib-inst`, own: `${base}-own` }
}

/**
 * The page's own calls, in the order a thank-you page with a single-page router makes them:
 * order events into the base code's stub (directly and through an instance), a non-order event,
 * the library replacing the stub, order events into the library, one with the page's own
 * event_id, then two history calls. `push` and `replace` are the URLs the history calls go to;
 * `libraryOptions` is passed to the stand-in library (fixtures/guards/pixel-library.js);
 * `afterLibrary` is page code run straight after the library loaded.
 */
export function standardCalls(options: { push: string; replace: string; libraryOptions?: string; afterLibrary?: string }): string {
  return `
g.step("ttq.track('Purchase') into the stub", function () { return ttq.track('Purchase', { value: 10, currency: 'EUR', order_id: K.stub }) })
g.step("ttq.instance(pixel).track('Purchase') into the stub", function () { return ttq.instance(CODE).track('Purchase', { value: 11, currency: 'EUR', order_id: K.stubInstance }) })
g.step("ttq.track('ViewContent')", function () { return ttq.track('ViewContent', { content_id: 'sku-1' }) })
g.step('the pixel library replaces the stub', function () { return __loadPixelLibrary(${options.libraryOptions ?? ''}) })
${options.afterLibrary ?? ''}
g.step("ttq.track('CompletePayment') into the library", function () { return ttq.track('CompletePayment', { value: 12, currency: 'EUR', order_id: K.library }) })
g.step("ttq.instance(pixel).track('Purchase') into the library", function () { return ttq.instance(CODE).track('Purchase', { value: 13, currency: 'EUR', order_id: K.libraryInstance }) })
g.step("ttq.track('Purchase') with the page's own event_id", function () { return ttq.track('Purchase', { order_id: K.own }, { event_id: 'merchant-' + K.own }) })
g.step('history.pushState', function () { return history.pushState({ step: 1 }, '', ${JSON.stringify(options.push)}) })
g.step('history.replaceState', function () { return history.replaceState({ step: 2 }, '', ${JSON.stringify(options.replace)}) })
g.step('the query after both', function () { return location.search })
`
}

export interface PageParts {
  keys: OrderKeys
  /** The ClickRelay tag, or '' for the run without it. */
  tag: string
  libraryUrl: string
  /** A <meta http-equiv="Content-Security-Policy"> content. */
  csp?: string
  /** Page code that runs after the base code and its first order event, before the tag. */
  beforeTag?: string
  /** The body of `async function __scenario()`: the page's calls once cr.js has loaded (`g` is the recorder, `K` the order keys, `CODE` the pixel code). */
  scenario: string
}

/** The <head> of a fixture page. */
export function guardedHead(parts: PageParts): string {
  const script = (code: string) => (code ? `<script>${code}</script>` : '')
  return [
    parts.csp ? `<meta http-equiv="Content-Security-Policy" content="${parts.csp}">` : '',
    script(HARNESS),
    script(`var K = ${JSON.stringify(parts.keys)}, CODE = ${JSON.stringify(PIXEL_CODE)}`),
    script(PIXEL_LIBRARY),
    script(tiktokBaseCode(PIXEL_CODE, parts.libraryUrl)),
    // As a thank-you page does, straight after the base code: an order event into the stub, before cr.js.
    script(`__guard.stub = __guard.name('the base code stub', ttq); ttq.track('Purchase', { value: 9, currency: 'EUR', order_id: K.early })`),
    script(parts.beforeTag ?? ''),
    parts.tag,
    script(`window.__scenario = async function () {\nvar g = window.__guard\n${parts.scenario}\n}`),
  ].join('\n')
}

/**
 * Installed before anything on the page runs, in every frame: records each error that reaches
 * window.onerror and each unhandled rejection, CSP violations, and notes when cr.js has loaded
 * (a script's load event follows its execution), without touching the script or its API.
 */
export async function listenForErrors(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __errors: string[]; __violations: string[]; __crLoaded?: boolean }
    w.__errors = []
    w.__violations = []
    addEventListener('error', (e) => w.__errors.push(`error: ${e.message}${e.filename ? ` (${e.filename}:${e.lineno})` : ''}`))
    addEventListener('unhandledrejection', (e) => {
      const reason = e.reason as { name?: string; message?: string } | undefined
      w.__errors.push(`unhandledrejection: ${reason && reason.name ? `${reason.name}: ${reason.message}` : String(reason)}`)
    })
    document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`))
    document.addEventListener(
      'load',
      (e) => {
        const src = (e.target as HTMLScriptElement | null)?.src
        if (src && /\/cr\.js(\?|$)/.test(src)) w.__crLoaded = true
      },
      true,
    )
  })
}

export interface Step {
  step: string
  returned?: unknown
  threw?: string
}
export type Call = unknown[]
export interface Run {
  calls: Step[]
  /** The page's track/page calls queued in the base code's stub, by queue ('ttq', or a pixel code for an instance). */
  queues: Record<string, Call[]>
  /** The page's track/page calls the library received: [pixel, method, ...arguments]. */
  library: Call[]
  /** What reached window.onerror / unhandledrejection in the frame. */
  errors: string[]
  violations: string[]
  /** Playwright's pageerror for the page (uncaught errors with their real message, even from a cross-origin script). */
  pageErrors: string[]
}

/**
 * Loads `url`, waits in `frameOf(page)` (the main frame by default) for the page to load and,
 * with the tag, for cr.js to have run; runs the page's calls; with the tag waits `settleMs` more
 * for the script's deferred work (its first tasks, its first once-a-second check).
 */
export async function visit(page: Page, url: string, options: { withTag: boolean; frame?: (page: Page) => Promise<Frame>; settleMs?: number }): Promise<Run> {
  const pageErrors: string[] = []
  const onError = (e: Error) => pageErrors.push(`${e.name}: ${e.message}`)
  page.on('pageerror', onError)
  try {
    await page.goto(url)
    const frame = options.frame ? await options.frame(page) : page.mainFrame()
    await frame.waitForFunction(options.withTag ? '(window).__crLoaded === true && document.readyState === "complete"' : 'document.readyState === "complete"', undefined, { timeout: 10_000 })
    await frame.evaluate('__scenario()')
    if (options.withTag) await page.waitForTimeout(options.settleMs ?? 1_100)
    const run = (await frame.evaluate('__guard.snapshot()')) as Omit<Run, 'pageErrors'>
    return { ...run, pageErrors }
  } finally {
    page.off('pageerror', onError)
  }
}

/** A track call's position of its event name, in a queue entry ([method, ...]) or a library entry ([pixel, method, ...]). */
const eventAt = (call: Call) => (call[0] === 'track' ? 1 : call[1] === 'track' ? 2 : -1)

/**
 * `calls` as they should read with ClickRelay: each order event whose order_id is in `keys` and
 * that has no event_id gets `event_id: "ord_<order_id>"` (the ids of these tests need no hashing).
 */
export function withOurEventIds(calls: Call[], keys: string[]): Call[] {
  return calls.map((call) => {
    const at = eventAt(call)
    if (at < 0 || !ORDER_EVENTS.includes(call[at] as string)) return call
    const key = (call[at + 1] as { order_id?: string } | undefined)?.order_id
    const options = call[at + 2] as { event_id?: string } | undefined
    if (key === undefined || !keys.includes(key) || options?.event_id) return call
    return [...call.slice(0, at + 2), { ...options, event_id: `ord_${key}` }, ...call.slice(at + 3)]
  })
}

/** `calls` with the event_ids ClickRelay may or may not have been able to add (`ord_<order_id>` for an order_id in `keys`) taken out again. */
export function withoutOurEventIds(calls: Call[], keys: string[]): Call[] {
  return calls.map((call) => {
    const at = eventAt(call)
    const key = at < 0 ? undefined : (call[at + 1] as { order_id?: string } | undefined)?.order_id
    const options = at < 0 ? undefined : (call[at + 2] as { event_id?: string } | undefined)
    if (key === undefined || !keys.includes(key) || options?.event_id !== `ord_${key}`) return call
    const { event_id: _ours, ...rest } = options
    const kept = Object.keys(rest).length ? [rest] : []
    return [...call.slice(0, at + 2), ...kept, ...call.slice(at + 3)]
  })
}
