/**
 * What the on-page script sends to the collector. Keys are one letter because
 * they travel on every captured visit and are minified into dist/cr.js as-is;
 * this type is the one place that names them.
 */
export interface ClickRecord {
  /** visitor ID (first-party, random, base64url) */
  v: string
  /** the page URL at capture, query string included: the collector reads ttclid and UTMs from it */
  u: string
  /** document.referrer, when there is one */
  r?: string
  /** raw value of the pixel's `_ttp` cookie, when present */
  p?: string
}

/** Name of the first-party cookie holding the visitor ID, set by the script and re-set by the collector. */
export const VISITOR_COOKIE = 'cr_vid'
/** Lifetime of the visitor cookie: 400 days, the longest modern browsers allow. */
export const VISITOR_COOKIE_DAYS = 400
/** A visitor ID: 96 to 384 bits in base64url. */
export const VISITOR_ID_PATTERN = /^[\w-]{16,64}$/
