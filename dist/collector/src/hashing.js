/**
 * Match keys for the Events API, normalised and hashed as TikTok documents:
 * SHA-256, lowercase hex. A value that already is 64 lowercase hex characters was hashed
 * upstream and passes through untouched, never hashed twice.
 */
import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { normalizeEmail, SHA256_HEX } from '../../common/normalize.js';
export function sha256(value) {
    return createHash('sha256').update(value, 'utf8').digest('hex');
}
export function isSha256(value) {
    return SHA256_HEX.test(value);
}
/** Trimmed, lowercased, hashed. Undefined for something that is not an email address. */
export function hashEmail(raw) {
    const trimmed = raw.trim().toLowerCase();
    if (isSha256(trimmed))
        return trimmed;
    const email = normalizeEmail(trimmed);
    return email && sha256(email);
}
/** E.164 ("+12133734253") through libphonenumber-js, then hashed. Undefined when the number cannot be normalised: never sent malformed. */
export function hashPhone(raw, defaultCountry) {
    const value = raw.trim();
    if (isSha256(value.toLowerCase()))
        return value.toLowerCase();
    const e164 = toE164(value, defaultCountry);
    return e164 ? sha256(e164) : undefined;
}
export function toE164(raw, defaultCountry) {
    // "00" is the international prefix almost everywhere TikTok sells; libphonenumber only knows it per country.
    const value = raw.trim().replace(/^00(?=[1-9])/, '+');
    const phone = parsePhoneNumberFromString(value, defaultCountry ? { defaultCountry } : undefined);
    return phone && phone.isValid() ? phone.number : undefined;
}
/** external_id: the SHA-256 of the first-party visitor ID, the one rule used everywhere. */
export function hashExternalId(visitorId) {
    return isSha256(visitorId) ? visitorId : sha256(visitorId);
}
