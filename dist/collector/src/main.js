/** The collector's entry point (`npm start`): configuration from the environment, then run until SIGTERM/SIGINT. */
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { startCollector } from './server.js';
let config;
try {
    config = loadConfig(process.env);
}
catch (err) {
    if (!(err instanceof ConfigError))
        throw err;
    console.error(`clickrelay: invalid configuration: ${err.message}`);
    process.exit(1);
}
const log = createLogger(config.logLevel);
// The last line of defence. Every path of the collector handles its own failures (a failed
// write answers 503 or 500, a failed delivery run retries), so a rejection nobody handled is a
// bug: it is logged at error, and the process keeps running. Clicks and orders are accepted by
// request handlers that do not depend on whatever failed, every accepted order is already in the
// outbox, and the next order wakes the delivery loop; ending the process would refuse them all
// until something restarts it. A synchronous exception that escaped is different: the state of
// the process is unknown, so it is logged at fatal and the process ends (the service restarts it).
process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'a promise failed and nothing handled it (a bug in ClickRelay: please report it with this line); the collector keeps running');
});
process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; the collector stops');
    process.exit(1);
});
const collector = await startCollector(config, { log }).catch((err) => {
    log.fatal({ err }, 'collector failed to start');
    process.exit(1);
});
const { url, publicUrl } = collector;
const lines = [
    '',
    `  ClickRelay collector on ${url}  (${config.mode === 'sandbox' ? 'sandbox mode: nothing is sent to TikTok' : `live: events go to ${collector.eventsApiUrl}`})`,
];
if (publicUrl !== url)
    lines.push(`  Public URL:  ${publicUrl}  (CLICKRELAY_PUBLIC_URL)`);
lines.push(`  Script tag:  <script async src="${publicUrl}/cr.js"></script>`, `  Health:      ${publicUrl}/healthz`);
if (config.adminToken)
    lines.push(`  Status:      ${publicUrl}/admin/status  (Authorization: Bearer $CLICKRELAY_ADMIN_TOKEN)`);
if (collector.sandbox) {
    lines.push(`  Demo store:  ${url}/demo/?ttclid=E.C.P.demo123`, `  Sandbox:     ${url}/sandbox/received`);
    // Made for this database and kept in it: a test backend can sign POST /orders with it. Never a production secret.
    if (!config.orderSecret)
        lines.push(`  Order secret (sandbox, kept in ${config.dbPath}): ${collector.orderSecret}`);
}
console.log(lines.join('\n') + '\n');
let stopping = false;
async function shutdown(signal) {
    if (stopping)
        return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing deliveries in flight');
    try {
        await collector.stop();
    }
    catch (err) {
        log.error({ err }, 'shutdown failed; whatever was in flight is sent again at the next start');
        process.exit(1);
    }
    log.info('stopped');
    process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
