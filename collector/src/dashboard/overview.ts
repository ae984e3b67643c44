/**
 * The Overview page's figures, in words: the range's numbers from the daily counts (../stats.ts),
 * and the collector's state now as GET /admin/status reports it (../status.ts, collectorState),
 * never counted a second time.
 */
import type { CoverageDrop, RangeName, RangeStats } from '../stats.js'
import { RANGES } from '../stats.js'
import { MATCH_KEYS, type MatchKey } from '../store/rollups.js'
import type { CollectorState } from '../status.js'
import type { LinkKind } from '../attribution/types.js'

const STATES = {
  ok: { headline: 'Delivering', explanation: 'TikTok accepts the server events.' },
  retrying: {
    headline: 'Delivery is retrying',
    explanation: 'TikTok is unreachable or failing: events wait in the queue and are sent again with backoff. Nothing is lost while they wait.',
  },
  auth_failing: {
    headline: 'TikTok refuses the access token or the pixel',
    explanation: 'Events wait until this is fixed: check CLICKRELAY_ACCESS_TOKEN and CLICKRELAY_PIXEL_CODE against TikTok Events Manager, then restart the collector.',
  },
} as const

/** The Overview's short names of the links (the order page says them in full, orders/report.ts LINKS). */
const LINK_LABELS: Record<LinkKind, string> = { visitor_id: 'Same browser', email: 'Email', phone: 'Phone', ttclid: 'Shared click', landing_url: 'Landing URL' }

const RANGE_LABELS: Record<RangeName, string> = { today: 'Today', '7d': '7 days', '28d': '28 days' }

/** What each match key is, in the coverage table. */
const KEY_LABELS: Record<MatchKey, string> = {
  email: 'email (hashed)',
  phone: 'phone (hashed)',
  external_id: 'external_id (visitor ID, hashed)',
  ttclid: 'ttclid',
  ttp: 'ttp (the pixel cookie _ttp)',
  ip: 'IP address',
  user_agent: 'user agent',
}

/** Why a key goes missing, for the banner: where to look first. */
const KEY_CAUSES: Record<MatchKey, string> = {
  email: 'orders arrive without an email: check the checkout or the order platform still sends it',
  phone: 'orders arrive without a phone number, or with numbers that are not valid E.164 (see the warnings of POST /orders)',
  external_id: 'orders arrive without the visitor ID: check the thank-you page or the order platform passes clickrelay.visitorId() on',
  ttclid: 'fewer orders are linked to a TikTok click: check the tag is still on every landing page, and that links keep the ttclid',
  ttp: "the pixel's _ttp cookie no longer reaches the collector: check the TikTok pixel still loads before checkout",
  ip: 'orders arrive without the buyer\'s IP address: check the order platform sends it, or the proxy passes it (CLICKRELAY_TRUST_PROXY)',
  user_agent: "orders arrive without the buyer's user agent: check the order platform sends it",
}

export const count = (n: number) => n.toLocaleString('en-US')
/** "75 %", "66.7 %"; a dash when there is nothing to share, never a made-up 0 %. */
export const share = (part: number, whole: number) => (whole ? `${Math.round((part / whole) * 1000) / 10} %` : '–')
const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'never')
const points = (fraction: number) => Math.round(fraction * 1000) / 10

/** 42 s, 5 min, 3 h 10 min, 2 days 4 h */
export function duration(seconds: number | null): string {
  if (seconds === null) return 'nothing waiting'
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ${minutes % 60} min`
  return `${Math.floor(hours / 24)} days ${hours % 24} h`
}

/** The chart's data, for /admin/assets/overview.js: days as Unix seconds, then one series of shares (0–100) per key. */
function chartData(stats: RangeStats) {
  return {
    days: stats.coverageByDay.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000),
    series: MATCH_KEYS.map((key) => ({ key, values: stats.coverageByDay.map((d) => (d.events ? points(d.keys[key] / d.events) : null)) })),
  }
}

export function overviewModel(report: CollectorState, stats: RangeStats, drops: CoverageDrop[], now: number) {
  const d = report.delivery
  const answer = [d.last_http_status !== null && `HTTP ${d.last_http_status}`, d.last_code !== null && `code ${d.last_code}`, d.last_message].filter(Boolean).join(', ')
  const refusals = Object.entries(report.refusals.last_24h).map(([reason, n]) => ({ reason, count: n }))
  const pairingTotal = stats.pairing.paired + stats.pairing.server_only + stats.pairing.unpaired
  return {
    asOf: new Date(now).toISOString(),
    asOfText: when(new Date(now).toISOString()),
    range: stats.range,
    rangeText: stats.range === 'today' ? `today (${stats.days[0]}, UTC)` : `the last ${RANGES[stats.range]} days (${stats.days[0]} to ${stats.days.at(-1)}, UTC)`,
    ranges: (Object.keys(RANGES) as RangeName[]).map((name) => ({ name, label: RANGE_LABELS[name], current: name === stats.range })),
    delivery: {
      state: d.state,
      ...STATES[d.state],
      since: when(d.since),
      lastAccepted: when(d.last_accepted_at),
      lastAnswer: answer || undefined,
      delivered: count(stats.delivery.delivered),
      waiting: count(stats.delivery.waiting),
      failed: count(stats.delivery.failed),
    },
    drops: drops.map((drop) => ({
      key: drop.key,
      label: KEY_LABELS[drop.key],
      today: `${points(drop.today)} %`,
      previous: `${points(drop.previous)} %`,
      todayEvents: count(drop.todayEvents),
      cause: KEY_CAUSES[drop.key],
    })),
    queue: { waiting: count(report.queue.waiting), oldest: duration(report.queue.oldest_waiting_age_s) },
    clicks: { ad: count(stats.adClicks), inAppShare: share(stats.adClicksInApp, stats.adClicks), inApp: count(stats.adClicksInApp) },
    orders: {
      accepted: count(stats.orders),
      withTtclid: count(stats.ordersWithTtclid),
      restored: share(stats.ordersWithTtclid, stats.orders),
    },
    linked: (Object.keys(stats.linked) as Array<keyof typeof stats.linked>).map((kind) => ({
      kind,
      label: LINK_LABELS[kind],
      count: count(stats.linked[kind]),
      share: share(stats.linked[kind], stats.ordersWithTtclid),
    })),
    pairing: [
      { group: 'paired', label: 'Paired: counted once', count: count(stats.pairing.paired), share: share(stats.pairing.paired, pairingTotal) },
      { group: 'server_only', label: 'Pixel blocked or never fired', count: count(stats.pairing.server_only), share: share(stats.pairing.server_only, pairingTotal) },
      { group: 'unpaired', label: 'Pixel fired without or with another event_id', count: count(stats.pairing.unpaired), share: share(stats.pairing.unpaired, pairingTotal) },
    ],
    coverage: {
      events: count(stats.events),
      keys: MATCH_KEYS.map((key) => ({ key, label: KEY_LABELS[key], share: share(stats.coverage[key], stats.events), count: count(stats.coverage[key]) })),
      days: stats.coverageByDay.map((day) => ({ day: day.day, events: count(day.events), shares: MATCH_KEYS.map((key) => share(day.keys[key], day.events)) })),
      chart: JSON.stringify(chartData(stats)),
    },
    refusals: { total: count(refusals.reduce((sum, r) => sum + r.count, 0)), reasons: refusals.filter((r) => r.count > 0).map((r) => ({ reason: r.reason, count: count(r.count) })) },
    problems: report.problems.map((p) => ({ code: p.code, message: p.message, count: count(p.count), lastSeen: when(p.last_seen) })),
  }
}
