import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventId } from '../event-id.js'

const ACCEPTED = /^[\w.-]{1,64}$/

test('eventId gives ord_<key> for a plain order key, from a string or a number', () => {
  assert.equal(eventId('Purchase', '84213'), 'ord_84213')
  assert.equal(eventId('Purchase', 84213), 'ord_84213')
  assert.equal(eventId('Purchase', 'A-1001_b'), 'ord_A-1001_b')
})

test('eventId gives every order event the same id so a legacy pixel name still pairs', () => {
  assert.equal(eventId('CompletePayment', '84213'), 'ord_84213')
  assert.equal(eventId('PlaceAnOrder', '84213'), 'ord_84213')
})

test('eventId ignores surrounding whitespace and a leading # (order names like "#1001")', () => {
  assert.equal(eventId('Purchase', ' #1001 '), 'ord_1001')
  assert.equal(eventId('Purchase', '#1001'), eventId('Purchase', 1001))
})

test('eventId keeps keys with other characters readable and unique through a hash', () => {
  const id = eventId('Purchase', 'Bestellung 7/ü')
  assert.match(id, /^ord_Bestellung7\.[0-9a-z]{14}$/)
  assert.notEqual(eventId('Purchase', 'a b'), eventId('Purchase', 'a  b'))
  assert.notEqual(eventId('Purchase', 'ab'), eventId('Purchase', 'a b'))
})

test('eventId treats canonically equal unicode keys alike (NFC)', () => {
  assert.equal(eventId('Purchase', 'caf\u00e9'), eventId('Purchase', 'cafe\u0301'))
})

test('eventId output is always a short string TikTok accepts, also for long and odd keys', () => {
  const keys = ['x'.repeat(200), '🛒'.repeat(50), '#', ' ', '\u0000', 'ä'.repeat(200), 'a'.repeat(48), 'a'.repeat(49), '1e+21']
  for (const key of keys) {
    for (const event of ['Purchase', 'AddPaymentInfo', 'CompleteRegistration', '']) {
      const id = eventId(event, key)
      assert.match(id, ACCEPTED, `${event} ${JSON.stringify(key)} -> ${id}`)
    }
  }
})

test('eventId separates other events from orders by prefix', () => {
  assert.equal(eventId('Lead', 'form-7'), 'lead_form-7')
  assert.equal(eventId('CompleteRegistration', 'u1'), 'completeregi_u1')
})

test('eventId gives distinct ids to 20,000 distinct odd keys', () => {
  const seen = new Map<string, string>()
  for (let i = 0; i < 20_000; i++) {
    const key = `order ${i} / ${String.fromCharCode(0x4e00 + (i % 500))}`
    const id = eventId('Purchase', key)
    assert.equal(seen.get(id), undefined, `${key} collides with ${seen.get(id)}`)
    seen.set(id, key)
  }
})
