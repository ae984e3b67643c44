/**
 * Pairing with the TikTok pixel. `window.ttq` is watched through an accessor, so whichever
 * object it holds (the base code's queueing stub, or the library that replaces it) has its
 * `track` wrapped before the page can call it, whether this script loaded before or after the
 * pixel. The wrapper supplies `event_id = eventId(event, order_id)` to order events that carry
 * an order_id and no event_id, and reports each order event the pixel fires as a receipt.
 *
 * The base code's stub is an array that queues calls; an order event tracked into it is
 * reported only once the pixel's library has replaced the stub, so a blocked pixel (an ad
 * blocker) produces no receipt and the collector can tell a server-only order.
 */
import { eventId, ORDER_EVENTS } from '../../common/event-id.js'

/** [event name, event_id, order key, browser time in ms] */
export type Receipt = [string, string | undefined, string | undefined, number]

type Options = { event_id?: string }
type Track = ((event: string, properties?: { order_id?: string | number }, options?: Options, ...rest: unknown[]) => unknown) & { cr?: 1 }
/** `ttq.instance('<pixel code>')`: one pixel of several, as multi-pixel pages and TikTok for WooCommerce call it. */
type Instance = ((code: string) => Pixel | undefined) & { cr?: 1 }
interface Pixel {
  track?: Track
  instance?: Instance
  /** The base code's stub keeps each instance's queued calls here. */
  _i?: Record<string, unknown[][]>
}

const w = window as unknown as { ttq?: Pixel }
let pending: Receipt[] = []
let current: Pixel | undefined
let report: (receipt: Receipt) => void

/** Sends the receipts held back while the pixel was still its queueing stub. */
export function flushReceipts(): void {
  if (current && !Array.isArray(current)) {
    pending.forEach(report)
    pending = []
  }
}

/** The options an order event goes out with (event_id supplied from order_id), noted for its receipt. */
function pair(event: string, properties?: { order_id?: string | number }, options?: Options): Options | undefined {
  const key = properties && properties.order_id
  if (ORDER_EVENTS.indexOf(event) >= 0) {
    if (key != null && !(options && options.event_id)) options = Object.assign({}, options, { event_id: eventId(event, key) })
    pending.push([event, options && options.event_id, key == null ? key : '' + key, Date.now()])
    flushReceipts()
  }
  return options
}

function wrap(pixel: Pixel | undefined): Pixel | undefined {
  const track = pixel && pixel.track
  if (track && !track.cr) {
    pixel!.track = function (this: unknown, event, properties, options, ...rest) {
      return track.call(this, event, properties, pair(event, properties, options), ...rest)
    }
    pixel!.track!.cr = 1
  }
  // What an instance returns gets the same wrapper: its order events are paired and reported too.
  const instance = pixel && pixel.instance
  if (instance && !instance.cr) {
    pixel!.instance = function (this: unknown, code) {
      return wrap(instance.call(this, code))
    }
    pixel!.instance!.cr = 1
  }
  return pixel
}

/** Pairs the order events queued in a stub (the base code's, or one instance's) before this script ran. */
function pairQueued(queue: unknown[][]): void {
  queue.forEach((call) => {
    call[0] == 'track' && (call[3] = pair(call[1] as string, call[2] as { order_id?: string }, call[3] as Options))
  })
}

export function watchPixel(onReceipt: (receipt: Receipt) => void): void {
  report = onReceipt
  current = w.ttq
  // Calls the page made into the base code's stub before this script ran: pair them before the library replays them.
  if (Array.isArray(current)) {
    pairQueued(current as unknown as unknown[][])
    for (const code in current._i) pairQueued(current._i[code]!)
  }
  try {
    Object.defineProperty(w, 'ttq', {
      configurable: true,
      get: () => wrap(current),
      set: (value: Pixel) => {
        current = value
        flushReceipts()
      },
    })
  } catch (e) {
    // a page that declared `var ttq` itself: wrap what is there
    wrap(current)
  }
}

/** clickrelay.track(): the pixel's track with the shared event_id, through the same wrapper. */
export function track(event: string, properties?: { order_id?: string | number }): void {
  const pixel = wrap(current)
  pixel && pixel.track!(event, properties)
}
