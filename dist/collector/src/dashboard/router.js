/**
 * /admin/: the operator's dashboard, server-rendered, and the front door of everything under
 * /admin, the JSON admin API included (mount it before routes/admin.ts):
 * security headers, body parsing and working out who asks (access.ts) for every /admin request.
 *
 *   GET  /admin/assets/…               the stylesheet and the Overview's chart script (public)
 *   GET  /admin/login                  the login form (public)
 *   POST /admin/login                  token=<admin or viewer token>: opens a 12-hour session; 401 wrong, 429 too many failures
 *   POST /admin/logout                 _csrf: ends the session in this browser
 *   GET  /admin/?range=today|7d|28d    Overview (admin or viewer): clicks, orders, links, pixel pairing, delivery, match-key coverage
 *   GET  /admin/orders                 Orders: the latest 50 (?before= for older), or a search's (?q=<order key or event_id>, ?email=<SHA-256>)
 *   POST /admin/orders                 q, _csrf: the search box; answers 303 to the results (an email only as its hash; admin or viewer)
 *   GET  /admin/order?id=<order key>   Order: provenance, payload, attempts, pixel receipts, replay (admin or viewer)
 *   POST /admin/order/replay           id, force?, _csrf: replays the order's event (admin only); 303 to the order, or the order with the refusal (409)
 *
 * The order pages are /admin/orders and /admin/order?id=, not /admin/orders/:id: that address is
 * the JSON API's (routes/admin.ts), and a key in the query string can hold any character ("#1001",
 * "a/b") at one level under /admin/, where every relative link holds.
 *
 * In sandbox mode on loopback the pages are open without a token, as admin.
 */
import express, { Router } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpError } from '../errors.js';
import { isSha256 } from '../hashing.js';
import { createReplays } from '../replay.js';
import { DASHBOARD_ASSETS, UPLOT_DIST } from '../paths.js';
import { coverageDrops, rangeStats, RANGES } from '../stats.js';
import { collectorState } from '../status.js';
import { principalOf, TooManyLogins } from './access.js';
import { cursorText, orderAddress, orderDetail, orderQuery, orderRow, readCursor, readSearch, searchAddress } from './orders.js';
import { overviewModel } from './overview.js';
import { registerEventPages } from './events.js';
import { registerInstallPages } from './install.js';
import { pageContext, sendPage } from './render.js';
/**
 * No script or style may come from anywhere but the collector, and nothing inline; pages are
 * never framed, never cached, and leak no URL (an order key, say) in a Referer.
 */
const SECURITY_HEADERS = {
    'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
};
/** The files under /admin/assets/, public and read once at start: the stylesheet, and the Overview's chart (uPlot and its driver). */
const ASSETS = [
    ['dashboard.css', join(DASHBOARD_ASSETS, 'dashboard.css'), 'css'],
    ['overview.js', join(DASHBOARD_ASSETS, 'overview.js'), 'js'],
    ['uPlot.iife.min.js', join(UPLOT_DIST, 'uPlot.iife.min.js'), 'js'],
    ['uPlot.min.css', join(UPLOT_DIST, 'uPlot.min.css'), 'css'],
];
export function dashboardRouter(ctx, access) {
    const router = Router();
    const securityHeaders = (_req, res, next) => {
        res.set(SECURITY_HEADERS);
        next();
    };
    router.use('/admin', securityHeaders, express.urlencoded({ extended: false, limit: '16kb' }), express.json({ limit: '16kb' }), access.identify);
    for (const [name, file, type] of ASSETS) {
        const body = readFileSync(file);
        router.get(`/admin/assets/${name}`, (_req, res) => {
            res.type(type).send(body);
        });
    }
    const pages = Router();
    const context = (req, res) => ({ ...pageContext(req, principalOf(res), ctx.config.mode), enabled: access.enabled() || access.sandboxOpen(req) });
    // The login form is posted from this page. Under no-referrer a browser sends such a POST with
    // `Origin: null`, and over plain http to a name that is not localhost it sends no Sec-Fetch-Site
    // either, leaving login() nothing to tell the dashboard's own form from another site's. Sent
    // only to this origin, the referrer of this page (its address, no data) costs nothing.
    pages.use('/admin/login', (_req, res, next) => {
        res.set('Referrer-Policy', 'same-origin');
        next();
    });
    pages.get('/admin/login', (req, res) => {
        sendPage(res, 200, 'login', { ...context(req, res), principal: undefined });
    });
    pages.post('/admin/login', async (req, res) => {
        const token = typeof req.body?.token === 'string' ? req.body.token : '';
        try {
            await access.login(req, res, token);
        }
        catch (err) {
            if (!(err instanceof HttpError))
                throw err;
            if (err instanceof TooManyLogins)
                res.set('Retry-After', String(err.retryAfterS));
            return sendPage(res, err.status, 'login', { ...context(req, res), principal: undefined, error: err.message });
        }
        res.redirect(303, './');
    });
    pages.post('/admin/logout', access.requirePage, (_req, res) => {
        access.logout(res);
        res.redirect(303, 'login');
    });
    // Relative links resolve against /admin/, not /.
    pages.get('/admin', (req, res, next) => (req.originalUrl.split('?')[0] === '/admin' ? res.redirect(301, 'admin/') : next()));
    pages.get('/admin/', access.requirePage, async (req, res) => {
        const range = req.query.range ?? '7d';
        if (typeof range !== 'string' || !Object.hasOwn(RANGES, range))
            throw new HttpError(400, 'invalid_request', 'range: must be today, 7d or 28d');
        const now = ctx.clock.now();
        const report = await collectorState(ctx);
        const stats = await rangeStats(ctx.store, range, now);
        const drops = await coverageDrops(ctx.store, now);
        sendPage(res, 200, 'overview', { ...context(req, res), ...overviewModel(report, stats, drops, now) });
    });
    const replays = createReplays(ctx);
    const deps = { ctx, access, replays, context };
    registerEventPages(pages, deps);
    registerInstallPages(pages, deps);
    const text = (value) => (typeof value === 'string' ? value : undefined);
    const NOT_AN_EMAIL = 'That has an @ but is not an email address: nothing was searched. Check it and search again.';
    async function ordersPage(req, res, search, status = 200, error) {
        const before = readCursor(req.query.before);
        const page = search.kind === 'bad_email' ? { orders: [], next: undefined } : await ctx.store.listOrders(orderQuery(search, ctx.config.tiktok.purchaseEvent, before));
        const heading = search.kind === 'key' ? `Orders with the order key or event_id “${search.text}”` : search.kind === 'email' ? `Orders whose email hashes to ${search.hash}` : before ? 'Older orders, newest first' : 'The latest orders, newest first';
        const next = page.next && (search.kind === 'email' ? `${searchAddress(search)}&before=${cursorText(page.next)}` : search.kind === 'latest' ? `orders?before=${cursorText(page.next)}` : undefined);
        sendPage(res, status, 'orders', {
            ...context(req, res),
            // Only an order key or event_id goes back into the box: an email never comes back, not even hashed.
            query: search.kind === 'key' ? search.text : '',
            searching: search.kind !== 'latest' || before !== undefined,
            heading,
            error,
            rows: page.orders.map(orderRow),
            next,
        });
    }
    pages.get('/admin/orders', access.requirePage, async (req, res) => {
        const email = text(req.query.email);
        if (email !== undefined) {
            if (!isSha256(email))
                throw new HttpError(400, 'invalid_request', 'email: must be the SHA-256 of an email address (64 hex characters); search by email with the form');
            return ordersPage(req, res, { kind: 'email', hash: email });
        }
        const search = readSearch(text(req.query.q) ?? '');
        // An email typed into an address by hand: looked up by its hash, and out of the address at once.
        if (search.kind === 'email')
            return res.redirect(303, searchAddress(search));
        if (search.kind === 'bad_email')
            return ordersPage(req, res, search, 400, NOT_AN_EMAIL);
        await ordersPage(req, res, search);
    });
    pages.post('/admin/orders', access.requirePage, async (req, res) => {
        const search = readSearch(text(req.body?.q) ?? '');
        if (search.kind === 'bad_email')
            return ordersPage(req, res, search, 400, NOT_AN_EMAIL);
        res.redirect(303, searchAddress(search));
    });
    async function orderPage(req, res, orderId, status, extra) {
        if (!orderId)
            throw new HttpError(400, 'invalid_request', 'id: the order key is missing (order?id=<order key>)');
        const order = await ctx.store.findOrder(orderId);
        if (!order)
            throw new HttpError(404, 'not_found', `no order ${orderId}`);
        const event = order.event && (await ctx.store.getEvent(order.event.id));
        const replayLog = order.event ? await ctx.store.replaysOf(order.event.id) : [];
        sendPage(res, status, 'order', { ...context(req, res), ...orderDetail(order, event, replayLog), ...extra });
    }
    pages.get('/admin/order', access.requirePage, async (req, res) => {
        const replayed = text(req.query.replayed);
        await orderPage(req, res, text(req.query.id), 200, { replayed: replayed === 'forced' || replayed === '1' ? replayed : undefined });
    });
    pages.post('/admin/order/replay', access.requirePage, async (req, res) => {
        const orderId = text(req.body?.id);
        const force = ['on', 'true', '1'].includes(text(req.body?.force) ?? '');
        const order = orderId ? await ctx.store.findOrder(orderId) : undefined;
        if (!orderId || !order)
            throw new HttpError(404, 'not_found', `no order ${orderId ?? ''}`);
        if (!order.event)
            throw new HttpError(409, 'no_event', `order ${orderId} has no server event to replay`);
        try {
            // The admin API's replay, rules and log included; the dashboard names itself as the actor.
            await replays.one(req, order.event.id, { force, actor: 'dashboard' });
        }
        catch (err) {
            if (!(err instanceof HttpError) || err.status !== 409)
                throw err;
            return orderPage(req, res, orderId, 409, { refusal: { code: err.code, message: err.message } });
        }
        res.redirect(303, `../${orderAddress(orderId)}&replayed=${force ? 'forced' : '1'}`);
    });
    /** A refusal on a page is a page; anything else goes on to the JSON error handler (500s, storage). */
    const pageErrors = (err, req, res, next) => {
        if (!(err instanceof HttpError) || res.headersSent)
            return next(err);
        sendPage(res, err.status, 'error', { ...context(req, res), status: err.status, code: err.code, message: err.message });
    };
    pages.use(pageErrors);
    router.use(pages);
    return router;
}
