/** The doctor's requests: made as a browser would make them, each with a time limit, never throwing. */
/** A desktop Chrome: the collector answers bots with 204 and stores nothing, and some shops refuse unknown clients. */
export const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
/** A request with a browser's User-Agent and the doctor's time limit; a network failure comes back as a sentence. */
export async function request(http, url, init = {}) {
    const headers = new Headers(init.headers);
    if (!headers.has('user-agent'))
        headers.set('User-Agent', BROWSER_UA);
    try {
        const response = await http.fetch(String(url), { ...init, headers, signal: AbortSignal.timeout(http.timeoutMs) });
        return { response };
    }
    catch (err) {
        return { error: describeNetworkError(err, new URL(url), http.timeoutMs) };
    }
}
/** "could not connect to shop.example:443 (ECONNREFUSED)", "no answer within 10 s", … */
export function describeNetworkError(err, url, timeoutMs) {
    const e = err;
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
        return `no answer from ${url.host} within ${timeoutMs / 1000} s`;
    const code = e?.cause?.code;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
        return `${url.hostname} does not resolve (DNS: ${code})`;
    if (code === 'ECONNREFUSED')
        return `could not connect to ${url.host} (connection refused)`;
    if (code && /CERT|SSL|TLS|SELF_SIGNED/i.test(code))
        return `the TLS certificate of ${url.host} is not accepted (${code})`;
    const detail = e?.cause?.message ?? e?.message ?? String(err);
    return `could not reach ${url.host}: ${detail}${code && !detail.includes(code) ? ` (${code})` : ''}`;
}
/** The fix when a host cannot be reached: its certificate, else the address and the server behind it. */
export function unreachableFix(error, url) {
    if (/certificate/.test(error))
        return `browsers refuse this certificate too: serve ${url.hostname} with one valid for it (Let's Encrypt); to run the doctor against a test certificate, NODE_EXTRA_CA_CERTS=<its CA file> makes Node trust it`;
    return `check the address, and that ${url.host} is reachable from where the doctor runs (DNS, firewall) with a server answering behind it`;
}
/** The body as text, and as JSON when it parses (else undefined). */
export async function readBody(response) {
    const text = await response.text().catch(() => '');
    try {
        return { text, json: JSON.parse(text) };
    }
    catch {
        return { text, json: undefined };
    }
}
/** The collector's `{"error": {"code", "message"}}`, when the body is one (a proxy's own error page is not). */
export function collectorError(json) {
    const error = json?.error;
    return error && typeof error.code === 'string' ? { code: error.code, message: typeof error.message === 'string' ? error.message : '' } : undefined;
}
/** `404 Not Found`: the status with its text, as people read it. */
export function statusText(response) {
    return response.statusText ? `${response.status} ${response.statusText}` : String(response.status);
}
/**
 * The fix for a 404 on one of the collector's paths. The collector's own JSON 404 under a path
 * prefix means the proxy forwards the prefix too; any other 404 means the proxy does not forward it.
 */
export function notFoundFix(url, collectorAnswered) {
    const dir = url.pathname.replace(/[^/]*$/, '');
    if (collectorAnswered && dir !== '/') {
        return `the collector got ${url.pathname} with the prefix ${dir} still on: strip it (nginx: \`location ${dir} { proxy_pass http://127.0.0.1:8787/; }\`, the trailing slash of proxy_pass does it; Caddy: \`handle_path ${dir}* { … }\`)`;
    }
    if (collectorAnswered)
        return `the collector has no ${url.pathname}: update it to the release of the doctor you run`;
    return `the reverse proxy does not forward ${url.pathname} to the collector: forward ${dir}cr.js, ${dir}collect and ${dir}healthz to it (see the README, "Behind a reverse proxy")`;
}
