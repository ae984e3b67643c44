/**
 * An event as it may be kept: its name, time and id, the amounts and product ids, the shop's
 * origin. Built from what may stay rather than by deleting what must go, so a personal field
 * added to the payload later is scrubbed too. The user block goes whole (ttclid, _ttp, email and
 * phone hashes, the visitor's hashed ID, IP, user agent); the page keeps its origin only, since a
 * thank-you page's path and query often carry an order token or the buyer's email.
 */
export function scrubEvent(event) {
    const kept = { event: event.event, event_time: event.event_time, event_id: event.event_id, user: {}, page: { url: originOf(event.page.url) } };
    const p = event.properties;
    if (p) {
        kept.properties = {};
        if (p.contents)
            kept.properties.contents = p.contents.map((c) => ({ content_id: c.content_id, quantity: c.quantity, price: c.price }));
        if (p.content_type)
            kept.properties.content_type = p.content_type;
        if (p.currency)
            kept.properties.currency = p.currency;
        if (p.value !== undefined)
            kept.properties.value = p.value;
        if (p.order_id)
            kept.properties.order_id = p.order_id;
        if (p.shop_id)
            kept.properties.shop_id = p.shop_id;
    }
    if (event.limited_data_use !== undefined)
        kept.limited_data_use = event.limited_data_use;
    return kept;
}
function originOf(url) {
    return URL.canParse(url) ? new URL(url).origin + '/' : '';
}
