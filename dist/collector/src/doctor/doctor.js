/**
 * The install check, run from outside as a browser would meet the shop: the page and its tag,
 * cr.js, a click record from the shop's origin and the cookie it brings back, the collector's
 * health and, with the admin token, its own status. Every item yields checklist lines; an item
 * that cannot run for lack of an earlier one says so.
 */
import { checkCollect, cookieChecks, firstPartyCheck } from './collect.js';
import { request, statusText, unreachableFix } from './http.js';
import { ITEM_KEYS, summarize } from './result.js';
import { isLoopback } from '../origin.js';
import { checkScript } from './script.js';
import { siteOf } from './site.js';
import { checkAdmin, checkHealth } from './status.js';
import { findTag, suggestedTag, tagChecks } from './tag.js';
function skip(item, reason) {
    return { item, id: `${ITEM_KEYS[item]}.skipped`, status: 'skip', summary: `skipped: ${reason}` };
}
/**
 * Why the admin token must not go where the page's tag points, if it must not: the page's HTML
 * names that address, so the token goes only over https (or to this machine) and only to the
 * site the doctor was asked about.
 */
export function tokenRefusal(collectUrl, asked) {
    if (collectUrl.protocol !== 'https:' && !isLoopback(collectUrl.hostname))
        return 'it would travel over plain http';
    if (siteOf(collectUrl.hostname) !== siteOf(asked.hostname))
        return `it is not on ${siteOf(asked.hostname)}, the site you asked about`;
    return undefined;
}
export async function runDoctor(options) {
    const http = { fetch: options.fetch ?? fetch, timeoutMs: options.timeoutMs ?? 10_000 };
    const now = options.now ?? Date.now;
    const url = options.url.href;
    const checks = [];
    const stop = (reason) => {
        for (const item of [2, 3, 4, 5, 6])
            checks.push(skip(item, reason));
        return summarize(url, { page_url: null, script_url: null, collect_url: null }, checks);
    };
    const page = await request(http, options.url, { headers: { Accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' } });
    if (!page.response) {
        checks.push({ item: 1, id: 'tag.page', status: 'fail', summary: `GET ${url}: ${page.error}`, fix: unreachableFix(page.error, options.url) });
        return stop('the shop\'s page could not be fetched');
    }
    const pageUrl = new URL(page.response.url || url);
    if (!page.response.ok) {
        await page.response.body?.cancel();
        checks.push({ item: 1, id: 'tag.page', status: 'fail', summary: `GET ${pageUrl.href}: ${statusText(page.response)}`, fix: 'give the doctor a page of the shop that answers 200 (the home page, a product page)' });
        return { ...stop('the shop\'s page could not be fetched'), page_url: pageUrl.href };
    }
    const html = await page.response.text();
    const search = findTag(html, pageUrl);
    if (!search.found) {
        checks.push({
            item: 1,
            id: 'tag.found',
            status: 'fail',
            summary: `${search.problem} of ${pageUrl.href}`,
            fix: `paste ${suggestedTag(undefined)} into every page, early in <head> and before the TikTok pixel's base code (src="https://t.shop.example/cr.js" when the collector is on a subdomain). A shop whose pages are built in the browser must still put it in the HTML's <head>`,
        });
        return { ...stop('there is no ClickRelay tag to follow (fix item 1 first)'), page_url: pageUrl.href };
    }
    const found = search.found;
    checks.push(...tagChecks(found, pageUrl));
    checks.push(...(await checkScript(http, found.scriptUrl, pageUrl)));
    const probe = { collectUrl: found.collectUrl, pageUrl, cookieDomain: found.cookieDomain };
    const collect = await checkCollect(http, probe);
    checks.push(...collect.checks);
    checks.push(firstPartyCheck(found.collectUrl, pageUrl));
    if (collect.accepted)
        checks.push(...cookieChecks(collect.accepted, probe));
    else
        checks.push(skip(4, 'no cookie to read: the click record was not accepted (item 3)'));
    checks.push(await checkHealth(http, found.collectUrl));
    const refusal = options.adminToken ? tokenRefusal(found.collectUrl, options.url) : undefined;
    if (options.adminToken && refusal)
        checks.push({ item: 6, id: 'admin.token_withheld', status: 'warn', summary: `the admin token was not sent to ${found.collectUrl.origin}: ${refusal}`, fix: 'serve the collector over https on your shop\'s own site, or run the doctor against it on this machine' });
    else if (options.adminToken)
        checks.push(...(await checkAdmin(http, found.collectUrl, options.adminToken, now())));
    else
        checks.push(skip(6, 'give --admin-token (or CLICKRELAY_ADMIN_TOKEN) to see the delivery state and refusals'));
    return summarize(url, { page_url: pageUrl.href, script_url: found.scriptUrl.href, collect_url: found.collectUrl.href }, checks);
}
