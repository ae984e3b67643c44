/**
 * dist/cr-shopify.js: loaded by cr.js from beside itself when its tag says
 * `data-platform="shopify"`. Keeps the visitor ID on the Shopify cart as the attribute `_cr_vid`
 * (shopify-cart.ts): checked now, whenever the visitor ID changes or consent is given, and after
 * each of the page's own cart requests, since add-to-cart may have made a new cart.
 */
import { watchVisitor, withClickRelay } from './addon.js'
import { afterCartRequests, cartAttribute } from './shopify-cart.js'

withClickRelay((api) => {
  if (!window.fetch) return
  const sync = cartAttribute(() => api.visitorId(), window.fetch)
  afterCartRequests(sync)
  watchVisitor(api, sync)
})
