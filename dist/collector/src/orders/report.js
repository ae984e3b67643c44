/**
 * An order as the operator reads it, in words: which click it carries and why, whether the
 * browser pixel paired with it, where each of its facts came from. One source for the admin
 * API (GET /admin/orders/:id) and the dashboard's order pages, so both always say the same.
 */
import { RULES } from '../attribution/rules.js';
/** For orders accepted before the rule was recorded with them (migration 006). */
export const UNRECORDED_RULE = 'Accepted before the collector recorded the rule that applied; linked_by names the first link from the buyer.';
export const LINKS = {
    visitor_id: 'the same browser',
    email: 'email',
    phone: 'phone',
    ttclid: 'the same ad click opened in another browser',
    landing_url: 'the landing URL the order platform reported',
};
/** "ttclid captured 2026-06-14 on /products/trail-jacket in TikTok's in-app browser, linked by email" */
export function describeAttribution(click, linkedBy) {
    const where = URL.canParse(click.landingUrl) ? new URL(click.landingUrl).pathname : click.landingUrl;
    return `ttclid captured ${new Date(click.capturedAt).toISOString().slice(0, 10)} on ${where}${click.inApp ? " in TikTok's in-app browser" : ''}${linkedBy ? `, linked by ${LINKS[linkedBy]}` : ''}`;
}
export function attributionWords(order) {
    const { click } = order;
    if (click)
        return { ttclid: click.ttclid, rule: order.rule, why: order.rule ? RULES[order.rule] : UNRECORDED_RULE, summary: describeAttribution(click, order.linkedBy) };
    const reported = order.provenance.reportedTtclid;
    if (reported && order.rule) {
        return {
            ttclid: reported,
            rule: order.rule,
            why: RULES[order.rule],
            summary: `ttclid read from the order's ${order.provenance.landingUrlFrom ?? 'landing URL'}; no browser with ClickRelay's script captured it`,
        };
    }
    return { ttclid: undefined, rule: undefined, why: undefined, summary: 'no ttclid: no click from a TikTok ad is linked to this buyer' };
}
/**
 * Whether the browser pixel fired for this order too, and with what (pairing.ts): kept with the
 * order as receipts arrive, so the page, the API and the Overview's counts say the same.
 */
export function pixelPairing(order) {
    return {
        status: order.pixelPairing,
        events: order.pixelEvents.map((e) => ({ event: e.eventName, event_id: e.eventId ?? null, received_at: new Date(e.receivedAt).toISOString() })),
    };
}
export const NETWORK_FROM = { order: 'the order', visitor_last_click: "the visitor's latest click record (the platform sends none)" };
/** Where the order came from and where each of its facts was read: what the source noted, in the words of GET /admin/orders/:id. */
export function provenanceJson(order) {
    const p = order.provenance;
    return {
        delivery_id: p.deliveryId ?? null,
        topic: p.topic ?? null,
        visitor_id_from: p.visitorIdFrom ?? null,
        landing_url_from: p.landingUrlFrom ?? null,
        ip_from: p.ipFrom ? NETWORK_FROM[p.ipFrom] : null,
        user_agent_from: p.userAgentFrom ? NETWORK_FROM[p.userAgentFrom] : null,
    };
}
