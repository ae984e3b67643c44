/** What the add-ons share: reaching window.clickrelay, and following the visitor ID (in Node, with a stand-in API). */
import assert from 'node:assert/strict'
import { beforeEach, test } from 'node:test'
import type { ClickRelay, ClickRelayStub } from '../clickrelay.js'
import { watchVisitor, withClickRelay } from '../src/addon.js'

const VISITOR = 'vIsItOr_0123456789ab'
const NEXT = 'nExTvIsItOr_0123456789'

Object.defineProperty(globalThis, 'window', { value: globalThis, configurable: true })
const w = globalThis as unknown as { clickrelay?: ClickRelay | ClickRelayStub }

/** A stand-in for cr.js's API: the visitor ID is whatever the test sets; consent() records its calls. */
function fakeApi() {
  const state = { visitor: undefined as string | undefined, consents: [] as boolean[] }
  const api: ClickRelay = {
    visitorId: () => state.visitor,
    eventId: (event, key) => `${event}:${key}`,
    ready: (fn) => fn(api),
    identify: () => Promise.resolve(),
    track: () => {},
    consent(granted) {
      state.consents.push(granted)
      if (!granted) state.visitor = undefined
    },
  }
  return { api, state }
}

/** Interval timers on a clock the test moves by hand (Node 20's mock timers cannot clear an interval from inside its callback). */
const intervals = new Map<number, () => void>()
let nextTimer = 1
Object.assign(globalThis, {
  setInterval: (fn: () => void) => {
    intervals.set(nextTimer, fn)
    return nextTimer++
  },
  clearInterval: (id: number | undefined) => void intervals.delete(id!),
})
/** Moves the clock on `n` seconds: every 1-second interval runs once per second. */
function seconds(n: number): void {
  for (let i = 0; i < n; i++) [...intervals.values()].forEach((fn) => fn())
}

beforeEach(() => {
  delete w.clickrelay
  intervals.clear()
})

test('withClickRelay runs at once when cr.js has published the API (cr.js loaded the add-on)', () => {
  const { api } = fakeApi()
  w.clickrelay = api
  const seen: ClickRelay[] = []
  withClickRelay((a) => seen.push(a))
  assert.deepEqual(seen, [api])
})

test('withClickRelay before cr.js queues in the documented stub, which cr.js replays', () => {
  const seen: ClickRelay[] = []
  withClickRelay((a) => seen.push(a))
  const stub = w.clickrelay as ClickRelayStub
  assert.equal(stub.q.length, 1)
  const { api } = fakeApi()
  stub.q.forEach(api.ready) // what cr.js's install() does
  assert.deepEqual(seen, [api])
})

test("an add-on's error stays with the add-on", () => {
  w.clickrelay = fakeApi().api
  assert.doesNotThrow(() =>
    withClickRelay(() => {
      throw new Error('ours')
    }),
  )
})

test('watchVisitor reports the visitor ID at once, and each change for 30 seconds', () => {
  const { api, state } = fakeApi()
  const seen: Array<string | undefined> = []
  watchVisitor(api, (id) => seen.push(id))
  assert.deepEqual(seen, [undefined], 'no visitor ID yet: cr.js writes it in a later task')
  state.visitor = VISITOR
  seconds(2)
  state.visitor = NEXT // the collector's answer
  seconds(1)
  assert.deepEqual(seen, [undefined, VISITOR, NEXT])
  seconds(27)
  state.visitor = 'lAtEvIsItOr_0123456789'
  seconds(5)
  assert.deepEqual(seen, [undefined, VISITOR, NEXT], 'no more checks after 30 seconds')
})

test('consent() reaches cr.js once, with its argument and result, and the change is reported at once', () => {
  const { api, state } = fakeApi()
  state.visitor = VISITOR
  const seen: Array<string | undefined> = []
  watchVisitor(api, (id) => seen.push(id))
  seconds(40)
  const result = api.consent(false)
  assert.equal(result, undefined)
  assert.deepEqual(state.consents, [false])
  assert.deepEqual(seen, [VISITOR, undefined], 'withdrawn at once, even after the 30 seconds')
  // Consent given again: a new ID, which the collector may replace within the next seconds.
  state.visitor = NEXT
  api.consent(true)
  state.visitor = VISITOR
  seconds(1)
  assert.deepEqual(state.consents, [false, true])
  assert.deepEqual(seen, [VISITOR, undefined, NEXT, VISITOR])
})

test("cr.js's own consent() error still reaches the page; the add-on's own does not", () => {
  const { api } = fakeApi()
  api.consent = () => {
    throw new Error('cr.js')
  }
  watchVisitor(api, () => {
    throw new Error('ours')
  })
  assert.throws(() => api.consent(true), /cr\.js/)
  const quiet = fakeApi().api
  watchVisitor(quiet, () => {
    throw new Error('ours')
  })
  assert.doesNotThrow(() => quiet.consent(true))
  assert.doesNotThrow(() => seconds(1))
})
