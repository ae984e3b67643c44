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
export function errorHandler(log) {
    return (err, req, res, _next) => {
        let status = 500;
        let code = 'internal';
        let message = 'internal error; the request was not completed';
        if (err instanceof HttpError) {
            ;
            ({ status, code, message } = err);
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
        if (status >= 500)
            log.error({ err, method: req.method, path: req.path }, 'request failed');
        else
            log.debug({ status, code, method: req.method, path: req.path }, message);
        if (res.headersSent)
            return;
        res.status(status).json({ error: { code, message } });
    };
}
