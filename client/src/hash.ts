/** Browser-side normalisation and SHA-256 for identify(): only hashes leave the page. */
import { normalizeEmail, SHA256_HEX } from '../../common/normalize.js'
import { hex } from './identity.js'

/**
 * E.164 for what is unambiguous without a phone library: a leading + or 00, or a national
 * number with the calling code from data-phone-country (its trunk 0 dropped, except in Italy,
 * where it is part of the number). Anything else is left out.
 */
export function normalizePhone(raw: string, callingCode: string | undefined): string | undefined {
  let phone = raw.replace(/[\s().\/-]/g, '').replace(/^00/, '+')
  if (phone[0] != '+' && callingCode) phone = '+' + callingCode + (callingCode == '39' ? phone : phone.replace(/^0/, ''))
  return /^\+[1-9]\d{6,14}$/.test(phone) ? phone : undefined
}

/** SHA-256 lowercase hex through Web Crypto (secure contexts only). */
export const sha256 = (value: string): Promise<string> => crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)).then(hex)

/** The hash of `raw` after `normalize`, or `raw` itself when it already is a hash; undefined when there is nothing to send. */
export function hashOf(raw: string | undefined, normalize: (value: string) => string | undefined): Promise<string> | string | undefined {
  if (raw) {
    if (SHA256_HEX.test(raw)) return raw
    const value = normalize(raw)
    return value && sha256(value)
  }
}

export { normalizeEmail }
