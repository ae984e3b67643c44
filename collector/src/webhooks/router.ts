/**
 * POST /webhooks/shopify, /webhooks/woocommerce, /webhooks/stripe: paid orders straight from the
 * platform, for merchants with no backend of their own to sign POST /orders. Every platform goes
 * the same way here; what differs is its mapping (shopify.ts, woocommerce.ts, stripe.ts):
 *   1. the route is off (404, naming the variable) until the platform's secret is set;
 *   2. the signature is checked over the raw body, in constant time: 401 when it fails;
 *   3. a delivery ID already handled is answered as before and nothing is done again;
 *   4. what is not a paid order is answered 200 {"status":"ignored","reason"}, so the platform
 *      neither retries it nor disables the subscription, and counted in /admin/status;
 *   5. a paid order goes through the order path of POST /orders (../orders/accept.ts), stored with
 *      its event before the answer: 201 accepted, or 200 duplicate when another topic brought it.
 */
import express, { Router, type Request, type Response } from 'express'
import { randomUUID } from 'node:crypto'
import { DAY_MS } from '../clock.js'
import type { Config } from '../config.js'
import type { AppContext } from '../context.js'
import { HttpError } from '../errors.js'
import { acceptOrderBody } from '../orders/accept.js'
import type { WebhookDelivery } from '../store/store.js'
import { shopify } from './shopify.js'
import type { Delivery, Reading, WebhookSource } from './source.js'
import { stripe } from './stripe.js'
import { woocommerce } from './woocommerce.js'

export const WEBHOOK_SOURCES: readonly WebhookSource[] = [shopify, woocommerce, stripe]
/** Shopify's orders with many lines run to a few hundred kB. */
const BODY_LIMIT = '2mb'

export function webhooksRouter(ctx: AppContext): Router {
  const router = Router()
  for (const source of WEBHOOK_SOURCES) {
    router.post(`/webhooks/${source.platform}`, express.raw({ type: () => true, limit: BODY_LIMIT }), async (req, res) => {
      await handleDelivery(ctx, source, req, res)
    })
  }
  return router
}

async function handleDelivery(ctx: AppContext, source: WebhookSource, req: Request, res: Response): Promise<void> {
  const { config, clock, store } = ctx
  const secret = source.secret(config)
  if (!secret) throw new HttpError(404, 'webhook_not_configured', `the ${source.platform} webhook is off: set ${source.secretVariable} to the signing secret the platform shows for this webhook`)
  const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
  if (source.isPing?.(req, raw)) {
    ctx.log.info({ platform: source.platform }, 'webhook ping answered')
    res.status(200).json({ status: 'ping' })
    return
  }
  const now = clock.now()
  const verification = source.verify(req, raw, secret, now)
  if (!verification.ok) {
    ctx.monitor.problem(`${source.platform}_webhook_signature`, `a ${source.platform} webhook was refused (401): ${verification.reason}. If every delivery fails, ${source.secretVariable} is not this webhook's secret`)
    throw new HttpError(401, 'invalid_signature', verification.reason)
  }
  let json: unknown
  try {
    json = JSON.parse(raw.toString('utf8'))
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON')
  }
  const delivery: Delivery = { req, raw, json, fallbackUrl: fallbackUrl(ctx, req) }
  const deliveryId = source.deliveryId(delivery)
  const topic = source.topic(delivery)
  if (deliveryId) {
    const seen = await store.webhookDelivery(source.platform, deliveryId)
    if (seen) {
      res.status(200).json({ status: 'duplicate_delivery', first_outcome: seen.outcome, ...(seen.orderId ? { order_id: seen.orderId } : {}), ...(seen.reason ? { reason: seen.reason } : {}) })
      return
    }
  }
  const record = (outcome: WebhookDelivery['outcome'], details: { reason?: string; orderId?: string }) =>
    store.recordWebhookDelivery({ platform: source.platform, deliveryId: deliveryId ?? `unidentified:${randomUUID()}`, topic, receivedAt: now, outcome, reason: details.reason, orderId: details.orderId })

  let reading
  try {
    reading = ignoreOldOrders(source.read(delivery, config), config, now)
  } catch (error) {
    refused(ctx, source, error, deliveryId)
    throw error
  }
  if (reading.kind === 'ignored') {
    await record('ignored', { reason: reading.reason })
    ctx.log.info({ platform: source.platform, topic, delivery_id: deliveryId, reason: reading.reason }, 'webhook ignored: not a paid order')
    res.status(200).json({ status: 'ignored', reason: reading.reason })
    return
  }
  let accepted
  try {
    accepted = await acceptOrderBody(ctx, reading.body, { ...reading.from, hint: ` (in the ${source.platform} order)` })
  } catch (error) {
    refused(ctx, source, error, deliveryId)
    throw error
  }
  await record(accepted.created ? 'accepted' : 'duplicate', { orderId: accepted.orderId })
  const { warnings } = accepted
  res.status(accepted.created ? 201 : 200).json({
    status: accepted.created ? 'accepted' : 'duplicate',
    order_id: accepted.orderId,
    event_id: accepted.eventId,
    ...(warnings.length ? { warnings } : {}),
  })
}

/** A paid order the collector cannot take is loud: the platform shows a failed delivery, and /admin/status says why. */
function refused(ctx: AppContext, source: WebhookSource, error: unknown, deliveryId: string | undefined): void {
  if (!(error instanceof HttpError) || error.status !== 400) return
  ctx.monitor.problem(`${source.platform}_order_refused`, `a paid ${source.platform} order could not be accepted (400): ${error.message}. The platform retries it; tell us if its payload looks right`, { platform: source.platform, delivery_id: deliveryId })
}

/**
 * An update to an order paid long ago (a fulfilment, processing to completed, an order placed
 * before ClickRelay was installed) is not a new purchase: past CLICKRELAY_EVENT_MAX_AGE_DAYS it
 * would never be delivered anyway.
 */
function ignoreOldOrders(reading: Reading, config: Config, now: number): Reading {
  if (reading.kind !== 'order') return reading
  const paidAt = reading.body.event_time
  if (typeof paidAt !== 'number' || paidAt * 1000 >= now - config.delivery.maxAgeDays * DAY_MS) return reading
  const days = Math.floor((now - paidAt * 1000) / DAY_MS)
  return { kind: 'ignored', reason: `paid ${days} days ago, longer ago than CLICKRELAY_EVENT_MAX_AGE_DAYS (${config.delivery.maxAgeDays}): an update to an old order, not a new purchase` }
}

/** The page URL of an order whose platform gives none: the collector's public base, on the merchant's domain. */
function fallbackUrl(ctx: AppContext, req: Request): string {
  if (ctx.config.publicUrl) return `${ctx.config.publicUrl}/`
  return `${req.protocol}://${req.get('host') ?? 'localhost'}/`
}
