/**
 * ClickRelay on-page script. One page load, top to bottom:
 * find our own tag, read its configuration, get the visitor's first-party ID,
 * record the visit (landing URL with its ttclid, referrer, the pixel's _ttp),
 * and publish `window.clickrelay` so the page can pair pixel and server events.
 */
import { readConfig } from './config.js'
import { cookie, visitorId } from './identity.js'
import { send } from './send.js'
import { install } from './api.js'
import type { ClickRecord } from '../../common/wire.js'

const script = document.currentScript as HTMLScriptElement | null
if (script) {
  try {
    const config = readConfig(script)
    const visitor = visitorId()
    install(visitor)
    const record: ClickRecord = { v: visitor, u: location.href, r: document.referrer || undefined, p: cookie('_ttp') }
    send(config.endpoint + '/collect', record)
  } catch (e) {
    // Never break the merchant's page.
  }
}
