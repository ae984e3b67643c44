/**
 * POST /orders: confirmed, paid orders from the merchant's backend (never from a browser).
 * Only bodies signed with CLICKRELAY_ORDER_SECRET are accepted (see ../sign.ts).
 * Idempotent on order_id: a resend answers 200 with the first event_id and adds no event.
 *
 * A paid order is never refused over an optional field: only what TikTok's event cannot do
 * without (order_id, value, currency, url) is a 400. Any other field that cannot be used is
 * left out of the event and named in `warnings`.
 */
import express, { Router } from 'express';
import { HttpError } from '../errors.js';
import { acceptOrderBody } from '../orders/accept.js';
import { SIGNATURE_HEADER, verifySignature } from '../sign.js';
export function ordersRouter(ctx) {
    const router = Router();
    const { config, clock } = ctx;
    router.post('/orders', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const verification = verifySignature(config.orderSecret, req.get(SIGNATURE_HEADER), raw, Math.floor(clock.now() / 1000));
        if (!verification.ok)
            throw new HttpError(401, 'invalid_signature', verification.reason);
        let json;
        try {
            json = JSON.parse(raw.toString('utf8'));
        }
        catch {
            throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
        }
        const accepted = await acceptOrderBody(ctx, json, { source: 'api', hint: ' (POST /orders takes confirmed, paid orders only)' });
        const { warnings } = accepted;
        res.status(accepted.created ? 201 : 200).json({
            order_id: accepted.orderId,
            event_id: accepted.eventId,
            status: accepted.created ? 'accepted' : 'duplicate',
            ...(warnings.length ? { warnings } : {}),
        });
    });
    return router;
}
