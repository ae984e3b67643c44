/**
 * Browser-side normalisation and SHA-256 for identify(): only hashes leave the page. Bundled into
 * dist/cr-identify.js, which cr.js fetches on the first identify() call, not into cr.js.
 */
import { normalizeEmail, SHA256_HEX } from '../../common/normalize.js'
import type { IdentifyRecord } from '../../common/wire.js'
import { hex } from './hex.js'

/** What identify() hands back to cr.js: the record for the collector (when there is an email or a phone), and the pixel's fields. */
export type Deliver = (record: IdentifyRecord | undefined, pixelFields: { email?: string; phone_number?: string; external_id: string }) => void

/** identify()'s work, as cr-identify.js hands it to cr.js. */
export type Identify = (fields: { email?: string; phone?: string }, phoneCountry: string | undefined, visitorId: string, deliver: Deliver) => Promise<void>

/**
 * E.164 for what is unambiguous without a phone library: a leading + or 00, or a national
 * number with the calling code from data-phone-country (its trunk 0 dropped, except in Italy,
 * where it is part of the number). Anything else is left out.
 */
export function normalizePhone(raw: string, callingCode: string | undefined): string | undefined {
  let phone = raw.replace(/[\s().\/-]/g, '').replace(/^00/, '+')
  if (phone[0] != '+' && callingCode) {
    const national = callingCode == '39' ? phone : phone.replace(/^0/, '')
    phone = '+' + callingCode + national
  }
  return /^\+[1-9]\d{6,14}$/.test(phone) ? phone : undefined
}

/** SHA-256 lowercase hex through Web Crypto (secure contexts only). */
export function sha256(value: string): Promise<string> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)).then(hex)
}

/** The hash of `raw` after `normalize`, or `raw` itself when it already is a hash; undefined when there is nothing to send. */
export function hashOf(raw: string | undefined, normalize: (value: string) => string | undefined): Promise<string> | string | undefined {
  if (!raw) return undefined
  if (SHA256_HEX.test(raw)) return raw
  const value = normalize(raw)
  return value ? sha256(value) : undefined
}

/**
 * Normalises and hashes what the page gave identify() (SHA-256: the email, the phone in E.164,
 * the visitor ID as external_id) and delivers it; does nothing outside a secure context, where
 * Web Crypto has no digest.
 */
export const identify: Identify = (fields, phoneCountry, visitorId, deliver) => {
  if (!crypto.subtle) return Promise.resolve()
  const email = hashOf(fields.email, normalizeEmail)
  const phone = hashOf(fields.phone, (value) => normalizePhone(value, phoneCountry))
  return Promise.all([email, phone, sha256(visitorId)]).then(([e, h, externalId]) => {
    const record: IdentifyRecord | undefined = e || h ? { k: 'i', v: visitorId, e, h } : undefined
    deliver(record, { email: e, phone_number: h, external_id: externalId })
  })
}

export { normalizeEmail }
