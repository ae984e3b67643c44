/** Name of the first-party cookie holding the visitor ID, set by the script and re-set by the collector. */
export const VISITOR_COOKIE = 'cr_vid';
/** Lifetime of the visitor cookie: 400 days, the longest modern browsers allow. */
export const VISITOR_COOKIE_DAYS = 400;
/** A visitor ID: 96 to 384 bits in base64url. */
export const VISITOR_ID_PATTERN = /^[\w-]{16,64}$/;
