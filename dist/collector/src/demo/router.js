/**
 * /demo/: the demo storefront (sandbox mode only, public). Its checkout handler plays the
 * merchant's backend: it confirms the order and reports it to POST /orders over HTTP,
 * signed with the order secret, exactly as a real shop's server would. The browser never
 * talks to /orders.
 *
 *   GET  /demo/                    product grid (the ad's landing page), newsletter signup
 *   GET  /demo/spa/*               the same shop as a single-page app
 *   GET  /demo/go/:slug            a tracking redirect (302) to a product, keeping the query
 *   GET  /demo/products/:slug      product page
 *   GET  /demo/checkout?product=   checkout form
 *   POST /demo/checkout            confirm the order, report it to ClickRelay, redirect
 *   GET  /demo/thank-you?order=&product=   fires the pixel's Purchase with the shared event_id
 *
 * Switches for trying the script's behaviours, on any landing URL: `consent=required` (a consent
 * banner; the tag waits for consent, for the rest of the visit), `ttp_delay=<ms>` (the pixel sets
 * _ttp late), `strip=1` (the page removes the ttclid from the address bar before cr.js runs).
 */
import express, { Router } from 'express';
import { randomInt } from 'node:crypto';
import { VISITOR_COOKIE } from '../../../common/wire.js';
import { readCookie } from '../cookies.js';
import { postOrder } from '../sign.js';
import { CURRENCY, findProduct } from './catalog.js';
import { checkoutPage, errorPage, homePage, productPage, spaPage, thankYouPage } from './pages.js';
const CONSENT_COOKIE = 'demo_consent';
export function demoRouter(base) {
    const router = Router();
    const html = (res, status, body) => res.status(status).type('html').set('Cache-Control', 'no-store').send(body);
    /** The page options for this request, with the visit's demo switches. */
    const pageOptions = (req, res) => {
        let consentRequired = readCookie(req, CONSENT_COOKIE) === 'required';
        if (req.query.consent === 'required') {
            res.cookie(CONSENT_COOKIE, 'required', { path: '/demo', sameSite: 'lax' });
            consentRequired = true;
        }
        const ttpDelayMs = Number(req.query.ttp_delay);
        return { ...base, consentRequired, ttpDelayMs: ttpDelayMs > 0 ? Math.min(ttpDelayMs, 60_000) : undefined, stripTtclid: req.query.strip === '1' };
    };
    router.get('/demo/', (req, res) => html(res, 200, homePage(pageOptions(req, res))));
    router.get(['/demo/spa', '/demo/spa/*rest'], (req, res) => html(res, 200, spaPage(pageOptions(req, res))));
    router.get('/demo/go/:slug', (req, res) => {
        const product = findProduct(req.params.slug);
        if (!product)
            return html(res, 404, errorPage('No such product.', pageOptions(req, res)));
        const query = req.originalUrl.indexOf('?');
        res.redirect(302, `/demo/products/${product.slug}${query >= 0 ? req.originalUrl.slice(query) : ''}`);
    });
    router.get('/demo/products/:slug', (req, res) => {
        const options = pageOptions(req, res);
        const product = findProduct(req.params.slug);
        html(res, product ? 200 : 404, product ? productPage(product, options) : errorPage('No such product.', options));
    });
    router.get('/demo/checkout', (req, res) => {
        const options = pageOptions(req, res);
        const product = findProduct(req.query.product);
        html(res, product ? 200 : 404, product ? checkoutPage(product, options) : errorPage('No such product.', options));
    });
    router.post('/demo/checkout', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
        const options = pageOptions(req, res);
        const form = (req.body ?? {});
        const product = findProduct(form.product);
        if (!product)
            return html(res, 400, errorPage('No such product.', options));
        const email = typeof form.email === 'string' ? form.email : '';
        const phone = typeof form.phone === 'string' ? form.phone : '';
        if (!email.includes('@'))
            return html(res, 400, checkoutPage(product, options, 'Please enter your email address.', { email, phone }));
        // Payment "succeeds"; the order is now confirmed and paid, so the backend reports it.
        const orderId = String(randomInt(100_000_000, 999_999_999));
        const origin = `${req.protocol}://${req.get('host')}`;
        const order = {
            order_id: orderId,
            value: product.price,
            currency: CURRENCY,
            contents: [{ content_id: product.slug, quantity: 1, price: product.price }],
            email,
            phone: phone || undefined,
            visitor_id: readCookie(req, VISITOR_COOKIE),
            ip: req.ip,
            user_agent: req.get('user-agent'),
            url: `${origin}/demo/thank-you?order=${orderId}&product=${product.slug}`,
        };
        let answer;
        try {
            answer = await postOrder(options.collectorUrl(), options.orderSecret, order);
        }
        catch (err) {
            options.log.error({ err }, 'demo store could not reach the collector');
            return html(res, 502, errorPage('The store could not reach ClickRelay.', options));
        }
        if (answer.status >= 300) {
            const message = answer.body?.error?.message ?? `HTTP ${answer.status}`;
            return html(res, 502, checkoutPage(product, options, `ClickRelay refused the order: ${message}`, { email, phone }));
        }
        res.redirect(303, `/demo/thank-you?order=${orderId}&product=${product.slug}`);
    });
    router.get('/demo/thank-you', (req, res) => {
        const options = pageOptions(req, res);
        const product = findProduct(req.query.product);
        const orderId = typeof req.query.order === 'string' && /^\d{1,20}$/.test(req.query.order) ? req.query.order : undefined;
        if (!product || !orderId)
            return html(res, 404, errorPage('No such order.', options));
        html(res, 200, thankYouPage(orderId, product, options));
    });
    return router;
}
