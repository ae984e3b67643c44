/** Publishes `window.clickrelay` (types: client/clickrelay.d.ts) and runs what the stub queued. */
import type { ClickRelay, ClickRelayStub } from '../clickrelay.js'

export function install(api: ClickRelay): void {
  const w = window as unknown as { clickrelay?: ClickRelayStub | ClickRelay }
  const queued = (w.clickrelay && (w.clickrelay as ClickRelayStub).q) || []
  w.clickrelay = api
  queued.forEach(api.ready)
}

/** Runs the page's callback with the API; its own error is reported without breaking ours. */
export function callBack(fn: (api: ClickRelay) => void, api: ClickRelay): void {
  try {
    fn(api)
  } catch (e) {
    setTimeout(() => {
      throw e
    })
  }
}
