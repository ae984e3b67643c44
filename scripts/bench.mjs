// npm run bench: every bench/*.ts, one after another, each in its own process, in name order.
// A bench prints its own figures; `npm run bench -- drain` runs only the files whose name
// contains "drain".
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('../bench/', import.meta.url))
const only = process.argv.slice(2)
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
  .filter((name) => only.length === 0 || only.some((word) => name.includes(word)))
  .sort()
let failed = 0
for (const name of files) {
  console.log(`\n== bench/${name}`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}`], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' })
  if (result.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
