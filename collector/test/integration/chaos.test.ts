/**
 * The short chaos run in `npm test` (the full one is `npm run chaos`): a few kill -9 cycles while
 * orders arrive and TikTok fails, and a few thousand fuzzed requests, with a fixed seed so a
 * failure can be replayed with CHAOS_SEED.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fuzz } from '../chaos/fuzz.js'
import { killLoop } from '../chaos/kill-loop.js'
import { chaosVerdict } from '../chaos/verdict.js'

const SEED = Number(process.env.CHAOS_SEED ?? 20261123)

test('kill -9 at random moments while orders arrive and TikTok fails: every accepted order delivered, none missing, database intact', { timeout: 180_000 }, async () => {
  const result = await killLoop({ cycles: 6, seed: SEED })
  assert.deepEqual(chaosVerdict(result, undefined), [], JSON.stringify(result))
  assert.ok(result.accepted > 0)
})

test('fuzzed requests across /collect, /orders and /admin: no 5xx, the process alive, memory flat, database intact', { timeout: 180_000 }, async () => {
  const result = await fuzz({ runs: 3_000, seed: SEED })
  assert.deepEqual(chaosVerdict(undefined, result), [], JSON.stringify(result))
  assert.equal(result.requests, 3_000)
})
