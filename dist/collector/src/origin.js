/** The first value of a comma-separated header, as Express reads X-Forwarded-*. */
function firstValue(value) {
    const first = value?.split(',')[0]?.trim();
    return first ? first : undefined;
}
/** `Forwarded: for=1.2.3.4;proto=https;host="shop.example", for=…`: the first element is the client's side. */
export function parseForwarded(value) {
    const first = value?.split(',')[0];
    const fields = {};
    if (!first)
        return fields;
    for (const pair of first.split(';')) {
        const eq = pair.indexOf('=');
        if (eq < 0)
            continue;
        const key = pair.slice(0, eq).trim().toLowerCase();
        const raw = pair.slice(eq + 1).trim();
        const unquoted = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
        if (key === 'proto' || key === 'host' || key === 'for')
            fields[key] = unquoted;
    }
    return fields;
}
/** What the proxy's headers claim, whether or not the proxy is trusted. */
function proxySays(req) {
    const forwarded = parseForwarded(req.get('forwarded'));
    const xHost = firstValue(req.get('x-forwarded-host'));
    const xProto = firstValue(req.get('x-forwarded-proto'));
    const host = forwarded.host ?? xHost;
    return {
        proto: forwarded.proto ?? xProto,
        host,
        header: forwarded.host ? 'Forwarded' : xHost ? 'X-Forwarded-Host' : undefined,
    };
}
/** True when the request came straight from an address CLICKRELAY_TRUST_PROXY trusts. */
export function fromTrustedProxy(req) {
    const trust = req.app.get('trust proxy fn');
    return Boolean(trust?.(req.socket.remoteAddress, 0));
}
/** True when the request carries proxy headers (so a proxy sits in front). */
export function hasProxyHeaders(req) {
    return Boolean(req.get('forwarded') || req.get('x-forwarded-host') || req.get('x-forwarded-proto') || req.get('x-forwarded-for'));
}
function splitHost(host) {
    // [::1]:8080, [::1], shop.example:8443, shop.example
    const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.trim());
    if (!match)
        return { hostname: host.toLowerCase(), port: undefined };
    return { hostname: match[1].toLowerCase(), port: match[2] };
}
function build(proto, host, via) {
    const { hostname, port } = splitHost(host);
    return { protocol: proto?.toLowerCase() === 'https' ? 'https:' : 'http:', hostname, port, via };
}
/** The public origin, trusting the proxy's headers only when CLICKRELAY_TRUST_PROXY trusts the proxy. */
export function publicOrigin(req, publicUrl) {
    if (publicUrl) {
        const url = new URL(publicUrl);
        return { protocol: url.protocol, hostname: url.hostname, port: url.port || undefined, via: 'CLICKRELAY_PUBLIC_URL' };
    }
    const own = req.socket && 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
    if (fromTrustedProxy(req))
        return proxiedOrigin(req, own);
    return build(own, req.get('host') ?? '', 'Host');
}
/** The origin the proxy's headers describe: what publicOrigin would be if the proxy were trusted. */
export function proxiedOrigin(req, own = 'http') {
    const says = proxySays(req);
    return build(says.proto ?? own, says.host ?? req.get('host') ?? '', says.header ?? 'Host');
}
const DEFAULT_PORT = { 'http:': '80', 'https:': '443' };
/** Whether a page's `Origin` is the collector's own public origin. A port the proxy left unsaid is not compared. */
export function isSameOrigin(pageOrigin, own) {
    if (!URL.canParse(pageOrigin))
        return false;
    const page = new URL(pageOrigin);
    if (page.protocol !== own.protocol || page.hostname !== own.hostname)
        return false;
    if (own.port === undefined)
        return true;
    return (page.port || DEFAULT_PORT[page.protocol]) === (own.port || DEFAULT_PORT[own.protocol]);
}
export function describeOrigin(origin) {
    return `${origin.protocol}//${origin.hostname}${origin.port ? `:${origin.port}` : ''}`;
}
/**
 * The shopper's IP: Express's reading of X-Forwarded-For behind a trusted proxy, or, when a
 * trusted proxy speaks only RFC 7239, the `for=` of its `Forwarded` header.
 */
export function clientIp(req) {
    if (!req.get('x-forwarded-for') && req.get('forwarded') && fromTrustedProxy(req)) {
        const named = parseForwarded(req.get('forwarded')).for;
        // for="[2001:db8::1]:4711", for=192.0.2.60:8080, for=unknown, for=_hidden
        const address = named?.replace(/^\[([^\]]*)\](?::\d+)?$/, '$1').replace(/^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/, '$1');
        if (address && /^[\d.]+$|:/.test(address))
            return address;
    }
    return req.ip;
}
