/**
 * Reads a shop page's HTML the way the doctor needs it: its <script> tags (attributes, inline
 * text, where they sit), where <head> ends, and <base href>. Not a full HTML parser: comments,
 * script and style contents are skipped so that text inside them is never taken for a tag.
 */
const TOKEN = /<!--|<(\/?)(script|style|head|body|base)\b/gi;
const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
const ENTITIES = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>', '#39': "'", '#34': '"' };
function decodeEntities(value) {
    return value.replace(/&(amp|quot|apos|lt|gt|#39|#34);/g, (_m, name) => ENTITIES[name] ?? _m);
}
/** The index just past the `>` that closes the tag starting at `from`, minding quoted values. */
function tagEnd(html, from) {
    let quote = '';
    for (let i = from; i < html.length; i++) {
        const c = html[i];
        if (quote) {
            if (c === quote)
                quote = '';
        }
        else if (c === '"' || c === "'") {
            quote = c;
        }
        else if (c === '>') {
            return i + 1;
        }
    }
    return html.length;
}
function parseAttributes(tag) {
    const attributes = new Map();
    const inner = tag.replace(/^<[a-z]+/i, '').replace(/\/?>$/, '');
    for (const m of inner.matchAll(ATTRIBUTE)) {
        const name = m[1].toLowerCase();
        if (!attributes.has(name))
            attributes.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
    }
    return attributes;
}
/** Skips to just past the closing tag of a raw-text element (script, style). */
function closingTag(html, name, from) {
    const close = new RegExp(`</${name}\\s*>`, 'ig');
    close.lastIndex = from;
    const m = close.exec(html);
    return m ? { start: m.index, end: m.index + m[0].length } : { start: html.length, end: html.length };
}
export function scanPage(html) {
    const scripts = [];
    let headEnd;
    let baseHref;
    TOKEN.lastIndex = 0;
    for (let m = TOKEN.exec(html); m; m = TOKEN.exec(html)) {
        if (m[0] === '<!--') {
            const end = html.indexOf('-->', m.index + 4);
            TOKEN.lastIndex = end < 0 ? html.length : end + 3;
            continue;
        }
        const closing = m[1] === '/';
        const name = m[2].toLowerCase();
        const end = tagEnd(html, m.index);
        TOKEN.lastIndex = end;
        if (closing) {
            if (name === 'head')
                headEnd ??= m.index;
            continue;
        }
        const source = html.slice(m.index, end);
        if (name === 'script') {
            const close = closingTag(html, 'script', end);
            scripts.push({ attributes: parseAttributes(source), text: html.slice(end, close.start), index: m.index, source });
            TOKEN.lastIndex = close.end;
        }
        else if (name === 'style') {
            TOKEN.lastIndex = closingTag(html, 'style', end).end;
        }
        else if (name === 'body') {
            headEnd ??= m.index;
        }
        else if (name === 'base') {
            baseHref ??= parseAttributes(source).get('href') || undefined;
        }
    }
    return { scripts, headEnd: headEnd ?? html.length, baseHref };
}
/** Bytes of UTF-8 before a position: what "how far into the page" means on the wire. */
export function byteOffset(html, index) {
    return Buffer.byteLength(html.slice(0, index));
}
/** A src that names the ClickRelay script: any path ending in `/cr.js`, on any host. */
export function isClickRelaySrc(src) {
    return /\/cr\.js$/.test(src.pathname);
}
const PIXEL_LIBRARY = 'analytics.tiktok.com/i18n/pixel/events.js';
/** The TikTok pixel's base code: the inline snippet (`ttq.load(`), or its library loaded by src. */
export function isPixelBaseCode(script) {
    return (script.attributes.get('src') ?? '').includes(PIXEL_LIBRARY) || script.text.includes('ttq.load(') || script.text.includes(PIXEL_LIBRARY);
}
