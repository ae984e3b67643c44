import { amount, contentLine, originUrl, record, text, ttclidOf, unixSeconds, verifyBase64Hmac } from './source.js';
export const SHOPIFY_VISITOR_ATTRIBUTE = '_cr_vid';
const ORDER_TOPICS = new Set(['orders/paid', 'orders/create', 'orders/updated']);
export const shopify = {
    platform: 'shopify',
    secretVariable: 'CLICKRELAY_SHOPIFY_WEBHOOK_SECRET',
    secret: (config) => config.webhooks.shopifySecret,
    verify: (req, raw, secret) => verifyBase64Hmac(secret, raw, req.get('X-Shopify-Hmac-Sha256'), 'X-Shopify-Hmac-Sha256'),
    deliveryId: ({ req }) => req.get('X-Shopify-Webhook-Id') || undefined,
    topic: ({ req }) => req.get('X-Shopify-Topic') || undefined,
    read: readShopifyOrder,
};
function readShopifyOrder(delivery, config) {
    const topic = shopify.topic(delivery);
    if (!topic || !ORDER_TOPICS.has(topic))
        return { kind: 'ignored', reason: `topic ${topic ?? '(none)'} is not a paid order; subscribe to orders/paid` };
    const order = record(delivery.json);
    if (!order)
        return { kind: 'ignored', reason: 'the body is not an order' };
    if (topic !== 'orders/paid' && order.financial_status !== 'paid')
        return { kind: 'ignored', reason: `${topic} with financial_status ${text(order.financial_status) ?? '(none)'}, not paid` };
    if (order.cancelled_at)
        return { kind: 'ignored', reason: 'the order is cancelled' };
    if (order.test === true && !config.webhooks.acceptTestOrders)
        return { kind: 'ignored', reason: 'a test order (set CLICKRELAY_ACCEPT_TEST_ORDERS=true to send test orders to TikTok)' };
    const customer = record(order.customer);
    const billing = record(order.billing_address);
    const visitorId = noteAttribute(order.note_attributes, SHOPIFY_VISITOR_ATTRIBUTE);
    const landingSite = text(order.landing_site);
    const landingTtclid = ttclidOf(landingSite);
    const shopDomain = delivery.req.get('X-Shopify-Shop-Domain');
    const body = {
        order_id: orderKey(order),
        // What the buyer paid, in the currency they paid in: what the custom pixel reports too.
        value: presentment(order.total_price_set)?.amount ?? amount(order.total_price) ?? order.total_price,
        currency: presentment(order.total_price_set)?.currency ?? text(order.presentment_currency) ?? order.currency,
        // The order status page's origin is the shop's own domain; the myshopify.com one is the fallback.
        url: originUrl(order.order_status_url) ?? (shopDomain ? originUrl(`https://${shopDomain}/`) : undefined) ?? delivery.fallbackUrl,
        email: text(order.email) ?? text(order.contact_email) ?? text(customer?.email),
        phone: text(order.phone) ?? text(customer?.phone) ?? text(billing?.phone),
        visitor_id: visitorId,
        ip: text(order.browser_ip),
        user_agent: text(record(order.client_details)?.user_agent),
        event_time: unixSeconds(order.processed_at) ?? unixSeconds(order.created_at),
        contents: Array.isArray(order.line_items) ? order.line_items.map(shopifyLine) : undefined,
    };
    return {
        kind: 'order',
        body,
        from: {
            source: 'shopify',
            notes: {
                deliveryId: shopify.deliveryId(delivery),
                topic,
                ...(visitorId ? { visitorIdFrom: `note_attributes.${SHOPIFY_VISITOR_ATTRIBUTE}` } : {}),
                ...(landingTtclid ? { landingUrlFrom: 'landing_site' } : {}),
            },
            landingTtclid,
            phoneCountry: text(billing?.country_code) ?? text(record(order.shipping_address)?.country_code),
        },
    };
}
/**
 * The numeric order ID, as a string. JSON numbers lose digits past 2^53, so the ID is read from
 * admin_graphql_api_id ("gid://shopify/Order/5396439498987") when it is there, else from `id`.
 */
function orderKey(order) {
    const gid = text(order.admin_graphql_api_id);
    const tail = gid ? /^gid:\/\/shopify\/Order\/(\d+)$/.exec(gid)?.[1] : undefined;
    return tail ?? order.id;
}
/** A MoneyBag's presentment money (`{shop_money, presentment_money: {amount: "59.90", currency_code}}`), when it is whole. */
function presentment(bag) {
    const money = record(record(bag)?.presentment_money);
    const value = amount(money?.amount);
    const currency = text(money?.currency_code);
    return value !== undefined && currency ? { amount: value, currency } : undefined;
}
/** A line item at its presentment price, as the order's total is. */
function shopifyLine(item) {
    const line = contentLine(item);
    const price = presentment(record(item)?.price_set)?.amount;
    return price !== undefined && record(line) ? { ...record(line), price } : line;
}
/** `[{name: "_cr_vid", value: "..."}]` -> the value. */
function noteAttribute(attributes, name) {
    if (!Array.isArray(attributes))
        return undefined;
    for (const attribute of attributes) {
        const entry = record(attribute);
        if (entry?.name === name)
            return text(entry.value);
    }
    return undefined;
}
