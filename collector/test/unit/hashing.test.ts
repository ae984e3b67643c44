import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { hashEmail, hashExternalId, hashPhone, toE164 } from '../../src/hashing.js'

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

test('hashEmail trims and lowercases before hashing', () => {
  assert.equal(hashEmail(' ALICE_abc@gmail.com '), sha('alice_abc@gmail.com'))
})

test('hashEmail passes an already hashed value through, never hashing twice', () => {
  const h = sha('alice@example.com')
  assert.equal(hashEmail(h), h)
  assert.equal(hashEmail(h.toUpperCase()), h)
})

test('hashEmail leaves out what is not an email address', () => {
  assert.equal(hashEmail('not an email'), undefined)
  assert.equal(hashEmail('a@b'), undefined)
})

test('toE164 normalises international and national numbers', () => {
  assert.equal(toE164('(+1)2133734253', undefined), '+12133734253')
  assert.equal(toE164('+1 (213) 373-4253', undefined), '+12133734253')
  assert.equal(toE164('0044 20 7946 0958', undefined), '+442079460958')
  assert.equal(toE164('030 901820', 'DE'), '+4930901820')
  assert.equal(toE164('(213) 373-4253', 'US'), '+12133734253')
})

test('hashPhone hashes the E.164 form, and leaves out a number without a country', () => {
  assert.equal(hashPhone('(213) 373-4253', 'US'), sha('+12133734253'))
  assert.equal(hashPhone('(213) 373-4253', undefined), undefined)
  assert.equal(hashPhone('12', 'US'), undefined)
})

test('hashPhone passes an already hashed value through', () => {
  const h = sha('+12133734253')
  assert.equal(hashPhone(h, 'US'), h)
})

test('hashExternalId is the SHA-256 of the visitor ID', () => {
  assert.equal(hashExternalId('abcdefghijklmnop'), sha('abcdefghijklmnop'))
})
