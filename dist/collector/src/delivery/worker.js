import { verdictOf } from '../tiktok/client.js';
import { buildTrackRequest } from '../tiktok/payload.js';
import { TIKTOK_CODE } from '../tiktok/types.js';
const AUTH_FIX = 'TikTok refused the access token or the pixel: check CLICKRELAY_ACCESS_TOKEN and CLICKRELAY_PIXEL_CODE in Events Manager (pixel settings, Events API, generate a new token) and restart; events wait and are sent once it is fixed';
export function createDeliveryWorker(options) {
    const { store, api, clock, log, pixelCode } = options;
    const batchSize = Math.min(options.batchSize ?? 1000, 1000);
    const leaseMs = options.leaseMs ?? 60_000;
    const backoff = options.backoff ?? { baseMs: 1_000, maxMs: 10 * 60_000 };
    const maxAgeMs = options.maxAgeMs ?? 7 * 86_400_000;
    const random = options.random ?? Math.random;
    let status = { state: 'ok', since: undefined, lastCode: undefined, lastHttpStatus: undefined, lastMessage: undefined };
    function stateOf(verdict) {
        if (verdict === 'setup')
            return 'auth_failing';
        if (verdict === 'retry')
            return 'retrying';
        return 'ok';
    }
    /** The state the last run ended in, from its latest recorded answer. */
    async function recallStatus() {
        const last = await store.lastAttempt();
        if (!last || status.since !== undefined)
            return;
        const state = stateOf(verdictOf(last.httpStatus, last.code));
        status = { state, since: last.startedAt, lastCode: last.code, lastHttpStatus: last.httpStatus, lastMessage: last.message };
        if (state === 'auth_failing')
            log.error({ delivery: state, http: last.httpStatus, code: last.code, tiktok_message: last.message }, `${AUTH_FIX} (TikTok's last answer, before this start)`);
    }
    /** Follows the latest answer, and says at `error` what to fix when TikTok starts refusing the setup. */
    function noteAnswer(result) {
        const state = stateOf(result.verdict);
        const changed = state !== status.state || status.since === undefined;
        status = { state, since: changed ? clock.now() : status.since, lastCode: result.code, lastHttpStatus: result.httpStatus, lastMessage: result.message };
        if (!changed)
            return;
        const fields = { delivery: state, http: result.httpStatus, code: result.code, tiktok_message: result.message };
        if (state === 'auth_failing')
            log.error(fields, AUTH_FIX);
        else if (state === 'retrying')
            log.warn(fields, 'the Events API is failing; events wait and are retried with backoff');
        else
            log.info(fields, 'the Events API accepts events again');
    }
    let running;
    let again = false;
    let stopped = true;
    let timer;
    function retryDelay(attempts, retryAfterMs) {
        const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempts - 1));
        const jittered = exponential / 2 + (random() * exponential) / 2;
        return Math.max(jittered, retryAfterMs ?? 0);
    }
    function toAttempt(result, batch, startedAt) {
        return { startedAt, durationMs: result.durationMs, batchSize: batch, httpStatus: result.httpStatus, code: result.code, message: result.message, requestId: result.requestId };
    }
    /** Sends one group; a batch TikTok rejects as invalid is split until the bad events stand alone. */
    async function sendGroup(events, testEventCode) {
        const startedAt = clock.now();
        const result = await api.send(buildTrackRequest(pixelCode, events.map((e) => e.payload), testEventCode));
        const attempt = toAttempt(result, events.length, startedAt);
        noteAnswer(result);
        if (result.verdict === 'permanent' && result.code === TIKTOK_CODE.INVALID_PARAMETER && events.length > 1) {
            const half = Math.ceil(events.length / 2);
            return [...(await sendGroup(events.slice(0, half), testEventCode)), ...(await sendGroup(events.slice(half), testEventCode))];
        }
        return events.map((e) => {
            if (result.verdict === 'delivered')
                return { id: e.id, status: 'delivered', attempt };
            if (result.verdict === 'retry' || result.verdict === 'setup') {
                const nextAttemptAt = clock.now() + retryDelay(e.attempts, result.retryAfterMs);
                return nextAttemptAt - e.createdAt > maxAgeMs ? { id: e.id, status: 'expired', attempt } : { id: e.id, status: 'retry', attempt, nextAttemptAt };
            }
            return { id: e.id, status: 'failed', attempt };
        });
    }
    async function runOnce() {
        const now = clock.now();
        const events = await store.claimDueEvents(now, batchSize, now + leaseMs);
        if (events.length === 0)
            return 0;
        const groups = new Map();
        for (const e of events) {
            const group = groups.get(e.testEventCode);
            if (group)
                group.push(e);
            else
                groups.set(e.testEventCode, [e]);
        }
        for (const [testEventCode, group] of groups) {
            const outcomes = await sendGroup(group, testEventCode);
            await store.recordOutcomes(outcomes, clock.now());
            for (const o of outcomes) {
                const fields = { event_row: o.id, status: o.status, http: o.attempt.httpStatus, code: o.attempt.code, request_id: o.attempt.requestId, ms: o.attempt.durationMs };
                if (o.status === 'delivered')
                    log.info(fields, 'event delivered');
                else
                    log.warn({ ...fields, message: o.attempt.message }, o.status === 'retry' ? 'event delivery will be retried' : o.status === 'expired' ? 'event expired; replay it from the admin API' : 'event rejected');
            }
        }
        return events.length;
    }
    async function loop() {
        do {
            again = false;
            try {
                while (!stopped && (await runOnce()) > 0) {
                    // keep draining a backlog
                }
            }
            catch (err) {
                log.error({ err }, 'delivery loop failed; retrying shortly');
                schedule(clock.now() + 5_000);
                return;
            }
        } while (again && !stopped);
        if (!stopped)
            schedule(await store.nextDueAt());
    }
    function schedule(at) {
        if (timer)
            clearTimeout(timer);
        timer = undefined;
        if (at === undefined || stopped)
            return;
        // Timers in Node cannot exceed ~24.8 days; a due time further out is re-checked on the way.
        timer = setTimeout(kick, Math.min(Math.max(0, at - clock.now()), 2 ** 31 - 1));
        timer.unref();
    }
    function kick() {
        if (stopped)
            return;
        if (running) {
            again = true;
            return;
        }
        running = loop().finally(() => {
            running = undefined;
            // a kick that arrived while the loop was finishing must not be lost
            if (again && !stopped) {
                again = false;
                kick();
            }
        });
    }
    return {
        status: () => status,
        kick,
        async start() {
            stopped = false;
            try {
                await recallStatus();
            }
            catch (err) {
                log.error({ err }, 'could not read the latest delivery attempt; delivery state starts as ok');
            }
            kick();
        },
        async stop() {
            stopped = true;
            if (timer)
                clearTimeout(timer);
            await running;
        },
        async idle() {
            while (running)
                await running;
        },
    };
}
