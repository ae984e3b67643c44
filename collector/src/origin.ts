/**
 * The collector's public origin: the scheme and host browsers use to reach it, which behind a
 * reverse proxy is not what reaches this process. In order of precedence:
 *   1. CLICKRELAY_PUBLIC_URL, said outright;
 *   2. from a trusted proxy (CLICKRELAY_TRUST_PROXY), `X-Forwarded-Proto` / `X-Forwarded-Host`,
 *      else the last element of RFC 7239 `Forwarded` (proto=, host=): the one that proxy added.
 *      A proxy replaces the X-Forwarded-* a client sends (nginx's proxy_set_header, Caddy) but
 *      passes a client's `Forwarded` along, so only its last element can be the proxy's;
 *   3. the request's own scheme and `Host`.
 * The same-origin check on /collect, the cookie's Secure flag and its Domain check read it.
 */
import type { Request } from 'express'

export interface PublicOrigin {
  protocol: 'http:' | 'https:'
  hostname: string
  /** Undefined only when a proxy named the host without a port (nginx's `$host` never has one). */
  port: string | undefined
  /** Where it came from, for messages. */
  via: 'CLICKRELAY_PUBLIC_URL' | 'Forwarded' | 'X-Forwarded-Host' | 'Host'
}

interface ProxySays {
  proto: string | undefined
  host: string | undefined
  /** Which header named the host (or only the scheme). */
  header: 'Forwarded' | 'X-Forwarded-Host' | undefined
}

/** The first value of a comma-separated header, as Express reads X-Forwarded-*. */
function firstValue(value: string | undefined): string | undefined {
  const first = value?.split(',')[0]?.trim()
  return first ? first : undefined
}

/**
 * The last element of `Forwarded: for=1.2.3.4;proto=https;host="shop.example", for=…`: each
 * proxy appends one, so the last is what the nearest proxy, the trusted one, saw.
 */
export function parseForwarded(value: string | undefined): { proto?: string; host?: string; for?: string } {
  const last = value?.split(',').at(-1)
  const fields: { proto?: string; host?: string; for?: string } = {}
  if (!last) return fields
  for (const pair of last.split(';')) {
    const eq = pair.indexOf('=')
    if (eq < 0) continue
    const key = pair.slice(0, eq).trim().toLowerCase()
    const raw = pair.slice(eq + 1).trim()
    const unquoted = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw
    if (key === 'proto' || key === 'host' || key === 'for') fields[key] = unquoted
  }
  return fields
}

/** What the proxy's headers claim, whether or not the proxy is trusted. */
function proxySays(req: Request): ProxySays {
  const forwarded = parseForwarded(req.get('forwarded'))
  const xHost = firstValue(req.get('x-forwarded-host'))
  const xProto = firstValue(req.get('x-forwarded-proto'))
  let header: ProxySays['header']
  if (xHost) header = 'X-Forwarded-Host'
  else if (forwarded.host) header = 'Forwarded'
  return { proto: xProto ?? forwarded.proto, host: xHost ?? forwarded.host, header }
}

/** Express's compiled CLICKRELAY_TRUST_PROXY: does it trust `address`, `hop` proxies away from this process? */
export type TrustProxy = (address: string | undefined, hop: number) => boolean

/**
 * The same answers, remembered: proxy-addr parses the address on every call, and req.ip asks
 * about the same reverse proxy on every request. The answer depends only on the address and
 * the hop, so it is kept (for up to 1,000 of them, then the memory starts over: addresses
 * further out come from X-Forwarded-For, which a client writes).
 */
export function rememberTrust(trust: TrustProxy): TrustProxy {
  const known = new Map<string, boolean>()
  return (address, hop) => {
    const key = `${hop} ${address}`
    let trusted = known.get(key)
    if (trusted === undefined) {
      trusted = trust(address, hop)
      if (known.size >= 1000) known.clear()
      known.set(key, trusted)
    }
    return trusted
  }
}

/** True when the request came straight from an address CLICKRELAY_TRUST_PROXY trusts. */
export function fromTrustedProxy(req: Request): boolean {
  const trust = req.app.get('trust proxy fn') as TrustProxy | undefined
  return Boolean(trust?.(req.socket.remoteAddress, 0))
}

/** True when the request carries proxy headers (so a proxy sits in front). */
export function hasProxyHeaders(req: Request): boolean {
  return Boolean(req.get('forwarded') || req.get('x-forwarded-host') || req.get('x-forwarded-proto') || req.get('x-forwarded-for'))
}

function splitHost(host: string): { hostname: string; port: string | undefined } {
  // [::1]:8080, [::1], shop.example:8443, shop.example
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.trim())
  if (!match) return { hostname: host.toLowerCase(), port: undefined }
  return { hostname: match[1]!.toLowerCase(), port: match[2] }
}

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' }

/** A Host header without a port means the scheme's default; only a forwarded host may leave it unsaid. */
function build(proto: string | undefined, host: string, via: PublicOrigin['via']): PublicOrigin {
  const { hostname, port } = splitHost(host)
  const protocol = proto?.toLowerCase() === 'https' ? 'https:' : 'http:'
  const forwarded = via === 'X-Forwarded-Host' || via === 'Forwarded'
  return { protocol, hostname, port: port ?? (forwarded ? undefined : DEFAULT_PORT[protocol]), via }
}

/** The public origin, trusting the proxy's headers only when CLICKRELAY_TRUST_PROXY trusts the proxy. */
export function publicOrigin(req: Request, publicUrl: string | undefined): PublicOrigin {
  if (publicUrl) {
    const url = new URL(publicUrl)
    const protocol = url.protocol as PublicOrigin['protocol']
    return { protocol, hostname: url.hostname, port: url.port || DEFAULT_PORT[protocol], via: 'CLICKRELAY_PUBLIC_URL' }
  }
  const own = req.socket && 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http'
  if (fromTrustedProxy(req)) return proxiedOrigin(req, own)
  return build(own, req.get('host') ?? '', 'Host')
}

/** The origin the proxy's headers describe: what publicOrigin would be if the proxy were trusted. */
export function proxiedOrigin(req: Request, own = 'http'): PublicOrigin {
  const says = proxySays(req)
  return build(says.proto ?? own, says.host ?? req.get('host') ?? '', says.header ?? 'Host')
}

/** Whether a page's `Origin` is the collector's own public origin. A port the proxy left unsaid is not compared. */
export function isSameOrigin(pageOrigin: string, own: PublicOrigin): boolean {
  if (!URL.canParse(pageOrigin)) return false
  const page = new URL(pageOrigin)
  if (page.protocol !== own.protocol || page.hostname !== own.hostname) return false
  if (own.port === undefined) return true
  return (page.port || DEFAULT_PORT[page.protocol]) === own.port
}

export function describeOrigin(origin: PublicOrigin): string {
  const port = origin.port && origin.port !== DEFAULT_PORT[origin.protocol] ? `:${origin.port}` : ''
  return `${origin.protocol}//${origin.hostname}${port}`
}

/** A loopback name or address, as a host setting or a socket's remote address (`::ffff:127.0.0.1`). */
export function isLoopback(host: string | undefined): boolean {
  if (!host) return false
  const bare = host.replace(/^\[(.*)\]$/, '$1').replace(/^::ffff:/i, '')
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare)
}

/** A private-network address (RFC 1918, IPv6 unique local): where a reverse proxy may sit. */
export function isPrivateAddress(address: string | undefined): boolean {
  if (!address) return false
  const bare = address.replace(/^::ffff:/i, '')
  return /^10\./.test(bare) || /^192\.168\./.test(bare) || /^172\.(1[6-9]|2\d|3[01])\./.test(bare) || /^f[cd][0-9a-f]{2}:/i.test(bare)
}

/** An IP literal or localhost: what a proxy's upstream address looks like, never a shop's host. */
export function isAddressOrLocal(hostname: string): boolean {
  return hostname === 'localhost' || hostname.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)
}

/**
 * The shopper's IP: Express's reading of X-Forwarded-For behind a trusted proxy, or, when a
 * trusted proxy speaks only RFC 7239, the `for=` of its `Forwarded` header.
 */
export function clientIp(req: Request): string | undefined {
  if (!req.get('x-forwarded-for') && req.get('forwarded') && fromTrustedProxy(req)) {
    const named = parseForwarded(req.get('forwarded')).for
    // for="[2001:db8::1]:4711", for=192.0.2.60:8080, for=unknown, for=_hidden
    const address = named?.replace(/^\[([^\]]*)\](?::\d+)?$/, '$1').replace(/^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/, '$1')
    if (address && /^[\d.]+$|:/.test(address)) return address
  }
  return req.ip
}
