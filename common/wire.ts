/**
 * What the on-page script sends to the collector's POST /collect. Keys are one letter because
 * they travel on every captured visit and are minified into dist/cr.js as they are; this file
 * is the one place that names them. A record without `k` is a click record.
 */
export interface ClickRecord {
  k?: undefined
  /** visitor ID (first-party, random, base64url) */
  v: string
  /** the page URL at capture, query string included: the collector reads ttclid and UTMs from it */
  u: string
  /** document.referrer, when there is one */
  r?: string
  /** raw value of the pixel's `_ttp` cookie, when present */
  p?: string
  /** the tag's data-cookie-domain, so the collector's Set-Cookie spans the same subdomains */
  d?: string
}

/** From clickrelay.identify(): SHA-256 hex of the normalised email and E.164 phone, never the values. */
export interface IdentifyRecord {
  k: 'i'
  v: string
  e?: string
  h?: string
}

/** The pixel fired an order event: its name, event_id and order key, and the browser's clock (ms). */
export interface ReceiptRecord {
  k: 'r'
  v: string
  n: string
  i?: string
  o?: string
  t: number
}

/**
 * From clickrelay.consent(false): expire the visitor cookie the collector set (host-only on its
 * own host, which the page cannot delete; and on `d`, the tag's data-cookie-domain). Stores nothing.
 */
export interface ForgetRecord {
  k: 'x'
  d?: string
}

export type WireRecord = ClickRecord | IdentifyRecord | ReceiptRecord | ForgetRecord

/** The collector's answer to a record: the visitor ID to keep (it may hand back an older, server-set one). */
export interface CollectAnswer {
  v: string
}

/** Name of the first-party cookie holding the visitor ID, set by the script and re-set by the collector. */
export const VISITOR_COOKIE = 'cr_vid'
/** Lifetime of the visitor cookie: 400 days, the longest modern browsers allow. */
export const VISITOR_COOKIE_DAYS = 400
/** On POST /collect: check the record in full and set the cookie, but store nothing (`npm run doctor`). */
export const DRY_RUN_HEADER = 'ClickRelay-Dry-Run'

/** Whether a cookie Domain (with or without its leading dot) covers a host: the host itself or a parent of it. */
export function domainCovers(domain: string, hostname: string): boolean {
  const d = domain.replace(/^\./, '').toLowerCase()
  const h = hostname.toLowerCase()
  return h === d || h.endsWith('.' + d)
}

/** A visitor ID: 96 to 384 bits in base64url. */
export const VISITOR_ID_PATTERN = /^[\w-]{16,64}$/
