/**
 * The Orders and Order pages in words: what an operator searched for, and each order's
 * attribution, pixel pairing and delivery, read from the same helpers as the admin API
 * (../orders/report.ts), so the page and GET /admin/orders/:id never disagree.
 *
 * An email typed into the search is hashed here, the moment it arrives, and only the hash goes
 * on: into the redirect's address, into the store's lookup. The raw address is never stored,
 * logged, echoed into a page, or put into a URL.
 */
import { eventId } from '../../../common/event-id.js';
import { hashEmail, isSha256 } from '../hashing.js';
import { LINKS, NETWORK_FROM, attributionWords, pixelPairing } from '../orders/report.js';
/** Orders per page of the list. */
export const ORDERS_PER_PAGE = 50;
/** The search box's text, read: an @ means an email (hashed now), 64 hex an email hash, anything else an order key or event_id. */
export function readSearch(text) {
    const q = text.trim();
    if (!q)
        return { kind: 'latest' };
    if (q.includes('@')) {
        const hash = hashEmail(q);
        return hash ? { kind: 'email', hash } : { kind: 'bad_email' };
    }
    if (isSha256(q.toLowerCase()))
        return { kind: 'email', hash: q.toLowerCase() };
    return { kind: 'key', text: q.slice(0, 200) };
}
/** Where a search's results live: an address with the order key, or with the email's hash, never the email. */
export function searchAddress(search) {
    if (search.kind === 'key')
        return `orders?q=${encodeURIComponent(search.text)}`;
    if (search.kind === 'email')
        return `orders?email=${search.hash}`;
    return 'orders';
}
/** `1781436000000.42`: a page's cursor in its address. */
export const cursorText = (c) => `${c.receivedAt}.${c.row}`;
export function readCursor(text) {
    const m = typeof text === 'string' ? /^(\d{1,16})\.(\d{1,16})$/.exec(text) : null;
    return m ? { receivedAt: Number(m[1]), row: Number(m[2]) } : undefined;
}
/** The store's query for a search; an order key also finds its order by the event_id the contract derives from it. */
export function orderQuery(search, purchaseEvent, before) {
    if (search.kind === 'key') {
        const derived = eventId(purchaseEvent, search.text);
        return { orderId: search.text, eventIds: [...new Set([search.text, derived])], limit: ORDERS_PER_PAGE };
    }
    if (search.kind === 'email')
        return { emailHash: search.hash, before, limit: ORDERS_PER_PAGE };
    return { latest: true, before, limit: ORDERS_PER_PAGE };
}
export const when = (ms) => (ms === undefined ? 'never' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
export function money(value, currency) {
    try {
        return new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'code' }).format(value).replace(/\u00a0/g, ' ');
    }
    catch {
        return `${value} ${currency}`;
    }
}
const PAIRING = {
    paired: { label: 'paired', explanation: 'The pixel fired with the same event name and event_id: TikTok counts the purchase once.' },
    server_only: { label: 'server only', explanation: 'No pixel receipt: the pixel was blocked or never fired. The server event alone counts the purchase.' },
    different_event_name: { label: 'other event name', explanation: 'The pixel fired with this event_id under another event name: TikTok cannot deduplicate the two, and may count the purchase twice.' },
    other_event_id: { label: 'other event_id', explanation: "The pixel fired for this order with an event_id that is not ClickRelay's: another integration sends it, TikTok cannot pair the two, and may count the purchase twice." },
    no_event_id: { label: 'no event_id', explanation: 'The pixel fired a purchase in this browser without an event_id (the page gave it no order key): TikTok cannot pair it with the server event, and may count the purchase twice.' },
};
export function deliveryWords(event) {
    if (!event)
        return { status: 'none', label: 'no server event' };
    if (event.status === 'pending')
        return { status: 'pending', label: event.attempts > 0 ? `retrying (${event.attempts} attempts)` : 'waiting' };
    return { status: event.status, label: event.status };
}
export const orderAddress = (orderId) => `order?id=${encodeURIComponent(orderId)}`;
/** One row of the Orders page. */
export function orderRow(order) {
    const words = attributionWords(order);
    const pairing = pixelPairing(order).status;
    return {
        orderId: order.orderId,
        eventId: order.eventId,
        href: orderAddress(order.orderId),
        received: when(order.receivedAt),
        receivedIso: new Date(order.receivedAt).toISOString(),
        amount: money(order.value, order.currency),
        source: order.source,
        attribution: words.summary,
        rule: words.rule,
        withTtclid: words.ttclid !== undefined,
        pairing: { status: pairing, ...PAIRING[pairing] },
        delivery: deliveryWords(order.event),
    };
}
/** What each match key in the payload is, so a hash reads as the hash it is. */
const MATCH_KEYS = [
    ['email', 'SHA-256 of the normalised email'],
    ['phone', 'SHA-256 of the phone in E.164'],
    ['external_id', 'SHA-256 of the visitor ID'],
    ['ttclid', 'TikTok click ID, as captured'],
    ['ttp', 'TikTok cookie _ttp, as captured'],
    ['ip', 'IP address, as sent'],
    ['user_agent', 'user agent, as sent'],
];
function attemptRow(a) {
    return {
        started: when(a.startedAt),
        batchSize: a.batchSize,
        httpStatus: a.httpStatus ?? '–',
        code: a.code ?? '–',
        message: a.message || '–',
        requestId: a.requestId ?? '–',
        duration: `${a.durationMs} ms`,
    };
}
/** The Order page: provenance, payload, attempts, pixel receipts, replay log. */
export function orderDetail(order, event, replays) {
    const words = attributionWords(order);
    const pairing = pixelPairing(order).status;
    const p = order.provenance;
    const { click } = order;
    const user = event?.payload.user ?? {};
    return {
        ...orderRow(order),
        eventTime: when(order.eventTimeS * 1000),
        why: words.why,
        ttclid: words.ttclid,
        linkedBy: order.linkedBy ? LINKS[order.linkedBy] : undefined,
        click: click && {
            ttclid: click.ttclid,
            captured: when(click.capturedAt),
            landingUrl: click.landingUrl,
            browser: click.inApp ? "TikTok's in-app browser" : 'a regular browser (not in-app)',
            referrer: click.referrer,
            utm: Object.entries(click.utm).map(([key, value]) => ({ key: `utm_${key}`, value })),
        },
        provenance: [
            ['Source', order.source],
            ['Webhook delivery ID', p.deliveryId],
            ['Webhook topic', p.topic],
            ['Visitor ID read from', p.visitorIdFrom],
            ['Landing URL read from', p.landingUrlFrom],
            ['ttclid read from a reported landing URL', p.reportedTtclid],
            ['IP address from', p.ipFrom && NETWORK_FROM[p.ipFrom]],
            ['User agent from', p.userAgentFrom && NETWORK_FROM[p.userAgentFrom]],
        ]
            .filter((entry) => typeof entry[1] === 'string')
            .map(([label, value]) => ({ label, value })),
        pairingDetail: { status: pairing, ...PAIRING[pairing] },
        pixelReceipts: order.pixelEvents.map((e) => ({ event: e.eventName, eventId: e.eventId ?? 'none', received: when(e.receivedAt) })),
        event: event && {
            id: event.id,
            name: event.eventName,
            status: event.status,
            attempts: event.attempts,
            lastError: event.lastError,
            created: when(event.createdAt),
            delivered: event.deliveredAt === undefined ? undefined : when(event.deliveredAt),
            testEventCode: event.testEventCode,
            inQueue: event.status === 'pending' || event.status === 'sending',
            payload: JSON.stringify(event.payload, null, 2),
            matchKeys: MATCH_KEYS.flatMap(([key, what]) => {
                const value = user[key];
                if (value === undefined)
                    return [];
                return (Array.isArray(value) ? value : [value]).map((v) => ({ key, what, value: v }));
            }),
            receipts: event.receipts.map(attemptRow),
        },
        replays: replays.map((r) => ({
            requested: when(r.requestedAt),
            actor: r.actor ?? '–',
            forced: r.forced,
            note: r.note,
            previousStatus: r.previousStatus,
        })),
    };
}
