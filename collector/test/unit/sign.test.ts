import assert from 'node:assert/strict'
import { test } from 'node:test'
import { signBody, verifySignature } from '../../src/sign.js'

const secret = 'a-secret-of-enough-length'
const body = Buffer.from('{"order_id":"1"}')
const now = 1_800_000_000

test('a body signed with the secret verifies', () => {
  assert.deepEqual(verifySignature(secret, signBody(secret, body, now), body, now), { ok: true })
})

test('a changed body, another secret, or no header does not verify', () => {
  const header = signBody(secret, body, now)
  assert.equal(verifySignature(secret, header, Buffer.from('{"order_id":"2"}'), now).ok, false)
  assert.equal(verifySignature('another-secret-entirely', header, body, now).ok, false)
  assert.equal(verifySignature(secret, undefined, body, now).ok, false)
  assert.equal(verifySignature(secret, 'garbage', body, now).ok, false)
  assert.equal(verifySignature(secret, `t=${now},v1=zz`, body, now).ok, false)
})

test('a signature older or newer than five minutes is refused', () => {
  assert.equal(verifySignature(secret, signBody(secret, body, now - 301), body, now).ok, false)
  assert.equal(verifySignature(secret, signBody(secret, body, now + 301), body, now).ok, false)
  assert.equal(verifySignature(secret, signBody(secret, body, now - 299), body, now).ok, true)
})

test('any one of several v1 signatures may match (secret rotation)', () => {
  const good = signBody(secret, body, now).split(',')[1]
  assert.equal(verifySignature(secret, `t=${now},v1=${'0'.repeat(64)},${good}`, body, now).ok, true)
})
