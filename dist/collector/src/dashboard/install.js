import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDoctor } from '../doctor/doctor.js';
import { formatReport } from '../doctor/report.js';
import { ITEMS, summarize } from '../doctor/result.js';
import { statusChecks } from '../doctor/status.js';
import { statusReport } from '../status.js';
import { formatTag } from '../doctor/tag.js';
import { domainCovers } from '../../../common/wire.js';
import { describeOrigin, isAddressOrLocal, isLoopback, publicOrigin } from '../origin.js';
import { ROOT } from '../paths.js';
import { principalOf } from './access.js';
import { sendPage } from './render.js';
/** Each request of the check may take this long; the doctor's default is 10 s, too long to keep a page waiting. */
const REQUEST_TIMEOUT_MS = 5_000;
/** The whole check, redirects included. */
const CHECK_TIMEOUT_MS = 20_000;
/** Redirects followed from the shop's URL, as a browser would (each one checked against the origins). */
const MAX_REDIRECTS = 5;
/** The text whose HMAC under the order secret is its fingerprint: the installer computes the same from their copy. */
const FINGERPRINT_TEXT = 'clickrelay';
/** Words of the refusal the check's fetch gives, found again in the checklist to replace the doctor's fix. */
const NOT_CONFIGURED = 'is not an origin this collector is configured for';
export const registerInstallPages = (pages, deps) => {
    const snippets = readSnippets(join(ROOT, 'README.md'));
    pages.get('/admin/install', deps.access.requirePage, (req, res) => {
        const tag = tagModel(req, deps.ctx);
        sendPage(res, tag.errors.length ? 400 : 200, 'install', installModel(req, res, deps, snippets, tag));
    });
    pages.post('/admin/install/check', deps.access.requirePage, async (req, res) => {
        const given = typeof req.body?.url === 'string' ? req.body.url : '';
        const tag = tagModel(req, deps.ctx);
        const asked = readShopUrl(given, checkableOrigins(req, deps.ctx), ownPublicOrigin(req, deps.ctx));
        if ('error' in asked) {
            return sendPage(res, 400, 'install', { ...installModel(req, res, deps, snippets, tag), checkUrl: given, checkError: asked.error });
        }
        const report = await installCheck(deps.ctx, req, asked.url);
        deps.ctx.log.info({ url: asked.url.href, role: principalOf(res).role, ok: report.ok, counts: report.counts }, 'install check run from the dashboard');
        sendPage(res, 200, 'install', { ...installModel(req, res, deps, snippets, tag), checkUrl: asked.url.href, check: checkModel(report) });
    });
    pages.get('/admin/install/secrets', deps.access.requirePage, (req, res) => {
        sendPage(res, 200, 'install-secrets', { ...deps.context(req, res), ...secretsModel(req, deps.ctx) });
    });
};
function installModel(req, res, deps, snippets, tag) {
    const origins = checkableOrigins(req, deps.ctx);
    return {
        ...deps.context(req, res),
        tag,
        proxy: proxyModel(req, deps.ctx, snippets),
        checkOrigins: origins,
        checkUrl: suggestedCheckUrl(req, deps.ctx, origins),
        checkError: undefined,
        check: undefined,
        viewer: principalOf(res)?.role === 'viewer',
    };
}
/** The collector's public base as browsers reach it: CLICKRELAY_PUBLIC_URL, else the origin this request came to. */
function collectorBase(req, ctx) {
    return ctx.config.publicUrl ?? describeOrigin(publicOrigin(req, undefined));
}
/** One value of a query field: '' when absent, undefined when given twice. */
function oneValue(value) {
    if (value === undefined)
        return '';
    return typeof value === 'string' ? value.trim() : undefined;
}
/** The form's choices, read from the query string (a GET form, so a tag can be linked to), and what is wrong with them. */
function readTagChoices(query) {
    const errors = [];
    const field = (name) => {
        const value = oneValue(query[name]);
        if (value === undefined)
            errors.push(`${name}: give it once`);
        return value ?? '';
    };
    const choices = { endpoint: field('endpoint'), cookieDomain: field('cookie_domain'), consent: false, phoneCountry: field('phone_country'), platform: '', stripeLinks: false };
    if (choices.endpoint) {
        const url = URL.canParse(choices.endpoint) ? new URL(choices.endpoint) : undefined;
        if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) {
            errors.push('data-endpoint: the collector\'s base URL, http(s) with no query, e.g. https://t.shop.example');
        }
        else {
            // As the script reads it: the base without its trailing slash, to which it adds /collect.
            choices.endpoint = url.origin + url.pathname.replace(/\/+$/, '');
        }
    }
    choices.cookieDomain = choices.cookieDomain.replace(/^\./, '').toLowerCase();
    if (choices.cookieDomain && !/^([a-z0-9-]+\.)+[a-z0-9-]+$/.test(choices.cookieDomain)) {
        errors.push('data-cookie-domain: a domain name such as shop.example');
    }
    choices.phoneCountry = choices.phoneCountry.replace(/^\+/, '');
    if (choices.phoneCountry && !/^[1-9]\d{0,2}$/.test(choices.phoneCountry)) {
        errors.push('data-phone-country: a calling code of 1 to 3 digits, such as 44 or 1');
    }
    const consent = field('consent');
    if (consent === 'required')
        choices.consent = true;
    else if (consent)
        errors.push('data-consent: "required" or nothing');
    const platform = field('platform');
    if (platform === 'shopify')
        choices.platform = 'shopify';
    else if (platform)
        errors.push('data-platform: "shopify" or nothing');
    const stripeLinks = field('stripe_links');
    if (stripeLinks === '1')
        choices.stripeLinks = true;
    else if (stripeLinks)
        errors.push('data-stripe-links: 1 or nothing');
    return { choices, errors };
}
function tagModel(req, ctx) {
    const { choices, errors } = readTagChoices(req.query);
    const base = collectorBase(req, ctx);
    const attributes = [];
    if (choices.endpoint)
        attributes.push(['data-endpoint', choices.endpoint]);
    if (choices.cookieDomain)
        attributes.push(['data-cookie-domain', choices.cookieDomain]);
    if (choices.consent)
        attributes.push(['data-consent', 'required']);
    if (choices.phoneCountry)
        attributes.push(['data-phone-country', choices.phoneCountry]);
    if (choices.platform)
        attributes.push(['data-platform', choices.platform]);
    if (choices.stripeLinks)
        attributes.push(['data-stripe-links', '']);
    if (errors.length)
        return { choices, errors, warnings: [], text: undefined };
    const warnings = [];
    const collectorHost = new URL(choices.endpoint || base).hostname;
    // A link to this page can fill the form in: a data-endpoint that is not this collector would send the shop's clicks elsewhere.
    if (choices.endpoint && !knownOrigins(req, ctx).includes(new URL(choices.endpoint).origin)) {
        warnings.push(`data-endpoint sends the clicks to ${new URL(choices.endpoint).origin}, which is not this collector (${base}) nor an origin it is configured for. Leave it out unless that is your collector's address as the shop reaches it (then set CLICKRELAY_PUBLIC_URL to it).`);
    }
    if (choices.cookieDomain && !isAddressOrLocal(collectorHost) && !domainCovers(choices.cookieDomain, collectorHost)) {
        warnings.push(`The collector on ${collectorHost} is not under ${choices.cookieDomain}: browsers refuse the cookie it sets for that domain. Run it on a subdomain of ${choices.cookieDomain}.`);
    }
    return { choices, errors, warnings, text: formatTag(`${base}/cr.js`, attributes) };
}
// ---- The collector on the shop's domain: the README's proxy snippets --------------------------
const SNIPPETS = [
    { name: 'env-root', layout: 'root', title: 'The collector\'s settings', kind: 'env' },
    { name: 'nginx-root', layout: 'root', title: 'nginx', kind: 'nginx' },
    { name: 'caddy-root', layout: 'root', title: 'Caddy', kind: 'caddy' },
    { name: 'env-prefix', layout: 'prefix', title: 'The collector\'s settings', kind: 'env' },
    { name: 'nginx-prefix', layout: 'prefix', title: 'nginx', kind: 'nginx' },
    { name: 'caddy-prefix', layout: 'prefix', title: 'Caddy', kind: 'caddy' },
];
/** The fenced blocks that follow `<!-- snippet: <name> -->` in the README, by name; none when it cannot be read. */
function readSnippets(readmePath) {
    const found = new Map();
    let readme;
    try {
        readme = readFileSync(readmePath, 'utf8');
    }
    catch {
        return found;
    }
    for (const { name } of SNIPPETS) {
        const marker = `<!-- snippet: ${name} -->`;
        const at = readme.indexOf(marker);
        const block = at < 0 ? undefined : /^```[^\n]*\n([\s\S]*?)^```/m.exec(readme.slice(at + marker.length));
        if (block)
            found.set(name, block[1]);
    }
    return found;
}
/** Where a proxy on this machine reaches the collector: its listening address and the port this request came in on. */
function upstreamAddress(req, ctx) {
    const host = ctx.config.host === '0.0.0.0' || ctx.config.host === '::' ? '127.0.0.1' : ctx.config.host;
    return `${host.includes(':') ? `[${host}]` : host}:${req.socket.localPort ?? ctx.config.port}`;
}
function proxyModel(req, ctx, snippets) {
    const base = new URL(collectorBase(req, ctx));
    // The README's example names, replaced where this collector knows better: its own host when it
    // is a name (not 127.0.0.1 in a sandbox), its listening address, its path prefix.
    const shopHost = isAddressOrLocal(base.hostname) ? undefined : base.hostname;
    const prefix = ctx.config.publicUrl && base.pathname !== '/' ? base.pathname.replace(/\/+$/, '') : undefined;
    const fill = (text) => {
        let filled = text.replaceAll('127.0.0.1:8787', upstreamAddress(req, ctx));
        if (prefix)
            filled = filled.replaceAll('shop.example/cr', `shop.example${prefix}`).replaceAll('/cr/', `${prefix}/`);
        if (shopHost)
            filled = filled.replaceAll('shop.example', shopHost);
        return filled;
    };
    const layout = prefix ? 'prefix' : 'root';
    return {
        layout,
        shopHost,
        prefix: prefix ?? '/cr',
        upstream: upstreamAddress(req, ctx),
        ownSubdomain: ctx.config.allowedOrigins.length > 0,
        snippets: SNIPPETS.filter((s) => snippets.has(s.name)).map((s) => ({ ...s, text: fill(snippets.get(s.name)) })),
        missing: SNIPPETS.filter((s) => !snippets.has(s.name)).map((s) => s.name),
    };
}
// ---- The install check ------------------------------------------------------------------------
/** The origin of a request's own connection (in sandbox mode, where the demo store is), with localhost for loopback. */
function ownOrigins(req) {
    const address = req.socket.localAddress?.replace(/^::ffff:/i, '');
    const port = req.socket.localPort;
    if (!address || !port)
        return [];
    const origins = [new URL(`http://${address.includes(':') ? `[${address}]` : address}:${port}`).origin];
    if (isLoopback(address))
        origins.push(`http://localhost:${port}`);
    return origins;
}
/** This collector's own origins and the ones it is configured for: where a tag's data-endpoint may point. */
function knownOrigins(req, ctx) {
    return [new URL(collectorBase(req, ctx)).origin, ...checkableOrigins(req, ctx), ...ownOrigins(req)];
}
/** The origins the check may fetch: the shop's as configured, the collector's public one, and in sandbox mode this process. */
function checkableOrigins(req, ctx) {
    const origins = new Set();
    if (ctx.config.publicUrl)
        origins.add(new URL(ctx.config.publicUrl).origin);
    for (const origin of ctx.config.allowedOrigins)
        origins.add(origin);
    if (ctx.config.mode === 'sandbox')
        for (const origin of ownOrigins(req))
            origins.add(origin);
    return [...origins];
}
/** The origin this request was addressed to, for the refusal's advice when CLICKRELAY_PUBLIC_URL is not set. */
function ownPublicOrigin(req, ctx) {
    return ctx.config.publicUrl ? new URL(ctx.config.publicUrl).origin : describeOrigin(publicOrigin(req, undefined));
}
function suggestedCheckUrl(req, ctx, origins) {
    if (ctx.config.mode === 'sandbox') {
        const own = ownOrigins(req)[0];
        if (own)
            return `${own}/demo/`;
    }
    return origins[0] ? `${origins[0]}/` : '';
}
/** The shop's URL from the form, or why it may not be checked. */
function readShopUrl(given, origins, ownOrigin) {
    const text = given.trim();
    if (!text)
        return { error: 'url: give a page of the shop, e.g. https://shop.example/' };
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
    const url = URL.canParse(withScheme) ? new URL(withScheme) : undefined;
    if (!url || !/^https?:$/.test(url.protocol))
        return { error: `url: not an http(s) URL: ${text}` };
    if (url.username || url.password)
        return { error: 'url: a URL with a user name or password in it is not checked' };
    if (origins.includes(url.origin))
        return { url };
    const asOwn = url.origin === ownOrigin ? ` It is where this dashboard is reached: if the collector answers there for the shop, set CLICKRELAY_PUBLIC_URL=${url.origin} instead.` : '';
    return {
        error: `${url.origin} ${NOT_CONFIGURED}, so the check does not fetch it. ` +
            `List the shop's origins in CLICKRELAY_ALLOWED_ORIGINS (comma-separated, e.g. https://shop.example,https://www.shop.example) and restart the collector.${asOwn} ` +
            `From your own machine, npm run doctor -- ${url.href} checks any address.`,
    };
}
/**
 * fetch for the check: only to the configured origins, within the check's overall time. Redirects
 * are followed here rather than by fetch, so that each one is checked too (the doctor follows
 * them only on GETs, so a redirect stays a GET).
 */
function fetchConfiguredOnly(origins, deadline) {
    return async (address, init = {}) => {
        const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
        const follow = init.redirect === undefined || init.redirect === 'follow';
        let url = new URL(address);
        for (let redirects = 0;; redirects++) {
            if (!origins.includes(url.origin))
                throw new Error(`not fetched: ${url.origin} ${NOT_CONFIGURED}`);
            const response = await fetch(url, { ...init, signal, redirect: 'manual' });
            const location = response.headers.get('location');
            if (!follow || !location || response.status < 300 || response.status > 399)
                return response;
            if (redirects >= MAX_REDIRECTS)
                throw new Error(`more than ${MAX_REDIRECTS} redirects`);
            await response.body?.cancel();
            url = new URL(location, url);
        }
    };
}
/**
 * The doctor's run from here. It never sends the admin token, to anyone: the check runs inside the
 * collector, so item 6 (delivery, refusals, problems) is this collector's own status, read in
 * the process, when the page's tag reaches this collector; a tag that points at another one is
 * said to, and that collector is checked with `npm run doctor` from the operator's machine.
 */
async function installCheck(ctx, req, url) {
    const report = await runDoctor({
        url,
        fetch: fetchConfiguredOnly(checkableOrigins(req, ctx), AbortSignal.timeout(CHECK_TIMEOUT_MS)),
        timeoutMs: REQUEST_TIMEOUT_MS,
    });
    const checks = report.checks.filter((check) => !(check.id === 'admin.skipped' && report.collect_url)).map(dashboardCheck);
    if (report.collect_url)
        checks.push(...(await ownStatusChecks(ctx, req, new URL(report.collect_url))));
    return summarize(report.url, { page_url: report.page_url, script_url: report.script_url, collect_url: report.collect_url }, checks);
}
/** Item 6 from this collector's own status, when the page's tag sends to this collector. */
async function ownStatusChecks(ctx, req, collectUrl) {
    // This collector: its public origin, and the address this request reached it at.
    const own = [...new Set([ownPublicOrigin(req, ctx), describeOrigin(publicOrigin(req, undefined)), ...ownOrigins(req)])];
    if (!own.includes(collectUrl.origin)) {
        return [
            {
                item: 6,
                id: 'admin.other_collector',
                status: 'warn',
                summary: `the page's tag sends to ${collectUrl.origin}, not to this collector (${own.join(', ')}): that collector's delivery was not read from here`,
                fix: `if ${collectUrl.origin} is your collector too, check it with npm run doctor -- <the page> --admin-token <its token> from your machine; if the shop should use this one, paste the tag above`,
            },
        ];
    }
    return statusChecks(await statusReport(ctx), collectUrl, ctx.clock.now());
}
/** The doctor speaks to a command line; on this page some of its words change. */
function dashboardCheck(check) {
    if (check.summary.includes(NOT_CONFIGURED)) {
        return {
            ...check,
            fix: 'from the dashboard the check reaches only the origins this collector is configured for: if that address is the shop\'s, add it to CLICKRELAY_ALLOWED_ORIGINS; if it is the collector\'s, set CLICKRELAY_PUBLIC_URL; restart. Or run npm run doctor from your own machine',
        };
    }
    return check;
}
const MARK = { pass: '✓', warn: '!', fail: '✗', skip: '–' };
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
function checkModel(report) {
    const items = [1, 2, 3, 4, 5, 6]
        .map((item) => ({
        item,
        title: ITEMS[item],
        checks: report.checks
            .filter((c) => c.item === item)
            .map((c) => ({ status: c.status, mark: MARK[c.status], summary: c.summary, fix: c.status === 'warn' || c.status === 'fail' ? c.fix : undefined })),
    }))
        .filter((group) => group.checks.length > 0);
    const { pass, warn, fail, skip } = report.counts;
    return {
        url: report.url,
        pageUrl: report.page_url !== report.url ? report.page_url : null,
        ok: report.ok,
        verdict: `${fail ? plural(fail, 'failure') : 'No failures'}, ${plural(warn, 'warning')}, ${pass} passed${skip ? `, ${skip} skipped` : ''}.`,
        items,
        text: formatReport(report),
    };
}
// ---- Secrets ----------------------------------------------------------------------------------
/**
 * The order secret is shown masked: it is already where the installer needs it (the collector's
 * environment file, and the backend's), and written into a page it would reach screenshots,
 * screen shares and a stolen session, which could then sign orders. Its fingerprint tells
 * whether another copy is the same, without showing either.
 */
function secretsModel(req, ctx) {
    const { config } = ctx;
    const base = collectorBase(req, ctx);
    const secret = config.orderSecret;
    const webhook = (platform, path, variable, value, where) => ({ platform, url: `${base}${path}`, variable, set: Boolean(value), where });
    return {
        sandbox: config.mode === 'sandbox',
        orderSecret: {
            length: secret.length,
            fingerprint: createHmac('sha256', secret).update(FINGERPRINT_TEXT).digest('hex').slice(0, 16),
            command: `printf %s ${FINGERPRINT_TEXT} | openssl dgst -sha256 -hmac "$CLICKRELAY_ORDER_SECRET" -r | cut -c1-16`,
        },
        node: `import { postOrder } from 'clickrelay/sign'   // or copy collector/src/sign.ts: it needs node:crypto only\nawait postOrder('${base}', process.env.CLICKRELAY_ORDER_SECRET, order)`,
        shell: [
            `body='{"order_id":"84213","value":129,"currency":"USD","url":"${base}/thank-you"}'`,
            `t=$(date +%s); sig=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$CLICKRELAY_ORDER_SECRET" -r | cut -d' ' -f1)`,
            `curl -X POST ${base}/orders -H 'Content-Type: application/json' \\`,
            `     -H "ClickRelay-Signature: t=$t,v1=$sig" -d "$body"`,
        ].join('\n'),
        webhooks: [
            webhook('Shopify', '/webhooks/shopify', 'CLICKRELAY_SHOPIFY_WEBHOOK_SECRET', config.webhooks.shopifySecret, 'Settings → Notifications → Webhooks: "Your webhooks will be signed with …", below the list'),
            webhook('WooCommerce', '/webhooks/woocommerce', 'CLICKRELAY_WOOCOMMERCE_WEBHOOK_SECRET', config.webhooks.woocommerceSecret, 'the Secret you type into WooCommerce → Settings → Advanced → Webhooks (e.g. openssl rand -hex 32)'),
            webhook('Stripe', '/webhooks/stripe', 'CLICKRELAY_STRIPE_WEBHOOK_SECRET', config.webhooks.stripeSecret, 'the destination\'s page in Stripe → Workbench → Webhooks: Signing secret → Reveal (whsec_…)'),
        ],
    };
}
