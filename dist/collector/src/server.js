/**
 * Wires a running collector: store, delivery loop, sandbox (in sandbox mode), the app, and
 * the listening socket. main.ts calls it with the real world; tests call it with their own
 * clock, log destination and database file.
 */
import { randomBytes } from 'node:crypto';
import { createApp } from './app.js';
import { startAlerts } from './alerts.js';
import { DAY_MS, HOUR_MS, systemClock } from './clock.js';
import { createDeliveryWorker } from './delivery/worker.js';
import { createMonitor } from './monitor.js';
import { scrubEvent } from './retention.js';
import { createSandbox, SANDBOX_TRACK_PATH } from './sandbox/events-api.js';
import { openSqliteStore } from './store/sqlite.js';
import { createEventsApi } from './tiktok/client.js';
const RETENTION_EVERY_MS = 6 * HOUR_MS;
/**
 * Past CLICKRELAY_RETENTION_DAYS, deletes clicks, identities and pixel receipts and scrubs orders
 * and their events (see retention.ts), now and every six hours. The purge runs in short steps
 * between requests; a purge still running when the next is due is not started twice.
 */
function startRetention(store, clock, days, log) {
    let running = false;
    const purge = async () => {
        if (running)
            return;
        running = true;
        try {
            const now = clock.now();
            const report = await store.purgeBefore(now - days * DAY_MS, { now, scrub: scrubEvent });
            log.info({ deleted: report.deleted, scrubbed: report.scrubbed, still_waiting: report.waiting, steps: report.steps, longest_step_ms: Math.round(report.longestStepMs * 10) / 10, retention_days: days }, 'retention purge');
        }
        catch (err) {
            log.error({ err }, 'retention purge failed');
        }
        finally {
            running = false;
        }
    };
    void purge();
    const timer = setInterval(purge, RETENTION_EVERY_MS);
    timer.unref();
    return timer;
}
/** The sandbox's order secret: CLICKRELAY_ORDER_SECRET, else one made for this database and kept in it. */
async function sandboxOrderSecret(store) {
    return store.setting('sandbox_order_secret', () => randomBytes(24).toString('base64url'));
}
export async function startCollector(configured, deps) {
    const { log } = deps;
    const clock = deps.clock ?? systemClock;
    const store = deps.store ?? openSqliteStore(configured.dbPath);
    const config = { ...configured, orderSecret: configured.orderSecret ?? (await sandboxOrderSecret(store)) };
    const monitor = createMonitor(clock, log);
    let url = '';
    const sandbox = config.mode === 'sandbox' ? createSandbox({ pixelCode: config.tiktok.pixelCode, accessToken: config.tiktok.accessToken, clock }) : undefined;
    const eventsApiUrl = () => config.tiktok.eventsApiUrl ?? `${url}/sandbox${SANDBOX_TRACK_PATH}`;
    const delivery = createDeliveryWorker({
        store,
        clock,
        log,
        pixelCode: config.tiktok.pixelCode,
        api: createEventsApi({ url: eventsApiUrl, accessToken: config.tiktok.accessToken, timeoutMs: config.delivery.timeoutMs }),
        batchSize: config.delivery.batchSize,
        maxAgeMs: config.delivery.maxAgeDays * DAY_MS,
        backoff: { baseMs: config.delivery.retryBaseMs, maxMs: config.delivery.retryMaxMs },
        // A lease outlives any request of its batch, so it never runs out while the request is in flight.
        leaseMs: Math.max(60_000, 3 * config.delivery.timeoutMs),
    });
    const app = createApp({ config, store, clock, log, onEnqueued: () => delivery.kick(), monitor, deliveryStatus: () => delivery.status(), sandbox, selfUrl: () => url });
    const server = await new Promise((resolve, reject) => {
        const s = app.listen(config.port, config.host, () => resolve(s));
        s.once('error', reject);
    });
    const { port } = server.address();
    url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    await delivery.start();
    const retention = startRetention(store, clock, config.retentionDays, log);
    const alerts = config.alertWebhookUrl
        ? startAlerts({ webhookUrl: config.alertWebhookUrl, name: () => config.publicUrl ?? url, store, clock, log, monitor, deliveryStatus: () => delivery.status() })
        : undefined;
    log.info({ url, mode: config.mode, db: config.dbPath, events_api: eventsApiUrl(), test_mode: Boolean(config.tiktok.testEventCode) }, 'clickrelay collector listening');
    return {
        url,
        publicUrl: config.publicUrl ?? url,
        orderSecret: config.orderSecret,
        eventsApiUrl: eventsApiUrl(),
        server,
        store,
        delivery,
        sandbox,
        alerts,
        async stop() {
            clearInterval(retention);
            await alerts?.stop();
            const closed = new Promise((resolve) => server.close(() => resolve()));
            server.closeIdleConnections();
            await delivery.stop();
            await closed;
            await store.close();
        },
    };
}
