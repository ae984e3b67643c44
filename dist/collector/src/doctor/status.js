/**
 * Items 5 and 6: the collector's own view. GET /healthz (public) at the collector's base, and with
 * the admin token GET /admin/status: the delivery state, TikTok's last answer, when TikTok last
 * accepted an event, refusals by reason and the setup problems the collector has seen.
 */
import { publicBase } from './collect.js';
import { collectorError, notFoundFix, readBody, request, statusText } from './http.js';
const AUTH_FIX = 'TikTok refuses the credentials: check CLICKRELAY_PIXEL_CODE, generate a new access token in TikTok Events Manager (the pixel\'s Settings tab) for CLICKRELAY_ACCESS_TOKEN, and restart the collector';
const RETRY_FIX = 'TikTok\'s Events API does not accept events right now; they wait in the queue and are retried. If it lasts, run the doctor with --admin-token to see TikTok\'s last answer';
function ago(seconds) {
    if (seconds < 90)
        return `${Math.round(seconds)} s`;
    if (seconds < 90 * 60)
        return `${Math.round(seconds / 60)} min`;
    if (seconds < 36 * 3600)
        return `${Math.round(seconds / 3600)} h`;
    return `${Math.round(seconds / 86_400)} days`;
}
/** Item 5: GET <base>/healthz. */
export async function checkHealth(http, collectUrl) {
    const url = new URL('healthz', collectUrl);
    const check = (status, summary, fix) => ({ item: 5, id: 'health', status, summary: `GET ${url.href}: ${summary}`, ...(fix ? { fix } : {}) });
    const answer = await request(http, url, { headers: { Accept: 'application/json' } });
    if (!answer.response)
        return check('fail', answer.error, 'the collector cannot be reached at its base: is it running, and does the proxy forward to it?');
    const { response } = answer;
    const { json } = await readBody(response);
    const health = json;
    if (response.status === 503)
        return check('fail', `503, the collector cannot read its database`, 'check the disk and the permissions of CLICKRELAY_DB; the collector\'s log says more');
    if (response.status === 404) {
        const collectorAnswered = collectorError(json) !== undefined;
        return check('warn', `404${collectorAnswered ? '' : " (not the collector's answer)"}`, `${notFoundFix(url, collectorAnswered)}; load balancers and uptime checks use /healthz`);
    }
    if (response.status !== 200 || health?.status !== 'ok') {
        return check('warn', `${statusText(response)}${health === undefined ? ', not JSON: something else answers there' : ''}`, `forward ${url.pathname} to the collector`);
    }
    const waiting = typeof health.events_waiting === 'number' ? health.events_waiting : undefined;
    const oldest = typeof health.oldest_waiting_age_s === 'number' ? health.oldest_waiting_age_s : undefined;
    const queue = waiting === undefined ? '' : `, ${waiting} event${waiting === 1 ? '' : 's'} waiting${oldest !== undefined && waiting ? ` (oldest ${ago(oldest)})` : ''}`;
    const delivery = health.delivery;
    if (delivery === 'auth_failing')
        return check('fail', `200, delivery auth_failing${queue}`, AUTH_FIX);
    if (delivery === 'retrying')
        return check('warn', `200, delivery retrying${queue}`, RETRY_FIX);
    return check('pass', `200, database ok, delivery ${delivery ?? 'not reported (an older collector)'}${queue}`);
}
/** Item 6: GET <base>/admin/status with the admin token (never printed). */
export async function checkAdmin(http, collectUrl, token, now) {
    const url = new URL('admin/status', collectUrl);
    const one = (status, id, summary, fix) => ({ item: 6, id, status, summary, ...(fix ? { fix } : {}) });
    const answer = await request(http, url, { headers: { Accept: 'application/json', Authorization: `Bearer ${token}` } });
    if (!answer.response)
        return [one('fail', 'admin.status', `GET ${url.href}: ${answer.error}`, 'the collector cannot be reached at its base')];
    const { response } = answer;
    const { json } = await readBody(response);
    const error = collectorError(json);
    if (response.status === 401)
        return [one('fail', 'admin.status', `GET ${url.href}: 401, the admin token is wrong`, 'give --admin-token the value of CLICKRELAY_ADMIN_TOKEN the collector runs with')];
    if (response.status === 403) {
        return [
            error?.code === 'admin_disabled'
                ? one('fail', 'admin.status', `GET ${url.href}: 403, the admin API is off`, 'set CLICKRELAY_ADMIN_TOKEN (16 characters or more) where the collector runs, restart it, and pass the same value to --admin-token')
                : one('fail', 'admin.status', `GET ${url.href}: 403${error ? `: ${error.code}: ${error.message}` : ', refused before the collector (by the proxy?)'}`, 'if your proxy blocks /admin/ on purpose, allow it from where you run the doctor, or run the doctor without --admin-token'),
        ];
    }
    if (response.status !== 200 || json === undefined) {
        return [one('fail', 'admin.status', `GET ${url.href}: ${statusText(response)}${error ? `: ${error.code}: ${error.message}` : ''}`, response.status === 404 ? 'the collector is older than the doctor (no /admin/status), or the proxy does not forward /admin/ to it' : 'check that the proxy forwards /admin/ to the collector')];
    }
    return statusChecks(json, collectUrl, now);
}
/**
 * Item 6's checks from the collector's status document (what GET /admin/status sends): the
 * doctor's CLI reads it over HTTP with the admin token; the dashboard's install check reads its
 * own collector's, in-process, and sends no token anywhere.
 */
export function statusChecks(status, collectUrl, now) {
    const one = (state, id, summary, fix) => ({ item: 6, id, status: state, summary, ...(fix ? { fix } : {}) });
    const checks = [];
    if (status.mode === 'sandbox') {
        checks.push(one('warn', 'admin.mode', 'sandbox mode: events go to the built-in sandbox, never to TikTok', 'set CLICKRELAY_PIXEL_CODE, CLICKRELAY_ACCESS_TOKEN and CLICKRELAY_ORDER_SECRET (and CLICKRELAY_MODE=live) and restart'));
    }
    else if (status.test_event_code) {
        checks.push(one('warn', 'admin.mode', `${status.mode ?? 'live'} mode, but every event goes in TikTok's test mode (CLICKRELAY_TEST_EVENT_CODE)`, 'once the test events look right in Events Manager, remove CLICKRELAY_TEST_EVENT_CODE and restart'));
    }
    else {
        checks.push(one('pass', 'admin.mode', `${status.mode ?? 'unknown'} mode${status.public_url ? `, public URL ${status.public_url}` : ''}`));
    }
    if (status.public_url && status.public_url.replace(/\/+$/, '') !== publicBase(collectUrl)) {
        checks.push(one('warn', 'admin.public_url', `CLICKRELAY_PUBLIC_URL is ${status.public_url}, but the tag reaches the collector at ${publicBase(collectUrl)}`, `set CLICKRELAY_PUBLIC_URL=${publicBase(collectUrl)}: the collector takes pages of that origin as its own and sets its cookie for it`));
    }
    const d = status.delivery ?? {};
    const lastAccepted = d.last_accepted_at ? `${d.last_accepted_at} (${ago((now - Date.parse(d.last_accepted_at)) / 1000)} ago)` : 'never';
    const tiktokSaid = [d.last_http_status != null ? `HTTP ${d.last_http_status}` : '', d.last_code != null ? `code ${d.last_code}` : '', d.last_message ?? ''].filter(Boolean).join(', ');
    const since = d.since ? ` since ${d.since}` : '';
    const waiting = status.queue?.waiting ?? 0;
    const queue = `${waiting} event${waiting === 1 ? '' : 's'} waiting${status.queue?.oldest_waiting_age_s != null && waiting ? ` (oldest ${ago(status.queue.oldest_waiting_age_s)})` : ''}`;
    if (d.state === 'auth_failing') {
        checks.push(one('fail', 'admin.delivery', `delivery auth_failing${since}: TikTok said ${tiktokSaid || 'nothing'}; last event accepted by TikTok: ${lastAccepted}; ${queue}`, AUTH_FIX));
    }
    else if (d.state === 'retrying') {
        checks.push(one('warn', 'admin.delivery', `delivery retrying${since}: TikTok said ${tiktokSaid || 'nothing'}; last event accepted by TikTok: ${lastAccepted}; ${queue}`, 'events wait in the queue and are retried; if TikTok\'s answer names your request, check the pixel code and the event data; else it is TikTok\'s outage'));
    }
    else {
        checks.push(one('pass', 'admin.delivery', `delivery ${d.state ?? 'unknown'}; last event accepted by TikTok: ${lastAccepted}; ${queue}`));
    }
    const clicks = status.clicks ?? {};
    const orders = status.orders?.last_24h ?? {};
    const share = orders.ttclid_share == null ? '' : ` (${Math.round(orders.ttclid_share * 100)}% with a ttclid)`;
    checks.push(one('pass', 'admin.activity', `clicks stored: ${clicks.last_hour ?? 0} in the last hour, ${clicks.last_24h ?? 0} in 24 h; orders in 24 h: ${orders.accepted ?? 0}${share}`));
    const refusals = status.refusals?.last_hour ?? {};
    const listed = Object.entries(refusals).map(([reason, n]) => `${reason} ${n}`).join(', ');
    const origin = refusals.origin ?? 0;
    checks.push(origin > 0
        ? one('warn', 'admin.refusals', `refusals in the last hour: ${listed}`, `${origin} record${origin === 1 ? ' was refused for its' : 's were refused for their'} origin (a refused check by the doctor counts too): shoppers' clicks are being lost; see item 3's fix, and the problems below`)
        : one('pass', 'admin.refusals', `refusals in the last hour: ${listed || 'none'}`));
    for (const problem of status.problems ?? []) {
        checks.push(one('warn', `admin.problem.${problem.code ?? 'unknown'}`, `the collector reports ${problem.code ?? 'a problem'}${problem.count ? ` (${problem.count} time${problem.count === 1 ? '' : 's'} in 24 h)` : ''}`, problem.message ?? ''));
    }
    return checks;
}
