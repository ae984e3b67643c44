// npm start: builds the collector if it has not been built (or its sources changed), then runs it.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const entry = join(root, 'build/collector/src/main.js')
// tsc -p collector (incremental) rewrites only what changed, but always touches its build info.
const marker = join(root, 'build/.tsbuildinfo')

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

const tsc = join(root, 'node_modules/typescript/bin/tsc')
if (!existsSync(join(root, 'dist/cr.js'))) {
  console.log('clickrelay: building dist/cr.js …')
  run(process.execPath, [join(root, 'node_modules/rollup/dist/bin/rollup'), '-c', '--silent'])
}
const sources = Math.max(newestMtime(join(root, 'collector/src')), newestMtime(join(root, 'common')))
if (!existsSync(entry) || !existsSync(marker) || statSync(marker).mtimeMs < sources) {
  if (!existsSync(tsc)) {
    console.error('clickrelay: the collector is not built and TypeScript is not installed; run `npm ci` first.')
    process.exit(1)
  }
  console.log('clickrelay: building the collector …')
  run(process.execPath, [tsc, '-p', 'collector/tsconfig.json'])
}
await import(entry)
