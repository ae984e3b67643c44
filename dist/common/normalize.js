/**
 * Email normalisation as TikTok specifies it (trim, lowercase), one rule for the script's
 * identify() and the collector's orders. Undefined for something that is not an address.
 */
export function normalizeEmail(raw) {
    const email = String(raw).trim().toLowerCase();
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : undefined;
}
/** A value that already is SHA-256 lowercase hex was hashed upstream: pass it through, never hash twice. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
