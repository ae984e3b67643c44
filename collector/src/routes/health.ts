/**
 * GET /healthz: for load balancers and uptime checks (public, cheap: no data beyond queue counts
 * and the delivery state). 503 only when the collector cannot read its store: a TikTok outage
 * or a refused token shows as `delivery`, not as an unhealthy instance to take out of rotation.
 */
import { Router } from 'express'
import { ageSeconds } from '../clock.js'
import type { AppContext } from '../context.js'

export function healthRouter(ctx: AppContext): Router {
  const router = Router()
  router.get('/healthz', async (_req, res) => {
    try {
      const stats = await ctx.store.queueStats()
      res.set('Cache-Control', 'no-store').json({
        status: 'ok',
        database: 'ok',
        delivery: ctx.deliveryStatus().state,
        events_waiting: stats.waiting,
        oldest_waiting_age_s: ageSeconds(ctx.clock.now(), stats.oldestWaitingSince),
      })
    } catch (err) {
      ctx.log.error({ err }, 'health check failed')
      res.status(503).set('Cache-Control', 'no-store').json({ status: 'unavailable', database: 'unreachable', error: { code: 'unhealthy', message: 'the database cannot be read' } })
    }
  })
  return router
}
