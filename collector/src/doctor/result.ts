/** What the doctor finds: one line of the checklist per check, grouped by the six items it checks. */

export type Status = 'pass' | 'warn' | 'fail' | 'skip'

export interface Check {
  /** 1 to 6: tag, script, click record, cookie, health, admin status (see ITEMS). */
  item: Item
  /** Stable name for scripts reading --json, e.g. `tag.found`, `collect.accepted`. */
  id: string
  status: Status
  /** One line: what was seen. */
  summary: string
  /** For a warning or a failure: what to change. */
  fix?: string
}

export const ITEMS = {
  1: 'The tag is on the page',
  2: 'cr.js loads',
  3: 'A click record from the shop is accepted',
  4: 'The visitor cookie comes back first-party',
  5: 'The collector is healthy',
  6: 'Delivery to TikTok (admin status)',
} as const

export type Item = keyof typeof ITEMS

/** The prefix of each item's check ids. */
export const ITEM_KEYS: Record<Item, string> = { 1: 'tag', 2: 'script', 3: 'collect', 4: 'cookie', 5: 'health', 6: 'admin' }

export interface DoctorReport {
  /** The URL given. */
  url: string
  /** The page's URL after redirects, when it was fetched. */
  page_url: string | null
  /** What the tag leads to, once found: the script, and the collector's endpoints. */
  script_url: string | null
  collect_url: string | null
  /** True when no check failed. */
  ok: boolean
  counts: Record<Status, number>
  checks: Check[]
}

export function summarize(url: string, urls: Pick<DoctorReport, 'page_url' | 'script_url' | 'collect_url'>, checks: Check[]): DoctorReport {
  const counts: Record<Status, number> = { pass: 0, warn: 0, fail: 0, skip: 0 }
  for (const check of checks) counts[check.status]++
  return { url, ...urls, ok: counts.fail === 0, counts, checks }
}
