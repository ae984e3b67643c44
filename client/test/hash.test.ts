import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { hashOf, normalizeEmail, normalizePhone, sha256 } from '../src/hash.js'
import { hasCampaign } from '../src/capture.js'

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

test('normalizePhone keeps international numbers and turns 00 into +', () => {
  assert.equal(normalizePhone('+1 (213) 373-4253', undefined), '+12133734253')
  assert.equal(normalizePhone('(+1)2133734253', undefined), '+12133734253')
  assert.equal(normalizePhone('0044 20 7946 0958', undefined), '+442079460958')
})

test('normalizePhone completes a national number with data-phone-country, dropping the trunk 0 except in Italy', () => {
  assert.equal(normalizePhone('020 7946 0958', '44'), '+442079460958')
  assert.equal(normalizePhone('(213) 373-4253', '1'), '+12133734253')
  assert.equal(normalizePhone('06 6982 1234', '39'), '+390669821234')
})

test('normalizePhone leaves out what is ambiguous or malformed', () => {
  assert.equal(normalizePhone('020 7946 0958', undefined), undefined)
  assert.equal(normalizePhone('+12', undefined), undefined)
  assert.equal(normalizePhone('call me', '44'), undefined)
})

test('normalizeEmail is the rule the collector uses', () => {
  assert.equal(normalizeEmail(' ALICE_abc@gmail.com '), 'alice_abc@gmail.com')
  assert.equal(normalizeEmail('nope'), undefined)
})

test('sha256 in the browser code gives the same hex as Node', async () => {
  assert.equal(await sha256('alice_abc@gmail.com'), sha('alice_abc@gmail.com'))
})

test('hashOf normalises then hashes, passes a hash through, and leaves out what cannot be normalised', async () => {
  assert.equal(await hashOf(' A@B.example ', normalizeEmail), sha('a@b.example'))
  assert.equal(await hashOf('a@b.example', normalizeEmail), sha('a@b.example'))
  assert.equal(await hashOf(sha('x'), normalizeEmail), sha('x'))
  assert.equal(await hashOf('not-an-email', normalizeEmail), undefined)
  assert.equal(await hashOf(undefined, normalizeEmail), undefined)
})

test('hasCampaign sees a ttclid or any UTM parameter, and nothing else', () => {
  assert.equal(hasCampaign('https://s.example/?ttclid=E.C.P.x'), true)
  assert.equal(hasCampaign('https://s.example/p?a=1&utm_term=boots'), true)
  assert.equal(hasCampaign('https://s.example/p?page=2'), false)
  assert.equal(hasCampaign('https://s.example/p?xttclid=1'), false)
})
