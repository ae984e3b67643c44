export const systemClock = { now: () => Date.now() };
export const DAY_MS = 86_400_000;
