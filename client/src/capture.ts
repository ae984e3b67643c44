/** What in a URL is worth a click record, and noticing URL changes in single-page storefronts. */

/** A ttclid or any UTM parameter in a query string. */
const CAMPAIGN = /[?&](ttclid|utm_(source|medium|campaign|content|term))=/

export function hasCampaign(url: string): boolean {
  return CAMPAIGN.test(url)
}

/**
 * The URL this page was loaded with. A storefront may strip the ttclid from the address bar
 * (history.replaceState) before this async script runs; the navigation entry still has it.
 */
export function landingUrl(): string {
  const href = location.href
  const entry = performance.getEntriesByType && performance.getEntriesByType('navigation')[0]
  return entry && hasCampaign(entry.name) && !hasCampaign(href) ? entry.name : href
}

/** Calls `fn` after every pushState, replaceState and popstate. */
export function onUrlChange(fn: () => void): void {
  const h = history
  ;(['pushState', 'replaceState'] as const).forEach((method) => {
    const original = h[method]
    h[method] = function (this: History) {
      const result = original.apply(this, arguments as unknown as Parameters<History['pushState']>)
      fn()
      return result
    }
  })
  addEventListener('popstate', fn)
}
