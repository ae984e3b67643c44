/**
 * /admin/*: the operator's JSON API, for the merchant's staff and scripts only.
 * Every request needs `Authorization: Bearer <CLICKRELAY_ADMIN_TOKEN>`; without a configured
 * token the admin API is off.
 *
 *   GET  /admin/status              is it doing its job: clicks, refusals, orders, queue, delivery, setup problems
 *   GET  /admin/orders/:id          an order's attribution (which click, through which link) and delivery
 *   GET  /admin/events?status=&from=&to=&limit=   server events, newest last
 *   GET  /admin/events/:id          one event: the exact payload sent and every attempt (receipts)
 *   POST /admin/events/:id/replay   send one event again, same event_id
 *   POST /admin/replays             {status?, from, to}: send again every event so ended in a time range
 *   POST /admin/deletions           {email?, phone?, visitor_id?}: delete everything linked to them
 */
import express, { Router, type RequestHandler } from 'express'
import { timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { VISITOR_ID_PATTERN } from '../../../common/wire.js'
import type { AppContext } from '../context.js'
import { HttpError, parseOr400 } from '../errors.js'
import { hashEmail, hashPhone } from '../hashing.js'
import { ageSeconds, DAY_MS, HOUR_MS } from '../clock.js'
import type { Activity, EventRecord, LinkKind, OrderReport } from '../store/store.js'

const ENDED = ['delivered', 'failed', 'expired'] as const
const STATUSES = ['pending', 'sending', ...ENDED] as const
const rowId = z.coerce.number({ error: 'must be an event id' }).int().positive()
const time = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time, e.g. 2026-06-14T00:00:00Z')
  .transform((v) => Date.parse(v))

const eventQuerySchema = z.object({
  status: z
    .string()
    .transform((v) => v.split(','))
    .pipe(z.array(z.enum(STATUSES)))
    .optional(),
  from: time.optional(),
  to: time.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})

const replaySchema = z.object({
  status: z.array(z.enum(ENDED)).min(1).default(['failed']),
  from: time,
  to: time,
})

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())

function eventJson(e: Omit<EventRecord, 'payload' | 'receipts'>) {
  return {
    id: e.id,
    destination: e.destination,
    event: e.eventName,
    event_id: e.eventId,
    order_id: e.orderId ?? null,
    status: e.status,
    attempts: e.attempts,
    last_error: e.lastError ?? null,
    test_event_code: e.testEventCode ?? null,
    created_at: iso(e.createdAt),
    delivered_at: iso(e.deliveredAt),
    next_attempt_at: e.status === 'pending' ? iso(e.nextAttemptAt) : null,
  }
}

/** Orders accepted, and the share linked to an ad click: the number ClickRelay exists to raise. */
function ordersJson(a: Activity) {
  const share = a.orders ? Math.round((a.ordersWithTtclid / a.orders) * 1000) / 1000 : null
  return { accepted: a.orders, with_ttclid: a.ordersWithTtclid, ttclid_share: share }
}

const deletionSchema = z
  .object({
    email: z.string().max(320).optional(),
    phone: z.string().max(64).optional(),
    visitor_id: z.string().regex(VISITOR_ID_PATTERN, 'must be a visitor ID').optional(),
  })
  .refine((d) => d.email || d.phone || d.visitor_id, 'give at least one of email, phone, visitor_id')

export function adminRouter(ctx: AppContext): Router {
  const router = Router()
  const token = ctx.config.adminToken
  const authenticate: RequestHandler = (req, _res, next) => {
    if (!token) throw new HttpError(403, 'admin_disabled', 'the admin API is off; set CLICKRELAY_ADMIN_TOKEN to use it')
    const given = Buffer.from((req.get('authorization') ?? '').replace(/^Bearer\s+/i, ''))
    const expected = Buffer.from(token)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpError(401, 'unauthorized', 'Authorization: Bearer <CLICKRELAY_ADMIN_TOKEN> is missing or wrong')
    next()
  }
  router.use('/admin', authenticate, express.json({ limit: '16kb' }))

  router.get('/admin/status', async (_req, res) => {
    const now = ctx.clock.now()
    const hour = await ctx.store.activity(now - HOUR_MS)
    const day = await ctx.store.activity(now - DAY_MS)
    const queue = await ctx.store.queueStats()
    const lastAccepted = await ctx.store.lastDeliveredAt()
    const delivery = ctx.deliveryStatus()
    res.set('Cache-Control', 'no-store').json({
      mode: ctx.config.mode,
      public_url: ctx.config.publicUrl ?? null,
      test_event_code: Boolean(ctx.config.tiktok.testEventCode),
      clicks: { last_hour: hour.clicks, last_24h: day.clicks, with_ttclid_last_24h: day.adClicks },
      refusals: { last_hour: ctx.monitor.refusals(HOUR_MS), last_24h: ctx.monitor.refusals(DAY_MS) },
      orders: { last_hour: ordersJson(hour), last_24h: ordersJson(day) },
      queue: { waiting: queue.waiting, oldest_waiting_age_s: ageSeconds(now, queue.oldestWaitingSince) },
      delivery: {
        state: delivery.state,
        since: iso(delivery.since),
        last_http_status: delivery.lastHttpStatus ?? null,
        last_code: delivery.lastCode ?? null,
        last_message: delivery.lastMessage ?? null,
        last_accepted_at: iso(lastAccepted),
      },
      problems: ctx.monitor.problems(DAY_MS).map((p) => ({ code: p.code, message: p.message, count: p.count, first_seen: iso(p.firstSeen), last_seen: iso(p.lastSeen) })),
    })
  })

  router.get('/admin/orders/:id', async (req, res) => {
    const order = await ctx.store.findOrder(req.params.id)
    if (!order) throw new HttpError(404, 'not_found', `no order ${req.params.id}`)
    const { click } = order
    res.json({
      order_id: order.orderId,
      event_id: order.eventId,
      attribution: click
        ? {
            ttclid: click.ttclid,
            captured_at: new Date(click.capturedAt).toISOString(),
            landing_url: click.landingUrl,
            in_app: click.inApp,
            utm: click.utm,
            linked_by: order.linkedBy,
            summary: describeAttribution(click, order.linkedBy),
          }
        : { summary: 'no ttclid: no click from a TikTok ad is linked to this buyer' },
      pixel: pixelPairing(order),
      event: order.event && {
        name: order.event.name,
        status: order.event.status,
        attempts: order.event.attempts,
        last_error: order.event.lastError ?? null,
        delivered_at: order.event.deliveredAt === undefined ? null : new Date(order.event.deliveredAt).toISOString(),
        test_event_code: order.event.testEventCode ?? null,
      },
    })
  })

  router.get('/admin/events', async (req, res) => {
    const query = parseOr400(eventQuerySchema, req.query)
    const events = await ctx.store.listEvents({ statuses: query.status, from: query.from, to: query.to, limit: query.limit })
    res.json({ events: events.map(eventJson) })
  })

  router.get('/admin/events/:id', async (req, res) => {
    const event = await ctx.store.getEvent(parseOr400(rowId, req.params.id))
    if (!event) throw new HttpError(404, 'not_found', `no event ${req.params.id}`)
    res.json({
      ...eventJson(event),
      payload: event.payload,
      receipts: event.receipts.map((r) => ({
        started_at: iso(r.startedAt),
        duration_ms: r.durationMs,
        batch_size: r.batchSize,
        http_status: r.httpStatus ?? null,
        code: r.code ?? null,
        message: r.message,
        request_id: r.requestId ?? null,
      })),
    })
  })

  router.post('/admin/events/:id/replay', async (req, res) => {
    const id = parseOr400(rowId, req.params.id)
    const event = await ctx.store.getEvent(id)
    if (!event) throw new HttpError(404, 'not_found', `no event ${id}`)
    const replayed = await ctx.store.replayEvents({ ids: [id] }, ctx.clock.now())
    if (!replayed.length) throw new HttpError(409, 'in_queue', `event ${id} is ${event.status}: it is already in the queue`)
    ctx.onEnqueued()
    ctx.log.info({ event_row: id, event_id: event.eventId }, 'event replayed')
    res.json({ replayed })
  })

  router.post('/admin/replays', async (req, res) => {
    const body = parseOr400(replaySchema, req.body)
    const replayed = await ctx.store.replayEvents({ statuses: body.status, from: body.from, to: body.to }, ctx.clock.now())
    if (replayed.length) ctx.onEnqueued()
    ctx.log.info({ count: replayed.length, statuses: body.status }, 'events replayed')
    res.json({ replayed, count: replayed.length })
  })

  router.post('/admin/deletions', async (req, res) => {
    const body = parseOr400(deletionSchema, req.body)
    const emailHash = body.email ? hashEmail(body.email) : undefined
    if (body.email && !emailHash) throw new HttpError(400, 'invalid_request', 'email: not an email address')
    const phoneHash = body.phone ? hashPhone(body.phone, ctx.config.defaultCountry) : undefined
    if (body.phone && !phoneHash) throw new HttpError(400, 'invalid_request', 'phone: cannot be normalised to E.164; include the country code')
    const deleted = await ctx.store.deleteSubject({ visitorId: body.visitor_id, emailHash, phoneHash })
    ctx.log.info({ deleted }, 'deletion request carried out')
    res.json({ deleted })
  })
  return router
}

const LINKS: Record<LinkKind, string> = { visitor_id: 'the same browser', email: 'email', phone: 'phone', ttclid: 'the same ad click opened in another browser' }

/** "ttclid captured 2026-06-14 on /products/trail-jacket in TikTok's in-app browser, linked by email" */
function describeAttribution(click: NonNullable<OrderReport['click']>, linkedBy: LinkKind | undefined): string {
  const where = URL.canParse(click.landingUrl) ? new URL(click.landingUrl).pathname : click.landingUrl
  return `ttclid captured ${new Date(click.capturedAt).toISOString().slice(0, 10)} on ${where}${click.inApp ? " in TikTok's in-app browser" : ''}${linkedBy ? `, linked by ${LINKS[linkedBy]}` : ''}`
}

/**
 * Whether the browser pixel fired for this order too: `paired` (same event name and event_id,
 * so TikTok counts it once), `different_event_name` (the pixel used another name, a dedup risk),
 * or `server_only` (no pixel receipt: the pixel was blocked or never fired).
 */
function pixelPairing(order: OrderReport) {
  const names = [...new Set(order.pixelEvents.map((e) => e.eventName))]
  const status = !names.length ? 'server_only' : order.event && names.includes(order.event.name) ? 'paired' : 'different_event_name'
  return { status, events: order.pixelEvents.map((e) => ({ event: e.eventName, received_at: new Date(e.receivedAt).toISOString() })) }
}
