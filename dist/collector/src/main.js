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
    await collector.stop();
    log.info('stopped');
    process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
