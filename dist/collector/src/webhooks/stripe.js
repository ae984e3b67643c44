/**
 * Stripe Checkout and Payment Links: `checkout.session.completed` when its payment_status is
 * paid, and `checkout.session.async_payment_succeeded` for methods that settle later. The
 * signature is checked by the official `stripe` package (Stripe-Signature: t=, v1=; tolerance
 * 300 s). The visitor ID arrives as `client_reference_id` (cr.js adds it to Payment Links with
 * data-stripe-links) or `metadata.cr_vid`. Stripe sends no buyer IP or user agent: the event
 * takes them from the visitor's latest click record (tiktok/payload.ts), and says so.
 * Line items are used only if the payload has them: the collector never calls Stripe's API.
 */
import Stripe from 'stripe';
import { VISITOR_ID_PATTERN } from '../../../common/wire.js';
import { HttpError } from '../errors.js';
import { fromMinorUnits } from './currency.js';
import { originUrl, record, text } from './source.js';
/** Stripe's default: a signature older than this is refused, so a captured delivery cannot be replayed later. */
export const STRIPE_TOLERANCE_S = 300;
const PAID_EVENTS = new Set(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);
export const stripe = {
    platform: 'stripe',
    secretVariable: 'CLICKRELAY_STRIPE_WEBHOOK_SECRET',
    secret: (config) => config.webhooks.stripeSecret,
    verify: verifyStripe,
    deliveryId: ({ json }) => text(record(json)?.id),
    topic: ({ json }) => text(record(json)?.type),
    read: readStripeSession,
};
function verifyStripe(req, raw, secret, nowMs) {
    const header = req.get('Stripe-Signature');
    if (!header)
        return { ok: false, reason: 'missing Stripe-Signature header' };
    try {
        Stripe.webhooks.constructEvent(raw, header, secret, STRIPE_TOLERANCE_S, undefined, nowMs);
        return { ok: true };
    }
    catch (error) {
        const message = error instanceof Error ? error.message.split('\n')[0].trim() : 'invalid signature';
        return { ok: false, reason: `Stripe-Signature: ${message}` };
    }
}
function readStripeSession(delivery, config) {
    const event = record(delivery.json);
    const type = text(event?.type);
    if (!type || !PAID_EVENTS.has(type))
        return { kind: 'ignored', reason: `event ${type ?? '(none)'} is not a paid Checkout Session; choose checkout.session.completed and checkout.session.async_payment_succeeded` };
    const session = record(record(event?.data)?.object);
    if (!session)
        return { kind: 'ignored', reason: 'the event carries no Checkout Session' };
    if (session.payment_status !== 'paid')
        return { kind: 'ignored', reason: `payment_status ${text(session.payment_status) ?? '(none)'}, not paid` };
    if (event?.livemode === false && !config.webhooks.acceptTestOrders)
        return { kind: 'ignored', reason: 'a test-mode event (set CLICKRELAY_ACCEPT_TEST_ORDERS=true to send test orders to TikTok)' };
    const warnings = [];
    const reference = text(session.client_reference_id);
    const metadataVisitor = text(record(session.metadata)?.cr_vid);
    const keyedByReference = config.webhooks.stripeOrderKey === 'client_reference_id';
    let orderKey = text(session.id);
    if (keyedByReference) {
        if (reference)
            orderKey = reference;
        else
            warnings.push('client_reference_id: missing, though CLICKRELAY_STRIPE_ORDER_KEY=client_reference_id; the Checkout Session id is the order key instead');
    }
    // metadata.cr_vid is said on purpose; client_reference_id is the visitor ID when nothing else is
    // (cr.js puts it there on Payment Links), the order is not keyed by it, and it looks like one.
    const referenceIsVisitor = !metadataVisitor && !keyedByReference && reference !== undefined && VISITOR_ID_PATTERN.test(reference);
    const visitorId = metadataVisitor ?? (referenceIsVisitor ? reference : undefined);
    const visitorIdFrom = metadataVisitor ? 'metadata.cr_vid' : referenceIsVisitor ? 'client_reference_id' : undefined;
    const currency = text(session.currency);
    const customer = record(session.customer_details);
    const body = {
        order_id: orderKey,
        value: amountOf(session.amount_total, currency),
        currency,
        url: originUrl(session.success_url) ?? delivery.fallbackUrl,
        email: text(customer?.email),
        phone: text(customer?.phone),
        visitor_id: visitorId,
        event_time: typeof event?.created === 'number' ? event.created : undefined,
        contents: lineItems(session.line_items, currency),
    };
    return {
        kind: 'order',
        body,
        from: {
            source: 'stripe',
            notes: { deliveryId: text(event?.id), topic: type, ...(visitorIdFrom ? { visitorIdFrom } : {}) },
            phoneCountry: text(record(customer?.address)?.country),
            warnings,
        },
    };
}
/** amount_total in units; a currency whose minor units are unknown is refused rather than sent 10^n times too large. */
function amountOf(total, currency) {
    if (typeof total !== 'number' || !currency)
        return total;
    const value = fromMinorUnits(total, currency);
    if (value === undefined)
        throw new HttpError(400, 'unknown_currency', `currency ${currency}: ClickRelay does not know its minor units (ISO 4217 lists no exponent for it), so amount_total ${total} cannot be converted`);
    return value;
}
/** Line items, only when the event carries them (expanded): `{data: [{price: {product}, quantity, amount_total}]}`. */
function lineItems(value, currency) {
    const items = record(value)?.data;
    if (!Array.isArray(items) || !currency)
        return undefined;
    return items.map((item) => {
        const line = record(item);
        const price = record(line?.price);
        const quantity = line?.quantity;
        const total = typeof line?.amount_total === 'number' ? fromMinorUnits(line.amount_total, currency) : undefined;
        const unit = total !== undefined && typeof quantity === 'number' && quantity > 0 ? Number((total / quantity).toFixed(6)) : undefined;
        return { content_id: text(price?.product) ?? text(price?.id) ?? text(line?.id), quantity, price: unit };
    });
}
