/**
 * The visitor ID lives in a first-party cookie (js-cookie) mirrored in localStorage, so that
 * losing either one loses nothing. The cookie is only written when it is missing or wrong:
 * rewriting it from script on every page would turn the collector's server-set cookie into a
 * script-set one, which Safari expires after 7 days.
 */
import Cookies from 'js-cookie'
import { VISITOR_COOKIE, VISITOR_COOKIE_DAYS, VISITOR_ID_PATTERN } from '../../common/wire.js'
import { load, save } from './storage.js'

const attributes = (domain: string | undefined): Cookies.CookieAttributes => ({
  expires: VISITOR_COOKIE_DAYS, // and Path=/, js-cookie's default
  sameSite: 'Lax',
  secure: location.protocol == 'https:',
  domain,
})

/** The ID from the cookie, else from storage; undefined on a first visit. */
export function storedId(): string | undefined {
  const id = Cookies.get(VISITOR_COOKIE) || load(VISITOR_COOKIE)
  return id && VISITOR_ID_PATTERN.test(id) ? id : undefined
}

/** Writes `id` wherever it is missing or different. */
export function keepId(id: string, domain: string | undefined): void {
  Cookies.get(VISITOR_COOKIE) != id && Cookies.set(VISITOR_COOKIE, id, attributes(domain))
  save(VISITOR_COOKIE, id)
}

export function forgetId(domain: string | undefined): void {
  Cookies.remove(VISITOR_COOKIE, attributes(domain))
  save(VISITOR_COOKIE)
}

/** Lowercase hex of some bytes. */
export const hex = (bytes: ArrayBuffer | Uint8Array): string =>
  Array.prototype.map.call(new Uint8Array(bytes), (b: number) => (b + 256).toString(16).slice(1)).join('')

/** 96 random bits as 24 hex characters. */
export const newId = (): string => hex(crypto.getRandomValues(new Uint8Array(12)))

export const cookie = (name: string): string | undefined => Cookies.get(name)
