// Checks the committed dist/: it must be exactly what the build produces from the sources (so
// what merchants get is what was reviewed), both the on-page scripts (dist/cr.js and its
// add-ons, every file rollup.config.mjs builds) and the collector's build that a production
// install runs, and each on-page script must parse as ES2017 (iOS Safari 12 and later):
// checked on the built file, not only on the source.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parse } from 'acorn'
import { rollup } from 'rollup'
import configs from '../rollup.config.mjs'
import { buildCollector, DIST, ROLLUP_OUTPUT, ROOT } from './build-collector.mjs'

const REBUILD = 'run `npm run build` and commit dist/'
let failed = false

// Every on-page script rollup builds must be one the collector build leaves alone in dist/.
for (const script of configs) {
  const name = relative(DIST, join(ROOT, script.output.file))
  if (!ROLLUP_OUTPUT.includes(name)) {
    console.error(`dist/${name} is built by rollup but missing from ROLLUP_OUTPUT in scripts/build-collector.mjs, which would delete it`)
    failed = true
  }
}

for (const script of configs) {
  const file = script.output.file
  const committed = existsSync(join(ROOT, file)) ? readFileSync(join(ROOT, file), 'utf8') : undefined
  const bundle = await rollup({ ...script, onwarn: (w) => { throw new Error(w.message) } })
  const { output } = await bundle.generate(script.output)
  await bundle.close()
  const built = output[0].code

  if (committed === undefined) {
    console.error(`${file} is missing: ${REBUILD}.`)
    failed = true
    continue
  }
  if (built !== committed) {
    console.error(`${file} differs from a fresh build of client/: ${REBUILD}.`)
    failed = true
  } else {
    console.log(`${file} matches a fresh build`)
  }
  try {
    parse(committed, { ecmaVersion: 2017, sourceType: 'script' })
    console.log(`${file} parses as ES2017`)
  } catch (err) {
    console.error(`${file} does not parse as ES2017 (iOS Safari 12): ${err.message}`)
    failed = true
  }
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
