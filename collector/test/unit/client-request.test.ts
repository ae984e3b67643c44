/** The request body built from the outbox's stored JSON is the request buildTrackRequest describes. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTrackRequest, trackRequestBody } from '../../src/tiktok/payload.js'
import type { TikTokEvent } from '../../src/tiktok/types.js'

const event = (id: string): TikTokEvent => ({
  event: 'Purchase',
  event_time: 1_781_000_000,
  event_id: id,
  // A value with the text the envelope uses, to show it is never mistaken for it.
  user: { ttclid: 'E.C.P."data":[]', email: ['a'.repeat(64)] },
  properties: { currency: 'EUR', value: 42, order_id: id },
  page: { url: 'https://shop.example/thanks?x="data":[]' },
})

test('the body from stored JSON is the same request, test_event_code at the top level', () => {
  const events = [event('ord_1'), event('ord_2')]
  for (const testEventCode of ['TEST123', undefined]) {
    const body = trackRequestBody('CPIXEL', events.map((e) => JSON.stringify(e)), testEventCode)
    assert.deepEqual(JSON.parse(body), buildTrackRequest('CPIXEL', events, testEventCode))
  }
})

test('the stored text is sent as it is, byte for byte', () => {
  const stored = '{"event":"Purchase","event_id":"ord_3","note":"ünïcödé \\u2028"}'
  assert.ok(trackRequestBody('CPIXEL', [stored], undefined).includes(`"data":[${stored}]`))
})
