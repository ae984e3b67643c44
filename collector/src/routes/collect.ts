/**
 * POST /collect: records from the on-page script (public, called by browsers). Three kinds,
 * told apart by `k` (see common/wire.ts): click records, identify() hashes, pixel receipts.
 * The body is text/plain JSON (a CORS-simple request). The answer names the visitor ID to keep
 * and re-sets the visitor cookie from the server, which Safari keeps longer than a script-set one.
 */
import express, { Router, type Request, type RequestHandler } from 'express'
import { rateLimit } from 'express-rate-limit'
import { isbot } from 'isbot'
import { z } from 'zod'
import { SHA256_HEX } from '../../../common/normalize.js'
import { VISITOR_COOKIE, VISITOR_COOKIE_DAYS, VISITOR_ID_PATTERN, type ClickRecord, type CollectAnswer, type IdentifyRecord, type ReceiptRecord } from '../../../common/wire.js'
import { DAY_MS } from '../clock.js'
import type { AppContext } from '../context.js'
import { readCookie } from '../cookies.js'
import { HttpError, parseOr400 } from '../errors.js'
import type { ClickInput } from '../store/store.js'
import { STANDARD_EVENTS } from '../tiktok/types.js'

const TTCLID = /^[\w.-]{1,1024}$/
const UTM_KEYS = ['source', 'medium', 'campaign', 'content', 'term'] as const
/** TikTok's in-app browsers; the word "TikTok" is often absent from their user agents. */
const IN_APP_UA = /BytedanceWebview|musical_ly_|trill_|ByteLocale|aweme/i

const visitorId = z.string().regex(VISITOR_ID_PATTERN, 'must be a visitor ID (16 to 64 characters of [A-Za-z0-9_-])')
const sha256 = z.string().regex(SHA256_HEX, 'must be SHA-256 lowercase hex')
const httpUrl = z
  .string()
  .max(4096)
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL')

const clickSchema = z.object({
  k: z.undefined().optional(),
  v: visitorId,
  u: httpUrl,
  r: z.string().max(4096).optional(),
  p: z.string().max(256).regex(/^[\w.-]+$/, 'must be a _ttp cookie value').optional(),
  d: z.string().max(253).regex(/^\.?[a-z0-9.-]+$/i, 'must be a domain').optional(),
}) satisfies z.ZodType<ClickRecord>

const identifySchema = z
  .object({ k: z.literal('i'), v: visitorId, e: sha256.optional(), h: sha256.optional() })
  .refine((r) => r.e || r.h, 'an identify record needs e (email hash) or h (phone hash)') satisfies z.ZodType<IdentifyRecord>

const receiptSchema = z.object({
  k: z.literal('r'),
  v: visitorId,
  n: z.enum(STANDARD_EVENTS),
  i: z.string().max(256).optional(),
  o: z.string().max(256).optional(),
  t: z.number().int().nonnegative(),
}) satisfies z.ZodType<ReceiptRecord>

export function collectRouter(ctx: AppContext): Router {
  const router = Router()
  const allowed = new Set(ctx.config.allowedOrigins)
  /** Pages on the collector's own origin may always send; pages elsewhere only from CLICKRELAY_ALLOWED_ORIGINS. */
  const checkOrigin: RequestHandler = (req, res, next) => {
    const origin = req.get('origin')
    if (origin && origin !== `${req.protocol}://${req.get('host')}`) {
      if (!allowed.has(origin)) {
        // The page's own host over https, seen here as http: a TLS proxy the collector does not trust.
        const hint = origin === `https://${req.get('host')}` ? ' (or, if this is the collector\'s own origin behind a TLS proxy, set CLICKRELAY_TRUST_PROXY)' : ''
        throw new HttpError(403, 'origin_not_allowed', `pages on ${origin} may not send records here; add it to CLICKRELAY_ALLOWED_ORIGINS${hint}`)
      }
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' })
    }
    next()
  }
  // One client may not flood the database. Generous by default: mobile carriers put many shoppers behind one IP.
  const limit = rateLimit({
    windowMs: 60_000,
    limit: ctx.config.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new HttpError(429, 'rate_limited', `more than ${ctx.config.rateLimitPerMinute} requests a minute from this address; slow down`)),
  })
  router.post('/collect', limit, checkOrigin, express.text({ type: () => true, limit: '16kb' }), async (req, res) => {
    const userAgent = req.get('user-agent')
    if (!userAgent || isbot(userAgent)) {
      // Crawlers and headless tools are not shoppers: nothing is stored, no cookie is set.
      res.status(204).end()
      return
    }
    let json: unknown
    try {
      json = JSON.parse(typeof req.body === 'string' ? req.body : '')
    } catch {
      throw new HttpError(400, 'invalid_json', 'request body is not valid JSON')
    }
    const kind = json && typeof json === 'object' ? (json as { k?: unknown }).k : undefined
    const now = ctx.clock.now()
    let visitor: string
    let cookieDomain: string | undefined
    if (kind === 'i') {
      const record = parseOr400(identifySchema, json)
      visitor = canonicalVisitor(req, record.v)
      await ctx.store.saveIdentity({ visitorId: visitor, emailHash: record.e, phoneHash: record.h, seenAt: now })
    } else if (kind === 'r') {
      const record = parseOr400(receiptSchema, json)
      visitor = canonicalVisitor(req, record.v)
      await ctx.store.savePixelReceipt({ visitorId: visitor, eventName: record.n, eventId: record.i, orderKey: record.o, clientTime: record.t, receivedAt: now })
    } else if (kind === undefined) {
      const record = parseOr400(clickSchema, json)
      visitor = canonicalVisitor(req, record.v)
      cookieDomain = record.d
      await ctx.store.saveClick(toClickInput({ ...record, v: visitor }, req.ip, userAgent, now))
    } else {
      throw new HttpError(400, 'invalid_request', 'k: must be absent (click), "i" (identify) or "r" (pixel receipt)')
    }
    res.cookie(VISITOR_COOKIE, visitor, {
      maxAge: VISITOR_COOKIE_DAYS * DAY_MS,
      path: '/',
      sameSite: 'lax',
      secure: req.secure,
      domain: cookieDomain && domainCovers(cookieDomain, req.hostname) ? cookieDomain.replace(/^\./, '') : undefined,
    })
    res.set('Cache-Control', 'no-store').json({ v: visitor } satisfies CollectAnswer)
  })
  return router
}

/**
 * The visitor ID to record under: the one in the cookie this browser sent, when it differs from
 * the script's, since a server-set cookie outlives script storage; else the script's.
 */
function canonicalVisitor(req: Request, fromScript: string): string {
  const fromCookie = readCookie(req, VISITOR_COOKIE)
  return fromCookie && VISITOR_ID_PATTERN.test(fromCookie) ? fromCookie : fromScript
}

/** A cookie Domain may only name the request's own host or a parent of it. */
function domainCovers(domain: string, host: string): boolean {
  const d = domain.replace(/^\./, '').toLowerCase()
  return host === d || host.endsWith('.' + d)
}

function toClickInput(record: z.output<typeof clickSchema>, ip: string | undefined, userAgent: string, now: number): ClickInput {
  const url = new URL(record.u)
  const ttclid = url.searchParams.get('ttclid') ?? undefined
  if (ttclid !== undefined && !TTCLID.test(ttclid)) throw new HttpError(400, 'invalid_request', 'u: ttclid must be 1 to 1,024 characters of [A-Za-z0-9._-]')
  const utm: ClickInput['utm'] = {}
  for (const key of UTM_KEYS) {
    const value = url.searchParams.get(`utm_${key}`)
    if (value) utm[key] = value.slice(0, 256)
  }
  return {
    visitorId: record.v,
    ttclid,
    ttp: record.p,
    utm,
    landingUrl: record.u,
    referrer: record.r && URL.canParse(record.r) ? record.r : undefined,
    inApp: IN_APP_UA.test(userAgent),
    ip,
    userAgent: userAgent.slice(0, 1024),
    capturedAt: now,
  }
}
