/**
 * The event_id contract shared by the on-page script and the collector.
 *
 * TikTok deduplicates a pixel event and a server event when both carry the same
 * pixel code, event name and event_id. The browser and the server therefore have
 * to derive the id from the one thing they both know, the merchant's order key,
 * with exactly the same function: this file is bundled into dist/cr.js and
 * compiled into the collector, never written twice.
 *
 *   eventId('Purchase', '84213')      -> 'ord_84213'
 *   eventId('Purchase', 84213)        -> 'ord_84213'
 *   eventId('Purchase', ' #84213 ')   -> 'ord_84213'   (Shopify shows order names as "#1001")
 *   eventId('Purchase', 'Bestellung 7/ü') -> 'ord_Bestellung7.<hash>'
 *
 * Output is at most 64 characters of [A-Za-z0-9_.-]. Keys made only of
 * [A-Za-z0-9_-] (up to 48 characters) are kept as they are; any other key keeps
 * its safe characters for readability and gets a 64-bit hash of the whole key
 * after a '.', which a plain key can never contain, so the two forms never collide.
 */
/** Order events share the `ord_` prefix so a legacy CompletePayment pixel and a Purchase server event still carry one id. */
export const ORDER_EVENTS = ['Purchase', 'CompletePayment', 'PlaceAnOrder'];
const PLAIN_KEY = /^[\w-]{1,48}$/;
export function eventId(event, orderKey) {
    const key = String(orderKey).normalize('NFC').trim().replace(/^#+\s*/, '');
    const prefix = ORDER_EVENTS.indexOf(event) >= 0 ? 'ord' : String(event).replace(/\W/g, '').slice(0, 12).toLowerCase() || 'ev';
    return prefix + '_' + (PLAIN_KEY.test(key) ? key : key.replace(/[^\w-]/g, '').slice(0, 32) + '.' + hash64(key));
}
/** Two 32-bit FNV-1a lanes with different primes, mixed at the end: 14 base-36 characters. Collisions need ~2^32 odd keys. */
function hash64(s) {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(b ^ c, 0x5bd1e995);
    }
    a = Math.imul(a ^ (a >>> 15), 0x85ebca6b) ^ b;
    b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35) ^ a;
    return pad7((a >>> 0).toString(36)) + pad7((b >>> 0).toString(36));
}
function pad7(s) {
    return ('000000' + s).slice(-7);
}
