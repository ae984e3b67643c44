// Checks the committed dist/: it must be exactly what the build produces from the sources (so
// what merchants get is what was reviewed), both the on-page script dist/cr.js and the
// collector's build that a production install runs, and cr.js must parse as ES2017 (iOS
// Safari 12 and later): checked on the built file, not only on the source.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parse } from 'acorn'
import { rollup } from 'rollup'
import config from '../rollup.config.mjs'
import { buildCollector, DIST, ROLLUP_OUTPUT } from './build-collector.mjs'

const REBUILD = 'run `npm run build` and commit dist/'
let failed = false

const committed = readFileSync(join(DIST, 'cr.js'), 'utf8')
const bundle = await rollup({ ...config, onwarn: (w) => { throw new Error(w.message) } })
const { output } = await bundle.generate(config.output)
await bundle.close()
const built = output[0].code

if (built !== committed) {
  console.error(`dist/cr.js differs from a fresh build of client/: ${REBUILD}.`)
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

/** Relative path -> contents of every file under `dir`, leaving out rollup's output at its top. */
function files(dir, under = dir, found = new Map()) {
  if (!existsSync(dir)) return found
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (dir === under && ROLLUP_OUTPUT.includes(entry.name)) continue
    if (entry.isDirectory()) files(path, under, found)
    else found.set(relative(under, path), readFileSync(path))
  }
  return found
}

const freshDir = mkdtempSync(join(tmpdir(), 'clickrelay-dist-'))
try {
  if (buildCollector({ outDir: freshDir }) !== 0) {
    console.error('the collector does not compile (tsc output above)')
    failed = true
  } else {
    const fresh = files(freshDir)
    const inDist = files(DIST)
    const problems = []
    for (const [path, bytes] of fresh) {
      if (!inDist.has(path)) problems.push(`missing:   dist/${path}`)
      else if (!bytes.equals(inDist.get(path))) problems.push(`differs:   dist/${path}`)
    }
    for (const path of inDist.keys()) if (!fresh.has(path)) problems.push(`left over: dist/${path}`)
    if (problems.length > 0) {
      console.error(`the collector build in dist/ differs from a fresh build of collector/src and common/: ${REBUILD}.`)
      for (const line of problems.slice(0, 20)) console.error(`  ${line}`)
      if (problems.length > 20) console.error(`  … and ${problems.length - 20} more`)
      failed = true
    } else {
      console.log(`dist/collector and dist/common match a fresh build (${fresh.size} files)`)
    }
  }
} finally {
  rmSync(freshDir, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
