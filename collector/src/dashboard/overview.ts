/**
 * The Overview page's figures, in words: read from the status report GET /admin/status sends
 * (status.ts), never counted a second time.
 */
import type { StatusReport } from '../status.js'

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

const count = (n: number) => n.toLocaleString('en-US')
const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'never')

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

export function overviewModel(report: StatusReport, now: number) {
  const d = report.delivery
  const answer = [d.last_http_status !== null && `HTTP ${d.last_http_status}`, d.last_code !== null && `code ${d.last_code}`, d.last_message].filter(Boolean).join(', ')
  const day = report.orders.last_24h
  const refusals = Object.entries(report.refusals.last_24h).map(([reason, n]) => ({ reason, count: n }))
  return {
    asOf: new Date(now).toISOString(),
    asOfText: when(new Date(now).toISOString()),
    delivery: {
      state: d.state,
      ...STATES[d.state],
      since: when(d.since),
      lastAccepted: when(d.last_accepted_at),
      lastAnswer: answer || undefined,
    },
    queue: { waiting: count(report.queue.waiting), oldest: duration(report.queue.oldest_waiting_age_s) },
    clicks: { total: count(report.clicks.last_24h), withTtclid: count(report.clicks.with_ttclid_last_24h) },
    orders: {
      accepted: count(day.accepted),
      withTtclid: count(day.with_ttclid),
      // No orders, no share: a dash, never a made-up 0 %.
      share: day.ttclid_share === null ? '–' : `${Math.round(day.ttclid_share * 1000) / 10} %`,
    },
    refusals: { total: count(refusals.reduce((sum, r) => sum + r.count, 0)), reasons: refusals.filter((r) => r.count > 0).map((r) => ({ reason: r.reason, count: count(r.count) })) },
    problems: report.problems.map((p) => ({ code: p.code, message: p.message, count: count(p.count), lastSeen: when(p.last_seen) })),
  }
}
