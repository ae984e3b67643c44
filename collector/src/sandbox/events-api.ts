/**
 * The sandbox Events API: a stand-in for TikTok, which no machine here can reach. It checks
 * requests the way TikTok documents them, answers with TikTok's envelope and codes (HTTP 200,
 * the body's `code` decides), keeps what it received, and deduplicates like TikTok
 * (pixel code + event + event_id within 48 hours) so it can say whether an order was counted once.
 * It also takes the events of the stand-in pixel (collector/public/sandbox-pixel.js), so pixel and
 * server copies can be seen pairing up.
 *
 * Routes (relative to where it is mounted, /sandbox in the collector):
 *   POST /open_api/v1.3/event/track/   server events (Access-Token header)
 *   POST /pixel/track                  events from the stand-in pixel
 *   GET  /pixel/events.js              the stand-in pixel library
 *   GET  /received                     everything received (?event_id=, ?source=)
 *   GET  /requests                     every server request: when, how many events, the answer
 *   GET  /report?event_id=             dedup verdict for one event_id
 *   GET|POST|DELETE /faults            faults to inject into the next requests (see Fault)
 */
import express, { Router } from 'express'
import { z } from 'zod'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join } from 'node:path'
import type { Clock } from '../clock.js'
import { ROOT } from '../paths.js'
import { STANDARD_EVENTS, TIKTOK_CODE, type TrackResponse } from '../tiktok/types.js'

export const SANDBOX_TRACK_PATH = '/open_api/v1.3/event/track/'
const DEDUP_WINDOW_MS = 48 * 3_600_000
const SHA256_HEX = /^[0-9a-f]{64}$/

export interface ReceivedEvent {
  source: 'server' | 'pixel'
  pixelCode: string
  event: string
  eventId: string | undefined
  testEventCode: string | undefined
  receivedAt: number
  requestId: string
  /** The event as it arrived: for server events the data[] element, for pixel events what the pixel sent. */
  payload: Record<string, unknown>
}

export interface EventReport {
  event: string
  server: number
  pixel: number
  /** How many conversions TikTok would count after deduplication. */
  counted: number
  /** A pixel and a server copy arrived within 5 minutes of each other: TikTok merges them into one enriched event. */
  merged: boolean
  test: boolean
}

/**
 * A fault the sandbox injects into the Events API's answers, the next `times` requests (default
 * 1; 0 for every request until the faults are cleared). `invalid_event` holds until cleared: a
 * request carrying one of those events is refused whole, with code 40002 in an HTTP 200, or with
 * the HTTP `status` given (400, or 413 as for a body too large).
 */
export type Fault =
  | { kind: 'http'; status: number; times?: number }
  | { kind: 'rate_limit'; retryAfterS: number; times?: number }
  | { kind: 'code'; code: number; message?: string; times?: number }
  | { kind: 'invalid_event'; eventIds: string[]; status?: 400 | 413 }
  | { kind: 'timeout'; times?: number }
  | { kind: 'reset'; times?: number }
  | { kind: 'latency'; ms: number; times?: number }

export interface RequestLog {
  at: number
  events: number
  httpStatus: number | undefined
  code: number | undefined
}

export interface DedupReport {
  event_id: string
  events: EventReport[]
  /** True when exactly one conversion would be counted for this event_id. */
  counted_once: boolean
  /** True when both a pixel and a server copy arrived under the same event name. */
  paired: boolean
}

export interface Sandbox {
  router: Router
  received(): ReceivedEvent[]
  requests(): RequestLog[]
  report(eventId: string): DedupReport
  inject(...faults: Fault[]): void
  /** Removes the faults of one kind, or all. */
  clearFaults(kind?: Fault['kind']): void
  reset(): void
}

export interface SandboxOptions {
  pixelCode: string
  accessToken: string
  clock: Clock
  faults?: Fault[]
}

const MERGE_WINDOW_MS = 5 * 60_000
const faultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('http'), status: z.number().int().min(400).max(599), times: z.number().int().optional() }),
  z.object({ kind: z.literal('rate_limit'), retryAfterS: z.number().min(0), times: z.number().int().optional() }),
  z.object({ kind: z.literal('code'), code: z.number().int(), message: z.string().optional(), times: z.number().int().optional() }),
  z.object({ kind: z.literal('invalid_event'), eventIds: z.array(z.string()).min(1), status: z.union([z.literal(400), z.literal(413)]).optional() }),
  z.object({ kind: z.literal('timeout'), times: z.number().int().optional() }),
  z.object({ kind: z.literal('reset'), times: z.number().int().optional() }),
  z.object({ kind: z.literal('latency'), ms: z.number().int().min(0).max(600_000), times: z.number().int().optional() }),
]) satisfies z.ZodType<Fault>

export class Rejection extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

const invalid = (message: string) => new Rejection(TIKTOK_CODE.INVALID_PARAMETER, message)

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Checks one data[] element as TikTok documents it; throws a Rejection naming the field. */
export function validateServerEvent(e: unknown, at: string): void {
  if (!isObject(e)) throw invalid(`${at}: must be an object`)
  if (typeof e.event !== 'string' || !(STANDARD_EVENTS as readonly string[]).includes(e.event)) throw invalid(`${at}.event: "${String(e.event)}" is not a supported event (names are case-sensitive)`)
  if (typeof e.event_time !== 'number' || !Number.isInteger(e.event_time)) throw invalid(`${at}.event_time: must be an integer Unix timestamp in seconds`)
  if (e.event_time > 1e11) throw invalid(`${at}.event_time: looks like milliseconds; must be seconds`)
  if (e.event_time < 1e9) throw invalid(`${at}.event_time: out of range`)
  if ('event_id' in e && typeof e.event_id !== 'string') throw invalid(`${at}.event_id: must be a string`)
  if ('test_event_code' in e) throw invalid(`${at}.test_event_code: belongs at the top level of the request, not inside data`)
  const user = e.user
  if (!isObject(user)) throw invalid(`${at}.user: required`)
  for (const key of ['email', 'phone', 'external_id'] as const) {
    if (!(key in user)) continue
    const values = typeof user[key] === 'string' ? [user[key]] : user[key]
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && SHA256_HEX.test(v))) {
      throw invalid(`${at}.user.${key}: must be SHA-256 lowercase hex (a string or an array of them)`)
    }
  }
  for (const key of ['ttclid', 'ttp', 'user_agent', 'locale'] as const) {
    if (key in user && typeof user[key] !== 'string') throw invalid(`${at}.user.${key}: must be a string`)
  }
  if ('ip' in user && (typeof user.ip !== 'string' || isIP(user.ip) === 0)) throw invalid(`${at}.user.ip: must be an IPv4 or IPv6 address`)
  const page = e.page
  if (!isObject(page) || typeof page.url !== 'string' || !URL.canParse(page.url)) throw invalid(`${at}.page.url: required for web events, a full URL`)
  if ('properties' in e) {
    const p = e.properties
    if (!isObject(p)) throw invalid(`${at}.properties: must be an object`)
    if ('value' in p && typeof p.value !== 'number') throw invalid(`${at}.properties.value: must be a number`)
    if ('currency' in p && (typeof p.currency !== 'string' || !/^[A-Z]{3}$/.test(p.currency))) throw invalid(`${at}.properties.currency: must be an ISO 4217 code`)
    if ('order_id' in p && typeof p.order_id !== 'string') throw invalid(`${at}.properties.order_id: must be a string`)
    if ('contents' in p) {
      if (!Array.isArray(p.contents)) throw invalid(`${at}.properties.contents: must be an array`)
      p.contents.forEach((c, i) => {
        if (!isObject(c) || typeof c.content_id !== 'string') throw invalid(`${at}.properties.contents[${i}].content_id: must be a string`)
      })
    }
  }
}

export function createSandbox(options: SandboxOptions): Sandbox {
  const { clock } = options
  let received: ReceivedEvent[] = []
  let requestLog: RequestLog[] = []
  /** Counted faults with how many uses are left (Infinity: until cleared). */
  let faults: Array<{ fault: Fault; left: number }> = []
  const usesOf = (fault: Fault): number => {
    if (fault.kind === 'invalid_event' || fault.times === 0) return Infinity
    return Math.max(1, fault.times ?? 1)
  }
  const inject = (...list: Fault[]) => {
    for (const fault of list) faults.push({ fault, left: usesOf(fault) })
  }
  inject(...(options.faults ?? []))
  /** The next counted fault (not invalid_event, which is a rule), used up once. */
  const takeFault = (): Fault | undefined => {
    const entry = faults.find((f) => f.fault.kind !== 'invalid_event')
    if (!entry) return undefined
    if (--entry.left <= 0) faults = faults.filter((f) => f !== entry)
    return entry.fault
  }
  /** The invalid_event rules in force, by the event_id they refuse. */
  const invalidEventRules = () => {
    const rules = new Map<string, Extract<Fault, { kind: 'invalid_event' }>>()
    for (const { fault } of faults) if (fault.kind === 'invalid_event') for (const eventId of fault.eventIds) rules.set(eventId, fault)
    return rules
  }
  const requestId = () => randomBytes(16).toString('hex')
  const answer = (res: express.Response, body: TrackResponse) => res.status(200).json(body)

  const router = Router()
  router.use(express.json({ limit: '5mb', type: () => true }))

  router.post(SANDBOX_TRACK_PATH, async (req, res) => {
    const id = requestId()
    const log = (httpStatus: number | undefined, code: number | undefined) =>
      requestLog.push({ at: clock.now(), events: Array.isArray((req.body as { data?: unknown })?.data) ? (req.body as { data: unknown[] }).data.length : 0, httpStatus, code })
    const fault = takeFault()
    if (fault?.kind === 'reset') {
      log(undefined, undefined)
      req.socket.destroy()
      return
    }
    if (fault?.kind === 'timeout') {
      log(undefined, undefined) // never answers; the client gives up
      return
    }
    if (fault?.kind === 'http') {
      log(fault.status, undefined)
      res.status(fault.status).type('text/plain').send('sandbox fault: HTTP ' + fault.status)
      return
    }
    if (fault?.kind === 'rate_limit') {
      log(429, undefined)
      res.status(429).set('Retry-After', String(fault.retryAfterS)).type('text/plain').send('sandbox fault: too many requests')
      return
    }
    if (fault?.kind === 'code') {
      log(200, fault.code)
      answer(res, { code: fault.code, message: fault.message ?? (fault.code === TIKTOK_CODE.TOO_MANY_REQUESTS ? 'Too many requests. Please retry in some time.' : 'sandbox fault'), request_id: id, data: {} })
      return
    }
    try {
      if (req.get('access-token') !== options.accessToken) throw new Rejection(TIKTOK_CODE.NO_PERMISSION, 'No permission to operate pixel: access token is missing or does not belong to this pixel')
      if (!/^application\/json/.test(req.get('content-type') ?? '')) throw invalid('Content-Type must be application/json')
      const body: unknown = req.body
      if (!isObject(body)) throw invalid('request body must be a JSON object')
      if (body.event_source !== 'web') throw invalid('event_source: must be "web" for website events')
      if (typeof body.event_source_id !== 'string' || !body.event_source_id) throw invalid('event_source_id: required (the pixel code)')
      if (body.event_source_id !== options.pixelCode) throw new Rejection(TIKTOK_CODE.NO_PERMISSION, `No permission to operate pixel ${body.event_source_id}`)
      if ('test_event_code' in body && typeof body.test_event_code !== 'string') throw invalid('test_event_code: must be a string')
      if (!Array.isArray(body.data) || body.data.length < 1 || body.data.length > 1000) throw invalid('data: must hold 1 to 1000 events')
      body.data.forEach((e, i) => validateServerEvent(e, `data[${i}]`))
      const rules = invalidEventRules()
      for (const [i, e] of (body.data as Array<Record<string, unknown>>).entries()) {
        const rule = rules.get(e.event_id as string)
        if (!rule) continue
        if (rule.status) {
          log(rule.status, undefined)
          res.status(rule.status).type('text/plain').send(`sandbox fault: HTTP ${rule.status} for data[${i}]`)
          return
        }
        throw invalid(`data[${i}].event_id: "${String(e.event_id)}" rejected (sandbox fault)`)
      }
      const now = clock.now()
      for (const e of body.data as Array<Record<string, unknown>>) {
        received.push({
          source: 'server',
          pixelCode: body.event_source_id,
          event: e.event as string,
          eventId: e.event_id as string | undefined,
          testEventCode: body.test_event_code as string | undefined,
          receivedAt: now,
          requestId: id,
          payload: e,
        })
      }
      // Latency is added after the events are taken, as when TikTok has them but the answer is slow.
      if (fault?.kind === 'latency') await new Promise((resolve) => setTimeout(resolve, fault.ms))
      log(200, TIKTOK_CODE.OK)
      answer(res, { code: TIKTOK_CODE.OK, message: 'OK', request_id: id, data: {} })
    } catch (err) {
      if (!(err instanceof Rejection)) throw err
      log(200, err.code)
      answer(res, { code: err.code, message: err.message, request_id: id, data: {} })
    }
  })

  router.get('/faults', (_req, res) => {
    res.json({ faults: faults.map((f) => ({ ...f.fault, left: Number.isFinite(f.left) ? f.left : null })) })
  })
  router.post('/faults', (req, res) => {
    const list = z.union([faultSchema, z.array(faultSchema)]).safeParse(req.body)
    if (!list.success) {
      res.status(400).json({ error: { code: 'invalid_request', message: list.error.issues[0]?.message ?? 'not a fault' } })
      return
    }
    inject(...(Array.isArray(list.data) ? list.data : [list.data]))
    res.json({ faults: faults.length })
  })
  const clearFaults = (kind?: Fault['kind']) => {
    faults = kind ? faults.filter((f) => f.fault.kind !== kind) : []
  }
  router.delete('/faults', (req, res) => {
    clearFaults(typeof req.query.kind === 'string' ? (req.query.kind as Fault['kind']) : undefined)
    res.json({ faults: faults.length })
  })
  router.get('/requests', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ requests: requestLog })
  })

  router.post('/pixel/track', (req, res) => {
    const b: unknown = req.body
    if (!isObject(b) || typeof b.pixel_code !== 'string' || typeof b.event !== 'string') {
      res.status(400).json({ error: { code: 'invalid_request', message: 'pixel_code and event are required' } })
      return
    }
    received.push({
      source: 'pixel',
      pixelCode: b.pixel_code,
      event: b.event,
      eventId: typeof b.event_id === 'string' ? b.event_id : undefined,
      testEventCode: typeof b.test_event_code === 'string' ? b.test_event_code : undefined,
      receivedAt: clock.now(),
      requestId: requestId(),
      payload: b,
    })
    res.status(204).end()
  })

  const pixelLibrary = readFileSync(join(ROOT, 'collector', 'public', 'sandbox-pixel.js'))
  router.get('/pixel/events.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'no-cache').send(pixelLibrary)
  })

  router.get('/received', (req, res) => {
    const { event_id, source } = req.query
    res.set('Cache-Control', 'no-store').json({
      events: received.filter((e) => (event_id === undefined || e.eventId === event_id) && (source === undefined || e.source === source)),
    })
  })

  router.get('/report', (req, res) => {
    if (typeof req.query.event_id !== 'string') {
      res.status(400).json({ error: { code: 'invalid_request', message: 'event_id is required' } })
      return
    }
    res.set('Cache-Control', 'no-store').json(report(req.query.event_id))
  })

  function report(eventId: string): DedupReport {
    const byEvent = new Map<string, ReceivedEvent[]>()
    for (const e of received) {
      if (e.eventId !== eventId) continue
      const key = `${e.pixelCode}|${e.event}`
      byEvent.set(key, [...(byEvent.get(key) ?? []), e])
    }
    const events: EventReport[] = [...byEvent.values()].map((copies) => {
      // A copy within 48 hours of the first kept copy is a duplicate; a later one counts again.
      let counted = 0
      let windowStart = -Infinity
      for (const c of [...copies].sort((a, b) => a.receivedAt - b.receivedAt)) {
        if (c.receivedAt - windowStart > DEDUP_WINDOW_MS) {
          counted++
          windowStart = c.receivedAt
        }
      }
      const first = (source: ReceivedEvent['source']) => copies.find((c) => c.source === source)?.receivedAt
      const [server, pixel] = [first('server'), first('pixel')]
      return {
        event: copies[0]!.event,
        server: copies.filter((c) => c.source === 'server').length,
        pixel: copies.filter((c) => c.source === 'pixel').length,
        counted,
        merged: server !== undefined && pixel !== undefined && Math.abs(server - pixel) <= MERGE_WINDOW_MS,
        test: copies.every((c) => c.testEventCode !== undefined),
      }
    })
    const counted = events.reduce((n, e) => n + e.counted, 0)
    return { event_id: eventId, events, counted_once: counted === 1, paired: events.some((e) => e.server > 0 && e.pixel > 0) }
  }

  return {
    router,
    received: () => [...received],
    requests: () => [...requestLog],
    report,
    inject,
    clearFaults,
    reset() {
      received = []
      requestLog = []
      faults = []
    },
  }
}
