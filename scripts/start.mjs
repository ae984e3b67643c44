// npm start: runs the collector's committed build (dist/collector/src/main.js). In a development
// checkout (TypeScript installed) it first rebuilds when the sources are newer than that build;
// a production install (`npm ci --omit=dev`) has no compiler and runs the build as committed.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildCollector, ENTRY, ROOT, typescriptInstalled } from './build-collector.mjs'

function newestMtime(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = 0
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)))
  return newest
}

if (!existsSync(join(ROOT, 'dist/cr.js'))) {
  const rollup = join(ROOT, 'node_modules/rollup/dist/bin/rollup')
  if (!existsSync(rollup)) {
    console.error('clickrelay: dist/cr.js is missing and rollup is not installed; restore dist/ from git, or run `npm ci` and `npm run build`.')
    process.exit(1)
  }
  console.log('clickrelay: building dist/cr.js …')
  const result = spawnSync(process.execPath, [rollup, '-c', '--silent'], { cwd: ROOT, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

if (typescriptInstalled()) {
  // Not the root tsconfig.json: git checks it out after dist/, which would make every fresh
  // clone rebuild once. check-dist.mjs catches a build that a change there made stale.
  const inputs = ['collector/src', 'common', 'collector/tsconfig.json', 'collector/tsconfig.sign.json']
  const sources = Math.max(...inputs.map((input) => newestMtime(join(ROOT, input))))
  if (!existsSync(ENTRY) || statSync(ENTRY).mtimeMs < sources) {
    console.log('clickrelay: the sources changed; rebuilding the collector into dist/ (`npm run build` does the same, and removes stale files) …')
    // No clean here: the e2e suite starts two collectors at once, and one must not delete
    // the files the other is loading.
    const status = buildCollector({ clean: false })
    if (status !== 0) process.exit(status)
  }
} else if (!existsSync(ENTRY)) {
  console.error('clickrelay: dist/collector/src/main.js is missing: restore dist/ from git, or run `npm ci` and `npm run build`.')
  process.exit(1)
}
await import(pathToFileURL(ENTRY).href)
