import assert from 'node:assert/strict'
import { test } from 'node:test'
import { referencedHref } from '../src/stripe-links.js'

const VISITOR = 'vIsItOr_0123456789ab'
const NEXT = 'nExTvIsItOr_0123456789'

test('a Payment Link gets client_reference_id=<visitor ID>, the rest of its query kept byte for byte', () => {
  assert.equal(referencedHref('https://buy.stripe.com/test_6oE5lA', VISITOR, undefined), `https://buy.stripe.com/test_6oE5lA?client_reference_id=${VISITOR}`)
  assert.equal(
    referencedHref('https://buy.stripe.com/6oE5lA?prefilled_email=a%40b.example&locale=fr#pay', VISITOR, undefined),
    `https://buy.stripe.com/6oE5lA?prefilled_email=a%40b.example&locale=fr&client_reference_id=${VISITOR}#pay`,
  )
})

test('a client_reference_id the merchant set is left alone, even an empty one', () => {
  assert.equal(referencedHref('https://buy.stripe.com/6oE5lA?client_reference_id=order-77', VISITOR, undefined), undefined)
  assert.equal(referencedHref('https://buy.stripe.com/6oE5lA?client_reference_id=', VISITOR, undefined), undefined)
  assert.equal(referencedHref('https://buy.stripe.com/6oE5lA?client_reference_id=order-77', undefined, undefined), undefined, 'not even when consent is withdrawn')
  // The merchant's value replaced ours after we decorated the link: theirs wins.
  assert.equal(referencedHref('https://buy.stripe.com/6oE5lA?client_reference_id=order-77', NEXT, VISITOR), undefined)
})

test('our own reference follows a new visitor ID and is taken out when there is none (consent withdrawn)', () => {
  const ours = `https://buy.stripe.com/6oE5lA?locale=fr&client_reference_id=${VISITOR}`
  assert.equal(referencedHref(ours, NEXT, VISITOR), `https://buy.stripe.com/6oE5lA?locale=fr&client_reference_id=${NEXT}`)
  assert.equal(referencedHref(ours, undefined, VISITOR), 'https://buy.stripe.com/6oE5lA?locale=fr')
  assert.equal(referencedHref(`https://buy.stripe.com/6oE5lA?client_reference_id=${VISITOR}`, undefined, VISITOR), 'https://buy.stripe.com/6oE5lA')
})

test('nothing changes when the link is already right, or there is no visitor and nothing of ours', () => {
  assert.equal(referencedHref(`https://buy.stripe.com/6oE5lA?client_reference_id=${VISITOR}`, VISITOR, VISITOR), undefined)
  assert.equal(referencedHref('https://buy.stripe.com/6oE5lA?locale=fr', undefined, undefined), undefined)
})

test('a link our reference was taken out of (the page re-rendered it) gets it again', () => {
  assert.equal(referencedHref('https://buy.stripe.com/6oE5lA', VISITOR, VISITOR), `https://buy.stripe.com/6oE5lA?client_reference_id=${VISITOR}`)
})

test('only https://buy.stripe.com/ links are Payment Links', () => {
  assert.equal(referencedHref('http://buy.stripe.com/6oE5lA', VISITOR, undefined), undefined)
  assert.equal(referencedHref('https://checkout.stripe.com/c/pay/cs_test_a1', VISITOR, undefined), undefined)
  assert.equal(referencedHref('https://buy.stripe.com.evil.example/6oE5lA', VISITOR, undefined), undefined)
  assert.equal(referencedHref('https://shop.example/?next=https://buy.stripe.com/6oE5lA', VISITOR, undefined), undefined)
})
