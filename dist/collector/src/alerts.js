/**
 * Alerts: with CLICKRELAY_ALERT_WEBHOOK_URL set, the collector posts a Slack-compatible message
 * (`{"text": …}`, which Slack's incoming webhooks, Mattermost, Rocket.Chat and Discord's /slack
 * endpoints all take) when one of the Overview's banner conditions starts and when it ends:
 *
 *   - a match key's coverage today more than 15 points below the 7 days before (stats.ts);
 *   - delivery retrying for more than 15 minutes;
 *   - TikTok refusing the access token or the pixel (auth_failing).
 *
 * At most one message per condition per hour: a condition that flaps inside the hour is told by
 * its state once the hour is over, if that differs from what was said last. What was said, and
 * when, is kept in the database (settings), so a restart neither repeats nor forgets an alert.
 * A message that cannot be posted is tried again at the next check, and the failure is a
 * problem in /admin/status; the webhook's URL, a secret, is never logged.
 */
import { HOUR_MS, MINUTE_MS } from './clock.js';
import { coverageStates, COVERAGE_DROP } from './stats.js';
/** How often the conditions are checked. */
export const ALERT_CHECK_EVERY_MS = MINUTE_MS;
/** Delivery retrying this long is an alert (a short outage heals by itself). */
export const RETRYING_ALERT_AFTER_MS = 15 * MINUTE_MS;
/** At most one message per condition in this long. */
export const ALERT_QUIET_MS = HOUR_MS;
const POST_TIMEOUT_MS = 10_000;
/** The settings key of what was said last about each condition. */
const STATE_KEY = 'alert_state';
const percent = (share) => `${Math.round(share * 1000) / 10} %`;
function coverageCondition(coverage) {
    const { key } = coverage;
    const what = coverage.state === 'unknown' ? '' : `${percent(coverage.today)} of today's ${coverage.todayEvents} server events carry it, against ${percent(coverage.previous)} over the 7 days before`;
    return {
        key: `coverage_drop:${key}`,
        active: coverage.state === 'unknown' ? undefined : coverage.state === 'drop',
        started: `Fewer server events carry the ${key} match key: ${what}. TikTok matches fewer purchases to their ads. See the Overview's banner for the likely cause.`,
        ended: `The ${key} match key is back within ${COVERAGE_DROP * 100} points of the 7 days before: ${what}.`,
    };
}
export async function currentConditions(deps) {
    const now = deps.clock.now();
    const delivery = deps.deliveryStatus();
    const coverage = await coverageStates(deps.store, now);
    const retryingFor = delivery.state === 'retrying' && delivery.since !== undefined ? now - delivery.since : 0;
    return [
        {
            key: 'delivery_retrying',
            active: retryingFor > RETRYING_ALERT_AFTER_MS,
            started: `Delivery to TikTok has been retrying for ${Math.round(retryingFor / MINUTE_MS)} minutes${delivery.lastMessage ? ` (last answer: ${delivery.lastMessage})` : ''}. Events wait in the queue and nothing is lost, but TikTok sees no purchases until it answers again.`,
            ended: delivery.state === 'auth_failing'
                ? 'Delivery to TikTok is no longer retrying: TikTok now refuses the access token or the pixel code (see the next alert).'
                : 'Delivery to TikTok is no longer retrying: the waiting events are being sent.',
        },
        {
            key: 'auth_failing',
            active: delivery.state === 'auth_failing',
            started: `TikTok refuses the access token or the pixel code${delivery.lastMessage ? ` (${delivery.lastMessage})` : ''}. Events wait until it is fixed: check CLICKRELAY_ACCESS_TOKEN and CLICKRELAY_PIXEL_CODE against TikTok Events Manager, then restart the collector.`,
            ended: 'TikTok accepts the access token and the pixel code again.',
        },
        ...coverage.map(coverageCondition),
    ];
}
export function startAlerts(deps) {
    const post = deps.fetch ?? fetch;
    let said;
    async function loadSaid() {
        said ??= JSON.parse((await deps.store.readSetting(STATE_KEY)) ?? '{}');
        return said;
    }
    /** Posts one message; true once the webhook took it (2xx). */
    async function send(text) {
        try {
            const response = await post(deps.webhookUrl, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ text }),
                signal: AbortSignal.timeout(POST_TIMEOUT_MS),
            });
            await response.body?.cancel();
            if (response.ok)
                return true;
            failed(`it answered HTTP ${response.status}`);
        }
        catch (err) {
            failed(err instanceof Error ? err.message : String(err));
        }
        return false;
    }
    function failed(why) {
        // The URL is a secret (whoever has it can post to the channel): never in a log or a page.
        deps.log.warn({ why }, 'alert not delivered: the alert webhook failed; it is tried again in a minute');
        deps.monitor.problem('alert_webhook_failing', `the alert webhook (CLICKRELAY_ALERT_WEBHOOK_URL) failed: ${why}. Alerts are tried again every minute; check the URL is the channel's current incoming-webhook URL`);
    }
    async function checkOnce() {
        const state = await loadSaid();
        const now = deps.clock.now();
        for (const condition of await currentConditions(deps)) {
            const last = state[condition.key];
            const lastActive = last?.active ?? false;
            if (condition.active === undefined || condition.active === lastActive)
                continue;
            // Within the hour of the last message about it, a change waits: if it is still a change then, it is said then.
            if (last && now - last.at < ALERT_QUIET_MS)
                continue;
            const text = `ClickRelay ${deps.name()}: ${condition.active ? condition.started : condition.ended}`;
            if (!(await send(text)))
                return;
            state[condition.key] = { active: condition.active, at: now };
            await deps.store.putSetting(STATE_KEY, JSON.stringify(state));
            deps.log.info({ condition: condition.key, active: condition.active }, 'alert sent');
        }
    }
    /** Checks run one after another: a slow webhook must not let two checks say the same thing twice. */
    let queue = Promise.resolve();
    function check() {
        queue = queue.then(checkOnce).catch((err) => deps.log.error({ err }, 'alert check failed'));
        return queue;
    }
    const timer = setInterval(() => void check(), ALERT_CHECK_EVERY_MS);
    timer.unref();
    void check();
    return {
        check,
        async stop() {
            clearInterval(timer);
            await queue;
        },
    };
}
