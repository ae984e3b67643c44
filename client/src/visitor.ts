/**
 * The visitor ID, and the one place that reads, makes, writes and forgets it. It lives in a
 * first-party cookie, backed up in localStorage, so that losing either one loses nothing: the
 * cookie is read once a page, the backup is written whenever the cookie is and checked once a
 * page, each in a task of its own (backUp). The cookie is written only when it is missing or
 * wrong: rewriting it from script on every page would turn the collector's server-set cookie
 * into a script-set one, which Safari expires after 7 days.
 */
import type Cookies from 'js-cookie'
import { VISITOR_COOKIE, VISITOR_COOKIE_DAYS, VISITOR_ID_PATTERN } from '../../common/wire.js'
import { readCookie, removeCookie, writeCookie } from './cookies.js'
import { hex } from './hex.js'
import { later } from './quietly.js'
import { load, save } from './storage.js'

let attributes: Cookies.CookieAttributes = {}
/** The ID, once recalled from the cookie or storage (undefined on a first visit) or made. */
let id: string | undefined
let recalled = false
/** What the cookie holds, as read once and as written since. */
let inCookie: string | undefined
/** IDs withdrawn with consent in this page: never taken back from a collector's answer. */
const forgotten: string[] = []

/** The cookie's attributes: data-cookie-domain, 400 days, SameSite=Lax, Secure on https (and Path=/, js-cookie's default). */
export function setCookieDomain(domain: string | undefined): void {
  attributes = { expires: VISITOR_COOKIE_DAYS, sameSite: 'Lax', secure: location.protocol == 'https:', domain }
}

/** The ID this browser already has (cookie, else storage), read once; undefined on a first visit. */
export function knownVisitor(): string | undefined {
  if (!recalled) {
    recalled = true
    inCookie = readCookie(VISITOR_COOKIE)
    const stored = inCookie || load(VISITOR_COOKIE)
    if (stored && VISITOR_ID_PATTERN.test(stored)) id = stored
  }
  return id
}

function write(value: string): void {
  if (inCookie == value) return
  writeCookie(VISITOR_COOKIE, value, attributes)
  inCookie = value
  backUp(value)
}

/** Writes the storage copy in a task of its own (a first touch of storage is slow on a phone), unless the ID changed meanwhile. */
function backUp(value: string): void {
  later(() => {
    if (id == value && load(VISITOR_COOKIE) != value) save(VISITOR_COOKIE, value)
  })
}

/** The ID, made now when there is none (96 random bits as 24 hex characters), and written wherever it is missing. */
export function ensureVisitor(): string {
  const value = knownVisitor() || hex(crypto.getRandomValues(new Uint8Array(12)))
  id = value
  write(value)
  return value
}

/** The collector answered with an ID (an older, server-set one, say): it becomes ours. */
export function adoptVisitor(value: string): void {
  if (value == id || !VISITOR_ID_PATTERN.test(value) || forgotten.indexOf(value) >= 0) return
  id = value
  recalled = true
  write(value)
}

/** Puts back whichever copy was lost: the cookie from storage, or storage from the cookie. */
export function restoreVisitor(): void {
  const value = knownVisitor()
  if (!value) return
  if (inCookie == value) backUp(value)
  else write(value)
}

/** Consent withdrawn: the ID is removed from the cookie and storage, and never taken back in this page. */
export function forgetVisitor(): void {
  const value = knownVisitor()
  if (value) forgotten.push(value)
  id = undefined
  inCookie = undefined
  removeCookie(VISITOR_COOKIE, attributes)
  save(VISITOR_COOKIE)
}
