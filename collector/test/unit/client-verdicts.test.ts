/** What each answer of the Events API means for the events in the request (tiktok/client.ts verdictOf). */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { verdictOf } from '../../src/tiktok/client.js'

test('code 0 is delivered; 40100, 429, 5xx, timeouts and resets are retried', () => {
  assert.equal(verdictOf(200, 0), 'delivered')
  assert.equal(verdictOf(200, 40100), 'retry')
  assert.equal(verdictOf(429, undefined), 'retry')
  for (const status of [500, 502, 503, 504]) assert.equal(verdictOf(status, undefined), 'retry', `HTTP ${status}`)
  assert.equal(verdictOf(undefined, undefined), 'retry', 'no answer: a timeout or a reset')
  assert.equal(verdictOf(200, undefined), 'retry', 'an answer without a readable code')
})

test('token and pixel errors are setup errors the operator fixes: 40001, 40105, 40007, HTTP 401 and 403', () => {
  for (const code of [40001, 40105, 40007]) assert.equal(verdictOf(200, code), 'setup', `code ${code}`)
  assert.equal(verdictOf(401, undefined), 'setup')
  assert.equal(verdictOf(403, undefined), 'setup')
  for (const code of [40001, 40105, 40007]) assert.equal(verdictOf(400, code), 'setup', `code ${code} in an HTTP 400: never split and failed`)
})

test('an invalid payload is 40002, HTTP 400 or HTTP 413: the batch is split, only the bad events fail', () => {
  assert.equal(verdictOf(200, 40002), 'invalid')
  assert.equal(verdictOf(400, undefined), 'invalid')
  assert.equal(verdictOf(413, undefined), 'invalid')
})

test('a code nobody has classified is retried, never failed on first sight', () => {
  for (const code of [40003, 40999, 41000, 50000, 50002, 20001, -1]) assert.equal(verdictOf(200, code), 'retry', `code ${code}`)
  assert.equal(verdictOf(404, undefined), 'retry', 'another 4xx is about the setup: the events are kept')
})
