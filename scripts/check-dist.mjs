// Checks the committed dist/cr.js: it must be exactly what the build produces from the
// sources (so what merchants get is what was reviewed), and it must parse as ES2017
// (iOS Safari 12 and later): checked on the built file, not only on the source.
import { readFileSync } from 'node:fs'
import { parse } from 'acorn'
import { rollup } from 'rollup'
import config from '../rollup.config.mjs'

const committed = readFileSync(new URL('../dist/cr.js', import.meta.url), 'utf8')
const bundle = await rollup({ ...config, onwarn: (w) => { throw new Error(w.message) } })
const { output } = await bundle.generate(config.output)
await bundle.close()
const built = output[0].code

let failed = false
if (built !== committed) {
  console.error('dist/cr.js differs from a fresh build of client/: run `npm run build` and commit dist/.')
  failed = true
} else {
  console.log('dist/cr.js matches a fresh build')
}
try {
  parse(committed, { ecmaVersion: 2017, sourceType: 'script' })
  console.log('dist/cr.js parses as ES2017')
} catch (err) {
  console.error(`dist/cr.js does not parse as ES2017 (iOS Safari 12): ${err.message}`)
  failed = true
}
process.exit(failed ? 1 : 0)
