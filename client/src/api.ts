/** The public `window.clickrelay` object. */
import { eventId } from '../../common/event-id.js'

export interface ClickRelay {
  visitorId(): string
  eventId(event: string, orderId: string | number): string
  /** Runs `fn(clickrelay)` now, or once the script has loaded when called through the stub. */
  ready(fn: (api: ClickRelay) => void): void
}

/** Before the script loads, a page may define `clickrelay = {q: [], ready(f) {this.q.push(f)}}`; the queued callbacks run here. */
interface Stub {
  q?: Array<(api: ClickRelay) => void>
}

export function install(visitor: string): ClickRelay {
  const w = window as unknown as { clickrelay?: Stub | ClickRelay }
  const queued = (w.clickrelay && (w.clickrelay as Stub).q) || []
  const api: ClickRelay = {
    visitorId: () => visitor,
    eventId,
    ready: (fn) => {
      try {
        fn(api)
      } catch (e) {
        setTimeout(() => { throw e })
      }
    },
  }
  w.clickrelay = api
  queued.forEach(api.ready)
  return api
}
