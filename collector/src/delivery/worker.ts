/**
 * The delivery loop: store-and-forward from the outbox to the Events API.
 *
 * Events are already persisted when `kick()` is called (the order transaction), so a crash at
 * any point loses nothing: a leased event whose lease runs out is claimed again, with the
 * same event_id, and TikTok deduplicates the second copy. The loop runs when kicked and when
 * the next event or probe falls due: no polling.
 *
 * A circuit keeps an outage cheap and the recovery fast. While TikTok fails (a `retry` or `setup`
 * answer), the queue waits and one probe request, carrying one event, goes at the backoff
 * cadence. The first answer that shows TikTok takes requests again closes the circuit: every
 * waiting event is due at once, and the backlog drains in batches of up to 1,000.
 */
import type { Clock } from '../clock.js'
import type { Logger } from '../log.js'
import type { AttemptRecord, DeliveryOutcome, OutboxEvent, Store } from '../store/store.js'
import { verdictOf, type EventsApi, type SendResult, type Verdict } from '../tiktok/client.js'
import { trackRequestBody } from '../tiktok/payload.js'

export interface DeliveryOptions {
  store: Store
  api: EventsApi
  clock: Clock
  log: Logger
  pixelCode: string
  /** Events per request; TikTok accepts at most 1,000. */
  batchSize?: number
  /** How long a claimed event stays ours before another run may claim it again. */
  leaseMs?: number
  /** Exponential backoff between probes while TikTok fails. */
  backoff?: { baseMs: number; maxMs: number }
  /**
   * During an outage (not a setup error) TikTok is probed at least this often, whatever
   * `backoff.maxMs` says: a probe is one event, and the backlog should leave soon after TikTok is back.
   */
  outageProbeMaxMs?: number
  /** An event that cannot be tried again within this age since it was accepted ends as `expired`. */
  maxAgeMs?: number
  random?: () => number
}

/**
 * How delivery is going, from the latest answer: `ok` (TikTok answered and took the request),
 * `retrying` (TikTok unreachable, overloaded or failing: events wait and back off), or
 * `auth_failing` (TikTok refused the token or pixel: events wait until the operator fixes it).
 */
export interface DeliveryStatus {
  state: 'ok' | 'retrying' | 'auth_failing'
  /** When the state last changed; undefined before the first answer. */
  since: number | undefined
  lastCode: number | undefined
  lastHttpStatus: number | undefined
  lastMessage: string | undefined
}

export interface DeliveryWorker {
  status(): DeliveryStatus
  /** Something was enqueued: deliver now (or at the next probe, while TikTok fails). */
  kick(): void
  /**
   * Resumes whatever the outbox holds (after a restart) and waits for work. Resolves once the
   * delivery state is known from the latest recorded answer, so a restart does not report `ok`
   * while TikTok is still refusing the token.
   */
  start(): Promise<void>
  /** Stops taking work, waits for the requests in flight and records their outcome. */
  stop(): Promise<void>
  /** Resolves when the loop is idle (for tests and shutdown). */
  idle(): Promise<void>
}

/**
 * Whether TikTok takes requests. Closed: events go as they fall due, in batches. Open: TikTok
 * failed, the queue waits, and when the probe timer fires one request with one event is sent.
 */
interface Circuit {
  open: boolean
  /** The probe timer fired: the next run sends one event. */
  probeDue: boolean
  /** Failed requests in a row; the probe backoff grows with them. */
  failures: number
  /** When the probe timer fires; the events of a failed request are due again then. */
  probeAt: number
}

const AUTH_FIX =
  'TikTok refused the access token or the pixel: check CLICKRELAY_ACCESS_TOKEN and CLICKRELAY_PIXEL_CODE in Events Manager (pixel settings, Events API, generate a new token) and restart if you change them; events wait, one event probes TikTok now and then, and delivery resumes by itself once it is fixed'
/** A setup error needs the operator first: probes go no more often than this (within the backoff's maximum). */
const SETUP_PROBE_MIN_MS = 60_000
const EXPIRED_WAITING = 'expired: the Events API kept failing past CLICKRELAY_EVENT_MAX_AGE_DAYS; replay it from the admin API'

export function createDeliveryWorker(options: DeliveryOptions): DeliveryWorker {
  const { store, api, clock, log, pixelCode } = options
  const batchSize = Math.min(options.batchSize ?? 1000, 1000)
  const leaseMs = options.leaseMs ?? 60_000
  const backoff = options.backoff ?? { baseMs: 1_000, maxMs: 10 * 60_000 }
  const outageProbeMaxMs = options.outageProbeMaxMs ?? 15_000
  const maxAgeMs = options.maxAgeMs ?? 7 * 86_400_000
  const random = options.random ?? Math.random

  let status: DeliveryStatus = { state: 'ok', since: undefined, lastCode: undefined, lastHttpStatus: undefined, lastMessage: undefined }
  const circuit: Circuit = { open: false, probeDue: false, failures: 0, probeAt: 0 }

  function stateOf(verdict: Verdict): DeliveryStatus['state'] {
    if (verdict === 'setup') return 'auth_failing'
    if (verdict === 'retry') return 'retrying'
    return 'ok'
  }

  /** The state the last run ended in, from its latest recorded answer; a failing one leaves the circuit open. */
  async function recallStatus(): Promise<void> {
    const last = await store.lastAttempt()
    if (!last || status.since !== undefined) return
    const state = stateOf(verdictOf(last.httpStatus, last.code))
    status = { state, since: last.startedAt, lastCode: last.code, lastHttpStatus: last.httpStatus, lastMessage: last.message }
    if (state === 'auth_failing') log.error({ delivery: state, http: last.httpStatus, code: last.code, tiktok_message: last.message }, `${AUTH_FIX} (TikTok's last answer, before this start)`)
    if (state !== 'ok') {
      // The probe keeps the time the last run gave it: the waiting events' next attempt.
      circuit.open = true
      circuit.failures = 1
      const next = await store.nextDueAt()
      scheduleProbe(next === undefined ? 0 : next - clock.now())
    }
  }

  /** Follows the latest answer, and says at `error` what to fix when TikTok starts refusing the setup. */
  function noteAnswer(result: SendResult): void {
    const state = stateOf(result.verdict)
    const changed = state !== status.state || status.since === undefined
    status = { state, since: changed ? clock.now() : status.since, lastCode: result.code, lastHttpStatus: result.httpStatus, lastMessage: result.message }
    if (!changed) return
    const fields = { delivery: state, http: result.httpStatus, code: result.code, tiktok_message: result.message }
    if (state === 'auth_failing') log.error(fields, AUTH_FIX)
    else if (state === 'retrying') log.warn(fields, 'the Events API is failing; events wait, and one event probes it with backoff')
    else log.info(fields, 'the Events API accepts events again')
  }

  let running: Promise<void> | undefined
  let again = false
  let stopped = true
  let timer: NodeJS.Timeout | undefined

  /** How long until the next probe: exponential with jitter, slower for a setup error, never sooner than Retry-After. */
  function probeDelay(result: SendResult): number {
    const setup = result.verdict === 'setup'
    const cap = setup ? backoff.maxMs : Math.min(backoff.maxMs, outageProbeMaxMs)
    let exponential = Math.min(cap, backoff.baseMs * 2 ** Math.max(0, circuit.failures - 1))
    if (setup) exponential = Math.max(exponential, Math.min(cap, SETUP_PROBE_MIN_MS))
    const jittered = exponential / 2 + (random() * exponential) / 2
    return Math.ceil(Math.max(jittered, result.retryAfterMs ?? 0))
  }

  /**
   * Moves the circuit on an answer: a failure opens it (or keeps it open) and sets the probe
   * timer; any other answer means TikTok takes requests, and closes it. Returns when the events
   * of a failed request are due again.
   */
  function followAnswer(result: SendResult): number | undefined {
    if (result.verdict === 'retry' || result.verdict === 'setup') {
      circuit.open = true
      circuit.failures++
      scheduleProbe(probeDelay(result))
      return circuit.probeAt
    }
    circuit.open = false
    circuit.failures = 0
    return undefined
  }

  function toAttempt(result: SendResult, batch: number, startedAt: number): AttemptRecord {
    return { startedAt, durationMs: result.durationMs, batchSize: batch, httpStatus: result.httpStatus, code: result.code, message: result.message, requestId: result.requestId }
  }

  function logRequest(result: SendResult, events: number, nextAttemptAt: number | undefined): void {
    const fields = { events, http: result.httpStatus, code: result.code, request_id: result.requestId, ms: result.durationMs }
    if (result.verdict === 'delivered') log.info(fields, 'events delivered')
    else if (result.verdict === 'invalid') log.warn({ ...fields, tiktok_message: result.message }, events > 1 ? 'TikTok refused the batch as invalid; splitting it' : 'TikTok refused the event as invalid')
    else log.warn({ ...fields, tiktok_message: result.message, next_probe_in_ms: Math.round((nextAttemptAt ?? 0) - clock.now()) }, 'request failed; events wait for the next probe')
  }

  /** Sends one group; a batch TikTok rejects as invalid is split until the bad events stand alone. */
  async function sendGroup(events: OutboxEvent[], testEventCode: string | undefined): Promise<DeliveryOutcome[]> {
    const startedAt = clock.now()
    const result = await api.send(trackRequestBody(pixelCode, events.map((e) => e.payloadJson), testEventCode))
    const attempt = toAttempt(result, events.length, startedAt)
    noteAnswer(result)
    const nextAttemptAt = followAnswer(result)
    logRequest(result, events.length, nextAttemptAt)
    if (result.verdict === 'invalid' && events.length > 1) {
      const half = Math.ceil(events.length / 2)
      return [...(await sendGroup(events.slice(0, half), testEventCode)), ...(await sendGroup(events.slice(half), testEventCode))]
    }
    return events.map((e): DeliveryOutcome => {
      if (result.verdict === 'delivered') return { id: e.id, status: 'delivered', attempt }
      if (result.verdict === 'invalid') return { id: e.id, status: 'failed', attempt }
      // retry or setup: the event waits for the next probe, unless that falls past its maximum age
      const at = nextAttemptAt ?? clock.now()
      return at - e.ageFrom > maxAgeMs ? { id: e.id, status: 'expired', attempt } : { id: e.id, status: 'retry', attempt, nextAttemptAt: at }
    })
  }

  function logOutcomes(outcomes: DeliveryOutcome[]): void {
    for (const o of outcomes) {
      const fields = { event_row: o.id, status: o.status, http: o.attempt.httpStatus, code: o.attempt.code, request_id: o.attempt.requestId }
      if (o.status === 'delivered') log.debug(fields, 'event delivered')
      else if (o.status === 'retry') log.debug(fields, 'event delivery will be retried')
      else log.warn({ ...fields, message: o.attempt.message }, o.status === 'expired' ? 'event expired; replay it from the admin API' : 'event rejected')
    }
  }

  /** One claim and its requests. Returns how many events it claimed (0: nothing to do now). */
  async function runOnce(): Promise<number> {
    if (circuit.open && !circuit.probeDue) return 0
    const wasOpen = circuit.open
    // One probe per timer, even with two lanes running.
    circuit.probeDue = false
    // A timer may fire a hair before the time it was set for: the probe takes what is due by then.
    const now = wasOpen ? Math.max(clock.now(), circuit.probeAt) : clock.now()
    // While the circuit is open, one event probes whether TikTok is back; the rest of the queue waits.
    const events = await store.claimDueEvents(now, wasOpen ? 1 : batchSize, now + leaseMs)
    if (events.length === 0) {
      circuit.probeDue = wasOpen
      return 0
    }
    const groups = new Map<string | undefined, OutboxEvent[]>()
    for (const e of events) {
      const group = groups.get(e.testEventCode)
      if (group) group.push(e)
      else groups.set(e.testEventCode, [e])
    }
    for (const [testEventCode, group] of groups) {
      const outcomes = await sendGroup(group, testEventCode)
      await store.recordOutcomes(outcomes, clock.now())
      logOutcomes(outcomes)
    }
    // TikTok is back: the whole backlog is due now, whatever each event's own timer said.
    if (wasOpen && !circuit.open) await store.makeWaitingDue(clock.now())
    if (circuit.open) {
      // Nothing goes before the next probe: an event accepted so long ago that it would be tried past its maximum age ends now.
      const expired = await store.expireWaiting(circuit.probeAt - maxAgeMs, EXPIRED_WAITING)
      if (expired > 0) log.warn({ expired }, 'events expired while the Events API kept failing; replay them from the admin API')
    }
    return events.length
  }

  /** Sends until nothing is due, or until the circuit opens or closes (the lanes are then picked anew). */
  async function lane(): Promise<void> {
    const open = circuit.open
    while (!stopped && circuit.open === open && (await runOnce()) > 0) {
      // keep draining a backlog
    }
  }

  /**
   * Sends until nothing is due. While TikTok takes requests, two lanes run: in a backlog one
   * request is at TikTok while the other lane claims and records, so the database and the
   * network overlap. While it fails, one lane sends the probe.
   */
  async function drain(): Promise<void> {
    for (;;) {
      const open = circuit.open
      const lanes = await Promise.allSettled(open ? [lane()] : [lane(), lane()])
      for (const result of lanes) if (result.status === 'rejected') throw result.reason
      if (stopped || circuit.open === open) return
    }
  }

  async function loop(): Promise<void> {
    do {
      again = false
      try {
        await drain()
        // While the circuit is open, the probe timer is the only one; a probe that found nothing
        // due yet waits for the first waiting event (none: the next kick probes).
        if (!stopped && !circuit.open) schedule(await store.nextDueAt())
        if (!stopped && circuit.open && circuit.probeDue) {
          const next = await store.nextDueAt()
          if (next !== undefined) scheduleProbe(next - clock.now())
        }
      } catch (err) {
        log.error({ err }, 'delivery loop failed; retrying shortly')
        if (circuit.open) scheduleProbe(5_000)
        else schedule(clock.now() + 5_000)
        return
      }
    } while (again && !stopped)
  }

  function clearTimer(): void {
    if (timer) clearTimeout(timer)
    timer = undefined
  }

  // Timers in Node cannot exceed ~24.8 days; a due time further out is re-checked on the way.
  const MAX_TIMER_MS = 2 ** 31 - 1

  function schedule(at: number | undefined): void {
    clearTimer()
    if (at === undefined || stopped) return
    timer = setTimeout(kick, Math.min(Math.max(0, at - clock.now()), MAX_TIMER_MS))
    timer.unref()
  }

  function scheduleProbe(delayMs: number): void {
    clearTimer()
    circuit.probeDue = false
    circuit.probeAt = clock.now() + delayMs
    if (stopped) return
    timer = setTimeout(
      () => {
        circuit.probeDue = true
        kick()
      },
      Math.min(Math.max(0, delayMs), MAX_TIMER_MS),
    )
    timer.unref()
  }

  function kick(): void {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = loop().finally(() => {
      running = undefined
      // a kick that arrived while the loop was finishing must not be lost
      if (again && !stopped) {
        again = false
        kick()
      }
    })
  }

  return {
    status: () => status,
    kick,
    async start() {
      stopped = false
      try {
        await recallStatus()
      } catch (err) {
        log.error({ err }, 'could not read the latest delivery attempt; delivery state starts as ok')
      }
      kick()
    },
    async stop() {
      stopped = true
      clearTimer()
      await running
    },
    async idle() {
      while (running) await running
    },
  }
}
