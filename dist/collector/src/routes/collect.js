/**
 * POST /collect: records from the on-page script (public, called by browsers). Three kinds,
 * told apart by `k` (see common/wire.ts): click records, identify() hashes, pixel receipts.
 * The body is text/plain JSON (a CORS-simple request). The answer names the visitor ID to keep
 * and re-sets the visitor cookie from the server, which Safari keeps longer than a script-set one.
 */
import express, { Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { isbot } from 'isbot';
import { z } from 'zod';
import { SHA256_HEX } from '../../../common/normalize.js';
import { domainCovers, DRY_RUN_HEADER, VISITOR_COOKIE, VISITOR_COOKIE_DAYS, VISITOR_ID_PATTERN } from '../../../common/wire.js';
import { DAY_MS } from '../clock.js';
import { readCookie } from '../cookies.js';
import { HttpError, parseOr400 } from '../errors.js';
import { clientIp, describeOrigin, fromTrustedProxy, hasProxyHeaders, isAddressOrLocal, isLoopback, isPrivateAddress, isSameOrigin, proxiedOrigin, publicOrigin } from '../origin.js';
import { STANDARD_EVENTS } from '../tiktok/types.js';
const TTCLID = /^[\w.-]{1,1024}$/;
const UTM_KEYS = ['source', 'medium', 'campaign', 'content', 'term'];
/** TikTok's in-app browsers; the word "TikTok" is often absent from their user agents. */
const IN_APP_UA = /BytedanceWebview|musical_ly_|trill_|ByteLocale|aweme/i;
const visitorId = z.string().regex(VISITOR_ID_PATTERN, 'must be a visitor ID (16 to 64 characters of [A-Za-z0-9_-])');
const sha256 = z.string().regex(SHA256_HEX, 'must be SHA-256 lowercase hex');
const httpUrl = z
    .string()
    .max(4096)
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL');
const clickSchema = z.object({
    k: z.undefined().optional(),
    v: visitorId,
    u: httpUrl,
    r: z.string().max(4096).optional(),
    p: z.string().max(256).regex(/^[\w.-]+$/, 'must be a _ttp cookie value').optional(),
    d: z.string().max(253).regex(/^\.?[a-z0-9.-]+$/i, 'must be a domain').optional(),
});
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
export function collectRouter(ctx) {
    const router = Router();
    const allowed = new Set(ctx.config.allowedOrigins);
    /** Pages on the collector's own public origin may always send; pages elsewhere only from CLICKRELAY_ALLOWED_ORIGINS. */
    const checkOrigin = (req, res, next) => {
        const origin = req.get('origin');
        if (origin && !isSameOrigin(origin, publicOrigin(req, ctx.config.publicUrl))) {
            if (!allowed.has(origin))
                throw refuseOrigin(ctx, req, origin);
            warnIfTlsHidden(ctx, req, origin);
            res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' });
        }
        next();
    };
    // One client may not flood the database. Generous by default: mobile carriers put many shoppers behind one IP.
    const limit = rateLimit({
        windowMs: 60_000,
        limit: ctx.config.rateLimitPerMinute,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        // Per shopper: behind a trusted proxy that speaks only RFC 7239, req.ip would be the proxy's.
        keyGenerator: (req) => ipKeyGenerator(clientIp(req) ?? ''),
        // An untrusted proxy's X-Forwarded-For is reported by the handler below, with the fix, not as a stack trace.
        validate: { xForwardedForHeader: false },
        handler: (req, _res, next) => {
            if (hasProxyHeaders(req) && !fromTrustedProxy(req)) {
                ctx.monitor.problem('rate_limit_at_proxy', `/collect refused requests over CLICKRELAY_RATE_LIMIT (${ctx.config.rateLimitPerMinute}/min) from ${req.ip}, a proxy the collector does not trust, so every shopper shares its address: set CLICKRELAY_TRUST_PROXY to that proxy (for example loopback)`, { ip: req.ip });
            }
            next(new HttpError(429, 'rate_limited', `more than ${ctx.config.rateLimitPerMinute} requests a minute from this address; slow down`));
        },
    });
    router.post('/collect', limit, checkOrigin, express.text({ type: () => true, limit: '16kb' }), async (req, res) => {
        const userAgent = req.get('user-agent');
        if (!userAgent || isbot(userAgent)) {
            // Crawlers and headless tools are not shoppers: nothing is stored, no cookie is set.
            ctx.monitor.refused('bot');
            res.status(204).end();
            return;
        }
        let json;
        try {
            json = JSON.parse(typeof req.body === 'string' ? req.body : '');
        }
        catch {
            throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
        }
        const kind = json && typeof json === 'object' ? json.k : undefined;
        const now = ctx.clock.now();
        const dryRun = req.get(DRY_RUN_HEADER) === '1';
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
        }
        else if (kind === undefined) {
            const record = parseOr400(clickSchema, json);
            visitor = canonicalVisitor(req, record.v);
            cookieDomain = record.d;
            const click = toClickInput({ ...record, v: visitor }, clientIp(req), userAgent, now);
            await store?.saveClick(click);
        }
        else {
            throw new HttpError(400, 'invalid_request', 'k: must be absent (click), "i" (identify) or "r" (pixel receipt)');
        }
        const own = publicOrigin(req, ctx.config.publicUrl);
        res.cookie(VISITOR_COOKIE, visitor, {
            maxAge: VISITOR_COOKIE_DAYS * DAY_MS,
            path: '/',
            sameSite: 'lax',
            secure: own.protocol === 'https:',
            domain: cookieDomain && domainCovers(cookieDomain, own.hostname) ? cookieDomain.replace(/^\./, '') : undefined,
        });
        const answer = dryRun ? { v: visitor, dry_run: true } : { v: visitor };
        res.set('Cache-Control', 'no-store').json(answer);
    });
    // Every refusal is counted by reason, so /admin/status shows a deployment that loses clicks.
    router.use('/collect', ((err, _req, _res, next) => {
        const reason = refusalReason(err);
        if (reason)
            ctx.monitor.refused(reason);
        next(err);
    }));
    return router;
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
function warnIfTlsHidden(ctx, req, origin) {
    const own = publicOrigin(req, ctx.config.publicUrl);
    if (own.protocol === 'https:' || own.via === 'CLICKRELAY_PUBLIC_URL' || !origin.startsWith('https:'))
        return;
    ctx.monitor.problem('tls_proxy_untrusted', `/collect took a record from the https page ${origin} but sees itself as ${describeOrigin(own)}, so its visitor cookie is set without Secure: a TLS proxy it does not trust sits in front; set CLICKRELAY_TRUST_PROXY to that proxy, for example loopback (or set CLICKRELAY_PUBLIC_URL to the collector's https URL)`, { origin, public_origin: describeOrigin(own), via: own.via, proxy: req.socket.remoteAddress });
}
/**
 * The 403 for a page the collector does not serve, and a warning with the fix (at most once a
 * minute per kind, see Monitor.problem): a refused page may be a stranger's, or the shop's own
 * lost to a setup mistake.
 */
function refuseOrigin(ctx, req, origin) {
    const own = publicOrigin(req, ctx.config.publicUrl);
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
function toClickInput(record, ip, userAgent, now) {
    const url = new URL(record.u);
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
        visitorId: record.v,
        ttclid,
        ttp: record.p,
        utm,
        landingUrl: record.u,
        referrer: record.r && URL.canParse(record.r) ? record.r : undefined,
        inApp: IN_APP_UA.test(userAgent),
        ip,
        userAgent: userAgent.slice(0, 1024),
        capturedAt: now,
    };
}
