/**
 * Preloaded (`node --import`) into the Node processes proxy.spec.ts runs against the test shop,
 * such as the doctor: like the browser with its --host-resolver-rules (browser.ts), they find
 * shop.test and every name under it on 127.0.0.1. Other names resolve as usual.
 */
import dns from 'node:dns'

type Callback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void

const original = dns.lookup
const SHOP_TEST = /(^|\.)shop\.test$/i

function lookup(hostname: string, options: unknown, callback?: unknown): void {
  const done = (typeof options === 'function' ? options : callback) as Callback
  const opts = (typeof options === 'function' ? {} : typeof options === 'number' ? { family: options } : (options ?? {})) as dns.LookupOptions
  if (!SHOP_TEST.test(hostname)) {
    ;(original as (hostname: string, options: dns.LookupOptions, callback: Callback) => void)(hostname, opts, done)
    return
  }
  process.nextTick(() => (opts.all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4)))
}

dns.lookup = lookup as typeof dns.lookup
