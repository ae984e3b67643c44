/** The script's own tag, and what its data- attributes ask for: read once, at start. */

/** Where cr.js was loaded from: the add-ons and cr-identify.js are fetched from beside it. */
export let scriptSrc = ''
/** POST /collect: beside the script by default, so a collector under /cr/ is reached at /cr/collect. */
export let endpoint = ''
/** data-cookie-domain: the visitor cookie spans this domain's subdomains. */
export let cookieDomain: string | undefined
/** data-consent="required": nothing is stored or sent until clickrelay.consent(true). */
export let consentRequired = false
/** data-phone-country: the calling code for phone numbers given to identify() without one. */
export let phoneCountry: string | undefined
/** data-platform="shopify": load cr-shopify.js. */
export let shopify = false
/** data-stripe-links: load cr-stripe-links.js. */
export let stripeLinks = false

export function readTag(script: HTMLScriptElement): void {
  const data = script.dataset
  scriptSrc = script.src
  endpoint = new URL('collect', scriptSrc).href
  if (data.endpoint) endpoint = data.endpoint.replace(/\/+$/, '') + '/collect'
  cookieDomain = data.cookieDomain
  consentRequired = data.consent == 'required'
  phoneCountry = data.phoneCountry
  shopify = data.platform == 'shopify'
  stripeLinks = data.stripeLinks != null
}

/** Loads a file that sits beside cr.js (it finds `window.clickrelay` already published). */
export function loadBeside(file: string, onError?: () => void): void {
  const element = document.createElement('script')
  element.src = new URL(file, scriptSrc).href
  if (onError) element.onerror = onError
  document.head.append(element)
}
