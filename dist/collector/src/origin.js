/** The first value of a comma-separated header, as Express reads X-Forwarded-*. */
function firstValue(value) {
    const first = value?.split(',')[0]?.trim();
    return first ? first : undefined;
}
/**
 * The last element of `Forwarded: for=1.2.3.4;proto=https;host="shop.example", for=…`: each
 * proxy appends one, so the last is what the nearest proxy, the trusted one, saw.
 */
export function parseForwarded(value) {
    const last = value?.split(',').at(-1);
    const fields = {};
    if (!last)
        return fields;
    for (const pair of last.split(';')) {
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
    let header;
    if (xHost)
        header = 'X-Forwarded-Host';
    else if (forwarded.host)
        header = 'Forwarded';
    return { proto: xProto ?? forwarded.proto, host: xHost ?? forwarded.host, header };
}
/**
 * The same answers, remembered: proxy-addr parses the address on every call, and req.ip asks
 * about the same reverse proxy on every request. The answer depends only on the address and
 * the hop, so it is kept (for up to 1,000 of them, then the memory starts over: addresses
 * further out come from X-Forwarded-For, which a client writes).
 */
export function rememberTrust(trust) {
    const known = new Map();
    return (address, hop) => {
        const key = `${hop} ${address}`;
        let trusted = known.get(key);
        if (trusted === undefined) {
            trusted = trust(address, hop);
            if (known.size >= 1000)
                known.clear();
            known.set(key, trusted);
        }
        return trusted;
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
const DEFAULT_PORT = { 'http:': '80', 'https:': '443' };
/** A Host header without a port means the scheme's default; only a forwarded host may leave it unsaid. */
function build(proto, host, via) {
    const { hostname, port } = splitHost(host);
    const protocol = proto?.toLowerCase() === 'https' ? 'https:' : 'http:';
    const forwarded = via === 'X-Forwarded-Host' || via === 'Forwarded';
    return { protocol, hostname, port: port ?? (forwarded ? undefined : DEFAULT_PORT[protocol]), via };
}
/** The public origin, trusting the proxy's headers only when CLICKRELAY_TRUST_PROXY trusts the proxy. */
export function publicOrigin(req, publicUrl) {
    if (publicUrl) {
        const url = new URL(publicUrl);
        const protocol = url.protocol;
        return { protocol, hostname: url.hostname, port: url.port || DEFAULT_PORT[protocol], via: 'CLICKRELAY_PUBLIC_URL' };
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
/** Whether a page's `Origin` is the collector's own public origin. A port the proxy left unsaid is not compared. */
export function isSameOrigin(pageOrigin, own) {
    if (!URL.canParse(pageOrigin))
        return false;
    const page = new URL(pageOrigin);
    if (page.protocol !== own.protocol || page.hostname !== own.hostname)
        return false;
    if (own.port === undefined)
        return true;
    return (page.port || DEFAULT_PORT[page.protocol]) === own.port;
}
export function describeOrigin(origin) {
    const port = origin.port && origin.port !== DEFAULT_PORT[origin.protocol] ? `:${origin.port}` : '';
    return `${origin.protocol}//${origin.hostname}${port}`;
}
/** A loopback name or address, as a host setting or a socket's remote address (`::ffff:127.0.0.1`). */
export function isLoopback(host) {
    if (!host)
        return false;
    const bare = host.replace(/^\[(.*)\]$/, '$1').replace(/^::ffff:/i, '');
    return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
/** A private-network address (RFC 1918, IPv6 unique local): where a reverse proxy may sit. */
export function isPrivateAddress(address) {
    if (!address)
        return false;
    const bare = address.replace(/^::ffff:/i, '');
    return /^10\./.test(bare) || /^192\.168\./.test(bare) || /^172\.(1[6-9]|2\d|3[01])\./.test(bare) || /^f[cd][0-9a-f]{2}:/i.test(bare);
}
/** An IP literal or localhost: what a proxy's upstream address looks like, never a shop's host. */
export function isAddressOrLocal(hostname) {
    return hostname === 'localhost' || hostname.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
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
