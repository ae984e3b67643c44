// Prints each built on-page script's raw, gzip and brotli sizes and fails above its gzip budget.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

/**
 * Bytes, gzip -9, of each file rollup writes (rollup.config.mjs). A budget is the measured size
 * with a little headroom, so growth stays a deliberate decision.
 *
 * cr.js, on every page of every shop, including js-cookie. Issue 3 asked for 1,536 B; that
 * cannot hold its own feature list: js-cookie's code alone is 696 B gzip, and the script without
 * it is 2,237 B: the event_id contract with its hash, capture, SPA hooks, the _ttp watcher,
 * storage mirroring, identify() with Web Crypto and phone normalisation, pixel pairing with
 * receipts, consent and the stub API. That measured 2,805 B by `gzip -9` (2,795 B as served),
 * budget 2,816 B. Issue 11 added 98 B by `gzip -9` (2,903 B; 2,896 B as served), and the budget
 * as much: loading the platform add-ons below from beside the script when the tag asks for them
 * (data-platform="shopify", data-stripe-links) took 92 B as served, and visitorId() answering
 * undefined without consent, which the add-ons rely on, 9 B. Doing the add-ons' work inside
 * cr.js instead measured +990 B as served on every page (ARCHITECTURE.md, "Platform add-ons").
 * Pairing `ttq.instance('<pixel>').track(...)` as `ttq.track` is paired (multi-pixel pages and
 * TikTok for WooCommerce call it that way; without it a second integration's Purchase went
 * unseen) added 57 B: 2,960 B by `gzip -9` (2,953 B as served), budget 2,971 B.
 *
 * Issue 13 moved identify()'s normalisation and hashing into cr-identify.js, fetched on the first
 * identify() call: the same code without them measured 2,642 B. It asked for 2,816 B with
 * js-cookie kept, and added to every page: hooks that never break the page (a guard around our
 * part, one call of the page's function, a flag against pairing one event twice), consent
 * withdrawal that is final (the forget request once the answers on their way are in, an era that
 * drops late answers), pixel receipts that wait for the library's own requests (Resource Timing:
 * +147 B; the old sign, `window.ttq` replaced, is not what TikTok's library is seen to do), and the
 * loader of cr-identify.js. With the source rewritten plainly that measured 3,296 B by `gzip -9`;
 * reading the cookie with a regex instead of js-cookie's `get` (which decodes the whole jar on each
 * call: bench/script-cost.ts) added 32 B, and writing the storage backup and watching Resource
 * Timing each in a task of their own (the longest task on a phone: bench/script-cost.ts) 18 B:
 * 3,346 B; consent given again leaving what is on its way alone, 4 B: 3,350 B (3,333 B as
 * served), budget 3,356 B. js-cookie
 * accounts for the gap to 2,816 B: the same script with a 15-line cookie reader and writer in its
 * place measured 476 B less.
 *
 * The add-ons are loaded only by shops whose tag asks for them, so they do not count against
 * cr.js: cr-shopify.js (the cart attribute, with its fetch and XMLHttpRequest hooks) measured
 * 858 B by `gzip -9` (839 B as served), cr-stripe-links.js (the Payment Link decoration) 849 B
 * (824 B as served). cr-identify.js, on the pages that call identify(), 543 B (533 B as served).
 */
export const GZIP_BUDGETS = {
  'cr.js': 3356,
  'cr-shopify.js': 869,
  'cr-stripe-links.js': 860,
  'cr-identify.js': 553,
}

let failed = false
for (const [name, budget] of Object.entries(GZIP_BUDGETS)) {
  const file = new URL(`../dist/${name}`, import.meta.url)
  const raw = readFileSync(file)
  // zlib at level 9: the bytes a server sends (no file name in the gzip header).
  const served = gzipSync(raw, { level: 9 }).length
  // `gzip -9 dist/<name>`, where the gzip tool exists: its header also carries the file name and
  // its deflate differs by a few bytes. The budget holds for whichever is larger.
  const tool = spawnSync('gzip', ['-9', '-c', fileURLToPath(file)], { maxBuffer: 1 << 20 })
  const cli = tool.status === 0 ? tool.stdout.length : undefined
  const gzip = Math.max(served, cli ?? 0)
  const brotli = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length
  console.log(`dist/${name}  raw ${raw.length} B  gzip -9 ${served} B as served${cli ? `, ${cli} B by the gzip tool` : ''}  brotli ${brotli} B  (budget: ${budget} B gzip)`)
  if (gzip > budget) {
    console.error(`dist/${name} is ${gzip - budget} B over its gzip budget of ${budget} B`)
    failed = true
  }
}
if (failed) process.exit(1)
