/**
 * Cookies (js-cookie) that never throw: `document.cookie` throws a SecurityError in sandboxed
 * frames, and a page may have replaced it.
 */
import Cookies from 'js-cookie'
import { quietly } from './quietly.js'

export function readCookie(name: string): string | undefined {
  return quietly(() => Cookies.get(name))
}

export function writeCookie(name: string, value: string, attributes: Cookies.CookieAttributes): void {
  quietly(() => Cookies.set(name, value, attributes))
}

export function removeCookie(name: string, attributes: Cookies.CookieAttributes): void {
  quietly(() => Cookies.remove(name, attributes))
}
