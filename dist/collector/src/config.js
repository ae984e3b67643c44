/**
 * Configuration comes from the environment only, is validated once at start-up,
 * and a bad value stops the collector with a message naming the variable.
 */
import express from 'express';
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';
import { isLoopback } from './origin.js';
export const TIKTOK_EVENTS_API_URL = 'https://business-api.tiktok.com/open_api/v1.3/event/track/';
/** Used only in sandbox mode, where nothing leaves the machine. */
export const SANDBOX_PIXEL_CODE = 'CRSANDBOXPIXEL00000';
export const SANDBOX_ACCESS_TOKEN = 'sandbox-access-token';
export const PURCHASE_EVENTS = ['Purchase', 'CompletePayment'];
export class ConfigError extends Error {
}
const optional = z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .optional();
function integer(min, max, what) {
    const message = `${what} from ${min} to ${max}`;
    return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message);
}
const MODES = ['sandbox', 'live'];
const schema = z.object({
    NODE_ENV: optional,
    CLICKRELAY_MODE: optional.pipe(z.enum(MODES, { error: 'sandbox or live' }).optional()),
    CLICKRELAY_PUBLIC_URL: optional.pipe(z
        .url({ protocol: /^https?$/, error: 'an http(s) URL like https://shop.example or https://shop.example/cr' })
        .refine((v) => !URL.canParse(v) || (!new URL(v).search && !new URL(v).hash), 'a base URL without ?query or #fragment')
        .optional()),
    PORT: integer(0, 65535, 'a port number').default(8787),
    CLICKRELAY_HOST: z.string().trim().min(1).default('127.0.0.1'),
    CLICKRELAY_DB: z.string().trim().min(1).default('./data/clickrelay.db'),
    CLICKRELAY_PIXEL_CODE: optional.pipe(z.string().regex(/^[A-Z0-9]{10,32}$/, 'a TikTok pixel code: 10 to 32 capital letters and digits').optional()),
    CLICKRELAY_ACCESS_TOKEN: optional,
    CLICKRELAY_TEST_EVENT_CODE: optional.pipe(z.string().regex(/^[\w-]{1,64}$/, 'a test event code from Events Manager, e.g. TEST12345').optional()),
    CLICKRELAY_EVENTS_API_URL: optional.pipe(z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional()),
    CLICKRELAY_ORDER_SECRET: optional.pipe(z.string().min(16, 'at least 16 characters').optional()),
    CLICKRELAY_ADMIN_TOKEN: optional.pipe(z.string().min(16, 'at least 16 characters').optional()),
    CLICKRELAY_VIEWER_TOKEN: optional.pipe(z.string().min(16, 'at least 16 characters').optional()),
    CLICKRELAY_DEFAULT_COUNTRY: optional.pipe(z
        .string()
        .transform((v) => v.toUpperCase())
        .refine((v) => isSupportedCountry(v), 'an ISO 3166-1 alpha-2 country code, e.g. US or DE')
        .optional()),
    CLICKRELAY_TRUST_PROXY: optional,
    CLICKRELAY_ALLOWED_ORIGINS: optional.pipe(z
        .string()
        .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
        .refine((list) => list.every((o) => URL.canParse(o) && new URL(o).origin === o), 'a comma-separated list of origins like https://shop.example (scheme, host, optional port; no path)')
        .optional()),
    CLICKRELAY_CLICK_WINDOW_DAYS: integer(1, 90, 'a number of days').default(28),
    CLICKRELAY_SHARED_LINK_BROWSERS: integer(1, 1000, 'how many browsers may land with one ttclid before it counts as a shared link: a number of browsers').default(20),
    CLICKRELAY_RETENTION_DAYS: integer(1, 3650, 'a number of days').default(90),
    CLICKRELAY_RATE_LIMIT: integer(1, 1_000_000, 'a number of requests per minute').default(600),
    CLICKRELAY_BATCH_SIZE: integer(1, 1000, 'a number of events').default(1000),
    CLICKRELAY_DELIVERY_TIMEOUT_MS: integer(100, 120_000, 'a number of milliseconds').default(10_000),
    CLICKRELAY_EVENT_MAX_AGE_DAYS: integer(1, 365, 'a number of days').default(7),
    CLICKRELAY_RETRY_BASE_MS: integer(1, 3_600_000, 'a number of milliseconds').default(1_000),
    CLICKRELAY_RETRY_MAX_MS: integer(1, 86_400_000, 'a number of milliseconds').default(600_000),
    CLICKRELAY_PURCHASE_EVENT: z.enum(PURCHASE_EVENTS).default('Purchase'),
    CLICKRELAY_SHOPIFY_WEBHOOK_SECRET: optional,
    CLICKRELAY_WOOCOMMERCE_WEBHOOK_SECRET: optional,
    CLICKRELAY_STRIPE_WEBHOOK_SECRET: optional.pipe(z.string().startsWith('whsec_', "the endpoint's signing secret from Stripe, starting with whsec_").optional()),
    CLICKRELAY_ACCEPT_TEST_ORDERS: z.enum(['true', 'false'], { error: 'true or false' }).default('false'),
    CLICKRELAY_STRIPE_ORDER_KEY: z.enum(['session_id', 'client_reference_id'], { error: 'session_id or client_reference_id' }).default('session_id'),
    CLICKRELAY_ALERT_WEBHOOK_URL: optional.pipe(z
        .url({ protocol: /^https?$/, error: 'an incoming-webhook URL, e.g. https://hooks.slack.com/services/…' })
        .refine((v) => !URL.canParse(v) || new URL(v).protocol === 'https:' || isLoopback(new URL(v).hostname.replace(/^\[|\]$/g, '')), 'must be https: the URL is a secret, and the messages name your shop (http only to this machine)')
        .optional()),
    CLICKRELAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
/** Every environment variable the collector reads; deploy/clickrelay.env.example and the README's table list each one. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);
/**
 * Sandbox or live, said outright with CLICKRELAY_MODE or inferred from the credentials. An
 * inferred sandbox is for a developer's machine only: in production, or listening beyond
 * loopback, a collector without credentials would look alive while sending nothing to TikTok.
 */
function decideMode(e) {
    const credentials = ['CLICKRELAY_PIXEL_CODE', 'CLICKRELAY_ACCESS_TOKEN'];
    const given = credentials.filter((name) => e[name]);
    /** "CLICKRELAY_PIXEL_CODE is set", "CLICKRELAY_PIXEL_CODE and CLICKRELAY_ACCESS_TOKEN are set" */
    const givenSet = `${given.join(' and ')} ${given.length === 1 ? 'is' : 'are'} set`;
    if (e.CLICKRELAY_MODE === 'sandbox') {
        if (given.length)
            throw new ConfigError(`CLICKRELAY_MODE: sandbox never sends to TikTok, but ${givenSet}; unset the credentials, or set CLICKRELAY_MODE=live`);
        return 'sandbox';
    }
    if (e.CLICKRELAY_MODE === 'live' || given.length) {
        const missing = [...credentials, 'CLICKRELAY_ORDER_SECRET'].filter((name) => !e[name]);
        if (missing.length) {
            const why = e.CLICKRELAY_MODE === 'live' ? 'CLICKRELAY_MODE is live' : givenSet;
            const also = missing.length > 1 ? `; also missing: ${missing.slice(1).join(', ')}` : '';
            throw new ConfigError(`${missing[0]}: required in live mode (${why})${also}. The pixel code and access token come from TikTok Events Manager; the order secret is any random string of 16+ characters your backend signs orders with`);
        }
        return 'live';
    }
    const live = 'set CLICKRELAY_PIXEL_CODE, CLICKRELAY_ACCESS_TOKEN and CLICKRELAY_ORDER_SECRET to send events to TikTok, or CLICKRELAY_MODE=sandbox to run the sandbox on purpose';
    if (e.NODE_ENV === 'production')
        throw new ConfigError(`no TikTok credentials with NODE_ENV=production: ${live}`);
    if (!isLoopback(e.CLICKRELAY_HOST))
        throw new ConfigError(`CLICKRELAY_HOST: ${e.CLICKRELAY_HOST} is not a loopback address, and without TikTok credentials the collector runs its sandbox (demo store, stand-in Events API), which must not face a network: ${live}`);
    return 'sandbox';
}
/** `https://Shop.example/cr/` -> `https://shop.example/cr` */
function baseUrl(value) {
    const url = new URL(value);
    return url.origin + url.pathname.replace(/\/+$/, '');
}
export function loadConfig(env) {
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ConfigError(`${String(issue.path[0])}: ${issue.message}`);
    }
    const e = parsed.data;
    const mode = decideMode(e);
    const live = mode === 'live';
    if (e.CLICKRELAY_VIEWER_TOKEN && e.CLICKRELAY_VIEWER_TOKEN === e.CLICKRELAY_ADMIN_TOKEN) {
        throw new ConfigError('CLICKRELAY_VIEWER_TOKEN: must differ from CLICKRELAY_ADMIN_TOKEN, or the read-only token would be the admin token');
    }
    if (e.CLICKRELAY_RETENTION_DAYS < e.CLICKRELAY_CLICK_WINDOW_DAYS) {
        throw new ConfigError(`CLICKRELAY_RETENTION_DAYS: must be at least CLICKRELAY_CLICK_WINDOW_DAYS (${e.CLICKRELAY_CLICK_WINDOW_DAYS}), or clicks are deleted before orders can use them`);
    }
    return {
        host: e.CLICKRELAY_HOST,
        port: e.PORT,
        dbPath: e.CLICKRELAY_DB,
        mode,
        publicUrl: e.CLICKRELAY_PUBLIC_URL && baseUrl(e.CLICKRELAY_PUBLIC_URL),
        tiktok: {
            pixelCode: e.CLICKRELAY_PIXEL_CODE ?? SANDBOX_PIXEL_CODE,
            accessToken: e.CLICKRELAY_ACCESS_TOKEN ?? SANDBOX_ACCESS_TOKEN,
            eventsApiUrl: e.CLICKRELAY_EVENTS_API_URL ?? (live ? TIKTOK_EVENTS_API_URL : undefined),
            testEventCode: e.CLICKRELAY_TEST_EVENT_CODE,
            purchaseEvent: e.CLICKRELAY_PURCHASE_EVENT,
        },
        orderSecret: e.CLICKRELAY_ORDER_SECRET,
        adminToken: e.CLICKRELAY_ADMIN_TOKEN,
        viewerToken: e.CLICKRELAY_VIEWER_TOKEN,
        defaultCountry: e.CLICKRELAY_DEFAULT_COUNTRY,
        trustProxy: parseTrustProxy(e.CLICKRELAY_TRUST_PROXY),
        allowedOrigins: e.CLICKRELAY_ALLOWED_ORIGINS ?? [],
        clickWindowDays: e.CLICKRELAY_CLICK_WINDOW_DAYS,
        sharedLinkBrowsers: e.CLICKRELAY_SHARED_LINK_BROWSERS,
        retentionDays: e.CLICKRELAY_RETENTION_DAYS,
        rateLimitPerMinute: e.CLICKRELAY_RATE_LIMIT,
        delivery: {
            batchSize: e.CLICKRELAY_BATCH_SIZE,
            timeoutMs: e.CLICKRELAY_DELIVERY_TIMEOUT_MS,
            maxAgeDays: e.CLICKRELAY_EVENT_MAX_AGE_DAYS,
            retryBaseMs: e.CLICKRELAY_RETRY_BASE_MS,
            retryMaxMs: Math.max(e.CLICKRELAY_RETRY_MAX_MS, e.CLICKRELAY_RETRY_BASE_MS),
        },
        webhooks: {
            shopifySecret: e.CLICKRELAY_SHOPIFY_WEBHOOK_SECRET,
            woocommerceSecret: e.CLICKRELAY_WOOCOMMERCE_WEBHOOK_SECRET,
            stripeSecret: e.CLICKRELAY_STRIPE_WEBHOOK_SECRET,
            acceptTestOrders: e.CLICKRELAY_ACCEPT_TEST_ORDERS === 'true',
            stripeOrderKey: e.CLICKRELAY_STRIPE_ORDER_KEY,
        },
        alertWebhookUrl: e.CLICKRELAY_ALERT_WEBHOOK_URL,
        logLevel: e.CLICKRELAY_LOG_LEVEL,
    };
}
/** Express's `trust proxy` values: true/false, a hop count, or addresses/subnets/names like "loopback, 10.0.0.0/8". */
function parseTrustProxy(value) {
    if (value === undefined || value === 'false')
        return false;
    if (value === 'true')
        return true;
    if (/^\d+$/.test(value))
        return Number(value);
    try {
        express().set('trust proxy', value);
    }
    catch {
        throw new ConfigError(`CLICKRELAY_TRUST_PROXY: "${value}" is not true, false, a hop count or a list of addresses/subnets`);
    }
    return value;
}
