export const systemClock = { now: () => Date.now() };
/** Whole seconds from `since` to `now`, or null when there is no `since`. */
export function ageSeconds(now, since) {
    return since === undefined ? null : Math.max(0, Math.round((now - since) / 1000));
}
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
