/**
 * POST /orders: confirmed, paid orders from the merchant's backend (never from a browser).
 * Only bodies signed with CLICKRELAY_ORDER_SECRET are accepted (see ../sign.ts).
 * Idempotent on order_id: a resend answers 200 with the first event_id and adds no event.
 */
import express, { Router } from 'express';
import { isIP } from 'node:net';
import { z } from 'zod';
import { eventId } from '../../../common/event-id.js';
import { VISITOR_ID_PATTERN } from '../../../common/wire.js';
import { DAY_MS } from '../clock.js';
import { HttpError, parseOr400 } from '../errors.js';
import { hashEmail, hashPhone } from '../hashing.js';
import { SIGNATURE_HEADER, verifySignature } from '../sign.js';
import { buildOrderEvent } from '../tiktok/payload.js';
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
/** Clicks captured a little after the order's event_time still count: the shop's clock and ours may differ. */
const CLOCK_SKEW_MS = 10 * 60_000;
const PAID_ONLY = ' (POST /orders takes confirmed, paid orders only)';
const key = z.union([z.string().trim().min(1).max(200), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)]).transform(String);
const money = z.number().finite().nonnegative();
const orderSchema = z.object({
    order_id: key,
    value: money,
    currency: z
        .string()
        .transform((v) => v.trim().toUpperCase())
        .refine((v) => /^[A-Z]{3}$/.test(v) && CURRENCIES.has(v), 'must be an ISO 4217 currency code, e.g. USD'),
    contents: z
        .array(z.object({ content_id: key, quantity: z.number().int().positive(), price: money }))
        .max(1000)
        .default([]),
    email: z.string().max(320).optional(),
    phone: z.string().max(64).optional(),
    visitor_id: z.string().regex(VISITOR_ID_PATTERN, 'must be the cr_vid cookie value').optional(),
    ip: z
        .string()
        .trim()
        .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address')
        .optional(),
    user_agent: z.string().max(1024).optional(),
    url: z
        .string()
        .max(4096)
        .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL'),
    event_time: z
        .number()
        .int()
        .positive()
        .refine((v) => v < 1e11, 'must be Unix seconds, not milliseconds')
        .optional(),
});
export function ordersRouter(ctx) {
    const router = Router();
    const { config, clock, store } = ctx;
    router.post('/orders', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const now = clock.now();
        const verification = verifySignature(config.orderSecret, req.get(SIGNATURE_HEADER), raw, Math.floor(now / 1000));
        if (!verification.ok)
            throw new HttpError(401, 'invalid_signature', verification.reason);
        let json;
        try {
            json = JSON.parse(raw.toString('utf8'));
        }
        catch {
            throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
        }
        const body = parseOr400(orderSchema, json, PAID_ONLY);
        if (body.event_time !== undefined && body.event_time * 1000 > now + CLOCK_SKEW_MS) {
            throw new HttpError(400, 'invalid_request', 'event_time: is in the future; send the time the order was paid, in Unix seconds');
        }
        const warnings = [];
        const emailHash = body.email ? hashEmail(body.email) : undefined;
        if (body.email && !emailHash)
            warnings.push('email: not an email address; left out of the event');
        const phoneHash = body.phone ? hashPhone(body.phone, config.defaultCountry) : undefined;
        if (body.phone && !phoneHash)
            warnings.push('phone: cannot be normalised to E.164 (set CLICKRELAY_DEFAULT_COUNTRY for national numbers); left out of the event');
        const eventName = config.tiktok.purchaseEvent;
        const order = {
            orderId: body.order_id,
            eventName,
            eventId: eventId(eventName, body.order_id),
            visitorId: body.visitor_id,
            emailHash,
            phoneHash,
            value: body.value,
            currency: body.currency,
            contents: body.contents,
            ip: body.ip,
            userAgent: body.user_agent,
            url: body.url,
            eventTimeS: body.event_time ?? Math.floor(now / 1000),
            receivedAt: now,
        };
        const orderTime = order.eventTimeS * 1000;
        const window = { from: orderTime - config.clickWindowDays * DAY_MS, to: orderTime + CLOCK_SKEW_MS };
        const accepted = await store.acceptOrder(order, window, buildOrderEvent, config.tiktok.testEventCode);
        if (accepted.created)
            ctx.onEnqueued();
        ctx.log.info({ order_id: accepted.orderId, event_id: accepted.eventId, created: accepted.created }, accepted.created ? 'order accepted' : 'order resent; already accepted');
        res.status(accepted.created ? 201 : 200).json({
            order_id: accepted.orderId,
            event_id: accepted.eventId,
            status: accepted.created ? 'accepted' : 'duplicate',
            ...(warnings.length ? { warnings } : {}),
        });
    });
    return router;
}
