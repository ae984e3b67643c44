/**
 * POST /collect: records from the on-page script (public, called by browsers). Three kinds,
 * told apart by `k` (see common/wire.ts): click records, identify() hashes, pixel receipts.
 * The body is text/plain JSON (a CORS-simple request). The answer names the visitor ID to keep
 * and re-sets the visitor cookie from the server, which Safari keeps longer than a script-set one.
 *
 * A flash sale sends this route thousands of records a second, so it is written to cost little
 * more than receiving the request (bench/collect.ts measures it against a bare Express route):
 * one middleware, not a Router; synchronous checks that reuse what was worked out before (the
 * rate limiter's counts, the verdict on a user agent or a page origin already seen); the body
 * read straight from the request when it is the plain UTF-8 a browser sends; the writes of one
 * turn of the event loop committed together (store/group-commit.ts); the answer written whole.
 * Nothing is skipped: every record is still rate-limited, origin-checked, bot-checked, validated
 * and stored before its 200, and every refusal is still counted.
 */
import express, {} from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { isbot } from 'isbot';
import { z } from 'zod';
import { SHA256_HEX } from '../../../common/normalize.js';
import { eventId, ORDER_EVENTS } from '../../../common/event-id.js';
import { domainCovers, DRY_RUN_HEADER, VISITOR_COOKIE, VISITOR_COOKIE_DAYS, VISITOR_ID_PATTERN } from '../../../common/wire.js';
import { DAY_MS, MINUTE_MS } from '../clock.js';
import { readCookie } from '../cookies.js';
import { HttpError, parseOr400 } from '../errors.js';
import { clientIp, describeOrigin, fromTrustedProxy, hasProxyHeaders, isAddressOrLocal, isLoopback, isPrivateAddress, isSameOrigin, proxiedOrigin, publicOrigin } from '../origin.js';
import { createRateLimiter } from '../rate-limit.js';
import { STANDARD_EVENTS } from '../tiktok/types.js';
const TTCLID = /^[\w.-]{1,1024}$/;
const UTM_KEYS = ['source', 'medium', 'campaign', 'content', 'term'];
/** TikTok's in-app browsers; the word "TikTok" is often absent from their user agents. */
const IN_APP_UA = /BytedanceWebview|musical_ly_|trill_|ByteLocale|aweme/i;
const BODY_LIMIT = 16 * 1024;
const COLLECT_PATH = /^\/collect\/?$/i;
const COOKIE_MAX_AGE_MS = VISITOR_COOKIE_DAYS * DAY_MS;
const DRY_RUN = DRY_RUN_HEADER.toLowerCase();
const visitorId = z.string().regex(VISITOR_ID_PATTERN, 'must be a visitor ID (16 to 64 characters of [A-Za-z0-9_-])');
const sha256 = z.string().regex(SHA256_HEX, 'must be SHA-256 lowercase hex');
/** Parsed once, here: the click's ttclid and UTMs are read from `url`; `text` is stored as the page sent it. */
const httpUrl = z
    .string()
    .max(4096)
    .transform((value, ctx) => {
    let url;
    try {
        url = new URL(value);
    }
    catch {
        url = undefined;
    }
    if (url && (url.protocol === 'https:' || url.protocol === 'http:'))
        return { text: value, url };
    ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
    return z.NEVER;
});
const cookieDomainField = z.string().max(253).regex(/^\.?[a-z0-9.-]+$/i, 'must be a domain').optional();
const clickSchema = z.object({
    k: z.undefined().optional(),
    v: visitorId,
    u: httpUrl,
    r: z.string().max(4096).optional(),
    p: z.string().max(256).regex(/^[\w.-]+$/, 'must be a _ttp cookie value').optional(),
    d: cookieDomainField,
});
/** consent(false): the cookie is expired; `d` is the tag's data-cookie-domain. */
const forgetSchema = z.object({ k: z.literal('x'), d: cookieDomainField });
const identifySchema = z
    .object({ k: z.literal('i'), v: visitorId, e: sha256.optional(), h: sha256.optional() })
    .refine((r) => r.e || r.h, 'an identify record needs e (email hash) or h (phone hash)');
const receiptSchema = z.object({
    k: z.literal('r'),
    v: visitorId,
    n: z.enum(STANDARD_EVENTS),
    i: z.string().max(256).optional(),
    o: z.string().max(256).optional(),
    t: z.number().int().nonnegative(),
});
/**
 * The route as one middleware rather than a Router with a route in it: each Router level is
 * a detour every record takes (see the comment at the top). It matches what `router.post('/collect')`
 * did: POST, the path in any case, with or without a trailing slash.
 */
export function collectRouter(ctx) {
    const { config, monitor } = ctx;
    const allowed = new Set(config.allowedOrigins);
    // One client may not flood the database. Generous by default: mobile carriers put many shoppers behind one IP.
    const limiter = createRateLimiter(config.rateLimitPerMinute, MINUTE_MS);
    const policy = `"${config.rateLimitPerMinute}-in-1min"`;
    const userAgents = userAgentVerdicts();
    const sameOrigin = sameOriginVerdicts();
    // What the fast body reader below leaves to body-parser: compressed bodies, other charsets, no Content-Length.
    const readText = express.text({ type: () => true, limit: BODY_LIMIT });
    let configuredOrigin;
    const ownOrigin = (req) => config.publicUrl ? (configuredOrigin ??= publicOrigin(req, config.publicUrl)) : publicOrigin(req, undefined);
    /** The 429, with the fix in /admin/status when the limit hit a proxy the collector does not trust. */
    function rateLimited(req, res, retryAfterS) {
        if (hasProxyHeaders(req) && !fromTrustedProxy(req)) {
            monitor.problem('rate_limit_at_proxy', `/collect refused requests over CLICKRELAY_RATE_LIMIT (${config.rateLimitPerMinute}/min) from ${req.ip}, a proxy the collector does not trust, so every shopper shares its address: set CLICKRELAY_TRUST_PROXY to that proxy (for example loopback)`, { ip: req.ip });
        }
        res.setHeader('Retry-After', String(retryAfterS));
        res.setHeader('RateLimit-Policy', `${policy}; q=${config.rateLimitPerMinute}; w=60`);
        res.setHeader('RateLimit', `${policy}; r=0; t=${retryAfterS}`);
        return new HttpError(429, 'rate_limited', `more than ${config.rateLimitPerMinute} requests a minute from this address; slow down`);
    }
    /**
     * The record in the body, checked and stored; then the answer, written whole. `cors` is the
     * page's origin when it is another allowed one: the answer names it so the script may read it.
     */
    async function take(req, res, text, ip, own, cors) {
        const userAgent = req.headers['user-agent'];
        const seen = userAgent ? userAgents(userAgent) : undefined;
        if (!userAgent || !seen || seen.bot) {
            // Crawlers and headless tools are not shoppers: nothing is stored, no cookie is set.
            monitor.refused('bot');
            res.writeHead(204, cors ? corsHeaders(cors) : {});
            res.end();
            return;
        }
        let json;
        try {
            json = JSON.parse(text);
        }
        catch {
            throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
        }
        const kind = json && typeof json === 'object' ? json.k : undefined;
        if (kind === 'x')
            return forget(res, parseOr400(forgetSchema, json), own, cors);
        const now = ctx.clock.now();
        const dryRun = req.headers[DRY_RUN] === '1';
        const store = dryRun ? undefined : ctx.store;
        let visitor;
        let cookieDomain;
        if (kind === 'i') {
            const record = parseOr400(identifySchema, json);
            visitor = canonicalVisitor(req, record.v);
            await store?.saveIdentity({ visitorId: visitor, emailHash: record.e, phoneHash: record.h, seenAt: now });
        }
        else if (kind === 'r') {
            const record = parseOr400(receiptSchema, json);
            visitor = canonicalVisitor(req, record.v);
            await store?.savePixelReceipt({ visitorId: visitor, eventName: record.n, eventId: record.i, orderKey: record.o, clientTime: record.t, receivedAt: now });
            if (store)
                checkPixelEventId(ctx, record);
        }
        else if (kind === undefined) {
            const record = parseOr400(clickSchema, json);
            visitor = canonicalVisitor(req, record.v);
            cookieDomain = record.d;
            const click = toClickInput(record, visitor, ip, userAgent, seen.inApp, now);
            await store?.saveClick(click);
        }
        else {
            throw new HttpError(400, 'invalid_request', 'k: must be absent (click), "i" (identify), "r" (pixel receipt) or "x" (consent withdrawn)');
        }
        const answer = dryRun ? { v: visitor, dry_run: true } : { v: visitor };
        const body = JSON.stringify(answer);
        const domain = cookieDomain && domainCovers(cookieDomain, own.hostname) ? cookieDomain.replace(/^\./, '') : undefined;
        const headers = {
            'Cache-Control': 'no-store',
            'Content-Type': 'application/json; charset=utf-8',
            'Content-Length': Buffer.byteLength(body),
            'Set-Cookie': visitorCookie(visitor, domain, own.protocol === 'https:'),
        };
        res.writeHead(200, cors ? Object.assign(headers, corsHeaders(cors)) : headers);
        res.end(body);
    }
    /**
     * consent(false): the visitor cookie this collector set is expired, host-only and on the tag's
     * cookie domain, since a collector on a subdomain of its own set one the page cannot delete.
     * Nothing is stored, and nothing is deleted: that is a deletion request (POST /admin/deletions).
     */
    function forget(res, record, own, cors) {
        const secure = own.protocol === 'https:';
        const domain = record.d && domainCovers(record.d, own.hostname) ? record.d.replace(/^\./, '') : undefined;
        const cookies = [expiredVisitorCookie(undefined, secure)];
        if (domain)
            cookies.push(expiredVisitorCookie(domain, secure));
        const headers = { 'Cache-Control': 'no-store', 'Set-Cookie': cookies };
        res.writeHead(204, cors ? Object.assign(headers, corsHeaders(cors)) : headers);
        res.end();
    }
    return (req, res, next) => {
        if (req.method !== 'POST' || !COLLECT_PATH.test(req.path))
            return next();
        let cors;
        // Every refusal is counted by reason, so /admin/status shows a deployment that loses clicks;
        // an error answer names an allowed page's origin too, so the script may read why.
        const fail = (err) => {
            const reason = refusalReason(err);
            if (reason)
                monitor.refused(reason);
            if (cors && !res.headersSent)
                res.set(corsHeaders(cors));
            next(err);
        };
        try {
            const ip = clientIp(req);
            const retryAfterS = limiter.hit(ipKeyGenerator(ip ?? ''), ctx.clock.now());
            if (retryAfterS !== undefined)
                return fail(rateLimited(req, res, retryAfterS));
            // Pages on the collector's own public origin may always send; pages elsewhere only from CLICKRELAY_ALLOWED_ORIGINS.
            const own = ownOrigin(req);
            const origin = req.headers.origin;
            if (origin && !sameOrigin(origin, own)) {
                if (!allowed.has(origin))
                    return fail(refuseOrigin(ctx, req, own, origin));
                warnIfTlsHidden(ctx, req, own, origin);
                cors = origin;
            }
            readBody(req, res, readText, (err, text) => {
                if (err)
                    fail(err);
                else
                    take(req, res, text, ip, own, cors).catch(fail);
            });
        }
        catch (err) {
            fail(err);
        }
    };
}
/**
 * The body as text. What a browser sends (a Content-Length within the limit, no Content-Encoding,
 * UTF-8) is read here straight from the stream; anything else goes through body-parser, which
 * inflates, decodes other charsets and refuses what is too large (413) exactly as before.
 */
function readBody(req, res, fallback, done) {
    const length = Number(req.headers['content-length']);
    const encoding = req.headers['content-encoding'];
    if (!(length <= BODY_LIMIT) || (encoding !== undefined && encoding !== 'identity') || !isUtf8(req.headers['content-type'])) {
        void fallback(req, res, ((err) => done(err, typeof req.body === 'string' ? req.body : '')));
        return;
    }
    const chunks = [];
    let received = 0;
    let settled = false;
    req.on('data', (chunk) => {
        received += chunk.length;
        chunks.push(chunk);
    });
    req.once('end', () => {
        if (settled)
            return;
        settled = true;
        if (received !== length)
            return done(readError('request.size.invalid', 'request size did not match content length'), '');
        const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
        // body-parser (iconv-lite) drops a byte order mark; so does this.
        done(undefined, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
    // A client that goes away mid-body: Node destroys the request with ECONNRESET "aborted".
    req.once('error', (err) => {
        if (settled)
            return;
        settled = true;
        done(err.code === 'ECONNRESET' ? readError('request.aborted', 'request aborted') : err, '');
    });
}
function corsHeaders(origin) {
    return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' };
}
/** Errors shaped like body-parser's, which errors.ts answers with a 400. */
function readError(type, message) {
    return Object.assign(new Error(message), { type, status: 400, expose: true });
}
/** No charset, or UTF-8: what fetch() and sendBeacon() send with a string body. */
function isUtf8(contentType) {
    if (contentType === undefined)
        return true;
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType)?.[1];
    return charset === undefined || /^utf-?8$/i.test(charset);
}
/**
 * isbot() runs a long regular expression; a flash sale brings the same few hundred user agents
 * again and again, so each verdict is kept (up to 1,000 user agents, then the memory starts over).
 */
function userAgentVerdicts() {
    const known = new Map();
    return (userAgent) => {
        let verdict = known.get(userAgent);
        if (verdict === undefined) {
            verdict = { bot: isbot(userAgent), inApp: IN_APP_UA.test(userAgent) };
            if (userAgent.length <= 1024) {
                if (known.size >= 1000)
                    known.clear();
                known.set(userAgent, verdict);
            }
        }
        return verdict;
    };
}
/** isSameOrigin() parses the page's origin as a URL; the shop's few origins are met again and again, so each verdict is kept. */
function sameOriginVerdicts() {
    const known = new Map();
    return (pageOrigin, own) => {
        const key = `${pageOrigin} ${own.protocol}//${own.hostname}:${own.port ?? ''}`;
        let verdict = known.get(key);
        if (verdict === undefined) {
            verdict = isSameOrigin(pageOrigin, own);
            if (key.length <= 1024) {
                if (known.size >= 1000)
                    known.clear();
                known.set(key, verdict);
            }
        }
        return verdict;
    };
}
/** The visitor cookie, as res.cookie() wrote it (Expires to the second, so it is made once a second). */
function visitorCookie(visitor, domain, secure) {
    return `${VISITOR_COOKIE}=${visitor}; Max-Age=${COOKIE_MAX_AGE_MS / 1000}${domain ? `; Domain=${domain}` : ''}; Path=/; Expires=${cookieExpiry()}${secure ? '; Secure' : ''}; SameSite=Lax`;
}
function expiredVisitorCookie(domain, secure) {
    return `${VISITOR_COOKIE}=; Max-Age=0${domain ? `; Domain=${domain}` : ''}; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT${secure ? '; Secure' : ''}; SameSite=Lax`;
}
let expirySecond = -1;
let expiry = '';
function cookieExpiry() {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== expirySecond) {
        expirySecond = second;
        expiry = new Date(now + COOKIE_MAX_AGE_MS).toUTCString();
    }
    return expiry;
}
/** The reason a refused request is counted under; undefined for our own failures (5xx), which are no refusal. */
function refusalReason(err) {
    const code = err instanceof HttpError ? err.code : undefined;
    const fields = err && typeof err === 'object' ? err : {};
    const status = err instanceof HttpError ? err.status : typeof fields.status === 'number' ? fields.status : 500;
    if (status >= 500)
        return undefined;
    if (code === 'origin_not_allowed')
        return 'origin';
    if (code === 'rate_limited')
        return 'rate_limit';
    if (fields.type === 'entity.too.large')
        return 'too_large';
    return 'malformed';
}
/** What to trust, named without echoing an address that may be the client's own. */
function proxyToTrust(address) {
    if (isLoopback(address))
        return 'loopback';
    if (address && isPrivateAddress(address))
        return address.replace(/^::ffff:/i, '');
    return "your proxy's address";
}
/**
 * Why a page was refused, and the fix. Values in the fix come from this collector's own view
 * (its socket, its settings), never from the request's headers, which anyone can write.
 */
function diagnose(req, own, origin) {
    const configured = own.via === 'CLICKRELAY_PUBLIC_URL';
    const publicUrl = "or set CLICKRELAY_PUBLIC_URL to the shop's URL";
    if (!configured && hasProxyHeaders(req) && !fromTrustedProxy(req) && isSameOrigin(origin, proxiedOrigin(req))) {
        return {
            code: 'untrusted_proxy',
            fix: `requests come through a proxy at ${req.socket.remoteAddress} that the collector does not trust, so it cannot see the shop's host and scheme: set CLICKRELAY_TRUST_PROXY=${proxyToTrust(req.socket.remoteAddress)} (${publicUrl})`,
        };
    }
    const page = URL.canParse(origin) ? new URL(origin) : undefined;
    if (!configured && page?.protocol === 'https:' && own.protocol === 'http:' && page.hostname === own.hostname) {
        return { code: 'tls_proxy_untrusted', fix: `the page is https but the collector sees http, so a TLS proxy it does not trust sits in front: set CLICKRELAY_TRUST_PROXY to that proxy, for example loopback (${publicUrl})` };
    }
    if (own.via === 'Host' && isAddressOrLocal(own.hostname) && hasProxyHeaders(req)) {
        return { code: 'host_rewritten', fix: `the proxy passes Host ${own.hostname} and no X-Forwarded-Host, so the collector cannot tell which site it serves: in nginx add \`proxy_set_header Host $host;\` (or X-Forwarded-Host, with CLICKRELAY_TRUST_PROXY) ${publicUrl}` };
    }
    let fix = "if they are your shop's pages, add that origin to CLICKRELAY_ALLOWED_ORIGINS";
    if (own.via === 'Host' && isAddressOrLocal(own.hostname)) {
        // Reached by address: a stranger's page, or the shop's own behind a proxy that hides everything.
        fix += `; if a proxy serves the collector on that origin, make it pass the browser's Host (nginx \`proxy_set_header Host $host;\`) ${publicUrl}`;
    }
    return { code: 'origin_not_allowed', fix };
}
/**
 * An https page allowed to send from another origin, while this collector sees plain http: the
 * record is kept, but a TLS proxy it does not trust hides the scheme, so its cookie goes out
 * without `Secure`. Nothing is refused, so this warning is the only trace.
 */
function warnIfTlsHidden(ctx, req, own, origin) {
    if (own.protocol === 'https:' || own.via === 'CLICKRELAY_PUBLIC_URL' || !origin.startsWith('https:'))
        return;
    ctx.monitor.problem('tls_proxy_untrusted', `/collect took a record from the https page ${origin} but sees itself as ${describeOrigin(own)}, so its visitor cookie is set without Secure: a TLS proxy it does not trust sits in front; set CLICKRELAY_TRUST_PROXY to that proxy, for example loopback (or set CLICKRELAY_PUBLIC_URL to the collector's https URL)`, { origin, public_origin: describeOrigin(own), via: own.via, proxy: req.socket.remoteAddress });
}
/**
 * The 403 for a page the collector does not serve, and a warning with the fix (at most once a
 * minute per kind, see Monitor.problem): a refused page may be a stranger's, or the shop's own
 * lost to a setup mistake.
 */
function refuseOrigin(ctx, req, own, origin) {
    const ownText = describeOrigin(own);
    const { code, fix } = diagnose(req, own, origin);
    const message = `pages on ${origin} may not send records to this collector (its public origin is ${ownText}, from ${own.via}): ${fix}`;
    ctx.monitor.problem(code, `/collect refused ${message}`, { origin, public_origin: ownText, via: own.via, proxy: req.socket.remoteAddress });
    return new HttpError(403, 'origin_not_allowed', message);
}
/**
 * The visitor ID to record under: the one in the cookie this browser sent, when it differs from
 * the script's, since a server-set cookie outlives script storage; else the script's.
 */
function canonicalVisitor(req, fromScript) {
    const fromCookie = readCookie(req, VISITOR_COOKIE);
    return fromCookie && VISITOR_ID_PATTERN.test(fromCookie) ? fromCookie : fromScript;
}
function toClickInput(record, visitor, ip, userAgent, inApp, now) {
    const { url } = record.u;
    const ttclid = url.searchParams.get('ttclid') ?? undefined;
    if (ttclid !== undefined && !TTCLID.test(ttclid))
        throw new HttpError(400, 'invalid_request', 'u: ttclid must be 1 to 1,024 characters of [A-Za-z0-9._-]');
    const utm = {};
    for (const key of UTM_KEYS) {
        const value = url.searchParams.get(`utm_${key}`);
        if (value)
            utm[key] = value.slice(0, 256);
    }
    return {
        visitorId: visitor,
        ttclid,
        ttp: record.p,
        utm,
        landingUrl: record.u.text,
        referrer: record.r && URL.canParse(record.r) ? record.r : undefined,
        inApp,
        ip,
        userAgent: userAgent.slice(0, 1024),
        capturedAt: now,
    };
}
/**
 * A pixel order event with an event_id that is not ClickRelay's means another integration fires
 * it too (TikTok for WooCommerce, Shopify's TikTok channel app, the page's own code), and TikTok
 * cannot pair it with the server event: the purchase may count twice. Said in /admin/status.
 */
function checkPixelEventId(ctx, record) {
    if (!record.i || !ORDER_EVENTS.includes(record.n))
        return;
    const ours = record.o ? eventId(record.n, record.o) : undefined;
    const foreign = ours ? record.i !== ours : !record.i.startsWith('ord_');
    if (!foreign)
        return;
    const order = record.o ? ` for order ${record.o}` : '';
    ctx.monitor.problem('foreign_pixel_event_id', `the pixel fired ${record.n}${order} with event_id ${record.i}${ours ? `, not ClickRelay's ${ours}` : ", not one of ClickRelay's (ord_<order key>)"}: another integration sends this event too (TikTok for WooCommerce, Shopify's TikTok sales channel, or the page's own code), so TikTok cannot pair it with ClickRelay's server event and the purchase may count twice. Turn off that integration's ${record.n} (README: "Orders from Shopify, WooCommerce and Stripe", "One Purchase per order, from one integration")`);
}
