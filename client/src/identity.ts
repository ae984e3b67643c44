import Cookies from 'js-cookie'
import { VISITOR_COOKIE, VISITOR_COOKIE_DAYS } from '../../common/wire.js'

/** The visitor ID from the first-party cookie, or a new random 96-bit one, (re)written for another 400 days. */
export function visitorId(): string {
  const id = Cookies.get(VISITOR_COOKIE) || randomId()
  Cookies.set(VISITOR_COOKIE, id, { expires: VISITOR_COOKIE_DAYS, path: '/', sameSite: 'Lax', secure: location.protocol == 'https:' })
  return id
}

/** 12 random bytes as 16 base64url characters. */
function randomId(): string {
  return btoa(String.fromCharCode.apply(null, crypto.getRandomValues(new Uint8Array(12)) as unknown as number[]))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
}

export function cookie(name: string): string | undefined {
  return Cookies.get(name)
}
