/**
 * Items 3 and 4: a click record posted as the script on the shop's page would post it (text/plain,
 * the shop's Origin, a browser's User-Agent), marked as a dry run so the collector stores nothing;
 * then the visitor cookie in its answer, and whether the collector is first-party to the shop.
 */
import { randomBytes } from 'node:crypto';
import { domainCovers, DRY_RUN_HEADER, VISITOR_COOKIE, VISITOR_COOKIE_DAYS } from '../../../common/wire.js';
import { collectorError, notFoundFix, readBody, request, statusText, unreachableFix } from './http.js';
import { cookieLifetime, parseSetCookie, siteOf } from './site.js';
/** The ttclid of the doctor's click record: recognisable if a collector without dry runs stores it. */
export const DOCTOR_TTCLID = 'E.C.P.doctor';
const DAY_S = 86_400;
/** The collector's public base URL as the tag reaches it: https://shop.example, or https://shop.example/cr when mounted under /cr/. */
export function publicBase(collectUrl) {
    return new URL('.', collectUrl).href.replace(/\/$/, '');
}
function trustProxyFix(shopOrigin, collectUrl) {
    return [
        `the collector is reached on the shop's own origin but does not know ${shopOrigin} as its own: it does not see the host and scheme the browser used. Either`,
        `- trust the proxy, so it reads X-Forwarded-Host and X-Forwarded-Proto: CLICKRELAY_TRUST_PROXY=loopback (or the proxy's address), or`,
        `- state its public address: CLICKRELAY_PUBLIC_URL=${publicBase(collectUrl)}, or`,
        '- make the proxy pass the Host the browser used: nginx `proxy_set_header Host $host;` (Caddy passes it by default)',
    ].join('\n');
}
function allowedOriginsFix(shopOrigin, collectOrigin) {
    return `the collector is on ${collectOrigin}, another origin than the shop's pages: add the shop to its allowed origins, CLICKRELAY_ALLOWED_ORIGINS=${shopOrigin} (comma-separate several, e.g. with and without www), and restart it`;
}
/** Item 3. Resolves with the checks, and the answer when the record was accepted (for item 4). */
export async function checkCollect(http, probe) {
    const { collectUrl, pageUrl } = probe;
    const shopOrigin = pageUrl.origin;
    const fail = (summary, fix) => ({ checks: [{ item: 3, id: 'collect.accepted', status: 'fail', summary, fix }] });
    if (pageUrl.protocol === 'https:' && collectUrl.protocol === 'http:') {
        return fail(`the script would post to ${collectUrl.href}: plain http from an https page, which browsers block`, `serve the collector over https: point the tag (src or data-endpoint) at https://${collectUrl.host}${collectUrl.pathname.replace(/collect$/, '')}`);
    }
    const landing = new URL(pageUrl);
    landing.searchParams.set('ttclid', DOCTOR_TTCLID);
    const record = { v: randomBytes(16).toString('base64url'), u: landing.href };
    if (probe.cookieDomain)
        record.d = probe.cookieDomain;
    const sentAt = Date.now();
    const answer = await request(http, collectUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain;charset=UTF-8', Origin: shopOrigin, [DRY_RUN_HEADER]: '1' },
        body: JSON.stringify(record),
        // The script's fetch follows no redirect usefully: a POST redirected by 301/302 arrives as a GET.
        redirect: 'manual',
    });
    const tried = `POST ${collectUrl.href} (Origin: ${shopOrigin})`;
    if (!answer.response)
        return fail(`${tried}: ${answer.error}`, unreachableFix(answer.error, collectUrl));
    const response = answer.response;
    const { json, text } = await readBody(response);
    const error = collectorError(json);
    const said = error ? `: ${error.code}: ${error.message}` : '';
    if (response.status === 200) {
        const dryRun = json?.dry_run === true;
        const checks = [
            {
                item: 3,
                id: 'collect.accepted',
                status: 'pass',
                summary: `${tried}: 200${dryRun ? ', a dry run: nothing stored' : `; this collector does not know ${DRY_RUN_HEADER}, so it stored a click with ttclid ${DOCTOR_TTCLID}`}`,
            },
        ];
        if (collectUrl.origin !== shopOrigin) {
            const allowOrigin = response.headers.get('access-control-allow-origin');
            const credentials = response.headers.get('access-control-allow-credentials');
            if (allowOrigin !== shopOrigin || credentials !== 'true') {
                checks.push({
                    item: 3,
                    id: 'collect.cors',
                    status: 'warn',
                    summary: `the answer lacks Access-Control-Allow-Origin: ${shopOrigin} with Allow-Credentials: true (got ${allowOrigin ?? 'none'}, ${credentials ?? 'none'}): the script cannot read it`,
                    fix: 'something between the browser and the collector drops or rewrites its CORS headers on /collect; let them through unchanged',
                });
            }
        }
        return { checks, accepted: { response, receivedAt: sentAt } };
    }
    if (response.status === 204) {
        return fail(`${tried}: 204, dropped as a bot although the doctor sent a browser's User-Agent`, 'a proxy or CDN in front of the collector removes or replaces the User-Agent header; pass it through');
    }
    if (response.status >= 300 && response.status < 400) {
        const location = response.headers.get('location');
        return fail(`${tried}: ${statusText(response)}, a redirect to ${location ?? '(no Location)'}`, `the script posts to the address its tag gives and a redirected POST is lost: point the tag at the final address${location ? ` (${new URL(location, collectUrl).href.replace(/collect$/, '')}…)` : ''}, or stop redirecting ${collectUrl.pathname}`);
    }
    if (response.status === 403 && error?.code === 'origin_not_allowed') {
        // Which fix follows from where the doctor posted, whatever the collector guessed: refused on the
        // shop's own origin, the collector misreads its public origin (a proxy); on another origin, the
        // shop is missing from its list, since that check does not depend on the proxy.
        const sameOrigin = collectUrl.origin === shopOrigin;
        return fail(`${tried}: 403${said}`, sameOrigin ? trustProxyFix(shopOrigin, collectUrl) : allowedOriginsFix(shopOrigin, collectUrl.origin));
    }
    if (response.status === 404)
        return fail(`${tried}: 404${error ? said : " (not the collector's answer)"}`, notFoundFix(collectUrl, error !== undefined));
    if (response.status === 429) {
        return fail(`${tried}: 429${said}`, 'the collector rate-limits the address it sees: if that is your proxy\'s (every shopper would share it), set CLICKRELAY_TRUST_PROXY so it reads X-Forwarded-For; else wait a minute and run the doctor again');
    }
    if (response.status === 400 || response.status === 413) {
        return fail(`${tried}: ${response.status}${said}`, 'the collector refused the record as the script sends it: check that something in between does not rewrite request bodies, and that the collector and dist/cr.js come from the same release');
    }
    if (response.status === 502 || response.status === 503 || response.status === 504) {
        return fail(`${tried}: ${statusText(response)}${said}`, 'the proxy cannot reach the collector: check that it is running and that proxy_pass (or reverse_proxy) names its address and port');
    }
    const snippet = error ? said : text ? `: ${text.replace(/\s+/g, ' ').slice(0, 120)}` : '';
    return fail(`${tried}: ${statusText(response)}${snippet}`, `make ${collectUrl.pathname} reach the collector: forward POST requests on it unchanged`);
}
/** Item 4, first-party: the collector's host against the shop's. Needs no answer, so it runs even when item 3 failed. */
export function firstPartyCheck(collectUrl, pageUrl) {
    const collector = collectUrl.hostname;
    const shop = pageUrl.hostname;
    if (collector === shop)
        return { item: 4, id: 'cookie.first_party', status: 'pass', summary: `first-party: the collector answers on the shop's own host, ${shop}` };
    if (siteOf(collector) === siteOf(shop))
        return { item: 4, id: 'cookie.first_party', status: 'pass', summary: `first-party: the collector is on ${collector}, the same site as the shop (${siteOf(shop)})` };
    return {
        item: 4,
        id: 'cookie.first_party',
        status: 'warn',
        summary: `third-party: the collector is on ${collector}, another site than the shop's ${siteOf(shop)}; browsers restrict its cookie (Safari drops it)`,
        fix: `run the collector on the shop's own domain: behind the shop's reverse proxy (e.g. ${pageUrl.origin}/cr/) or on a subdomain such as t.${siteOf(shop)}`,
    };
}
/** Item 4, from the accepted answer: the cr_vid cookie's Domain, Secure, lifetime and SameSite. */
export function cookieChecks(accepted, probe) {
    const { collectUrl, pageUrl } = probe;
    const raw = accepted.response.headers.getSetCookie().find((c) => c.trim().startsWith(VISITOR_COOKIE + '='));
    if (!raw) {
        return [
            {
                item: 4,
                id: 'cookie.set',
                status: 'fail',
                summary: `the answer carries no ${VISITOR_COOKIE} cookie`,
                fix: `something in front of the collector strips Set-Cookie from ${collectUrl.pathname} (a CDN caching it, nginx proxy_hide_header); let it through: the server-set cookie outlives Safari's 7-day limit on script cookies`,
            },
        ];
    }
    const cookie = parseSetCookie(raw);
    const checks = [];
    const domain = cookie.attributes.get('domain')?.replace(/^\./, '').toLowerCase();
    const wanted = probe.cookieDomain?.replace(/^\./, '').toLowerCase();
    if (wanted) {
        if (domain === wanted) {
            checks.push({ item: 4, id: 'cookie.domain', status: 'pass', summary: `${VISITOR_COOKIE} is set with Domain=${domain}, as data-cookie-domain asks` });
        }
        else if (!domain) {
            checks.push({
                item: 4,
                id: 'cookie.domain',
                status: 'fail',
                summary: `${VISITOR_COOKIE} comes back host-only, not on Domain=${wanted} as data-cookie-domain asks: the shop gets two cookies of that name`,
                fix: domainCovers(wanted, collectUrl.hostname)
                    ? `the collector does not see that it is ${collectUrl.hostname} (it only sets a Domain covering its own host): behind a proxy, set CLICKRELAY_TRUST_PROXY so it reads X-Forwarded-Host, or CLICKRELAY_PUBLIC_URL=${publicBase(collectUrl)}, or pass the Host (nginx \`proxy_set_header Host $host;\`)`
                    : `the collector's host ${collectUrl.hostname} is not under ${wanted}: run it on a subdomain of ${wanted}, or change data-cookie-domain`,
            });
        }
        else {
            checks.push({ item: 4, id: 'cookie.domain', status: 'fail', summary: `${VISITOR_COOKIE} is set with Domain=${domain}, not ${wanted} as data-cookie-domain asks`, fix: 'something between the browser and the collector rewrites the cookie\'s Domain (nginx proxy_cookie_domain, a CDN rule); remove that rewrite' });
        }
    }
    else if (domain) {
        checks.push({ item: 4, id: 'cookie.domain', status: 'warn', summary: `${VISITOR_COOKIE} is set with Domain=${domain} although the tag has no data-cookie-domain`, fix: `add data-cookie-domain="${domain}" to the tag, so the script's cookie and the collector's are one cookie, or remove the rewrite that adds Domain` });
    }
    else if (collectUrl.hostname !== pageUrl.hostname) {
        checks.push({
            item: 4,
            id: 'cookie.domain',
            status: 'warn',
            summary: `${VISITOR_COOKIE} is host-only on ${collectUrl.hostname}: the shop's pages on ${pageUrl.hostname} never see the collector's cookie`,
            fix: `add data-cookie-domain="${siteOf(pageUrl.hostname)}" to the tag, so the collector sets the cookie for the whole site`,
        });
    }
    else {
        checks.push({ item: 4, id: 'cookie.domain', status: 'pass', summary: `${VISITOR_COOKIE} is set host-only on ${pageUrl.hostname}, the shop's own host` });
    }
    const secure = cookie.attributes.has('secure');
    if (pageUrl.protocol === 'https:') {
        checks.push(secure
            ? { item: 4, id: 'cookie.secure', status: 'pass', summary: 'Secure, as it must be on an https shop' }
            : {
                item: 4,
                id: 'cookie.secure',
                status: 'fail',
                summary: 'not Secure although the shop is on https',
                fix: `the collector thinks the browser came over http: trust the TLS proxy with CLICKRELAY_TRUST_PROXY (it then reads X-Forwarded-Proto) or set CLICKRELAY_PUBLIC_URL=${publicBase(collectUrl)}`,
            });
    }
    else {
        checks.push({ item: 4, id: 'cookie.secure', status: 'pass', summary: `${secure ? 'Secure' : 'not Secure'}: the shop is on plain http, fine only for a local test` });
    }
    const problems = [];
    const lifetime = cookieLifetime(cookie, accepted.receivedAt);
    const days = lifetime === undefined ? undefined : lifetime / DAY_S;
    if (days === undefined)
        problems.push('no Max-Age: a session cookie, gone when the browser closes');
    else if (Math.abs(days - VISITOR_COOKIE_DAYS) > 1)
        problems.push(`lives ${Math.round(days)} days, not ${VISITOR_COOKIE_DAYS}`);
    const sameSite = cookie.attributes.get('samesite');
    if (sameSite?.toLowerCase() !== 'lax')
        problems.push(sameSite === undefined ? 'no SameSite (Lax expected)' : `SameSite=${sameSite}, not Lax`);
    const path = cookie.attributes.get('path');
    if (path !== '/')
        problems.push(`Path=${path ?? '(none)'}, not /: pages elsewhere on the site do not see it`);
    const attributes = `Max-Age ${days === undefined ? 'none' : `${Math.round(days)} days`}, SameSite=${sameSite ?? 'none'}, Path=${path ?? 'none'}`;
    checks.push(problems.length
        ? { item: 4, id: 'cookie.attributes', status: 'warn', summary: `${attributes}: ${problems.join('; ')}`, fix: `something between the browser and the collector rewrites its Set-Cookie (nginx proxy_cookie_path / proxy_cookie_flags, a CDN cookie rule); let ${VISITOR_COOKIE} through as the collector sets it` }
        : { item: 4, id: 'cookie.attributes', status: 'pass', summary: attributes });
    return checks;
}
