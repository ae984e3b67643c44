import type { Clock } from './clock.js'
import type { RunConfig } from './config.js'
import type { DeliveryStatus } from './delivery/worker.js'
import type { Logger } from './log.js'
import type { Monitor } from './monitor.js'
import type { Store } from './store/store.js'

/** What every router is built from. The outside world (clock, storage, the delivery loop) is passed in. */
export interface AppContext {
  config: RunConfig
  store: Store
  clock: Clock
  log: Logger
  /** Told when an event was enqueued. */
  onEnqueued: () => void
  /** Refusals and setup problems, for /admin/status. */
  monitor: Monitor
  /** How delivery to TikTok is going. */
  deliveryStatus: () => DeliveryStatus
}
