/** The sandbox Events API checks requests as TikTok documents them and deduplicates as TikTok does. */
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { ACCESS_TOKEN, manualClock, PIXEL_CODE, startTestSandbox, type TestSandbox } from '../harness.js'

const clock = manualClock()
let sb: TestSandbox
const hex = 'a'.repeat(64)
const good = (overrides: Record<string, unknown> = {}) => ({
  event: 'Purchase',
  event_time: 1_781_438_400,
  event_id: 'ord_1',
  user: { email: [hex], ttclid: 'E.C.P.x', ip: '203.0.113.9' },
  properties: { value: 1, currency: 'USD', order_id: '1', contents: [{ content_id: 'a' }] },
  page: { url: 'https://shop.example/' },
  ...overrides,
})
async function track(body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(sb.trackUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Access-Token': ACCESS_TOKEN, ...headers }, body: JSON.stringify(body) })
  return { http: r.status, ...((await r.json()) as { code: number; message: string; request_id: string }) }
}
const request = (data: unknown[], extra: Record<string, unknown> = {}) => ({ event_source: 'web', event_source_id: PIXEL_CODE, data, ...extra })
const pixel = (eventId: string, event = 'Purchase') =>
  fetch(sb.url + '/pixel/track', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ pixel_code: PIXEL_CODE, event, event_id: eventId }) })

describe('sandbox Events API', () => {
  before(async () => {
    sb = await startTestSandbox({ clock })
  })
  after(() => sb.close())
  beforeEach(() => sb.sandbox.reset())

  test('a valid request is answered HTTP 200, code 0, OK, with a request_id', async () => {
    const r = await track(request([good()]))
    assert.deepEqual([r.http, r.code, r.message], [200, 0, 'OK'])
    assert.match(r.request_id, /^[0-9a-f]{32}$/)
  })

  test('what TikTok refuses is refused with its code in an HTTP 200 answer, naming the field', async () => {
    const cases: Array<[unknown, Record<string, string>, number, RegExp]> = [
      [request([good()]), { 'Access-Token': 'wrong' }, 40001, /No permission/],
      [request([good()], { event_source_id: 'COTHERPIXEL000000' }), {}, 40001, /No permission/],
      [request([good()], { event_source: 'app' }), {}, 40002, /event_source/],
      [request([]), {}, 40002, /1 to 1000/],
      [request(Array.from({ length: 1001 }, () => good())), {}, 40002, /1 to 1000/],
      [request([good({ event: 'purchase' })]), {}, 40002, /data\[0\]\.event/],
      [request([good({ event_time: 1_781_438_400_000 })]), {}, 40002, /milliseconds/],
      [request([good({ event_id: 1 })]), {}, 40002, /event_id: must be a string/],
      [request([good({ user: { email: ['Alice@Example.com'] } })]), {}, 40002, /user\.email/],
      [request([good({ user: { phone: [hex.toUpperCase()] } })]), {}, 40002, /user\.phone/],
      [request([good({ page: undefined })]), {}, 40002, /page\.url/],
      [request([good({ test_event_code: 'TEST1' })]), {}, 40002, /top level/],
      [request([good({ properties: { order_id: 1 } })]), {}, 40002, /order_id/],
      [request([good({ user: { ip: 'localhost' } })]), {}, 40002, /user\.ip/],
    ]
    for (const [body, headers, code, message] of cases) {
      const r = await track(body, headers)
      assert.equal(r.http, 200)
      assert.equal(r.code, code, JSON.stringify(body).slice(0, 120))
      assert.match(r.message, message)
    }
    assert.equal(sb.sandbox.received().length, 0, 'nothing refused is kept')
  })

  test('dedup: the same event and event_id within 48 hours counts once; pixel and server within 5 minutes merge', async () => {
    await pixel('ord_d1')
    clock.advance(60_000)
    await track(request([good({ event_id: 'ord_d1' })]))
    await track(request([good({ event_id: 'ord_d1' })]))
    assert.deepEqual(sb.sandbox.report('ord_d1'), { event_id: 'ord_d1', events: [{ event: 'Purchase', server: 2, pixel: 1, counted: 1, merged: true, test: false }], counted_once: true, paired: true })

    await pixel('ord_d2')
    clock.advance(10 * 60_000)
    await track(request([good({ event_id: 'ord_d2' })]))
    assert.equal(sb.sandbox.report('ord_d2').events[0]!.merged, false, 'more than 5 minutes apart: the first is kept, not merged')
    assert.equal(sb.sandbox.report('ord_d2').counted_once, true)

    clock.advance(49 * 3_600_000)
    await track(request([good({ event_id: 'ord_d2' })]))
    assert.equal(sb.sandbox.report('ord_d2').events[0]!.counted, 2, 'after 48 hours the same event_id counts again')
  })

  test('a pixel CompletePayment and a server Purchase with one event_id count twice: the names must match', async () => {
    await pixel('ord_names', 'CompletePayment')
    await track(request([good({ event_id: 'ord_names' })]))
    const report = sb.sandbox.report('ord_names')
    assert.equal(report.counted_once, false)
    assert.equal(report.paired, false)
  })

  test('faults can be set over HTTP, are used up in order, and cleared', async () => {
    const set = await fetch(sb.url + '/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([{ kind: 'http', status: 503 }, { kind: 'code', code: 40100 }]) })
    assert.equal(set.status, 200)
    const first = await fetch(sb.trackUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Access-Token': ACCESS_TOKEN }, body: JSON.stringify(request([good()])) })
    assert.equal(first.status, 503)
    assert.equal((await track(request([good()]))).code, 40100)
    assert.equal((await track(request([good()]))).code, 0)
    const bad = await fetch(sb.url + '/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'explode' }) })
    assert.equal(bad.status, 400)
    await fetch(sb.url + '/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'http', status: 500, times: 0 }) })
    await fetch(sb.url + '/faults', { method: 'DELETE' })
    assert.equal((await track(request([good()]))).code, 0)
  })
})
