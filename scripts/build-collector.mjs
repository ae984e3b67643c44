// Compiles the collector (collector/src and common/) into dist/, where it is committed so that
// a production install (`npm ci --omit=dev`) runs it with no compiler. dist/ holds exactly
// rollup's cr.js and this build. Used by `npm run build`, by `npm start` when the sources
// changed, and by check-dist.mjs, which builds into a temporary directory and compares.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const DIST = join(ROOT, 'dist')
/** What rollup writes into dist/; everything else there is the collector build. */
export const ROLLUP_OUTPUT = ['cr.js', 'cr-shopify.js', 'cr-stripe-links.js', 'cr-identify.js']
export const ENTRY = join(DIST, 'collector', 'src', 'main.js')
/** The JavaScript, then the declarations of the `clickrelay/sign` export. */
const CONFIGS = ['collector/tsconfig.json', 'collector/tsconfig.sign.json']
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

/** False in a production install (`npm ci --omit=dev`): the committed build then runs as it is. */
export function typescriptInstalled() {
  return existsSync(TSC)
}

/**
 * Compiles into `outDir`. With `clean`, the previous build there goes first, so a deleted
 * source leaves no file behind. Returns tsc's exit status: non-zero on a type error (tsc
 * still writes its output then).
 */
export function buildCollector({ outDir = DIST, clean = true } = {}) {
  if (clean && existsSync(outDir)) {
    for (const name of readdirSync(outDir)) {
      if (!ROLLUP_OUTPUT.includes(name)) rmSync(join(outDir, name), { recursive: true, force: true })
    }
  }
  for (const config of CONFIGS) {
    const result = spawnSync(process.execPath, [TSC, '-p', config, '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' })
    if (result.status !== 0) return result.status ?? 1
  }
  return 0
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!typescriptInstalled()) {
    console.error('clickrelay: TypeScript is not installed; run `npm ci` (with dev dependencies) to build.')
    process.exit(1)
  }
  process.exit(buildCollector())
}
