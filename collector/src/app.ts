/**
 * createApp builds the Express app from its parts and never listens: main.ts does that,
 * and tests drive the app over a socket of their own.
 */
import express, { type Express } from 'express'
import type { AppContext } from './context.js'
import { demoRouter } from './demo/router.js'
import { createAccess } from './dashboard/access.js'
import { dashboardRouter } from './dashboard/router.js'
import { adminRouter } from './routes/admin.js'
import { errorHandler, notFound } from './errors.js'
import { rememberTrust, type TrustProxy } from './origin.js'
import { collectRouter } from './routes/collect.js'
import { healthRouter } from './routes/health.js'
import { ordersRouter } from './routes/orders.js'
import { scriptRouter } from './routes/script.js'
import type { Sandbox } from './sandbox/events-api.js'
import { webhooksRouter } from './webhooks/router.js'

export interface AppOptions extends AppContext {
  /** Sandbox mode: the sandbox Events API and the demo store are mounted. */
  sandbox?: Sandbox
  /** The collector's own base URL, for the demo store's backend. */
  selfUrl?: () => string
}

export function createApp(options: AppOptions): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', options.config.trustProxy)
  app.set('trust proxy fn', rememberTrust(app.get('trust proxy fn') as TrustProxy))
  app.set('etag', 'strong')

  // First: /collect takes the most requests by far, and every router before it is a detour.
  app.use(collectRouter(options))
  app.use(scriptRouter())
  app.use(ordersRouter(options))
  app.use(webhooksRouter(options))
  app.use(healthRouter(options))
  // One gate for /admin: the dashboard's router sets the headers and finds who asks, for its
  // pages and for the JSON admin API after it.
  const access = createAccess(options)
  app.use(dashboardRouter(options, access))
  app.use(adminRouter(options, access))
  if (options.sandbox) {
    app.use('/sandbox', options.sandbox.router)
    const selfUrl = options.selfUrl
    if (selfUrl) {
      app.use(
        demoRouter({
          pixelCode: options.config.tiktok.pixelCode,
          purchaseEvent: options.config.tiktok.purchaseEvent,
          testEventCode: options.config.tiktok.testEventCode,
          collectorUrl: selfUrl,
          orderSecret: options.config.orderSecret,
          log: options.log,
        }),
      )
      app.get('/', (_req, res) => res.redirect(302, '/demo/'))
    }
  }
  app.use(notFound)
  app.use(errorHandler(options.log, options.monitor))
  return app
}
