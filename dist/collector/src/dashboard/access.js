import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HOUR_MS, MINUTE_MS } from '../clock.js';
import { readCookie } from '../cookies.js';
import { HttpError } from '../errors.js';
import { clientIp, hasProxyHeaders, isLoopback, isSameOrigin, publicOrigin } from '../origin.js';
import { createRateLimiter } from '../rate-limit.js';
import { baseOf } from './render.js';
export const SESSION_COOKIE = 'cr_admin';
export const SESSION_MS = 12 * HOUR_MS;
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';
/** Failed logins one client IP may make per window before every login from it waits. */
export const LOGIN_FAILURES_ALLOWED = 10;
export const LOGIN_WINDOW_MS = 15 * MINUTE_MS;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * The POSTs a viewer may make: ending its own session; searching orders, a read that is posted
 * so that an email typed into the search never travels in an address; and running the install
 * check, which changes nothing (its click record is a dry run) and which the Install page runs
 * for a viewer without the admin token.
 */
const VIEWER_MAY_POST = new Set(['/admin/logout', '/admin/orders', '/admin/install/check']);
/** Reads that reveal secrets, for the admin role only: the installer's secrets (the order secret's fingerprint, which platform secrets are set). */
const ADMIN_ONLY_READS = new Set(['/admin/install/secrets']);
/** The one rule of the roles: an admin may do anything; a viewer may read, except secrets, and act only on its own session. */
export function permits(role, method, path) {
    if (role === 'admin')
        return true;
    // As Express matches routes: whatever the case, with or without a trailing slash.
    const route = path.toLowerCase().replace(/\/+$/, '');
    if (SAFE_METHODS.has(method))
        return !ADMIN_ONLY_READS.has(route);
    return VIEWER_MAY_POST.has(route);
}
const sha256 = (value) => createHash('sha256').update(value).digest();
/** Constant-time and blind to length: both sides are hashed first, so the comparison never sees their lengths. */
export function sameSecret(given, expected) {
    return timingSafeEqual(sha256(given), sha256(expected));
}
/**
 * Whether a login comes from the dashboard's own page. A browser posting a form from a page served
 * with Referrer-Policy: no-referrer (every dashboard page) sends `Origin: null`: then its
 * Sec-Fetch-Site must say same-origin. Another site's form says cross-site, or names its origin.
 */
export function sameSiteLogin(req, own) {
    const site = req.get('sec-fetch-site');
    if (site === 'cross-site' || site === 'same-site')
        return false;
    const origin = req.get('origin');
    if (origin === 'null')
        return site === 'same-origin';
    return origin === undefined || isSameOrigin(origin, own);
}
/** The principal of a request that passed identify(), if any. */
export function principalOf(res) {
    return res.locals.principal;
}
export function createAccess(ctx) {
    const { config } = ctx;
    const failedLogins = createRateLimiter(LOGIN_FAILURES_ALLOWED, LOGIN_WINDOW_MS);
    const tokens = { admin: config.adminToken, viewer: config.viewerToken };
    /** /admin as browsers see it: under CLICKRELAY_PUBLIC_URL's path when the collector sits under one (/cr/admin). */
    const cookiePath = (config.publicUrl ? new URL(config.publicUrl).pathname.replace(/\/+$/, '') : '') + '/admin';
    let key;
    /** The signing key, made on first use and kept with the data; a failed read is tried again next time. */
    function signingKey() {
        key ??= ctx.store.setting('dashboard_session_key', () => randomBytes(32).toString('base64url')).then((value) => Buffer.from(value, 'base64url'), (err) => {
            key = undefined;
            throw err;
        });
        return key;
    }
    const mac = (secret, text) => createHmac('sha256', secret).update(text).digest('base64url');
    /** What the session's signature covers: its fields, and the hash of the token of its role now. */
    const signed = (s) => ['v1', s.role, s.issuedBy, s.expiresAt, s.nonce, sha256(tokens[s.role] ?? '').toString('hex')].join('|');
    const csrfOf = (secret, s) => mac(secret, `csrf|${s.nonce}`);
    function sandboxOpen(req) {
        // Behind a proxy the "loopback" collector faces whoever reaches the proxy. A Host that is not
        // a loopback name is a page of another site whose name was pointed at 127.0.0.1 (DNS
        // rebinding), or a proxy that passes no forwarding header: neither may use the open door.
        return config.mode === 'sandbox' && isLoopback(config.host) && !hasProxyHeaders(req) && isLoopback(hostOf(req.get('host')));
    }
    function roleOfToken(token) {
        // Both compared every time, so the time taken does not tell which one matched.
        const admin = tokens.admin !== undefined && sameSecret(token, tokens.admin);
        const viewer = tokens.viewer !== undefined && sameSecret(token, tokens.viewer);
        return admin ? 'admin' : viewer ? 'viewer' : undefined;
    }
    async function readSession(req) {
        const value = readCookie(req, SESSION_COOKIE);
        const parts = value?.split('.');
        if (!parts || parts.length !== 5)
            return undefined;
        const [role, issuedBy, expires, nonce, signature] = parts;
        if ((role !== 'admin' && role !== 'viewer') || (issuedBy !== 't' && issuedBy !== 's') || !/^\d+$/.test(expires))
            return undefined;
        const session = { role, issuedBy, expiresAt: Number(expires), nonce };
        if (!sameSecret(signature, mac(await signingKey(), signed(session))))
            return undefined;
        if (session.expiresAt <= ctx.clock.now())
            return undefined;
        if (issuedBy === 't' && tokens[role] === undefined)
            return undefined;
        if (issuedBy === 's' && !sandboxOpen(req))
            return undefined;
        return session;
    }
    /** Sets the cookie of a new session and answers its CSRF token. */
    async function openSession(req, res, role, issuedBy) {
        const session = { role, issuedBy, expiresAt: ctx.clock.now() + SESSION_MS, nonce: randomBytes(16).toString('base64url') };
        const secret = await signingKey();
        const value = [session.role, session.issuedBy, session.expiresAt, session.nonce, mac(secret, signed(session))].join('.');
        res.cookie(SESSION_COOKIE, value, {
            httpOnly: true,
            sameSite: 'strict',
            secure: publicOrigin(req, config.publicUrl).protocol === 'https:',
            path: cookiePath,
            maxAge: SESSION_MS,
        });
        return csrfOf(secret, session);
    }
    const identify = async (req, res, next) => {
        const authorization = req.get('authorization');
        if (authorization !== undefined) {
            if (!tokens.admin && !tokens.viewer && !sandboxOpen(req))
                throw disabled();
            // Guesses through the header count against the same limit as the login form's.
            const ip = clientIp(req) ?? 'unknown';
            const wait = failedLogins.exhausted(ip, ctx.clock.now());
            if (wait !== undefined)
                throw tooMany(wait);
            const role = roleOfToken(authorization.replace(/^Bearer\s+/i, ''));
            if (!role) {
                failedLogins.hit(ip, ctx.clock.now());
                throw new HttpError(401, 'unauthorized', 'Authorization: Bearer <CLICKRELAY_ADMIN_TOKEN or CLICKRELAY_VIEWER_TOKEN> is missing or wrong');
            }
            res.locals.principal = { role, via: 'bearer' };
            return next();
        }
        const session = await readSession(req);
        if (session) {
            res.locals.principal = { role: session.role, via: 'session', csrfToken: csrfOf(await signingKey(), session) };
        }
        else if (sandboxOpen(req)) {
            // A session of its own, so the demo's forms carry a CSRF token like any other; a
            // state-changing request without one (another site's form, say) is still refused.
            const csrfToken = SAFE_METHODS.has(req.method) ? await openSession(req, res, 'admin', 's') : undefined;
            res.locals.principal = { role: 'admin', via: 'sandbox', csrfToken };
        }
        next();
    };
    /** CSRF and role, for a request that has a principal. */
    function authorize(req, principal) {
        if (!SAFE_METHODS.has(req.method) && principal.via !== 'bearer') {
            const given = req.body?.[CSRF_FIELD] ?? req.get(CSRF_HEADER);
            if (typeof given !== 'string' || !principal.csrfToken || !sameSecret(given, principal.csrfToken)) {
                throw new HttpError(403, 'csrf_failed', `a state-changing request on a dashboard session needs its CSRF token (the form's ${CSRF_FIELD} field, or the ${CSRF_HEADER} header); reload the page and try again`);
            }
        }
        // The full path: under router.use('/admin', …) req.path has lost its /admin.
        if (!permits(principal.role, req.method, req.baseUrl + req.path)) {
            throw new HttpError(403, 'read_only', 'the viewer token reads only: replays, deletions and secrets need CLICKRELAY_ADMIN_TOKEN');
        }
    }
    const requireApi = (req, res, next) => {
        const principal = principalOf(res);
        if (!principal) {
            if (!tokens.admin && !tokens.viewer)
                throw disabled();
            throw new HttpError(401, 'unauthorized', 'Authorization: Bearer <CLICKRELAY_ADMIN_TOKEN or CLICKRELAY_VIEWER_TOKEN> is missing or wrong, and no dashboard session');
        }
        authorize(req, principal);
        next();
    };
    const requirePage = (req, res, next) => {
        const principal = principalOf(res);
        if (!principal) {
            if (readCookie(req, SESSION_COOKIE) !== undefined)
                clearSession(res);
            // Relative, so it holds under a proxy's path prefix too.
            return res.redirect(303, req.path === '/admin' ? 'admin/login' : `${baseOf(req.path)}login`);
        }
        authorize(req, principal);
        next();
    };
    function clearSession(res) {
        res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: cookiePath });
    }
    async function login(req, res, token) {
        if (!tokens.admin && !tokens.viewer)
            throw disabled();
        // Another site's form must not log the operator in (into a viewer's session, say) nor spend
        // the failed-login allowance of their address.
        if (!sameSiteLogin(req, publicOrigin(req, config.publicUrl))) {
            throw new HttpError(403, 'cross_site_login', 'a login must come from the dashboard\'s own login page');
        }
        const ip = clientIp(req) ?? 'unknown';
        // Judged before the token is, so a client over the limit learns nothing from its guesses.
        const wait = failedLogins.exhausted(ip, ctx.clock.now());
        if (wait !== undefined)
            throw tooMany(wait);
        const role = roleOfToken(token);
        if (!role) {
            failedLogins.hit(ip, ctx.clock.now());
            ctx.log.warn({ ip }, 'dashboard login refused: wrong token');
            throw new HttpError(401, 'unauthorized', 'That token is not CLICKRELAY_ADMIN_TOKEN or CLICKRELAY_VIEWER_TOKEN.');
        }
        await openSession(req, res, role, 't');
        ctx.log.info({ ip, role }, 'dashboard login');
        return role;
    }
    return { identify, requireApi, requirePage, login, logout: clearSession, sandboxOpen, enabled: () => Boolean(tokens.admin || tokens.viewer) };
}
function disabled() {
    return new HttpError(403, 'admin_disabled', 'the admin API and dashboard are off; set CLICKRELAY_ADMIN_TOKEN (and CLICKRELAY_VIEWER_TOKEN for read-only access) to use them');
}
/** A 429 whose Retry-After the error handlers send. */
export class TooManyLogins extends HttpError {
    retryAfterS;
    constructor(retryAfterS) {
        super(429, 'too_many_logins', `too many failed logins from this address; try again in ${retryAfterS} seconds`);
        this.retryAfterS = retryAfterS;
    }
}
const tooMany = (seconds) => new TooManyLogins(seconds);
/** `127.0.0.1:8787` -> `127.0.0.1`; `[::1]:8787` -> `[::1]`. */
function hostOf(host) {
    return host?.trim().replace(/:\d+$/, '');
}
