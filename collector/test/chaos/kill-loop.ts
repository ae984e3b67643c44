/**
 * The kill -9 loop: the collector as a child process, killed with SIGKILL at random moments
 * while orders arrive and the sandbox Events API fails on purpose, then restarted on the same
 * database. Afterwards every order the collector accepted (answered 201 or 200) has exactly one
 * distinct event at the sandbox, none is missing, no order lacks its event, and SQLite's
 * integrity check says ok.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Fault } from '../../src/sandbox/events-api.js'
import { postSignedOrder, startChildCollector, startTestSandbox, type ChildCollector } from '../harness.js'
import { createRandom, type Random } from './random.js'

export interface KillLoopOptions {
  cycles: number
  seed: number
  /** Orders posted at once while a collector is alive. */
  concurrency?: number
}

export interface KillLoopResult {
  cycles: number
  /** Orders the collector answered 201/200 for. */
  accepted: number
  /** Orders whose request died with the collector (no answer: the client would retry). */
  unanswered: number
  /** Distinct event_ids the sandbox received, and server copies beyond the first (TikTok deduplicates them). */
  distinctEvents: number
  duplicateCopies: number
  missing: string[]
  ordersWithoutEvent: number
  integrity: string
  seconds: number
}

const FAST_RETRIES = {
  CLICKRELAY_RETRY_BASE_MS: '20',
  CLICKRELAY_RETRY_MAX_MS: '200',
  CLICKRELAY_DELIVERY_TIMEOUT_MS: '500',
  CLICKRELAY_LOG_LEVEL: 'error',
}

/** A fault for this cycle: TikTok failing in one of the ways it does, or not at all. */
function faultFor(random: Random): Fault | undefined {
  const times = random.int(1, 5)
  const faults: Array<Fault | undefined> = [
    undefined,
    { kind: 'http', status: 503, times },
    { kind: 'http', status: 500, times },
    { kind: 'rate_limit', retryAfterS: 0, times },
    { kind: 'code', code: 40100, times },
    { kind: 'reset', times },
    { kind: 'timeout', times: 1 },
    { kind: 'latency', ms: random.int(10, 200), times },
  ]
  return random.pick(faults)
}

function order(id: string) {
  return { order_id: id, value: 19.9, currency: 'EUR', url: `https://shop.example/thank-you?order=${id}`, email: `${id}@example.com` }
}

export async function killLoop(options: KillLoopOptions): Promise<KillLoopResult> {
  const started = Date.now()
  const random = createRandom(options.seed)
  const concurrency = options.concurrency ?? 4
  const dir = mkdtempSync(join(tmpdir(), 'clickrelay-chaos-'))
  const dbPath = join(dir, 'chaos.db')
  const sandbox = await startTestSandbox()
  const env = { CLICKRELAY_DB: dbPath, CLICKRELAY_EVENTS_API_URL: sandbox.trackUrl, ...FAST_RETRIES }
  const accepted = new Set<string>()
  let unanswered = 0
  let serial = 0

  /** Posts orders, `concurrency` at a time, until the collector dies. */
  async function feed(collector: ChildCollector, alive: () => boolean): Promise<void> {
    const worker = async () => {
      while (alive()) {
        const id = `chaos-${++serial}`
        try {
          const answer = await postSignedOrder(collector.url, order(id))
          if (answer.status === 201 || answer.status === 200) accepted.add(id)
          else throw new Error(`order ${id} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
        } catch (err) {
          // A request cut off by the kill: not accepted as far as the client knows.
          if (alive()) throw err
          unanswered++
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
  }

  try {
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      sandbox.sandbox.clearFaults()
      const fault = faultFor(random)
      if (fault) sandbox.sandbox.inject(fault)
      const collector = await startChildCollector(env)
      let alive = true
      const fed = feed(collector, () => alive)
      await new Promise((resolve) => setTimeout(resolve, random.int(20, 400)))
      alive = false
      collector.process.kill('SIGKILL')
      await collector.exited
      await fed
    }

    // TikTok is well again; one last collector, allowed to finish, delivers whatever is left.
    sandbox.sandbox.clearFaults()
    const last = await startChildCollector(env)
    const deadline = Date.now() + 60_000
    const db = new Database(dbPath, { readonly: true })
    try {
      while (Date.now() < deadline) {
        const waiting = (db.prepare(`SELECT COUNT(*) AS n FROM events WHERE status IN ('pending', 'sending')`).get() as { n: number }).n
        if (waiting === 0) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    } finally {
      db.close()
    }
    last.process.kill('SIGTERM')
    await last.exited

    const check = new Database(dbPath)
    let integrity: string
    let ordersWithoutEvent: number
    try {
      integrity = (check.pragma('integrity_check', { simple: true }) as string) ?? 'unknown'
      ordersWithoutEvent = (check.prepare(`SELECT COUNT(*) AS n FROM orders o LEFT JOIN events e ON e.order_id = o.order_id WHERE e.id IS NULL`).get() as { n: number }).n
    } finally {
      check.close()
    }
    const copies = new Map<string, number>()
    for (const e of sandbox.sandbox.received()) if (e.source === 'server' && e.eventId) copies.set(e.eventId, (copies.get(e.eventId) ?? 0) + 1)
    const missing = [...accepted].filter((id) => !copies.has(`ord_${id}`))
    let duplicateCopies = 0
    for (const n of copies.values()) duplicateCopies += n - 1
    return {
      cycles: options.cycles,
      accepted: accepted.size,
      unanswered,
      distinctEvents: copies.size,
      duplicateCopies,
      missing,
      ordersWithoutEvent,
      integrity,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    }
  } finally {
    await sandbox.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
