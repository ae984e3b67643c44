/** Name of the first-party cookie holding the visitor ID, set by the script and re-set by the collector. */
export const VISITOR_COOKIE = 'cr_vid';
/** Lifetime of the visitor cookie: 400 days, the longest modern browsers allow. */
export const VISITOR_COOKIE_DAYS = 400;
/** On POST /collect: check the record in full and set the cookie, but store nothing (`npm run doctor`). */
export const DRY_RUN_HEADER = 'ClickRelay-Dry-Run';
/** Whether a cookie Domain (with or without its leading dot) covers a host: the host itself or a parent of it. */
export function domainCovers(domain, hostname) {
    const d = domain.replace(/^\./, '').toLowerCase();
    const h = hostname.toLowerCase();
    return h === d || h.endsWith('.' + d);
}
/** A visitor ID: 96 to 384 bits in base64url. */
export const VISITOR_ID_PATTERN = /^[\w-]{16,64}$/;
