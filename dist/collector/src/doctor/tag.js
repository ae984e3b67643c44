import { byteOffset, isClickRelaySrc, isPixelBaseCode, scanPage } from './page.js';
import { domainCovers } from '../../../common/wire.js';
import { siteOf } from './site.js';
/** Past this many bytes into the page the tag is not "early": more than the first round trips of the HTML. */
export const EARLY_BYTES = 32 * 1024;
function resolve(value, base) {
    try {
        return new URL(value, base);
    }
    catch {
        return undefined;
    }
}
export function findTag(html, pageUrl) {
    const page = scanPage(html);
    const base = (page.baseHref && resolve(page.baseHref, pageUrl)) || pageUrl;
    const ours = page.scripts.filter((s) => {
        const src = s.attributes.get('src');
        const url = src ? resolve(src, base) : undefined;
        return url !== undefined && isClickRelaySrc(url);
    });
    const tag = ours[0];
    if (!tag) {
        const mentioned = page.scripts.some((s) => s.text.includes('cr.js'));
        return {
            problem: mentioned
                ? 'no <script src="…/cr.js"> tag in the HTML; cr.js is only named inside inline code (added by script or a tag manager, it loads late)'
                : 'no <script src="…/cr.js"> tag in the HTML',
        };
    }
    const scriptUrl = resolve(tag.attributes.get('src'), base);
    const endpoint = tag.attributes.get('data-endpoint');
    // As the script does: data-endpoint + '/collect', else the directory of its own src (/cr/cr.js -> /cr/collect).
    const collectUrl = endpoint ? resolve(endpoint.replace(/\/+$/, '') + '/collect', base) : new URL('collect', scriptUrl);
    if (!collectUrl)
        return { problem: `the tag's data-endpoint="${endpoint}" is not a URL` };
    const inHead = tag.index < page.headEnd;
    const headScripts = page.scripts.filter((s) => s.index < page.headEnd);
    const pixel = page.scripts.find(isPixelBaseCode);
    return {
        found: {
            tag,
            count: ours.length,
            scriptUrl,
            collectUrl,
            endpointFrom: endpoint ? 'data-endpoint' : 'src',
            cookieDomain: tag.attributes.get('data-cookie-domain') || undefined,
            consent: tag.attributes.get('data-consent') || undefined,
            bytesIn: byteOffset(html, tag.index),
            inHead,
            headPosition: inHead ? headScripts.indexOf(tag) + 1 : 0,
            headScripts: headScripts.length,
            pixel: pixel && { bytesIn: byteOffset(html, pixel.index) },
        },
    };
}
const ordinal = (n) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
const bytes = (n) => `${n.toLocaleString('en-US')} bytes`;
/** A value for a double-quoted HTML attribute: with `&` and `"` escaped it cannot end its quotes early. */
const attributeValue = (value) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
/**
 * A ClickRelay tag from its parts, as the dashboard's Install page writes it: `async`, `src`, then
 * the data- attributes in the order given. An empty value is written bare (`data-stripe-links`).
 */
export function formatTag(src, dataAttributes) {
    const extra = dataAttributes.map(([name, value]) => (value === '' ? ` ${name}` : ` ${name}="${attributeValue(value)}"`));
    return `<script async src="${attributeValue(src)}"${extra.join('')}></script>`;
}
/** The tag as the merchant should paste it, for fixes. */
export function suggestedTag(found) {
    const src = found?.tag.attributes.get('src') ?? '/cr.js';
    const extra = [...(found?.tag.attributes ?? [])].filter(([name]) => name.startsWith('data-')).map(([name, value]) => ` ${name}="${value}"`);
    return `<script async src="${src}"${extra.join('')}></script>`;
}
export function tagChecks(found, pageUrl) {
    const checks = [];
    const notes = [];
    if (found.endpointFrom === 'data-endpoint')
        notes.push(`data-endpoint: records go to ${found.collectUrl.href}`);
    if (found.cookieDomain)
        notes.push(`data-cookie-domain="${found.cookieDomain}"`);
    if (found.consent === 'required')
        notes.push('data-consent="required": nothing is recorded before clickrelay.consent(true)');
    const written = found.tag.source.replace(/\s+/g, ' ');
    const source = written.length > 160 ? written.slice(0, 157) + '...' : written;
    const summary = `found ${source}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    checks.push(found.count > 1
        ? { item: 1, id: 'tag.found', status: 'warn', summary: `${summary}, and ${found.count - 1} more ClickRelay tag${found.count > 2 ? 's' : ''}`, fix: 'keep one ClickRelay tag per page: each copy runs the script again' }
        : { item: 1, id: 'tag.found', status: 'pass', summary });
    const attributes = found.tag.attributes;
    if (attributes.has('async')) {
        checks.push({ item: 1, id: 'tag.async', status: 'pass', summary: 'async: it never blocks the page' });
    }
    else {
        checks.push({
            item: 1,
            id: 'tag.async',
            status: 'warn',
            summary: attributes.has('defer') ? 'defer, not async: it runs only once the whole page is parsed' : 'not async: the page waits for cr.js before it renders further',
            fix: `add async: ${suggestedTag(found)}`,
        });
    }
    const where = `${bytes(found.bytesIn)} into the page`;
    if (!found.inHead) {
        checks.push({ item: 1, id: 'tag.position', status: 'warn', summary: `in <body>, ${where}`, fix: 'move the tag into <head>, near its top: the click ID must be read before anything rewrites the URL or the visitor taps away' });
    }
    else if (found.bytesIn > EARLY_BYTES) {
        checks.push({
            item: 1,
            id: 'tag.position',
            status: 'warn',
            summary: `in <head> but late: the ${ordinal(found.headPosition)} of ${found.headScripts} scripts there, ${where}`,
            fix: `move the tag near the top of <head>, within the first ${EARLY_BYTES / 1024} kB of the page, so browsers find it in the first part of the HTML they receive`,
        });
    }
    else {
        checks.push({ item: 1, id: 'tag.position', status: 'pass', summary: `early in <head>: the ${ordinal(found.headPosition)} of ${found.headScripts} script${found.headScripts === 1 ? '' : 's'} there, ${where}` });
    }
    if (!found.pixel) {
        checks.push({ item: 1, id: 'tag.pixel_order', status: 'pass', summary: "no TikTok pixel base code in the HTML (if a tag manager adds it, the ClickRelay tag still belongs in <head> itself)" });
    }
    else if (found.pixel.bytesIn < found.bytesIn) {
        checks.push({
            item: 1,
            id: 'tag.pixel_order',
            status: 'warn',
            summary: `after the TikTok pixel's base code (at ${bytes(found.pixel.bytesIn)}, the tag at ${bytes(found.bytesIn)})`,
            fix: "move the ClickRelay tag above the pixel's base code: an order event the pixel sends before cr.js has loaded goes without the event_id the server event carries, and TikTok counts the purchase twice",
        });
    }
    else {
        checks.push({ item: 1, id: 'tag.pixel_order', status: 'pass', summary: `before the TikTok pixel's base code (at ${bytes(found.pixel.bytesIn)})` });
    }
    if (found.cookieDomain) {
        if (domainCovers(found.cookieDomain, pageUrl.hostname)) {
            checks.push({ item: 1, id: 'tag.cookie_domain', status: 'pass', summary: `data-cookie-domain="${found.cookieDomain}" covers ${pageUrl.hostname}` });
        }
        else {
            checks.push({
                item: 1,
                id: 'tag.cookie_domain',
                status: 'fail',
                summary: `data-cookie-domain="${found.cookieDomain}" does not cover ${pageUrl.hostname}: browsers refuse to set the visitor cookie`,
                fix: `set data-cookie-domain="${siteOf(pageUrl.hostname)}" (the shop's domain), or remove it`,
            });
        }
    }
    return checks;
}
