/**
 * Stripe Payment Links: `client_reference_id=<visitor ID>` in every link to
 * https://buy.stripe.com/, so that the Checkout Session, and the webhook that reports it paid,
 * name the visitor. A storefront made only of Payment Links then needs no code of its own.
 *
 * A client_reference_id the merchant put in a link is theirs, and left alone. The one we put
 * there follows the visitor ID, and is taken out again when consent is withdrawn. Links added
 * later are decorated as they appear (MutationObserver), and each link is brought up to date
 * again as it is used (pressed, clicked), with the visitor ID and consent of that moment.
 */
import { guard } from './addon.js'

export const PAYMENT_LINK_HOST = 'buy.stripe.com'
export const REFERENCE = 'client_reference_id'
const SELECTOR = 'a[href*="' + PAYMENT_LINK_HOST + '"]'
/** The first touch of a link, before a long press or right click offers to copy it, and the click itself. */
const USES = ['mousedown', 'touchstart', 'click']

/**
 * The href of a link with our reference set to `visitorId`, or taken out when there is none;
 * undefined when the link stays as it is: not a Payment Link, a reference of the merchant's, or
 * nothing to change. `ours` is the value we put into this link before, if any. Only our own
 * parameter is touched; the rest of the query keeps its bytes.
 */
export function referencedHref(href: string, visitorId: string | undefined, ours: string | undefined): string | undefined {
  const url = new URL(href)
  if (url.protocol != 'https:' || url.hostname != PAYMENT_LINK_HOST) return undefined
  const current = url.searchParams.get(REFERENCE)
  if (current != null && current !== ours) return undefined
  if (current == null && !visitorId) return undefined
  const params = url.search
    .slice(1)
    .split('&')
    .filter((param) => param != '' && param.split('=')[0] != REFERENCE)
  if (visitorId) params.push(REFERENCE + '=' + visitorId)
  url.search = params.join('&')
  return url.href == href ? undefined : url.href
}

/**
 * Starts decorating the page's Payment Links with `visitorId()`, and returns the function that
 * brings every link on the page up to date (for a new visitor ID, or none).
 */
export function decorateLinks(visitorId: () => string | undefined): () => void {
  /** The reference we put into each link. */
  const ours = new WeakMap<HTMLAnchorElement, string>()

  function decorate(link: HTMLAnchorElement): void {
    guard(() => {
      const id = visitorId()
      const href = referencedHref(link.href, id, ours.get(link))
      if (href) {
        link.href = href
        if (id) ours.set(link, id)
        else ours.delete(link)
      }
    })
  }

  /** `node` itself if it is a Payment Link, and every one inside it. */
  function decorateWithin(node: Node): void {
    if (node.nodeType != Node.ELEMENT_NODE) return
    const element = node as Element
    if (element.matches(SELECTOR)) decorate(element as HTMLAnchorElement)
    element.querySelectorAll<HTMLAnchorElement>(SELECTOR).forEach(decorate)
  }

  function onMutations(records: MutationRecord[]): void {
    guard(() => {
      records.forEach((record) => {
        if (record.type == 'attributes') decorateWithin(record.target)
        else record.addedNodes.forEach(decorateWithin)
      })
    })
  }

  function onUse(event: Event): void {
    guard(() => {
      const target = event.target as Element | null
      const link = target && target.closest ? target.closest('a') : null
      if (link) decorate(link)
    })
  }

  const root = document.documentElement
  new MutationObserver(onMutations).observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['href'] })
  USES.forEach((type) => addEventListener(type, onUse, { capture: true, passive: true }))
  return () => decorateWithin(root)
}
