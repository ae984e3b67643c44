/**
 * Order signatures: the merchant's backend signs each POST /orders body with the shared
 * CLICKRELAY_ORDER_SECRET, and the collector accepts nothing else.
 *
 *   ClickRelay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * This file depends on node:crypto only, so a merchant's Node backend can import it
 * (`import { postOrder } from 'clickrelay/sign'`) or copy it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
export const SIGNATURE_HEADER = 'ClickRelay-Signature';
/** Signatures older (or further in the future) than this are refused, so a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_S = 300;
function hmac(secret, timestamp, body) {
    return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}
/** The header value for `body`, exactly the bytes that will be sent. */
export function signBody(secret, body, timestamp = Math.floor(Date.now() / 1000)) {
    return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}
export function verifySignature(secret, header, body, nowS) {
    if (!header)
        return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
    let timestamp;
    const signatures = [];
    for (const part of header.split(',')) {
        const [key, value] = part.trim().split('=', 2);
        if (key === 't' && value && /^\d+$/.test(value))
            timestamp = Number(value);
        else if (key === 'v1' && value)
            signatures.push(value);
    }
    if (timestamp === undefined || signatures.length === 0)
        return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header; expected t=<unix seconds>,v1=<hex>` };
    if (Math.abs(nowS - timestamp) > SIGNATURE_TOLERANCE_S)
        return { ok: false, reason: `signature timestamp is more than ${SIGNATURE_TOLERANCE_S} s from the collector's clock` };
    const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
    const match = signatures.some((s) => /^[0-9a-f]{64}$/i.test(s) && timingSafeEqual(Buffer.from(s, 'hex'), expected));
    return match ? { ok: true } : { ok: false, reason: 'signature does not match the body (check CLICKRELAY_ORDER_SECRET)' };
}
/** Signs and posts one confirmed, paid order; resolves with the collector's status and JSON answer. */
export async function postOrder(collectorUrl, secret, order) {
    const body = JSON.stringify(order);
    const response = await fetch(collectorUrl.replace(/\/+$/, '') + '/orders', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signBody(secret, body) },
        body,
    });
    const text = await response.text();
    let parsed = text;
    try {
        parsed = JSON.parse(text);
    }
    catch {
        // keep the text
    }
    return { status: response.status, body: parsed };
}
