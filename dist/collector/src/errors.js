import { z } from 'zod';
/** An error meant for the caller: leaves as `{"error": {"code", "message"}}` with its status. */
export class HttpError extends Error {
    status;
    code;
    constructor(status, code, message) {
        super(message);
        this.status = status;
        this.code = code;
    }
}
/** The first problem zod found, named by its field path ("contents[0].price: ..."). */
export function describeZodError(error) {
    const issue = error.issues[0];
    if (!issue)
        return 'invalid request';
    const path = issue.path.reduce((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
    return path ? `${path}: ${issue.message}` : issue.message;
}
/** Parses `value` with `schema` or throws a 400 naming the field. */
export function parseOr400(schema, value, hint = '') {
    const result = schema.safeParse(value);
    if (!result.success)
        throw new HttpError(400, 'invalid_request', describeZodError(result.error) + hint);
    return result.data;
}
export const notFound = (req, _res, next) => {
    next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};
/** Reads SQLite's error codes (better-sqlite3's SqliteError#code) and Node's ENOSPC; anything else is undefined. */
export function storageUnavailable(err) {
    const code = err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : '';
    if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
        return {
            code: 'storage_full',
            message: "the collector's disk is full; nothing was stored: send it again later",
            retryAfterS: 60,
            fix: 'the disk holding CLICKRELAY_DB is full: free space (or lower CLICKRELAY_RETENTION_DAYS); the collector takes requests again by itself as soon as there is room',
        };
    }
    if (/^SQLITE_(BUSY|LOCKED)/.test(code)) {
        return {
            code: 'storage_busy',
            message: 'the database is busy; nothing was stored: send it again in a few seconds',
            retryAfterS: 5,
            fix: 'another process holds a lock on CLICKRELAY_DB (a backup, a sqlite3 shell, a second collector on the same file): one database belongs to one collector process',
        };
    }
    if (/^SQLITE_(IOERR|READONLY|CANTOPEN|NOMEM|PROTOCOL)/.test(code)) {
        return {
            code: 'storage_unavailable',
            message: 'the database cannot be written right now; nothing was stored: send it again later',
            retryAfterS: 30,
            fix: `writing to CLICKRELAY_DB failed (${code}): check the disk, its permissions and the free memory`,
        };
    }
    return undefined;
}
/** An error that carries a 4xx status of its own (Express and its body parsers set one). */
function isClientError(err) {
    const status = err && typeof err === 'object' ? err.status : undefined;
    return typeof status === 'number' && status >= 400 && status < 500;
}
/**
 * The last handler: every error leaves as JSON. A storage failure that passes is a 503 with
 * Retry-After (and a problem in /admin/status, warned once a minute rather than logged per
 * request: a full disk during a flash sale would otherwise fill the log too).
 */
export function errorHandler(log, monitor) {
    return (err, req, res, _next) => {
        let status = 500;
        let code = 'internal';
        let message = 'internal error; the request was not completed';
        const storage = err instanceof HttpError ? undefined : storageUnavailable(err);
        if (err instanceof HttpError) {
            ;
            ({ status, code, message } = err);
            // An HttpError that says when to come back (a login limit) says it in Retry-After too.
            const retryAfterS = err.retryAfterS;
            if (typeof retryAfterS === 'number' && !res.headersSent)
                res.set('Retry-After', String(retryAfterS));
        }
        else if (storage) {
            ;
            [status, code, message] = [503, storage.code, storage.message];
            if (!res.headersSent)
                res.set('Retry-After', String(storage.retryAfterS));
            if (monitor)
                monitor.problem(storage.code, `${req.method} ${req.path} answered 503: ${storage.fix}`, { err: String(err), path: req.path });
            else
                log.error({ err, method: req.method, path: req.path }, storage.fix);
        }
        else if (err && typeof err === 'object' && 'type' in err) {
            // body-parser's errors carry a type and a 4xx status
            const e = err;
            if (e.type === 'entity.too.large')
                [status, code, message] = [413, 'payload_too_large', `request body is larger than ${e.limit} bytes`];
            else if (e.type === 'entity.parse.failed')
                [status, code, message] = [400, 'invalid_json', 'request body is not valid JSON'];
            else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
                [status, code, message] = [415, 'unsupported_encoding', 'request body encoding is not supported'];
            else if (e.status && e.status >= 400 && e.status < 500)
                [status, code, message] = [e.status, 'bad_request', 'request could not be read'];
        }
        else if (isClientError(err)) {
            // Express's own 4xx, e.g. a path parameter that is not valid percent-encoding (%E0%A4%A)
            ;
            [status, code, message] = [err.status, 'bad_request', err instanceof URIError ? 'the URL is not valid percent-encoding' : 'request could not be read'];
        }
        if (status >= 500 && !storage)
            log.error({ err, method: req.method, path: req.path }, 'request failed');
        else
            log.debug({ status, code, method: req.method, path: req.path }, message);
        if (res.headersSent)
            return;
        res.status(status).json({ error: { code, message } });
    };
}
