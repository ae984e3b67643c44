/**
 * Sites and cookies as a browser sees them, as far as the doctor needs: whether the collector is
 * first-party to the shop, and what its Set-Cookie says.
 */
import { isIP } from 'node:net';
/**
 * Public suffixes with a second level that shops commonly sit under (shop.co.uk), and hosting
 * domains on the Public Suffix List whose subdomains are separate sites. An approximation of
 * the list, enough for a warning: it never fails a check on its own.
 */
const CC_SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'or', 'ne', 'go', 'gob', 'ltd', 'plc', 'nom', 'biz', 'info']);
const SHARED_HOSTING = ['myshopify.com', 'herokuapp.com', 'github.io', 'vercel.app', 'netlify.app', 'pages.dev', 'workers.dev', 'onrender.com', 'fly.dev', 'azurewebsites.net', 'appspot.com', 'web.app', 'firebaseapp.com', 'cloudfront.net'];
/** The registrable domain ("site") of a host name: shop.example for t.shop.example, shop.co.uk for www.shop.co.uk. */
export function siteOf(hostname) {
    const host = hostname.toLowerCase().replace(/\.$/, '').replace(/^\[|\]$/g, '');
    if (isIP(host) || !host.includes('.'))
        return host;
    const labels = host.split('.');
    const shared = SHARED_HOSTING.find((suffix) => host.endsWith('.' + suffix));
    if (shared)
        return labels.slice(-(shared.split('.').length + 1)).join('.');
    const tld = labels[labels.length - 1];
    const second = labels[labels.length - 2];
    const keep = labels.length >= 3 && tld.length === 2 && CC_SECOND_LEVEL.has(second) ? 3 : 2;
    return labels.slice(-keep).join('.');
}
export function parseSetCookie(header) {
    const [pair = '', ...rest] = header.split(';');
    const eq = pair.indexOf('=');
    const attributes = new Map();
    for (const part of rest) {
        const at = part.indexOf('=');
        const name = (at < 0 ? part : part.slice(0, at)).trim().toLowerCase();
        if (name)
            attributes.set(name, at < 0 ? '' : part.slice(at + 1).trim());
    }
    return { name: (eq < 0 ? pair : pair.slice(0, eq)).trim(), value: eq < 0 ? '' : pair.slice(eq + 1).trim(), attributes };
}
/** The cookie's lifetime in seconds, from Max-Age, else from Expires against the answer's Date; undefined for a session cookie. */
export function cookieLifetime(cookie, answeredAt) {
    const maxAge = cookie.attributes.get('max-age');
    if (maxAge !== undefined && /^-?\d+$/.test(maxAge))
        return Number(maxAge);
    const expires = cookie.attributes.get('expires');
    if (expires !== undefined && !Number.isNaN(Date.parse(expires)))
        return Math.round((Date.parse(expires) - answeredAt) / 1000);
    return undefined;
}
