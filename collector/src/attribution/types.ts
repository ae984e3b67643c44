/**
 * What attribution is made of: the buyer's evidence, the rule that gave an order its click, and
 * the narrow repository the rules read through. Each storage engine implements the repository;
 * the rules (rules.ts) never see SQL.
 */
import type { Click } from '../store/store.js'

/**
 * How the buyer's cluster reached the visitor whose click the order carries: the order's own
 * visitor ID, the first link from the buyer (a shared email or phone hash), `ttclid`: the
 * buyer's browser landed with a ttclid first captured in another browser, or `landing_url`: the
 * order platform reported the session's landing URL, and it carried the ttclid.
 */
export type LinkKind = 'visitor_id' | 'email' | 'phone' | 'ttclid' | 'landing_url'

/**
 * The rule that gave an order its ttclid (see RULES in rules.ts for each one's sentence):
 * - `same_browser`: the order's own browser landed with it;
 * - `email`, `phone`: a browser of the same person (the same email or phone hash) landed with it;
 * - `shared_click`: the buyer's browser landed with a ttclid first captured in another browser
 *   (in-app then Safari, a link sent to a friend): only that ttclid crosses, nothing else;
 * - `shared_link`: the ttclid reached more browsers than CLICKRELAY_SHARED_LINK_BROWSERS; the
 *   buyer's own landing with it counts, and no other browser's record is used;
 * - `landing_url`: nothing of the buyer's led to a click, but the order platform reported the
 *   landing URL of the order's session (Shopify's `landing_site`) and it carried a ttclid.
 */
export type AttributionRule = 'same_browser' | 'email' | 'phone' | 'shared_click' | 'shared_link' | 'landing_url'

export interface Attribution {
  /** The click whose ttclid the order carries. */
  click: Click | undefined
  /**
   * The ttclid the order carries when no click record holds it: the one in the landing URL the
   * order platform reported (rule `landing_url`), never captured by the script in any browser.
   */
  reportedTtclid?: string | undefined
  linkedBy: LinkKind | undefined
  /** Which rule gave the order its click; undefined when there is no click. */
  rule?: AttributionRule | undefined
  /** The most recent _ttp seen in the buyer's cluster (person-level links only). */
  ttp: string | undefined
  /** The buyer's browser's latest click, for ip/user_agent when the order has none: the order's own visitor's, else that of the visitor a person-level link reached. */
  lastSeen: Click | undefined
}

/** Clicks captured in [from, to] (Unix ms) count for an order. */
export interface AttributionWindow {
  from: number
  to: number
}

/** The window, and how many browsers one ttclid may reach before it is a shared link. */
export interface AttributionScope extends AttributionWindow {
  /** CLICKRELAY_SHARED_LINK_BROWSERS; DEFAULT_SHARED_LINK_BROWSERS (rules.ts) when not given. */
  sharedLinkBrowsers?: number | undefined
}

/** What the buyer of an order is known by, for attribution. */
export interface Buyer {
  visitorId: string | undefined
  emailHash: string | undefined
  phoneHash: string | undefined
  /** The ttclid in the order session's landing URL, when the order platform reports it (Shopify's landing_site). */
  landingTtclid?: string | undefined
}

export type IdentityKind = 'email' | 'phone'

/** A hashed email or phone a visitor gave (identify(), or an order's match keys). */
export interface Identity {
  kind: IdentityKind
  hash: string
}

/** A value now (SQLite, inside the order's transaction) or later (PostgreSQL). */
export type Awaitable<T> = T | Promise<T>

/**
 * Everything the rules read. Every list is bounded by `limit`, so one order's attribution reads
 * a bounded number of rows however viral a link or however shared a device.
 */
export interface AttributionRepository {
  /** The email and phone hashes this visitor gave, at most `limit`. */
  identitiesOf(visitorId: string, limit: number): Awaitable<Identity[]>
  /** The visitors that gave this email or phone hash, at most `limit`. */
  visitorsWithIdentity(identity: Identity, limit: number): Awaitable<string[]>
  /** The newest click record of these visitors in the window carrying a ttclid (or a _ttp). */
  latestClickWith(field: 'ttclid' | 'ttp', visitors: string[], window: AttributionWindow): Awaitable<Click | undefined>
  /** How many browsers (visitor IDs) landed with this ttclid in the window, counted up to `limit`. */
  browsersWithTtclid(ttclid: string, window: AttributionWindow, limit: number): Awaitable<number>
  /** The earliest record of this ttclid in the window: among `visitors` only, or in any browser when `visitors` is undefined. */
  firstCaptureOf(ttclid: string, window: AttributionWindow, visitors: string[] | undefined): Awaitable<Click | undefined>
  /** This visitor's latest click record captured up to `to`, in or before the window. */
  lastSeen(visitorId: string, to: number): Awaitable<Click | undefined>
}
