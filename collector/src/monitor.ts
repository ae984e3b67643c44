/**
 * What the collector refused and which setup problems it saw, kept in memory for
 * /admin/status: refusals counted per minute over the last 24 hours, and for each problem the
 * latest message (with its fix), logged at `warn` at most once a minute so a misconfigured
 * proxy is loud in the log without flooding it.
 */
import { DAY_MS, MINUTE_MS, type Clock } from './clock.js'
import type { Logger } from './log.js'

export const REFUSAL_REASONS = ['origin', 'rate_limit', 'malformed', 'bot', 'too_large'] as const
export type RefusalReason = (typeof REFUSAL_REASONS)[number]
export type RefusalCounts = Record<RefusalReason, number>

export interface Problem {
  code: string
  message: string
  count: number
  firstSeen: number
  lastSeen: number
}

export interface Monitor {
  refused(reason: RefusalReason): void
  /** A setup problem, with its fix in the message: warned about at most once a minute per code. */
  problem(code: string, message: string, fields?: Record<string, unknown>): void
  refusals(windowMs: number): RefusalCounts
  /** Problems seen within `windowMs`, latest first. */
  problems(windowMs: number): Problem[]
}

const KEPT_MS = DAY_MS
const WARN_EVERY_MS = MINUTE_MS

function zero(): RefusalCounts {
  return { origin: 0, rate_limit: 0, malformed: 0, bot: 0, too_large: 0 }
}

export function createMonitor(clock: Clock, log: Logger): Monitor {
  /** Refusal counts per minute (minutes since the epoch), for the last 24 hours. */
  const minutes = new Map<number, RefusalCounts>()
  const problems = new Map<string, Problem>()
  const lastWarned = new Map<string, number>()

  function forget(now: number): void {
    const oldest = Math.floor((now - KEPT_MS) / MINUTE_MS)
    for (const minute of minutes.keys()) if (minute <= oldest) minutes.delete(minute)
    for (const [code, p] of problems) if (p.lastSeen <= now - KEPT_MS) problems.delete(code)
  }

  return {
    refused(reason) {
      const now = clock.now()
      const minute = Math.floor(now / MINUTE_MS)
      let counts = minutes.get(minute)
      if (!counts) {
        forget(now)
        counts = zero()
        minutes.set(minute, counts)
      }
      counts[reason] += 1
    },
    problem(code, message, fields = {}) {
      const now = clock.now()
      const seen = problems.get(code)
      problems.set(code, { code, message, count: (seen?.count ?? 0) + 1, firstSeen: seen?.firstSeen ?? now, lastSeen: now })
      const warned = lastWarned.get(code)
      if (warned === undefined || now - warned >= WARN_EVERY_MS) {
        lastWarned.set(code, now)
        log.warn({ problem: code, ...fields }, message)
      }
    },
    refusals(windowMs) {
      const now = clock.now()
      const from = Math.floor((now - windowMs) / MINUTE_MS)
      const total = zero()
      for (const [minute, counts] of minutes) {
        if (minute <= from) continue
        for (const reason of REFUSAL_REASONS) total[reason] += counts[reason]
      }
      return total
    },
    problems(windowMs) {
      const since = clock.now() - windowMs
      return [...problems.values()].filter((p) => p.lastSeen > since).sort((a, b) => b.lastSeen - a.lastSeen)
    },
  }
}
