/**
 * What each platform's webhook source is: a mapping from the platform's delivery to the order
 * body POST /orders takes (../orders/accept.ts), not a second pipeline. The router (router.ts)
 * does the rest the same way for every platform: the route off until its secret is set, the
 * signature over the raw body, redeliveries, ignored topics, the answer.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
/** `base64(HMAC-SHA256(secret, raw body))` in `header`, compared in constant time (Shopify, WooCommerce). */
export function verifyBase64Hmac(secret, raw, header, headerName) {
    if (!header)
        return { ok: false, reason: `missing ${headerName} header` };
    const expected = Buffer.from(createHmac('sha256', secret).update(raw).digest('base64'));
    const given = Buffer.from(header.trim());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { ok: false, reason: `${headerName} does not match the body: check that the secret is the one the platform shows for this webhook, and that nothing on the way rewrites the body` };
    }
    return { ok: true };
}
/** A plain object, or undefined: platform payloads are read defensively, field by field. */
export function record(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}
export function text(value) {
    if (typeof value === 'string')
        return value.trim() || undefined;
    if (typeof value === 'number' && Number.isFinite(value))
        return String(value);
    return undefined;
}
/** "49.90" or 49.9 -> 49.9; anything else undefined (the order body's validation then names it). */
export function amount(value) {
    if (typeof value === 'number')
        return value;
    if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value))
        return Number(value);
    return undefined;
}
/** An ISO 8601 time to Unix seconds; a time without a zone (WooCommerce's *_gmt fields) is UTC. */
export function unixSeconds(value) {
    if (typeof value !== 'string' || !value)
        return undefined;
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
    const ms = Date.parse(zoned);
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
/** The ttclid in a landing URL, absolute or a path with its query ("/products/x?ttclid=..."). */
export function ttclidOf(landing) {
    if (!landing || !URL.canParse(landing, 'https://landing.invalid'))
        return undefined;
    return new URL(landing, 'https://landing.invalid').searchParams.get('ttclid')?.trim() || undefined;
}
/** `https://shop.example/anything` -> `https://shop.example/`; undefined for anything but an http(s) URL. */
export function originUrl(value) {
    if (typeof value !== 'string' || !URL.canParse(value))
        return undefined;
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) ? `${url.origin}/` : undefined;
}
/** A Shopify or WooCommerce line item as the order body's contents line: the product ID (else the SKU), quantity, unit price. */
export function contentLine(item) {
    const line = record(item);
    if (!line)
        return item;
    return { content_id: text(line.product_id) ?? text(line.sku), quantity: line.quantity, price: amount(line.price) ?? line.price };
}
