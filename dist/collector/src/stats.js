/**
 * The Overview's figures over a range of UTC days, and the coverage drops its banner and the
 * alerts report: read from the daily counts the store keeps as it writes (store/rollups.ts), so
 * they cost the same with a thousand orders or a million clicks.
 */
import { DAY_MS } from './clock.js';
import { MATCH_KEYS, utcDay } from './store/rollups.js';
import { pairingGroup } from './orders/pairing.js';
export const RANGES = { today: 1, '7d': 7, '28d': 28 };
/** A key's coverage today must be this much (a share, 0–1) below the 7 days before for the banner. */
export const COVERAGE_DROP = 0.15;
/** Fewer server events than this, today or in the 7 days before, say nothing about coverage either way. */
export const COVERAGE_MIN_EVENTS = 20;
const LINK_KINDS = ['visitor_id', 'email', 'phone', 'ttclid', 'landing_url'];
const PAIRING_STATUSES = ['paired', 'server_only', 'different_event_name', 'other_event_id', 'no_event_id'];
/** The UTC days from `count - 1` days before `now`'s to `now`'s, oldest first. */
export function lastDays(now, count) {
    const days = [];
    for (let back = count - 1; back >= 0; back--)
        days.push(utcDay(now - back * DAY_MS));
    return days;
}
/** The counts of some days, summed per metric. */
function totals(rows) {
    const sums = new Map();
    for (const row of rows)
        sums.set(row.metric, (sums.get(row.metric) ?? 0) + row.count);
    return (metric) => sums.get(metric) ?? 0;
}
export async function rangeStats(store, range, now) {
    const days = lastDays(now, RANGES[range]);
    const rows = await store.dailyCounts(days[0], days.at(-1));
    const sum = totals(rows);
    const pairing = { paired: 0, server_only: 0, unpaired: 0 };
    for (const status of PAIRING_STATUSES)
        pairing[pairingGroup(status)] += sum(`pairing:${status}`);
    // Delivered is what was made less what is not delivered: the rest are few, and counted where they are.
    const statuses = await store.notDeliveredCounts(Date.parse(`${days[0]}T00:00:00Z`));
    const count = (...names) => names.reduce((n, name) => n + (statuses[name] ?? 0), 0);
    const waiting = count('pending', 'sending');
    const failed = count('failed', 'expired');
    return {
        range,
        days,
        adClicks: sum('ad_clicks'),
        adClicksInApp: sum('ad_clicks_in_app'),
        orders: sum('orders'),
        ordersWithTtclid: sum('orders_with_ttclid'),
        linked: Object.fromEntries(LINK_KINDS.map((kind) => [kind, sum(`linked:${kind}`)])),
        pairing,
        delivery: { delivered: Math.max(0, sum('events') - waiting - failed), waiting, failed },
        events: sum('events'),
        coverage: Object.fromEntries(MATCH_KEYS.map((key) => [key, sum(`key:${key}`)])),
        coverageByDay: days.map((day) => coverageOf(day, rows.filter((row) => row.day === day))),
    };
}
function coverageOf(day, rows) {
    const sum = totals(rows);
    return { day, events: sum('events'), keys: Object.fromEntries(MATCH_KEYS.map((key) => [key, sum(`key:${key}`)])) };
}
/**
 * Each key's coverage today against the 7 days before: `drop` when today's share is more than
 * COVERAGE_DROP below (compared in tenths of a point, so that exactly 15 points is no drop),
 * `held` otherwise, and `unknown` until both sides have COVERAGE_MIN_EVENTS server events (a
 * quiet morning says nothing either way: it neither raises nor ends an alert).
 */
export async function coverageStates(store, now) {
    const days = lastDays(now, 8);
    const today = days.at(-1);
    const rows = await store.dailyCounts(days[0], today);
    const current = totals(rows.filter((row) => row.day === today));
    const before = totals(rows.filter((row) => row.day !== today));
    const todayEvents = current('events');
    const previousEvents = before('events');
    return MATCH_KEYS.map((key) => {
        if (todayEvents < COVERAGE_MIN_EVENTS || previousEvents < COVERAGE_MIN_EVENTS)
            return { key, state: 'unknown' };
        const shares = { today: current(`key:${key}`) / todayEvents, previous: before(`key:${key}`) / previousEvents };
        const dropped = Math.round((shares.previous - shares.today) * 1000) > Math.round(COVERAGE_DROP * 1000);
        return { key, state: dropped ? 'drop' : 'held', ...shares, todayEvents, previousEvents };
    });
}
/** The keys whose coverage dropped today: the Overview's banners. */
export async function coverageDrops(store, now) {
    return (await coverageStates(store, now)).filter((c) => c.state === 'drop');
}
