/**
 * `npm run chaos`: the kill -9 loop and the fuzz run, then one line of figures. The full run is
 * 100 kill cycles and 100,000 requests (several minutes); `npm test` runs a short one
 * (collector/test/integration/chaos.test.ts).
 *
 *   npm run chaos                                   full
 *   CHAOS_CYCLES=10 FUZZ_RUNS=5000 npm run chaos    shorter
 *   CHAOS_SEED=42 npm run chaos                     repeat a run
 */
import { fuzz } from './fuzz.js'
import { killLoop } from './kill-loop.js'
import { chaosVerdict, figuresLine } from './verdict.js'

const cycles = Number(process.env.CHAOS_CYCLES ?? 100)
const runs = Number(process.env.FUZZ_RUNS ?? 100_000)
const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000)

console.log(`chaos: seed ${seed}, ${cycles} kill -9 cycles, ${runs} fuzz requests`)
const kill = await killLoop({ cycles, seed })
console.log(`kill -9 loop: ${JSON.stringify(kill)}`)
const fuzzed = await fuzz({ runs, seed })
console.log(`fuzz: ${JSON.stringify(fuzzed)}`)
const problems = chaosVerdict(kill, fuzzed)
console.log(figuresLine(seed, kill, fuzzed, problems))
process.exit(problems.length ? 1 : 0)
