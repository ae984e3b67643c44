/** What in a URL is worth a click record, and noticing URL changes in single-page storefronts. */
import { later, quietly } from './quietly.js'

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
  const entry = quietly(() => performance.getEntriesByType('navigation')[0])
  if (entry && hasCampaign(entry.name) && !hasCampaign(href)) return entry.name
  return href
}

type HistoryMethod = History['pushState']

/**
 * Calls `onChange` with the new URL after every pushState, replaceState and popstate, in a task of
 * its own. The URL is read at once, in the page's call: a router may push a ttclid and replace
 * it again before that task runs. The page's own call goes first, exactly once, and its result
 * or exception reaches the page as if this script were not there; a router that wraps these
 * methods before or after us keeps working.
 */
export function onUrlChange(onChange: (url: string) => void): void {
  function changed(): void {
    const url = location.href
    later(() => onChange(url))
  }
  for (const name of ['pushState', 'replaceState'] as const) {
    const original: HistoryMethod = history[name]
    const hooked: HistoryMethod = function (this: History, ...args) {
      const result = original.apply(this, args)
      quietly(changed)
      return result
    }
    quietly(() => {
      history[name] = hooked
    })
  }
  addEventListener('popstate', changed)
}
