/**
 * /admin/*: the operator's JSON API, for the merchant's staff and scripts only.
 * Every request needs `Authorization: Bearer <token>` or a dashboard session cookie (see
 * ../dashboard/access.ts, which the dashboard's router runs first). CLICKRELAY_ADMIN_TOKEN may
 * do everything; CLICKRELAY_VIEWER_TOKEN may read, and gets 403 on every POST. Without a
 * configured token the admin API is off.
 *
 *   GET  /admin/status              is it doing its job: clicks, refusals, orders, queue, delivery, setup problems
 *   GET  /admin/orders/:id          an order's attribution (which click, through which link, by which rule) and delivery
 *   GET  /admin/events?status=&from=&to=&limit=   server events, newest last
 *   GET  /admin/events/:id          one event: the exact payload sent and every attempt (receipts)
 *   POST /admin/events/:id/replay   {force?, note?}: send one event again, same event_id
 *   POST /admin/replays             {status?, from, to, limit?, after_id?, force?, note?}: send again the events so ended in a time range
 *   POST /admin/deletions           {email?, phone?, visitor_id?}: delete everything linked to them
 */
import { Router } from 'express';
import { z } from 'zod';
import { VISITOR_ID_PATTERN } from '../../../common/wire.js';
import { HttpError, parseOr400 } from '../errors.js';
import { hashEmail, hashPhone } from '../hashing.js';
import { HOUR_MS } from '../clock.js';
import { attributionWords, pixelPairing, provenanceJson } from '../orders/report.js';
import { age, createReplays, DEFAULT_REPLAY_LIMIT, REPLAY_WINDOW_MS, scrubbedError, WHY_REFUSED } from '../replay.js';
import { ENDED_STATUSES, EVENT_STATUSES } from '../store/store.js';
import { statusReport } from '../status.js';
const rowId = z.coerce.number({ error: 'must be an event id' }).int().positive();
const time = z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time, e.g. 2026-06-14T00:00:00Z')
    .transform((v) => Date.parse(v));
const eventQuerySchema = z.object({
    status: z
        .string()
        .transform((v) => v.split(','))
        .pipe(z.array(z.enum(EVENT_STATUSES)))
        .optional(),
    from: time.optional(),
    to: time.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const MAX_REPLAY_LIMIT = 10_000;
const replayOptions = {
    force: z.boolean().default(false),
    note: z.string().max(500).optional(),
};
const singleReplaySchema = z.object(replayOptions);
const replaySchema = z.object({
    status: z.array(z.enum(ENDED_STATUSES)).min(1).default(['failed']),
    from: time,
    to: time,
    limit: z.number().int().min(1).max(MAX_REPLAY_LIMIT).default(DEFAULT_REPLAY_LIMIT),
    after_id: z.number().int().nonnegative().optional(),
    ...replayOptions,
});
const iso = (ms) => (ms === undefined ? null : new Date(ms).toISOString());
function eventJson(e) {
    return {
        id: e.id,
        destination: e.destination,
        event: e.eventName,
        event_id: e.eventId,
        order_id: e.orderId ?? null,
        status: e.status,
        attempts: e.attempts,
        last_error: e.lastError ?? null,
        test_event_code: e.testEventCode ?? null,
        created_at: iso(e.createdAt),
        delivered_at: iso(e.deliveredAt),
        next_attempt_at: e.status === 'pending' ? iso(e.nextAttemptAt) : null,
    };
}
const deletionSchema = z
    .object({
    email: z.string().max(320).optional(),
    phone: z.string().max(64).optional(),
    visitor_id: z.string().regex(VISITOR_ID_PATTERN, 'must be a visitor ID').optional(),
})
    .refine((d) => d.email || d.phone || d.visitor_id, 'give at least one of email, phone, visitor_id');
export function adminRouter(ctx, access) {
    const router = Router();
    const replays = createReplays(ctx);
    router.use('/admin', access.requireApi);
    router.get('/admin/status', async (_req, res) => {
        res.set('Cache-Control', 'no-store').json(await statusReport(ctx));
    });
    router.get('/admin/orders/:id', async (req, res) => {
        const order = await ctx.store.findOrder(req.params.id);
        if (!order)
            throw new HttpError(404, 'not_found', `no order ${req.params.id}`);
        const { click } = order;
        const words = attributionWords(order);
        res.json({
            order_id: order.orderId,
            event_id: order.eventId,
            source: order.source,
            provenance: provenanceJson(order),
            attribution: click
                ? {
                    ttclid: click.ttclid,
                    captured_at: new Date(click.capturedAt).toISOString(),
                    landing_url: click.landingUrl,
                    in_app: click.inApp,
                    utm: click.utm,
                    linked_by: order.linkedBy,
                    rule: order.rule ?? null,
                    why: words.why,
                    summary: words.summary,
                }
                : words.rule
                    ? { ttclid: words.ttclid, captured_at: null, linked_by: order.linkedBy, rule: words.rule, why: words.why, summary: words.summary }
                    : { rule: null, summary: words.summary },
            pixel: pixelPairing(order),
            event: order.event && {
                name: order.event.name,
                status: order.event.status,
                attempts: order.event.attempts,
                last_error: order.event.lastError ?? null,
                delivered_at: order.event.deliveredAt === undefined ? null : new Date(order.event.deliveredAt).toISOString(),
                test_event_code: order.event.testEventCode ?? null,
            },
        });
    });
    router.get('/admin/events', async (req, res) => {
        const query = parseOr400(eventQuerySchema, req.query);
        const events = await ctx.store.listEvents({ statuses: query.status, from: query.from, to: query.to, limit: query.limit });
        res.json({ events: events.map(eventJson) });
    });
    router.get('/admin/events/:id', async (req, res) => {
        const id = parseOr400(rowId, req.params.id);
        const event = await ctx.store.getEvent(id);
        if (!event)
            throw new HttpError(404, 'not_found', `no event ${req.params.id}`);
        const replayLog = await ctx.store.replaysOf(id);
        res.json({
            ...eventJson(event),
            payload: event.payload,
            receipts: event.receipts.map((r) => ({
                started_at: iso(r.startedAt),
                duration_ms: r.durationMs,
                batch_size: r.batchSize,
                http_status: r.httpStatus ?? null,
                code: r.code ?? null,
                message: r.message,
                request_id: r.requestId ?? null,
            })),
            replays: replayLog.map((r) => ({
                requested_at: iso(r.requestedAt),
                actor: r.actor ?? null,
                ip: r.ip ?? null,
                token_fingerprint: r.tokenFingerprint,
                forced: r.forced,
                note: r.note ?? null,
                previous_status: r.previousStatus,
            })),
        });
    });
    router.post('/admin/events/:id/replay', async (req, res) => {
        const id = parseOr400(rowId, req.params.id);
        const body = parseOr400(singleReplaySchema, req.body ?? {});
        const outcome = await replays.one(req, id, body);
        res.json({ replayed: outcome.replayed, forced: body.force });
    });
    router.post('/admin/replays', async (req, res) => {
        const body = parseOr400(replaySchema, req.body);
        const { outcome, request } = await replays.bulk(req, { statuses: body.status, from: body.from, to: body.to, limit: body.limit, afterId: body.after_id }, body);
        if (outcome.scrubbed.length) {
            const rows = outcome.scrubbed.slice(0, 10).map((e) => e.id).join(', ') + (outcome.scrubbed.length > 10 ? ', …' : '');
            throw scrubbedError(`${outcome.scrubbed.length} of the events chosen (rows ${rows}) belong to orders`);
        }
        if (outcome.tooOld.length) {
            const [oldest] = [...outcome.tooOld].sort((a, b) => a.firstDeliveredAt - b.firstDeliveredAt);
            const rows = outcome.tooOld.slice(0, 10).map((e) => e.id).join(', ') + (outcome.tooOld.length > 10 ? ', …' : '');
            throw new HttpError(409, 'outside_dedup_window', `${outcome.tooOld.length} of the ${Math.min(body.limit, outcome.remaining)} events chosen (rows ${rows}) were first accepted by TikTok more than ${REPLAY_WINDOW_MS / HOUR_MS} hours ago, the oldest ${age(request.requestedAt - oldest.firstDeliveredAt)} ago. ${WHY_REFUSED} copies sent now would count those purchases twice. Nothing was replayed: narrow status, from and to, or add "force": true`);
        }
        res.json({
            replayed: outcome.replayed,
            count: outcome.replayed.length,
            remaining: outcome.remaining,
            // Pass it back as after_id for the next page: replayed events may end delivered again, and match again.
            next_after_id: outcome.remaining ? (outcome.replayed.at(-1) ?? null) : null,
            forced: body.force,
        });
    });
    router.post('/admin/deletions', async (req, res) => {
        const body = parseOr400(deletionSchema, req.body);
        const emailHash = body.email ? hashEmail(body.email) : undefined;
        if (body.email && !emailHash)
            throw new HttpError(400, 'invalid_request', 'email: not an email address');
        const phoneHash = body.phone ? hashPhone(body.phone, ctx.config.defaultCountry) : undefined;
        if (body.phone && !phoneHash)
            throw new HttpError(400, 'invalid_request', 'phone: cannot be normalised to E.164; include the country code');
        const deleted = await ctx.store.deleteSubject({ visitorId: body.visitor_id, emailHash, phoneHash });
        ctx.log.info({ deleted }, 'deletion request carried out');
        res.json({ deleted });
    });
    return router;
}
