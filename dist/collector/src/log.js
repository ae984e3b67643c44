import { pino } from 'pino';
/**
 * JSON logs on stdout. Nothing that reaches a log line carries raw email or phone (they are
 * hashed at the edge); the redaction list is a second line of defence for secrets in headers.
 */
export function createLogger(level, destination) {
    return pino({
        level,
        base: undefined,
        redact: {
            paths: ['headers["access-token"]', 'headers.authorization', 'headers["clickrelay-signature"]', 'headers.cookie', 'accessToken', 'orderSecret', 'adminToken', 'viewerToken'],
            censor: '[redacted]',
        },
    }, destination);
}
