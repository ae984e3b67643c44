/**
 * ClickRelay on-page script (dist/cr.js). One page load, top to bottom:
 * find our own tag and read what it asks for; note the landing URL; publish
 * `window.clickrelay`; start pairing the TikTok pixel with the server; hook single-page
 * navigations. Then, each in a task of its own: recall the visitor and put back a lost copy of
 * its ID; decide whether the visit brings something new (a first visit, a ttclid or UTMs, a new
 * _ttp) and write the ID; send the click record. For 30 seconds keep looking, less and less
 * often, for a _ttp the pixel sets later (one that appears after that is sent by the next page). Last, load the platform
 * add-ons the tag asks for, which work through `window.clickrelay` like any page code.
 *
 * Cookies, storage and the network are slow to touch the first time on a phone, so each touch
 * waits for a task of its own. What must happen at once, does: the URL is read before the page
 * can rewrite it, and the pixel is watched before the page can fire an order event.
 *
 * Nothing here may throw into the page or block it: a missing or refusing browser API disables
 * only what needs it (quietly.ts).
 */
import { eventId } from '../../common/event-id.js'
import type { WireRecord } from '../../common/wire.js'
import type { ClickRelay } from '../clickrelay.js'
import { callBack, install } from './api.js'
import { hasCampaign, landingUrl, onUrlChange } from './capture.js'
import { consentEra, consentGranted, giveConsent, requireConsent, withdrawConsent } from './consent.js'
import { loadIdentify } from './identify.js'
import { identifyToPixel, track, watchPixel, type Receipt } from './pixel.js'
import { later, quietly } from './quietly.js'
import { send } from './send.js'
import { readCookie } from './cookies.js'
import { load, save } from './storage.js'
import { consentRequired, cookieDomain, endpoint, loadBeside, phoneCountry, readTag, shopify, stripeLinks } from './tag.js'
import { adoptVisitor, ensureVisitor, forgetVisitor, knownVisitor, restoreVisitor, setCookieDomain } from './visitor.js'

/** The last _ttp sent, so that a new one is sent once. */
const TTP_KEY = 'cr_ttp'
/** The last wait between looks for a _ttp the pixel sets after this script ran (the looks end 31 s in). */
const TTP_LAST_WAIT_MS = 16_000

const script = document.currentScript as HTMLScriptElement | null
if (script) {
  quietly(() => {
    readTag(script)
    start()
  })
}

function start(): void {
  const landing = landingUrl()
  requireConsent(consentRequired)
  setCookieDomain(cookieDomain)
  /** The withdrawal's request to the collector: what is sent after it waits for it, so that no answer brings the old ID back. */
  let forgetting: Promise<unknown> = Promise.resolve()
  /** Requests on their way: a withdrawal waits for their answers, whose Set-Cookie would otherwise outlive it. */
  const inFlight: Array<Promise<unknown>> = []
  /** The last URL with a ttclid or UTMs sent, and the _ttp of the request still in flight. */
  let lastCampaignUrl: string | undefined
  let ttpInFlight: string | undefined

  /**
   * Sends a record; when the collector answers, keeps the visitor ID it names and runs
   * `onStored`. An answer to a record sent before consent last changed writes nothing: a
   * withdrawal is final, whatever was still on its way.
   */
  function post(record: WireRecord, onStored?: () => void): void {
    const era = consentEra()
    const request = forgetting.then(() => send(endpoint, record))
    inFlight.push(request)
    request.then((answer) => {
      inFlight.splice(inFlight.indexOf(request), 1)
      if (!answer || !answer.v || era != consentEra() || !consentGranted()) return
      adoptVisitor(answer.v)
      if (onStored) onStored()
    })
  }

  /**
   * Sends a click record when consent allows and the visit brings something new: a first
   * visit, a URL with a ttclid or UTMs not sent yet, or a _ttp not sent yet. A _ttp counts as
   * sent once the collector has answered: a request lost as the page closed is repeated on the
   * next page rather than forgotten.
   */
  function capture(url: string, firstVisit: boolean): void {
    if (!consentGranted()) return
    const ttp = readCookie('_ttp')
    const newCampaign = hasCampaign(url) && url != lastCampaignUrl
    const newTtp = ttp != null && ttp != load(TTP_KEY) && ttp != ttpInFlight
    if (!firstVisit && !newCampaign && !newTtp) return
    lastCampaignUrl = url
    ttpInFlight = ttp
    const record: WireRecord = { v: ensureVisitor(), u: url, r: document.referrer || undefined, p: ttp, d: cookieDomain }
    later(() => post(record, () => save(TTP_KEY, ttp)))
  }

  function captureLanding(): void {
    capture(landing, !knownVisitor())
  }

  function captureNow(url: string): void {
    capture(url, false)
  }

  function reportReceipt(receipt: Receipt): void {
    if (!consentGranted()) return
    const [name, pixelEventId, orderKey, time] = receipt
    post({ k: 'r', v: ensureVisitor(), n: name, i: pixelEventId, o: orderKey, t: time })
  }

  function withdraw(): void {
    const hadConsent = consentGranted() || knownVisitor() != null
    withdrawConsent()
    forgetVisitor()
    save(TTP_KEY)
    // A collector on a subdomain of its own set a host-only cookie there, which this page cannot
    // delete: the collector expires it, once the answers still on their way (whose Set-Cookie
    // would bring it back) are in. Only where there was something to forget, not on every page.
    if (hadConsent) forgetting = Promise.all(inFlight).then(() => send(endpoint, { k: 'x', d: cookieDomain }))
  }

  function identify(fields: { email?: string; phone?: string }): Promise<void> {
    if (!consentGranted()) return Promise.resolve()
    const era = consentEra()
    return loadIdentify()
      .then((run) =>
        run(fields, phoneCountry, ensureVisitor(), (record, pixelFields) => {
          if (era != consentEra()) return
          if (record) post(record)
          identifyToPixel(pixelFields)
        }),
      )
      .catch(() => undefined)
  }

  const api: ClickRelay = {
    // Undefined without consent, as documented, even where a cookie outlived the stored choice: the add-ons rely on it.
    visitorId: () => (consentGranted() ? knownVisitor() : undefined),
    eventId,
    track,
    ready: (fn) => callBack(fn, api),
    identify: (fields) => identify(fields),
    consent(given) {
      if (given) {
        giveConsent()
        quietly(captureLanding)
      } else {
        quietly(withdraw)
      }
    },
  }
  install(api)

  watchPixel(reportReceipt)
  onUrlChange(captureNow)
  // Reading cookies and storage in one task, writing them in the next, the request in a third: each stays short on a slow phone.
  later(() => {
    if (consentGranted()) restoreVisitor()
    later(captureLanding)
  })
  // The pixel often sets _ttp after its library loads: look again 1, 3, 7, 15 and 31 seconds in.
  let wait = 1000
  function lookForTtp(): void {
    later(() => {
      captureNow(location.href)
      wait *= 2
      if (wait <= TTP_LAST_WAIT_MS) lookForTtp()
    }, wait)
  }
  lookForTtp()

  // Platform add-ons, only where the tag asks for them: every other shop pays for these two lines alone.
  if (shopify) loadBeside('cr-shopify.js')
  if (stripeLinks) loadBeside('cr-stripe-links.js')
}
