/** The /collect rate limiter (rate-limit.ts): per client, each client's window from its first request. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRateLimiter } from '../../src/rate-limit.js'

const MINUTE = 60_000

test('a client gets `limit` requests a window, then the seconds until its window ends', () => {
  const limiter = createRateLimiter(3, MINUTE)
  const t0 = 1_000_000
  assert.deepEqual([limiter.hit('a', t0), limiter.hit('a', t0 + 1_000), limiter.hit('a', t0 + 2_000)], [undefined, undefined, undefined])
  assert.equal(limiter.hit('a', t0 + 2_000), 58, 'the fourth, 2 s into the window: 58 s to wait')
  assert.equal(limiter.hit('a', t0 + 59_500), 1, 'never 0 while refused')
  assert.equal(limiter.hit('b', t0 + 2_000), undefined, 'another client has its own count')
  assert.equal(limiter.hit('a', t0 + MINUTE), undefined, 'a new window once the first has passed')
})

test("a client's window starts at its first request, not on a boundary shared by everyone", () => {
  const limiter = createRateLimiter(2, MINUTE)
  // Two requests at the end of a round minute and two just after it: one window, so the third is refused.
  const t0 = 5 * MINUTE - 500
  limiter.hit('a', t0)
  limiter.hit('a', t0 + 100)
  assert.notEqual(limiter.hit('a', t0 + 1_000), undefined)
})

test('clients are remembered across the internal rotation while their window lasts, and forgotten after it', () => {
  const limiter = createRateLimiter(1, MINUTE)
  const t0 = 0
  limiter.hit('other', t0) // starts the first generation
  limiter.hit('a', t0 + 50_000)
  // The generations rotate at t0 + 60 s; a's window lasts until t0 + 110 s.
  limiter.hit('other', t0 + 61_000)
  assert.notEqual(limiter.hit('a', t0 + 100_000), undefined, "still refused: its window (from 50 s) has not ended")
  assert.equal(limiter.hit('a', t0 + 111_000), undefined, 'its window ended at 110 s')
  // Long quiet: everything earlier is forgotten at once.
  assert.equal(limiter.hit('other', t0 + 10 * MINUTE), undefined)
  assert.equal(limiter.hit('a', t0 + 10 * MINUTE), undefined)
})

test('memory stays bounded: a flood of one-off addresses is forgotten whole two windows later', () => {
  const limiter = createRateLimiter(600, MINUTE)
  for (let i = 0; i < 10_000; i++) limiter.hit(`198.51.${i >> 8}.${i & 255}`, i)
  assert.equal(limiter.remembered(), 10_000)
  limiter.hit('203.0.113.1', 2 * MINUTE + 10_000)
  assert.equal(limiter.remembered(), 1)
})
