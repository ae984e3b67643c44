import { TIKTOK_CODE } from './types.js';
export function createEventsApi(options) {
    const doFetch = options.fetch ?? fetch;
    const now = options.now ?? (() => performance.now());
    return {
        async send(body) {
            const started = now();
            const finish = (r) => ({ ...r, durationMs: Math.round(now() - started) });
            let response;
            let text;
            try {
                response = await doFetch(options.url(), {
                    method: 'POST',
                    headers: { 'Access-Token': options.accessToken, 'Content-Type': 'application/json' },
                    body: JSON.stringify(body),
                    signal: AbortSignal.timeout(options.timeoutMs),
                });
                text = await response.text();
            }
            catch (err) {
                const message = err instanceof Error && err.name === 'TimeoutError' ? `timed out after ${options.timeoutMs} ms` : `connection failed: ${err.cause ?? err.message}`;
                return finish({ verdict: 'retry', httpStatus: undefined, code: undefined, message, requestId: undefined, retryAfterMs: undefined });
            }
            const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
            let parsed;
            try {
                parsed = JSON.parse(text);
            }
            catch {
                parsed = undefined;
            }
            const code = typeof parsed?.code === 'number' ? parsed.code : undefined;
            const base = { httpStatus: response.status, code, requestId: typeof parsed?.request_id === 'string' ? parsed.request_id : undefined, retryAfterMs };
            const message = typeof parsed?.message === 'string' ? parsed.message : `HTTP ${response.status}: ${text.slice(0, 200)}`;
            if (response.status === 429 || response.status >= 500)
                return finish({ ...base, verdict: 'retry', message });
            // A 400 is about this payload; other 4xx (401, 403, 404, ...) are about the setup, which the operator can fix, so keep the events.
            if (response.status === 401 || response.status === 403)
                return finish({ ...base, verdict: 'setup', message });
            if (!response.ok)
                return finish({ ...base, verdict: response.status === 400 || response.status === 413 ? 'permanent' : 'retry', message });
            if (code === undefined)
                return finish({ ...base, verdict: 'retry', message: `unreadable answer: ${message}` });
            if (code === TIKTOK_CODE.OK)
                return finish({ ...base, verdict: 'delivered', message });
            if (code === TIKTOK_CODE.TOO_MANY_REQUESTS)
                return finish({ ...base, verdict: 'retry', message });
            if (code === TIKTOK_CODE.NO_PERMISSION || code === TIKTOK_CODE.INVALID_TOKEN)
                return finish({ ...base, verdict: 'setup', message });
            return finish({ ...base, verdict: 'permanent', message });
        },
    };
}
function parseRetryAfter(value) {
    if (!value)
        return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds))
        return Math.max(0, seconds * 1000);
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
