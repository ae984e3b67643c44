import { createHmac, randomBytes } from 'node:crypto';
import { DAY_MS, HOUR_MS } from './clock.js';
import { HttpError } from './errors.js';
import { clientIp } from './origin.js';
/** TikTok drops a copy of an event_id only within 48 hours of first receiving it. */
export const DEDUP_WINDOW_MS = 48 * HOUR_MS;
/**
 * Replays stop an hour before that window closes: a copy still waits its turn in the queue
 * (behind a bulk replay, a backlog) before it reaches TikTok, and the two clocks differ.
 */
export const REPLAY_WINDOW_MS = DEDUP_WINDOW_MS - HOUR_MS;
/** Events one bulk replay takes when the request does not say how many. */
export const DEFAULT_REPLAY_LIMIT = 1000;
/** The caller names itself for the replay log: one admin token is shared, so the collector cannot tell people apart. */
export const ACTOR_HEADER = 'ClickRelay-Actor';
export const WHY_REFUSED = `TikTok drops a copy of an event_id only within ${DEDUP_WINDOW_MS / HOUR_MS} hours of first receiving it, and ClickRelay stops replays ${(DEDUP_WINDOW_MS - REPLAY_WINDOW_MS) / HOUR_MS} hour before that, so the copy has time to reach TikTok:`;
/** "5 hours", "3 days" */
export function age(ms) {
    const hours = Math.floor(ms / HOUR_MS);
    return hours < 72 ? `${hours} hour${hours === 1 ? '' : 's'}` : `${Math.floor(ms / DAY_MS)} days`;
}
/** A replay of an event whose order retention has scrubbed: refused, forced or not. */
export function scrubbedError(what) {
    return new HttpError(409, 'scrubbed', `${what} older than CLICKRELAY_RETENTION_DAYS: retention removed their match keys (ttclid, _ttp, hashes, IP, user agent), so a copy would be a purchase TikTok cannot attribute. Nothing was replayed${what.startsWith('event') ? '' : '; narrow from and to to newer events'}`);
}
export function createReplays(ctx) {
    const token = ctx.config.adminToken;
    let fingerprint;
    /**
     * Tells a rotated token from the one before it in the replay log; never the token itself. Keyed
     * with a secret kept per database, so the log (which a viewer reads) is no hash of the admin
     * token to guess against offline.
     */
    function tokenFingerprint() {
        if (!token)
            return Promise.resolve('');
        fingerprint ??= ctx.store.setting('replay_fingerprint_key', () => randomBytes(32).toString('base64url')).then((key) => createHmac('sha256', key).update(token).digest('hex').slice(0, 16), (err) => {
            fingerprint = undefined;
            throw err;
        });
        return fingerprint;
    }
    /** Who asked, for the replay log; the replay is refused once TikTok would count the copy again, unless forced. */
    async function request(req, options, scope) {
        const now = ctx.clock.now();
        return {
            requestedAt: now,
            actor: req.get(ACTOR_HEADER)?.trim().slice(0, 200) || options.actor,
            ip: clientIp(req),
            tokenFingerprint: await tokenFingerprint(),
            note: options.note,
            forced: options.force,
            scope: JSON.stringify(scope),
            firstDeliveredNotBefore: options.force ? undefined : now - REPLAY_WINDOW_MS,
        };
    }
    function logReplay(outcome, request) {
        const fields = { count: outcome.replayed.length, first_row: outcome.replayed[0], remaining: outcome.remaining, actor: request.actor, ip: request.ip, scope: request.scope };
        if (request.forced)
            ctx.log.warn({ ...fields, forced: true }, 'events replayed with force: those TikTok first received over 48 hours ago will count again');
        else
            ctx.log.info(fields, 'events replayed');
    }
    /** Puts the filter's events back in the queue (store.replayEvents), and wakes delivery and logs it when any went. */
    async function run(filter, request) {
        const outcome = await ctx.store.replayEvents(filter, request);
        if (outcome.replayed.length) {
            ctx.onEnqueued();
            logReplay(outcome, request);
        }
        return outcome;
    }
    async function one(req, id, options) {
        const event = await ctx.store.getEvent(id);
        if (!event)
            throw new HttpError(404, 'not_found', `no event ${id}`);
        const replayRequest = await request(req, options, { ids: [id] });
        const outcome = await run({ ids: [id] }, replayRequest);
        if (outcome.scrubbed.length)
            throw scrubbedError(`event ${id} (${event.eventId}) belongs to an order`);
        const [old] = outcome.tooOld;
        if (old) {
            throw new HttpError(409, 'outside_dedup_window', `event ${id} (${old.eventId}) was first accepted by TikTok ${age(replayRequest.requestedAt - old.firstDeliveredAt)} ago, at ${new Date(old.firstDeliveredAt).toISOString()}. ${WHY_REFUSED} a copy sent now would count the purchase twice. Nothing was replayed; to send it anyway, add "force": true`);
        }
        if (!outcome.replayed.length)
            throw new HttpError(409, 'in_queue', `event ${id} is ${event.status}: it is already in the queue`);
        return outcome;
    }
    async function bulk(req, choice, options) {
        const { statuses, from, to, limit, afterId } = choice;
        const scope = { status: statuses, from: new Date(from).toISOString(), to: new Date(to).toISOString(), limit, after_id: afterId ?? null };
        const replayRequest = await request(req, options, scope);
        const outcome = await run({ statuses, from, to, limit, afterId }, replayRequest);
        return { outcome, request: replayRequest };
    }
    return { one, bulk };
}
