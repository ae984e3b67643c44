/**
 * Stripe's minor units, currency by currency: every ISO 4217 code the table lists, and Stripe's
 * own lists (docs.stripe.com/currencies) checked against it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { data as iso4217 } from 'currency-codes'
import { fromMinorUnits, STRIPE_DEPARTURES, stripeExponent } from '../../src/webhooks/currency.js'

/** Stripe's zero-decimal currencies, as its documentation lists them. */
const STRIPE_ZERO_DECIMAL = ['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']
/** Stripe's three-decimal currencies (amounts end in 0). */
const STRIPE_THREE_DECIMAL = ['BHD', 'JOD', 'KWD', 'OMR', 'TND']

test("Stripe's zero-decimal currencies: minor units are whole units", () => {
  for (const code of STRIPE_ZERO_DECIMAL) {
    assert.equal(stripeExponent(code), 0, code)
    assert.equal(fromMinorUnits(4980, code.toLowerCase()), 4980, code)
  }
})

test("Stripe's three-decimal currencies: 12340 minor units are 12.34", () => {
  for (const code of STRIPE_THREE_DECIMAL) {
    assert.equal(stripeExponent(code), 3, code)
    assert.equal(fromMinorUnits(12340, code.toLowerCase()), 12.34, code)
  }
})

test("Stripe's special cases: ISK is sent with two decimals of 00, HUF and TWD have two", () => {
  assert.equal(fromMinorUnits(150000, 'isk'), 1500)
  assert.equal(fromMinorUnits(150000, 'huf'), 1500)
  assert.equal(fromMinorUnits(99900, 'twd'), 999)
  assert.equal(fromMinorUnits(1999, 'usd'), 19.99)
  assert.equal(fromMinorUnits(1, 'eur'), 0.01)
})

test('every ISO 4217 currency converts by its exponent, save the departures Stripe documents', () => {
  const listed = iso4217.filter((c) => Number.isInteger(c.digits))
  assert.ok(listed.length > 150, `the table lists ${listed.length} currencies`)
  for (const currency of listed) {
    const exponent = STRIPE_DEPARTURES[currency.code] ?? currency.digits
    assert.equal(stripeExponent(currency.code), exponent, currency.code)
    const minor = 123456789
    assert.equal(fromMinorUnits(minor, currency.code.toLowerCase()), Number((minor / 10 ** exponent).toFixed(exponent)), currency.code)
    // Exact to the last minor unit: the amount goes back to the same integer.
    assert.equal(Math.round(fromMinorUnits(minor, currency.code)! * 10 ** exponent), minor, currency.code)
  }
})

test('an unknown code or an amount that is not a safe integer gives no amount', () => {
  assert.equal(fromMinorUnits(100, 'xyz'), undefined)
  assert.equal(fromMinorUnits(1.5, 'usd'), undefined)
  assert.equal(fromMinorUnits(2 ** 60, 'usd'), undefined)
})
