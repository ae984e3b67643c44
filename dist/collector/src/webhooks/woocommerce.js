import { createHash } from 'node:crypto';
import { amount, contentLine, originUrl, record, text, unixSeconds, verifyBase64Hmac } from './source.js';
export const WOOCOMMERCE_VISITOR_META = '_cr_vid';
const ORDER_TOPICS = new Set(['order.created', 'order.updated']);
const PAID_STATUSES = new Set(['processing', 'completed']);
const UNPAID_STATUSES = new Set(['cancelled', 'refunded', 'failed', 'trash', 'checkout-draft']);
const SIGNATURE = 'X-WC-Webhook-Signature';
export const woocommerce = {
    platform: 'woocommerce',
    secretVariable: 'CLICKRELAY_WOOCOMMERCE_WEBHOOK_SECRET',
    secret: (config) => config.webhooks.woocommerceSecret,
    isPing,
    verify: (req, raw, secret) => verifyBase64Hmac(secret, raw, req.get(SIGNATURE), SIGNATURE),
    deliveryId,
    topic: ({ req }) => req.get('X-WC-Webhook-Topic') || undefined,
    read: readWooCommerceOrder,
};
/**
 * WooCommerce makes its delivery ID from the webhook's ID and the current second
 * (WC_Webhook::get_new_delivery_id), so two orders sent by one webhook in the same second share
 * it. The body is part of what identifies a delivery here: the same ID with the same body is a
 * resend, the same ID with another body is another delivery.
 */
function deliveryId({ req, raw }) {
    const id = req.get('X-WC-Webhook-Delivery-ID');
    return id ? `${id}:${createHash('sha256').update(raw).digest('hex').slice(0, 32)}` : undefined;
}
/** When a webhook is saved, WooCommerce posts `webhook_id=N` as a form, unsigned, and shows an error unless it gets a 200. */
function isPing(req, raw) {
    return !req.get(SIGNATURE) && raw.length < 64 && /^webhook_id=\d+$/.test(raw.toString('latin1').trim());
}
function readWooCommerceOrder(delivery, _config) {
    const topic = woocommerce.topic(delivery);
    if (!topic || !ORDER_TOPICS.has(topic))
        return { kind: 'ignored', reason: `topic ${topic ?? '(none)'} is not an order; choose "Order updated"` };
    const order = record(delivery.json);
    if (!order)
        return { kind: 'ignored', reason: 'the body is not an order' };
    const status = text(order.status);
    if (status && UNPAID_STATUSES.has(status))
        return { kind: 'ignored', reason: `status ${status}, not paid` };
    if (!(status && PAID_STATUSES.has(status)) && !order.date_paid)
        return { kind: 'ignored', reason: `status ${status ?? '(none)'} without date_paid, not paid yet` };
    const billing = record(order.billing);
    const visitorId = orderMeta(order.meta_data, WOOCOMMERCE_VISITOR_META);
    const body = {
        order_id: order.id,
        value: amount(order.total) ?? order.total,
        currency: order.currency,
        url: originUrl(delivery.req.get('X-WC-Webhook-Source')) ?? delivery.fallbackUrl,
        email: text(billing?.email),
        phone: text(billing?.phone),
        visitor_id: visitorId,
        ip: text(order.customer_ip_address),
        user_agent: text(order.customer_user_agent),
        event_time: unixSeconds(order.date_paid_gmt) ?? unixSeconds(order.date_created_gmt),
        contents: Array.isArray(order.line_items) ? order.line_items.map(contentLine) : undefined,
    };
    return {
        kind: 'order',
        body,
        from: {
            source: 'woocommerce',
            // The platform's own delivery ID, as WooCommerce's logs show it (the dedup key adds the body's hash).
            notes: { deliveryId: delivery.req.get('X-WC-Webhook-Delivery-ID') || undefined, topic, ...(visitorId ? { visitorIdFrom: `meta_data.${WOOCOMMERCE_VISITOR_META}` } : {}) },
            phoneCountry: text(billing?.country),
        },
    };
}
/** `[{id, key: "_cr_vid", value: "..."}]` -> the value. */
function orderMeta(meta, key) {
    if (!Array.isArray(meta))
        return undefined;
    for (const entry of meta) {
        const item = record(entry);
        if (item?.key === key)
            return text(item.value);
    }
    return undefined;
}
