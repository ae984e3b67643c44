/**
 * Shopify: the visitor ID as the cart attribute `_cr_vid`. Shopify copies a cart's attributes
 * into its order's `note_attributes`, where the order webhook brings the ID back to the
 * collector; the leading underscore hides it from the buyer.
 *
 * Written through the Ajax Cart API once per cart and visitor ID: the pair last written is kept
 * in localStorage, so a page view costs a cookie read and a storage read, and a request only for
 * a new cart or a new visitor ID. We never create a cart: Shopify's `cart` cookie (the cart
 * token) says whether there is one. A cart that add-to-cart creates later is noticed once the
 * page's own request to the Ajax Cart API (fetch or XMLHttpRequest) is answered; one that a
 * plain form post creates, on the page that follows.
 */
import { guard } from './addon.js'
import { load, save } from './storage.js'

export const CART_ATTRIBUTE = '_cr_vid'
export const CART_COOKIE = 'cart'
export const UPDATE_URL = '/cart/update.js'
/** "<cart token> <visitor ID>", as last written to Shopify. */
export const WRITTEN_KEY = 'cr_cart'
/** Ajax Cart API requests after which there may be a new cart, under any locale prefix (/fr/cart/add). */
const CART_REQUEST = /\/cart\/(add|change|update|clear)\b/

type Fetch = typeof fetch

/** A cookie's value as the browser holds it (not decoded: it is only compared). */
export function readCookie(name: string): string | undefined {
  const found = document.cookie.match(new RegExp('(?:^|;) ?' + name + '=([^;]*)'))
  return found ? found[1] : undefined
}

export function isCartRequest(url: string): boolean {
  return CART_REQUEST.test(url)
}

/**
 * Returns `sync`, to call whenever the visitor ID or the cart may have changed: it writes the
 * visitor ID to the current cart unless that pair was written already. Without a visitor ID
 * (none yet, or consent withdrawn) it writes nothing and forgets the pair, so that consent given
 * again writes the new ID. What was already sent to Shopify stays there.
 */
export function cartAttribute(visitorId: () => string | undefined, post: Fetch): () => void {
  /** The pair sent from this page, answered or not: never sent twice from one page. */
  let sent: string | undefined

  function write(cart: string, id: string): void {
    const body = JSON.stringify({ attributes: { [CART_ATTRIBUTE]: id } })
    // keepalive: a shopper who goes to the checkout at once still has the attribute written.
    post(UPDATE_URL, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body, keepalive: true }).then(
      (response) => {
        // Shopify may answer with a new cart (the old one had expired): the pair is the cookie's now.
        if (response.ok) save(WRITTEN_KEY, (readCookie(CART_COOKIE) || cart) + ' ' + id)
      },
      () => {},
    )
  }

  return function sync(): void {
    guard(() => {
      const id = visitorId()
      if (!id) {
        save(WRITTEN_KEY)
        return
      }
      const cart = readCookie(CART_COOKIE)
      if (!cart) return
      const pair = cart + ' ' + id
      if (pair == sent || pair == load(WRITTEN_KEY)) return
      sent = pair
      write(cart, id)
    })
  }
}

/** The URL a fetch() call asks for, whichever form the page passed it in. */
function urlOf(input: RequestInfo | URL): string {
  return typeof input == 'string' ? input : (input as Request).url || String(input)
}

/**
 * Calls `then` after each of the page's own Ajax Cart API requests has been answered. Both hooks
 * call the page's original exactly once and return its result, whatever our part does.
 */
export function afterCartRequests(then: () => void): void {
  const after = () => guard(then)
  const pageFetch = window.fetch
  if (pageFetch) {
    window.fetch = function (this: unknown, input: RequestInfo | URL): Promise<Response> {
      const response = pageFetch.apply(this, arguments as unknown as Parameters<Fetch>)
      guard(() => {
        if (isCartRequest(urlOf(input))) response.then(after, after)
      })
      return response
    }
  }
  const xhr = XMLHttpRequest.prototype
  const open = xhr.open
  xhr.open = function (this: XMLHttpRequest, method: string, url: string | URL) {
    guard(() => {
      if (isCartRequest(String(url))) this.addEventListener('loadend', after)
    })
    return open.apply(this, arguments as unknown as Parameters<XMLHttpRequest['open']>)
  }
}
