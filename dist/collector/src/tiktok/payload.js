/**
 * Builds the Events API event for an accepted order: the reference's shape, nothing more.
 * Pure: everything it needs is in the order (already hashed) and its attribution.
 */
import { hashExternalId } from '../hashing.js';
export function buildOrderEvent(order, attribution) {
    const user = {};
    const ttclid = attribution.click?.ttclid ?? attribution.reportedTtclid;
    if (ttclid)
        user.ttclid = ttclid;
    if (attribution.ttp)
        user.ttp = attribution.ttp;
    if (order.emailHash)
        user.email = [order.emailHash];
    if (order.phoneHash)
        user.phone = [order.phoneHash];
    if (order.visitorId)
        user.external_id = [hashExternalId(order.visitorId)];
    // The buyer's network identity: what the merchant's backend saw at checkout, else the buyer's last visit.
    const ip = order.ip ?? attribution.lastSeen?.ip;
    const userAgent = order.userAgent ?? attribution.lastSeen?.userAgent;
    if (ip)
        user.ip = ip;
    if (userAgent)
        user.user_agent = userAgent;
    return {
        event: order.eventName,
        event_time: order.eventTimeS,
        event_id: order.eventId,
        user,
        properties: {
            contents: order.contents.map((c) => ({ content_id: c.content_id, quantity: c.quantity, price: c.price })),
            content_type: 'product',
            currency: order.currency,
            value: order.value,
            order_id: order.orderId,
        },
        page: { url: order.url },
    };
}
/** One request body for a batch of events that share a test mode. test_event_code goes at the top level, never inside data[]. */
export function buildTrackRequest(pixelCode, events, testEventCode) {
    const body = { event_source: 'web', event_source_id: pixelCode, data: events };
    if (testEventCode)
        body.test_event_code = testEventCode;
    return body;
}
/**
 * The same request as JSON text, from events already serialised: the outbox keeps each event's
 * exact JSON, and sending it as it is spares a parse and a re-serialisation per event, which
 * were a third of the cost of draining a backlog.
 */
export function trackRequestBody(pixelCode, eventsJson, testEventCode) {
    const envelope = { event_source: 'web', event_source_id: pixelCode };
    if (testEventCode)
        envelope.test_event_code = testEventCode;
    // The envelope without its closing brace, then data[] with each event's text as it is.
    return `${JSON.stringify(envelope).slice(0, -1)},"data":[${eventsJson.join(',')}]}`;
}
