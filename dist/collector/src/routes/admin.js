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
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { VISITOR_ID_PATTERN } from '../../../common/wire.js';
import { HttpError, parseOr400 } from '../errors.js';
import { hashEmail, hashPhone } from '../hashing.js';
import { DAY_MS, HOUR_MS } from '../clock.js';
import { RULES } from '../attribution/rules.js';
import { clientIp } from '../origin.js';
import { statusReport } from '../status.js';
const ENDED = ['delivered', 'failed', 'expired'];
const STATUSES = ['pending', 'sending', ...ENDED];
const rowId = z.coerce.number({ error: 'must be an event id' }).int().positive();
const time = z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time, e.g. 2026-06-14T00:00:00Z')
    .transform((v) => Date.parse(v));
const eventQuerySchema = z.object({
    status: z
        .string()
        .transform((v) => v.split(','))
        .pipe(z.array(z.enum(STATUSES)))
        .optional(),
    from: time.optional(),
    to: time.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
});
/** TikTok drops a copy of an event_id only within 48 hours of first receiving it. */
const DEDUP_WINDOW_MS = 48 * HOUR_MS;
/**
 * Replays stop an hour before that window closes: a copy still waits its turn in the queue
 * (behind a bulk replay, a backlog) before it reaches TikTok, and the two clocks differ.
 */
const REPLAY_WINDOW_MS = DEDUP_WINDOW_MS - HOUR_MS;
/** The caller names itself for the replay log: one admin token is shared, so the collector cannot tell people apart. */
const ACTOR_HEADER = 'ClickRelay-Actor';
const MAX_REPLAY_LIMIT = 10_000;
const replayOptions = {
    force: z.boolean().default(false),
    note: z.string().max(500).optional(),
};
const singleReplaySchema = z.object(replayOptions);
const replaySchema = z.object({
    status: z.array(z.enum(ENDED)).min(1).default(['failed']),
    from: time,
    to: time,
    limit: z.number().int().min(1).max(MAX_REPLAY_LIMIT).default(1000),
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
    const token = ctx.config.adminToken;
    // Tells a rotated token from the one before it in the replay log; never the token itself.
    const tokenFingerprint = token ? createHash('sha256').update(token).digest('hex').slice(0, 16) : '';
    /** Who asked, for the replay log; the replay is refused once TikTok would count the copy again, unless forced. */
    function replayRequest(req, options, scope) {
        const now = ctx.clock.now();
        return {
            requestedAt: now,
            actor: req.get(ACTOR_HEADER)?.trim().slice(0, 200) || undefined,
            ip: clientIp(req),
            tokenFingerprint,
            note: options.note,
            forced: options.force,
            scope: JSON.stringify(scope),
            firstDeliveredNotBefore: options.force ? undefined : now - REPLAY_WINDOW_MS,
        };
    }
    function logReplay(outcome, request) {
        const fields = { count: outcome.replayed.length, first_row: outcome.replayed[0], remaining: outcome.remaining, actor: request.actor, ip: request.ip, scope: request.scope };
        if (request.forced)
            ctx.log.warn({ ...fields, forced: true }, "events replayed with force: those TikTok first received over 48 hours ago will count again");
        else
            ctx.log.info(fields, 'events replayed');
    }
    router.use('/admin', access.requireApi);
    router.get('/admin/status', async (_req, res) => {
        res.set('Cache-Control', 'no-store').json(await statusReport(ctx));
    });
    router.get('/admin/orders/:id', async (req, res) => {
        const order = await ctx.store.findOrder(req.params.id);
        if (!order)
            throw new HttpError(404, 'not_found', `no order ${req.params.id}`);
        const { click } = order;
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
                    why: order.rule ? RULES[order.rule] : UNRECORDED_RULE,
                    summary: describeAttribution(click, order.linkedBy),
                }
                : order.provenance.reportedTtclid && order.rule
                    ? { ttclid: order.provenance.reportedTtclid, captured_at: null, linked_by: order.linkedBy, rule: order.rule, why: RULES[order.rule], summary: `ttclid read from the order's ${order.provenance.landingUrlFrom ?? 'landing URL'}; no browser with ClickRelay's script captured it` }
                    : { rule: null, summary: 'no ttclid: no click from a TikTok ad is linked to this buyer' },
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
        const replays = await ctx.store.replaysOf(id);
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
            replays: replays.map((r) => ({
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
        const event = await ctx.store.getEvent(id);
        if (!event)
            throw new HttpError(404, 'not_found', `no event ${id}`);
        const request = replayRequest(req, body, { ids: [id] });
        const outcome = await ctx.store.replayEvents({ ids: [id] }, request);
        if (outcome.scrubbed.length)
            throw scrubbedError(`event ${id} (${event.eventId}) belongs to an order`);
        const [old] = outcome.tooOld;
        if (old) {
            throw new HttpError(409, 'outside_dedup_window', `event ${id} (${old.eventId}) was first accepted by TikTok ${age(request.requestedAt - old.firstDeliveredAt)} ago, at ${iso(old.firstDeliveredAt)}. ${WHY_REFUSED} a copy sent now would count the purchase twice. Nothing was replayed; to send it anyway, add "force": true`);
        }
        if (!outcome.replayed.length)
            throw new HttpError(409, 'in_queue', `event ${id} is ${event.status}: it is already in the queue`);
        ctx.onEnqueued();
        logReplay(outcome, request);
        res.json({ replayed: outcome.replayed, forced: body.force });
    });
    router.post('/admin/replays', async (req, res) => {
        const body = parseOr400(replaySchema, req.body);
        const scope = { status: body.status, from: iso(body.from), to: iso(body.to), limit: body.limit, after_id: body.after_id ?? null };
        const request = replayRequest(req, body, scope);
        const outcome = await ctx.store.replayEvents({ statuses: body.status, from: body.from, to: body.to, limit: body.limit, afterId: body.after_id }, request);
        if (outcome.scrubbed.length) {
            const rows = outcome.scrubbed.slice(0, 10).map((e) => e.id).join(', ') + (outcome.scrubbed.length > 10 ? ', …' : '');
            throw scrubbedError(`${outcome.scrubbed.length} of the events chosen (rows ${rows}) belong to orders`);
        }
        if (outcome.tooOld.length) {
            const [oldest] = [...outcome.tooOld].sort((a, b) => a.firstDeliveredAt - b.firstDeliveredAt);
            const rows = outcome.tooOld.slice(0, 10).map((e) => e.id).join(', ') + (outcome.tooOld.length > 10 ? ', …' : '');
            throw new HttpError(409, 'outside_dedup_window', `${outcome.tooOld.length} of the ${Math.min(body.limit, outcome.remaining)} events chosen (rows ${rows}) were first accepted by TikTok more than ${REPLAY_WINDOW_MS / HOUR_MS} hours ago, the oldest ${age(request.requestedAt - oldest.firstDeliveredAt)} ago. ${WHY_REFUSED} copies sent now would count those purchases twice. Nothing was replayed: narrow status, from and to, or add "force": true`);
        }
        if (outcome.replayed.length) {
            ctx.onEnqueued();
            logReplay(outcome, request);
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
const WHY_REFUSED = `TikTok drops a copy of an event_id only within ${DEDUP_WINDOW_MS / HOUR_MS} hours of first receiving it, and ClickRelay stops replays ${(DEDUP_WINDOW_MS - REPLAY_WINDOW_MS) / HOUR_MS} hour before that, so the copy has time to reach TikTok:`;
/** "5 hours", "3 days" */
function age(ms) {
    const hours = Math.floor(ms / HOUR_MS);
    return hours < 72 ? `${hours} hour${hours === 1 ? '' : 's'}` : `${Math.floor(ms / DAY_MS)} days`;
}
/** For orders accepted before the rule was recorded with them (migration 006). */
const UNRECORDED_RULE = 'Accepted before the collector recorded the rule that applied; linked_by names the first link from the buyer.';
const LINKS = { visitor_id: 'the same browser', email: 'email', phone: 'phone', ttclid: 'the same ad click opened in another browser', landing_url: "the landing URL the order platform reported" };
/** "ttclid captured 2026-06-14 on /products/trail-jacket in TikTok's in-app browser, linked by email" */
function describeAttribution(click, linkedBy) {
    const where = URL.canParse(click.landingUrl) ? new URL(click.landingUrl).pathname : click.landingUrl;
    return `ttclid captured ${new Date(click.capturedAt).toISOString().slice(0, 10)} on ${where}${click.inApp ? " in TikTok's in-app browser" : ''}${linkedBy ? `, linked by ${LINKS[linkedBy]}` : ''}`;
}
/**
 * Whether the browser pixel fired for this order too: `paired` (same event name and event_id,
 * so TikTok counts it once), `different_event_name` (the pixel used another name, a dedup risk),
 * or `server_only` (no pixel receipt: the pixel was blocked or never fired).
 */
function pixelPairing(order) {
    const names = [...new Set(order.pixelEvents.map((e) => e.eventName))];
    const status = !names.length ? 'server_only' : order.event && names.includes(order.event.name) ? 'paired' : 'different_event_name';
    return { status, events: order.pixelEvents.map((e) => ({ event: e.eventName, received_at: new Date(e.receivedAt).toISOString() })) };
}
const NETWORK_FROM = { order: 'the order', visitor_last_click: "the visitor's latest click record (the platform sends none)" };
/** Where the order came from and where each of its facts was read: what the source noted, in the words of GET /admin/orders/:id. */
function provenanceJson(order) {
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
/** A replay of an event whose order retention has scrubbed: refused, forced or not. */
function scrubbedError(what) {
    return new HttpError(409, 'scrubbed', `${what} older than CLICKRELAY_RETENTION_DAYS: retention removed their match keys (ttclid, _ttp, hashes, IP, user agent), so a copy would be a purchase TikTok cannot attribute. Nothing was replayed${what.startsWith('event') ? '' : '; narrow from and to to newer events'}`);
}
