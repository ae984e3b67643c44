/**
 * /admin/: the operator's dashboard, server-rendered, and the front door of everything under
 * /admin, the JSON admin API included (mount it before routes/admin.ts):
 * security headers, body parsing and working out who asks (access.ts) for every /admin request.
 *
 *   GET  /admin/assets/dashboard.css   the stylesheet (public)
 *   GET  /admin/login                  the login form (public)
 *   POST /admin/login                  token=<admin or viewer token>: opens a 12-hour session; 401 wrong, 429 too many failures
 *   POST /admin/logout                 _csrf: ends the session in this browser
 *   GET  /admin/                       Overview (admin or viewer)
 *
 * In sandbox mode on loopback the pages are open without a token, as admin.
 */
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express'
import { readFileSync } from 'node:fs'
import type { AppContext } from '../context.js'
import { HttpError } from '../errors.js'
import { DASHBOARD_STYLESHEET } from '../paths.js'
import { statusReport } from '../status.js'
import { principalOf, TooManyLogins, type Access } from './access.js'
import { overviewModel } from './overview.js'
import { pageContext, sendPage } from './render.js'

/**
 * No script or style may come from anywhere but the collector, and nothing inline; pages are
 * never framed, never cached, and leak no URL (an order key, say) in a Referer.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
}

export function dashboardRouter(ctx: AppContext, access: Access): Router {
  const router = Router()
  const stylesheet = readFileSync(DASHBOARD_STYLESHEET)
  const securityHeaders: RequestHandler = (_req, res, next) => {
    res.set(SECURITY_HEADERS)
    next()
  }

  router.use('/admin', securityHeaders, express.urlencoded({ extended: false, limit: '16kb' }), express.json({ limit: '16kb' }), access.identify)
  router.get('/admin/assets/dashboard.css', (_req, res) => {
    res.type('css').send(stylesheet)
  })

  const pages = Router()
  const context = (req: express.Request, res: express.Response) => ({ ...pageContext(req, principalOf(res), ctx.config.mode), enabled: access.enabled() || access.sandboxOpen(req) })

  pages.get('/admin/login', (req, res) => {
    sendPage(res, 200, 'login', { ...context(req, res), principal: undefined })
  })

  pages.post('/admin/login', async (req, res) => {
    const token = typeof req.body?.token === 'string' ? (req.body.token as string) : ''
    try {
      await access.login(req, res, token)
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      if (err instanceof TooManyLogins) res.set('Retry-After', String(err.retryAfterS))
      return sendPage(res, err.status, 'login', { ...context(req, res), principal: undefined, error: err.message })
    }
    res.redirect(303, './')
  })

  pages.post('/admin/logout', access.requirePage, (_req, res) => {
    access.logout(res)
    res.redirect(303, 'login')
  })

  // Relative links resolve against /admin/, not /.
  pages.get('/admin', (req, res, next) => (req.originalUrl.split('?')[0] === '/admin' ? res.redirect(301, 'admin/') : next()))

  pages.get('/admin/', access.requirePage, async (req, res) => {
    const report = await statusReport(ctx)
    sendPage(res, 200, 'overview', { ...context(req, res), ...overviewModel(report, ctx.clock.now()) })
  })

  /** A refusal on a page is a page; anything else goes on to the JSON error handler (500s, storage). */
  const pageErrors: ErrorRequestHandler = (err, req, res, next) => {
    if (!(err instanceof HttpError) || res.headersSent) return next(err)
    sendPage(res, err.status, 'error', { ...context(req, res), status: err.status, code: err.code, message: err.message })
  }
  pages.use(pageErrors)
  router.use(pages)
  return router
}
