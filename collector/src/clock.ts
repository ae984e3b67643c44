/** The collector never reads the time itself: tests and the sandbox pass a clock they control. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** Whole seconds from `since` to `now`, or null when there is no `since`. */
export function ageSeconds(now: number, since: number | undefined): number | null {
  return since === undefined ? null : Math.max(0, Math.round((now - since) / 1000))
}

export const MINUTE_MS = 60_000
export const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS
