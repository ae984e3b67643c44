/**
 * ClickRelay on-page script. One page load, top to bottom:
 * find our own tag and read its data- attributes; note the landing URL; publish
 * `window.clickrelay`; start pairing the TikTok pixel with the server; hook single-page
 * navigations. Then, each in a task of its own: recall the visitor (cookie, else storage);
 * decide whether the visit brings something new (a first visit, a ttclid or UTMs, a new _ttp)
 * and write the ID; send the click record. For 30 seconds keep looking for a _ttp the pixel
 * sets later (one that appears after that is sent by the next page). Last, load the platform
 * add-ons the tag asks for (`data-platform="shopify"`: cr-shopify.js; `data-stripe-links`:
 * cr-stripe-links.js), which work through `window.clickrelay` like any page code.
 * Cookies, storage and the network are slow to touch the first time on a phone; one task for
 * all of it was a long task there (over 50 ms; see `bench/script-cost.ts`). What must happen at
 * once, does: the URL is read before the page can rewrite it, and the pixel is watched before
 * the page can fire an order event.
 * Nothing here may throw into the page or block it; a missing browser API disables only what needs it.
 */
import { eventId } from '../../common/event-id.js'
import { VISITOR_ID_PATTERN, type WireRecord } from '../../common/wire.js'
import type { ClickRelay } from '../clickrelay.js'
import { callBack, install } from './api.js'
import { hasCampaign, landingUrl, onUrlChange } from './capture.js'
import { hashOf, normalizeEmail, normalizePhone, sha256 } from './hash.js'
import { cookie, forgetId, keepId, newId, storedId } from './identity.js'
import { flushReceipts, track, watchPixel } from './pixel.js'
import { send } from './send.js'
import { load, save } from './storage.js'

const CONSENT_KEY = 'cr_consent'
/** The last _ttp sent, so that a new one is sent once. */
const TTP_KEY = 'cr_ttp'
/** Seconds to keep looking for a _ttp the pixel sets after this script ran. */
const TTP_CHECKS = 30

const script = document.currentScript as HTMLScriptElement | null
if (script) {
  try {
    start(script.dataset, script.src)
  } catch (e) {
    // never break the merchant's page
  }
}

function start(data: DOMStringMap, src: string): void {
  // Beside the script by default, so a collector mounted under /cr/ is reached at /cr/collect.
  const endpoint = data.endpoint ? data.endpoint.replace(/\/+$/, '') + '/collect' : new URL('collect', src).href
  const cookieDomain = data.cookieDomain
  const landing = landingUrl()
  /** The visitor, recalled from cookie or storage on first need. */
  let visitor: string | undefined
  let recalled: unknown
  const known = (): string | undefined => (recalled ? visitor : ((recalled = 1), (visitor = storedId())))
  let consented: boolean | undefined
  const granted = (): boolean => (consented != null ? consented : (consented = data.consent != 'required' || load(CONSENT_KEY) == '1'))
  let lastUrl: string | undefined
  let ttpInFlight: string | undefined

  const id = (): string => {
    keepId((visitor = known() || newId()), cookieDomain)
    return visitor
  }
  const post = (record: WireRecord, then?: () => void): void =>
    send(endpoint, record, (answer) => {
      answer.v != visitor && VISITOR_ID_PATTERN.test(answer.v) && keepId((visitor = answer.v), cookieDomain)
      then && then()
    })

  /**
   * Sends a click record when consent allows and the URL or the _ttp cookie is news. A _ttp
   * counts as sent once the collector has answered: a request lost as the page closed is
   * repeated on the next page rather than forgotten. The request goes in a task of its own.
   */
  function capture(url: string, firstVisit?: boolean): void {
    const ttp = cookie('_ttp')
    if (granted() && (firstVisit || (hasCampaign(url) && url != lastUrl) || (ttp && ttp != load(TTP_KEY) && ttp != ttpInFlight))) {
      lastUrl = url
      ttpInFlight = ttp
      const record: WireRecord = { v: id(), u: url, r: document.referrer || undefined, p: ttp, d: cookieDomain }
      setTimeout(() => post(record, () => save(TTP_KEY, ttp)))
    }
  }
  const captureLanding = () => capture(landing, !known())

  const api: ClickRelay = {
    // Undefined without consent, as documented, even where a cookie outlived the stored choice: the add-ons rely on it.
    visitorId: () => (granted() ? known() : undefined),
    eventId,
    track,
    ready: (fn) => callBack(fn, api),
    identify: (fields) =>
      granted() && crypto.subtle
        ? Promise.all([hashOf(fields.email, normalizeEmail), hashOf(fields.phone, (p) => normalizePhone(p, data.phoneCountry)), sha256(id())])
            .then(([email, phone, externalId]) => {
              ;(email || phone) && post({ k: 'i', v: id(), e: email, h: phone })
              const ttq = (window as unknown as { ttq?: { identify?: (fields: object) => void } }).ttq
              ttq && ttq.identify && ttq.identify({ email, phone_number: phone, external_id: externalId })
            })
            .catch(() => {})
        : Promise.resolve(),
    consent(given) {
      consented = given
      if (given) {
        save(CONSENT_KEY, '1')
        captureLanding()
      } else {
        forgetId(cookieDomain)
        save(CONSENT_KEY)
        save(TTP_KEY)
        visitor = undefined
        recalled = 1
      }
    },
  }
  install(api)

  watchPixel(([name, pixelEventId, orderKey, time]) => granted() && post({ k: 'r', v: id(), n: name, i: pixelEventId, o: orderKey, t: time }))
  onUrlChange(() => capture(location.href))
  // Reading cookies and storage in one task, writing them in the next, the request in a third: each stays short on a slow phone.
  setTimeout(() => {
    // Put back whichever of cookie and storage was lost.
    granted() && known() && keepId(visitor!, cookieDomain)
    setTimeout(captureLanding)
  })
  let checks = 0
  const timer = setInterval(() => {
    capture(location.href)
    flushReceipts()
    ++checks < TTP_CHECKS || clearInterval(timer)
  }, 1000)

  // Platform add-ons, only where the tag asks for them: every other shop pays for these two lines alone.
  if (data.platform == 'shopify') loadAddOn('cr-shopify.js', src)
  if (data.stripeLinks != null) loadAddOn('cr-stripe-links.js', src)
}

/** Loads an add-on from beside this script (it finds `window.clickrelay` already published). */
function loadAddOn(file: string, src: string): void {
  const tag = document.createElement('script')
  tag.src = new URL(file, src).href
  document.head.append(tag)
}
