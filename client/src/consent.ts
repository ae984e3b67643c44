/**
 * Consent, with `data-consent="required"`: nothing is stored or sent until the page calls
 * `clickrelay.consent(true)`, which is remembered; `consent(false)` withdraws it. Each change
 * starts a new era, so that work begun in one era and finished in another (an answer from the
 * collector, a hash) writes nothing.
 */
import { load, save } from './storage.js'

const CONSENT_KEY = 'cr_consent'

let required = false
let given: boolean | undefined
let era = 0

export function requireConsent(isRequired: boolean): void {
  required = isRequired
}

export function consentGranted(): boolean {
  if (given === undefined) given = !required || load(CONSENT_KEY) == '1'
  return given
}

export function giveConsent(): void {
  // Consent given again (a banner that says so on every page) is no change: what is on its way stays.
  if (!consentGranted()) era++
  given = true
  save(CONSENT_KEY, '1')
}

export function withdrawConsent(): void {
  given = false
  era++
  save(CONSENT_KEY)
}

export function consentEra(): number {
  return era
}
