/**
 * Cookies that never throw: `document.cookie` throws a SecurityError in sandboxed frames, and a
 * page may have replaced it. js-cookie writes them (its attributes, its encoding); a read takes
 * the one cookie it needs from the jar, where js-cookie's `get` decodes every cookie of it (a
 * shop's jar holds a dozen) on every call.
 */
import Cookies from 'js-cookie'
import { quietly } from './quietly.js'

export function readCookie(name: string): string | undefined {
  return quietly(() => {
    const match = document.cookie.match('(?:^|; )' + name + '=([^;]*)')
    return match ? decodeURIComponent(match[1]!) : undefined
  })
}

export function writeCookie(name: string, value: string, attributes: Cookies.CookieAttributes): void {
  quietly(() => Cookies.set(name, value, attributes))
}

export function removeCookie(name: string, attributes: Cookies.CookieAttributes): void {
  quietly(() => Cookies.remove(name, attributes))
}
