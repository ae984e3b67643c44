/**
 * dist/cr-stripe-links.js: loaded by cr.js from beside itself when its tag has
 * `data-stripe-links`. Puts the visitor ID into every Stripe Payment Link on the page as
 * `client_reference_id` (stripe-links.ts), links added later included, and brings them all up to
 * date whenever the visitor ID changes or consent is given or withdrawn.
 */
import { watchVisitor, withClickRelay } from './addon.js'
import { decorateLinks } from './stripe-links.js'

withClickRelay((api) => {
  const decorateAll = decorateLinks(() => api.visitorId())
  watchVisitor(api, decorateAll)
})
