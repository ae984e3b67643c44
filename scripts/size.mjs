// Prints the built script's raw, gzip and brotli sizes and fails above the gzip budget.
import { readFileSync } from 'node:fs'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

/** bytes, gzip -9: the on-page script including js-cookie */
export const GZIP_BUDGET = 1536

const file = new URL('../dist/cr.js', import.meta.url)
const raw = readFileSync(file)
const gzip = gzipSync(raw, { level: 9 }).length
const brotli = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length
console.log(`dist/cr.js  raw ${raw.length} B  gzip ${gzip} B  brotli ${brotli} B  (budget: ${GZIP_BUDGET} B gzip)`)
if (gzip > GZIP_BUDGET) {
  console.error(`dist/cr.js is ${gzip - GZIP_BUDGET} B over its gzip budget of ${GZIP_BUDGET} B`)
  process.exit(1)
}
