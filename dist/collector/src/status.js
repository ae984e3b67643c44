/**
 * The collector's state in one document: what GET /admin/status sends as JSON; the dashboard's
 * Overview shows its part about now (collectorState). Computed here once, so the page and the
 * API cannot disagree.
 */
import { ageSeconds, DAY_MS, HOUR_MS } from './clock.js';
import { WEBHOOK_SOURCES } from './webhooks/router.js';
const iso = (ms) => (ms === undefined ? null : new Date(ms).toISOString());
/** Orders accepted, and the share linked to an ad click: the number ClickRelay exists to raise. */
function ordersJson(a) {
    const share = a.orders ? Math.round((a.ordersWithTtclid / a.orders) * 1000) / 1000 : null;
    return { accepted: a.orders, with_ttclid: a.ordersWithTtclid, ttclid_share: share };
}
/** What the collector is doing now: delivery, the queue, refusals and setup problems. The Overview shows these; the status report holds them. */
export async function collectorState(ctx) {
    const now = ctx.clock.now();
    const queue = await ctx.store.queueStats();
    const lastAccepted = await ctx.store.lastDeliveredAt();
    const delivery = ctx.deliveryStatus();
    return {
        refusals: { last_hour: ctx.monitor.refusals(HOUR_MS), last_24h: ctx.monitor.refusals(DAY_MS) },
        queue: { waiting: queue.waiting, oldest_waiting_age_s: ageSeconds(now, queue.oldestWaitingSince) },
        delivery: {
            state: delivery.state,
            since: iso(delivery.since),
            last_http_status: delivery.lastHttpStatus ?? null,
            last_code: delivery.lastCode ?? null,
            last_message: delivery.lastMessage ?? null,
            last_accepted_at: iso(lastAccepted),
        },
        problems: ctx.monitor.problems(DAY_MS).map((p) => ({ code: p.code, message: p.message, count: p.count, first_seen: iso(p.firstSeen), last_seen: iso(p.lastSeen) })),
    };
}
export async function statusReport(ctx) {
    const now = ctx.clock.now();
    const hour = await ctx.store.activity(now - HOUR_MS);
    const day = await ctx.store.activity(now - DAY_MS);
    const webhooks = await ctx.store.webhookActivity(now - DAY_MS);
    const state = await collectorState(ctx);
    return {
        mode: ctx.config.mode,
        public_url: ctx.config.publicUrl ?? null,
        test_event_code: Boolean(ctx.config.tiktok.testEventCode),
        clicks: { last_hour: hour.clicks, last_24h: day.clicks, with_ttclid_last_24h: day.adClicks },
        refusals: state.refusals,
        orders: { last_hour: ordersJson(hour), last_24h: ordersJson(day) },
        webhooks: webhooksJson(ctx, webhooks),
        queue: state.queue,
        delivery: state.delivery,
        alerts: { webhook: ctx.config.alertWebhookUrl ? 'set' : 'not set' },
        problems: state.problems,
    };
}
/** Each platform: on or off, and its deliveries of the last 24 hours by outcome, with the reasons for the ignored ones. */
function webhooksJson(ctx, counts) {
    return Object.fromEntries(WEBHOOK_SOURCES.map((source) => {
        const mine = counts.filter((c) => c.platform === source.platform);
        const total = (outcome) => mine.filter((c) => c.outcome === outcome).reduce((sum, c) => sum + c.count, 0);
        const last = mine.reduce((latest, c) => Math.max(latest, c.lastAt), 0);
        return [
            source.platform,
            {
                enabled: Boolean(source.secret(ctx.config)),
                last_24h: { accepted: total('accepted'), duplicate: total('duplicate'), ignored: total('ignored') },
                ignored_reasons_24h: mine.filter((c) => c.outcome === 'ignored').map((c) => ({ reason: c.reason ?? null, count: c.count })),
                last_delivery_at: last ? new Date(last).toISOString() : null,
            },
        ];
    }));
}
