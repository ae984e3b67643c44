/**
 * What every add-on (dist/cr-shopify.js, dist/cr-stripe-links.js) shares: reaching cr.js's
 * `window.clickrelay`, a guard so that none of our errors reaches the page, and following the
 * visitor ID as it appears, changes or is withdrawn.
 *
 * cr.js loads an add-on only when its tag asks for it, after it has published the API; an
 * add-on pasted as a tag of its own before cr.js waits for it through the documented stub.
 */
import type { ClickRelay, ClickRelayStub } from '../clickrelay.js'

/** Seconds to keep watching for a visitor ID that cr.js writes, or the collector hands back, after the add-on started. */
const VISITOR_CHECKS = 30

/** Runs `fn`; whatever it throws stays with us. */
export function guard(fn: () => void): void {
  try {
    fn()
  } catch (e) {
    // an add-on never breaks the merchant's page
  }
}

/** Runs `fn` with the API once cr.js has published it: at once when cr.js loaded this add-on. */
export function withClickRelay(fn: (api: ClickRelay) => void): void {
  const w = window as unknown as { clickrelay?: ClickRelay | ClickRelayStub }
  if (!w.clickrelay) {
    const stub: ClickRelayStub = {
      q: [],
      ready(callback) {
        stub.q.push(callback)
      },
    }
    w.clickrelay = stub
  }
  w.clickrelay.ready((api) => guard(() => fn(api)))
}

/**
 * Calls `onChange` with the visitor ID (undefined without one, or without consent) now, and
 * again whenever it changes: checked every second for 30 seconds, which covers a first visit's
 * new ID and the collector's answer, and at once after every `clickrelay.consent()` call, which
 * restarts the 30 seconds. `consent` is wrapped on the API object itself: the page's call goes
 * to cr.js first, exactly once, whatever we do next.
 */
export function watchVisitor(api: ClickRelay, onChange: (visitorId: string | undefined) => void): void {
  let last: string | undefined | null = null
  let timer: ReturnType<typeof setInterval> | undefined

  function check(): void {
    guard(() => {
      const visitorId = api.visitorId()
      if (visitorId !== last) {
        last = visitorId
        onChange(visitorId)
      }
    })
  }

  function watchAWhile(): void {
    let checks = 0
    clearInterval(timer)
    timer = setInterval(() => {
      check()
      checks++
      if (checks >= VISITOR_CHECKS) clearInterval(timer)
    }, 1000)
  }

  const consent = api.consent
  api.consent = function (this: unknown, granted: boolean): void {
    const result = consent.call(this, granted)
    guard(() => {
      check()
      watchAWhile()
    })
    return result
  }
  check()
  watchAWhile()
}
