/**
 * Pairing with the TikTok pixel. `window.ttq` is watched through an accessor, so whichever
 * object it holds (the base code's queueing stub, or the library that replaces it) has its
 * `track` wrapped before the page can call it, whether this script loaded before or after the
 * pixel. The wrapper gives order events that carry an order_id and no event_id the shared
 * `event_id = eventId(event, order_id)`, and reports each order event the pixel fires as a
 * receipt. `ttq.instance(code)` (multi-pixel pages, TikTok for WooCommerce) returns pixels that
 * get the same wrapper.
 *
 * Every wrapper calls the page's pixel exactly once, with the page's own arguments when our part
 * fails, and returns what it returns: our work (pairing, the receipt) is kept in a guard of its
 * own, and the receipt is sent from a task of its own. A pixel we cannot wrap (frozen, say) is
 * left as it is.
 *
 * Receipts wait until the pixel's library is seen running, so a blocked library (an ad blocker)
 * leaves none and the collector can tell a server-only order. Whether TikTok's library keeps the
 * base code's array and adds its methods to it, or replaces `window.ttq`, is not documented (its
 * first stage, events.js, keeps the array), so the sign is one that holds either way: the
 * library's own requests in Resource Timing, which a blocked library never makes.
 */
import { eventId, ORDER_EVENTS } from '../../common/event-id.js'
import { later, quietly } from './quietly.js'

/** [event name, event_id, order key, browser time in ms] */
export type Receipt = [string, string | undefined, string | undefined, number]

type Options = { event_id?: string }
type Properties = { order_id?: string | number }
type Track = ((event: string, properties?: Properties, options?: Options, ...rest: unknown[]) => unknown) & { cr?: 1 }
type Instance = ((code: string) => Pixel | undefined) & { cr?: 1 }
interface Pixel {
  track?: Track
  instance?: Instance
  identify?: (fields: object) => void
  /** The base code's stub keeps each instance's queued calls here. */
  _i?: Record<string, unknown[][]>
}

/**
 * The pixel library's requests: the library proper (main.<hash>.js, which only a running events.js
 * asks for) and its calls to TikTok's endpoint, or, in sandbox mode, the stand-in's calls to the
 * collector.
 */
const LIBRARY_REQUEST = /^https:\/\/analytics\.tiktok\.com\/(i18n\/pixel\/static\/|api\/v2\/pixel)|\/sandbox\/pixel\/track$/

const w = window as unknown as { ttq?: Pixel }
let current: Pixel | undefined
let pending: Receipt[] = []
let report: (receipt: Receipt) => void = () => {}
/** True while the page's call is inside one of our wrappers. */
let inside = false
/** The pixel's library has been seen at work. */
let libraryRuns = false

function isStub(pixel: Pixel | undefined): boolean {
  return Array.isArray(pixel)
}

/** Watches Resource Timing, from the page's start (buffered), for the first request of the pixel's library. */
function watchLibrary(): void {
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some((entry) => LIBRARY_REQUEST.test(entry.name))) {
      observer.disconnect()
      libraryRuns = true
      later(flushReceipts)
    }
  })
  observer.observe({ type: 'resource', buffered: true })
}

/** Sends the receipts held back until the pixel's library was seen at work. */
function flushReceipts(): void {
  if (!libraryRuns) return
  const receipts = pending
  pending = []
  receipts.forEach((receipt) => quietly(() => report(receipt)))
}

/** The options an order event goes out with (event_id supplied from order_id), noted for its receipt. */
function pair(event: string, properties: Properties | undefined, options: Options | undefined): Options | undefined {
  if (ORDER_EVENTS.indexOf(event) < 0) return options
  const key = properties ? properties.order_id : undefined
  let paired = options
  if (key != null && !(options && options.event_id)) paired = Object.assign({}, options, { event_id: eventId(event, key) })
  pending.push([event, paired && paired.event_id, key == null ? undefined : String(key), Date.now()])
  later(flushReceipts)
  return paired
}

function wrapTrack(pixel: Pixel): void {
  const track = pixel.track
  if (!track || track.cr) return
  const wrapped: Track = function (this: unknown, event, properties, options, ...rest) {
    // A call made from inside one of ours (a bound copy of this wrapper, a library that calls
    // its own wrapped track) is the same event: it goes through as it is, paired once.
    if (inside) return track.call(this, event, properties, options, ...rest)
    let sent = options
    quietly(() => {
      sent = pair(event, properties, options)
    })
    inside = true
    try {
      return track.call(this, event, properties, sent, ...rest)
    } finally {
      inside = false
    }
  }
  wrapped.cr = 1
  pixel.track = wrapped
}

function wrapInstance(pixel: Pixel): void {
  const instance = pixel.instance
  if (!instance || instance.cr) return
  const wrapped: Instance = function (this: unknown, code) {
    const one = instance.call(this, code)
    quietly(() => wrap(one))
    return one
  }
  wrapped.cr = 1
  pixel.instance = wrapped
}

function wrap(pixel: Pixel | undefined): Pixel | undefined {
  if (pixel) {
    quietly(() => wrapTrack(pixel))
    quietly(() => wrapInstance(pixel))
  }
  return pixel
}

/** Pairs the order events queued in a stub (the base code's, or one instance's) before this script ran. */
function pairQueued(queue: unknown[][]): void {
  queue.forEach((call) => {
    if (call[0] == 'track') call[3] = pair(call[1] as string, call[2] as Properties, call[3] as Options)
  })
}

export function watchPixel(onReceipt: (receipt: Receipt) => void): void {
  report = onReceipt
  // Buffered: watching from a later task misses nothing, and keeps the load task short.
  later(watchLibrary)
  current = w.ttq
  // Calls the page made into the base code's stub before this script ran: paired before the library replays them.
  if (current && isStub(current)) {
    quietly(() => pairQueued(current as unknown as unknown[][]))
    const instances = current._i || {}
    for (const code in instances) quietly(() => pairQueued(instances[code]!))
  }
  try {
    Object.defineProperty(w, 'ttq', {
      configurable: true,
      get: () => wrap(current),
      set: (value: Pixel) => {
        current = value
      },
    })
  } catch (e) {
    // The page declared `var ttq` itself: wrap what is there.
    wrap(current)
  }
}

/** clickrelay.track(): the pixel's track with the shared event_id, through the same wrapper. */
export function track(event: string, properties?: Properties): void {
  const pixel = wrap(current)
  if (pixel && pixel.track) pixel.track(event, properties)
}

/** Hands the pixel the visitor's hashes (`ttq.identify`), when there is a pixel. */
export function identifyToPixel(fields: object): void {
  quietly(() => {
    if (current && current.identify) current.identify(fields)
  })
}
