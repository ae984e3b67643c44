/**
 * The Overview's figures over a range of UTC days, and the coverage drops its banner and the
 * alerts report: read from the daily counts the store keeps as it writes (store/rollups.ts), so
 * they cost the same with a thousand orders or a million clicks.
 */
import { DAY_MS } from './clock.js'
import type { LinkKind } from './attribution/types.js'
import { MATCH_KEYS, utcDay, type DailyCount, type MatchKey } from './store/rollups.js'
import type { PairingGroup, PixelPairingStatus } from './orders/pairing.js'
import { pairingGroup } from './orders/pairing.js'
import type { Store } from './store/store.js'

export const RANGES = { today: 1, '7d': 7, '28d': 28 } as const
export type RangeName = keyof typeof RANGES

/** A key's coverage today must be this much (a share, 0–1) below the 7 days before for the banner. */
export const COVERAGE_DROP = 0.15
/** Fewer server events than this, today or in the 7 days before, say nothing about coverage either way. */
export const COVERAGE_MIN_EVENTS = 20

const LINK_KINDS: LinkKind[] = ['visitor_id', 'email', 'phone', 'ttclid', 'landing_url']
const PAIRING_STATUSES: PixelPairingStatus[] = ['paired', 'server_only', 'different_event_name', 'other_event_id', 'no_event_id']

/** The UTC days from `count - 1` days before `now`'s to `now`'s, oldest first. */
export function lastDays(now: number, count: number): string[] {
  const days: string[] = []
  for (let back = count - 1; back >= 0; back--) days.push(utcDay(now - back * DAY_MS))
  return days
}

/** The counts of some days, summed per metric. */
function totals(rows: DailyCount[]): (metric: string) => number {
  const sums = new Map<string, number>()
  for (const row of rows) sums.set(row.metric, (sums.get(row.metric) ?? 0) + row.count)
  return (metric) => sums.get(metric) ?? 0
}

export interface CoverageDay {
  day: string
  events: number
  /** Server events that carried each key. */
  keys: Record<MatchKey, number>
}

export interface RangeStats {
  range: RangeName
  days: string[]
  adClicks: number
  adClicksInApp: number
  orders: number
  ordersWithTtclid: number
  linked: Record<LinkKind, number>
  pairing: Record<PairingGroup, number>
  /**
   * The range's server events by status now: waiting (pending, sending), failed (failed, expired),
   * and delivered, the rest of the events made in the range (an event a deletion request removed
   * still counts there).
   */
  delivery: { delivered: number; waiting: number; failed: number }
  events: number
  coverage: Record<MatchKey, number>
  coverageByDay: CoverageDay[]
}

export async function rangeStats(store: Store, range: RangeName, now: number): Promise<RangeStats> {
  const days = lastDays(now, RANGES[range])
  const rows = await store.dailyCounts(days[0]!, days.at(-1)!)
  const sum = totals(rows)
  const pairing: Record<PairingGroup, number> = { paired: 0, server_only: 0, unpaired: 0 }
  for (const status of PAIRING_STATUSES) pairing[pairingGroup(status)] += sum(`pairing:${status}`)
  // Delivered is what was made less what is not delivered: the rest are few, and counted where they are.
  const statuses = await store.notDeliveredCounts(Date.parse(`${days[0]}T00:00:00Z`))
  const count = (...names: Array<keyof typeof statuses>) => names.reduce((n, name) => n + (statuses[name] ?? 0), 0)
  const waiting = count('pending', 'sending')
  const failed = count('failed', 'expired')
  return {
    range,
    days,
    adClicks: sum('ad_clicks'),
    adClicksInApp: sum('ad_clicks_in_app'),
    orders: sum('orders'),
    ordersWithTtclid: sum('orders_with_ttclid'),
    linked: Object.fromEntries(LINK_KINDS.map((kind) => [kind, sum(`linked:${kind}`)])) as Record<LinkKind, number>,
    pairing,
    delivery: { delivered: Math.max(0, sum('events') - waiting - failed), waiting, failed },
    events: sum('events'),
    coverage: Object.fromEntries(MATCH_KEYS.map((key) => [key, sum(`key:${key}`)])) as Record<MatchKey, number>,
    coverageByDay: days.map((day) => coverageOf(day, rows.filter((row) => row.day === day))),
  }
}

function coverageOf(day: string, rows: DailyCount[]): CoverageDay {
  const sum = totals(rows)
  return { day, events: sum('events'), keys: Object.fromEntries(MATCH_KEYS.map((key) => [key, sum(`key:${key}`)])) as Record<MatchKey, number> }
}

export interface CoverageDrop {
  key: MatchKey
  /** Shares, 0–1. */
  today: number
  previous: number
  todayEvents: number
  previousEvents: number
}

/** A key's coverage today against the 7 days before: dropped, held, or not known yet (too few server events on either side). */
export type CoverageState = { key: MatchKey; state: 'unknown' } | ({ state: 'drop' | 'held' } & CoverageDrop)

/**
 * Each key's coverage today against the 7 days before: `drop` when today's share is more than
 * COVERAGE_DROP below (compared in tenths of a point, so that exactly 15 points is no drop),
 * `held` otherwise, and `unknown` until both sides have COVERAGE_MIN_EVENTS server events (a
 * quiet morning says nothing either way: it neither raises nor ends an alert).
 */
export async function coverageStates(store: Store, now: number): Promise<CoverageState[]> {
  const days = lastDays(now, 8)
  const today = days.at(-1)!
  const rows = await store.dailyCounts(days[0]!, today)
  const current = totals(rows.filter((row) => row.day === today))
  const before = totals(rows.filter((row) => row.day !== today))
  const todayEvents = current('events')
  const previousEvents = before('events')
  return MATCH_KEYS.map((key): CoverageState => {
    if (todayEvents < COVERAGE_MIN_EVENTS || previousEvents < COVERAGE_MIN_EVENTS) return { key, state: 'unknown' }
    const shares = { today: current(`key:${key}`) / todayEvents, previous: before(`key:${key}`) / previousEvents }
    const dropped = Math.round((shares.previous - shares.today) * 1000) > Math.round(COVERAGE_DROP * 1000)
    return { key, state: dropped ? 'drop' : 'held', ...shares, todayEvents, previousEvents }
  })
}

/** The keys whose coverage dropped today: the Overview's banners. */
export async function coverageDrops(store: Store, now: number): Promise<CoverageDrop[]> {
  return (await coverageStates(store, now)).filter((c): c is Extract<CoverageState, { state: 'drop' }> => c.state === 'drop')
}
