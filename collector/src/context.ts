import type { Clock } from './clock.js'
import type { Config } from './config.js'
import type { Logger } from './log.js'
import type { Store } from './store/store.js'

/** What every router is built from. The outside world (clock, storage, the delivery loop) is passed in. */
export interface AppContext {
  config: Config
  store: Store
  clock: Clock
  log: Logger
  /** Told when an event was enqueued. */
  onEnqueued: () => void
}
