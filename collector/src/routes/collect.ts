/**
 * POST /collect: click records from the on-page script (public, called by browsers).
 * The body is text/plain JSON (a CORS-simple request, sent with sendBeacon). The answer
 * re-sets the visitor cookie from the server, which Safari keeps longer than a script-set one.
 */
import express, { Router } from 'express'
import { z } from 'zod'
import { VISITOR_COOKIE, VISITOR_COOKIE_DAYS, VISITOR_ID_PATTERN, type ClickRecord } from '../../../common/wire.js'
import type { AppContext } from '../context.js'
import { DAY_MS } from '../clock.js'
import { HttpError, parseOr400 } from '../errors.js'
import type { ClickInput } from '../store/store.js'

const TTCLID = /^[\w.-]{1,1024}$/
const UTM_KEYS = ['source', 'medium', 'campaign', 'content', 'term'] as const
/** TikTok's in-app browsers; the word "TikTok" is often absent from their user agents. */
const IN_APP_UA = /BytedanceWebview|musical_ly_|trill_|ByteLocale|aweme/i

const httpUrl = z
  .string()
  .max(4096)
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL')

const clickRecordSchema = z.object({
  v: z.string().regex(VISITOR_ID_PATTERN, 'must be a visitor ID (16 to 64 base64url characters)'),
  u: httpUrl,
  r: z.string().max(4096).optional(),
  p: z.string().max(256).regex(/^[\w.-]+$/, 'must be a _ttp cookie value').optional(),
}) satisfies z.ZodType<ClickRecord>

export function collectRouter(ctx: AppContext): Router {
  const router = Router()
  router.post('/collect', express.text({ type: () => true, limit: '16kb' }), async (req, res) => {
    let json: unknown
    try {
      json = JSON.parse(typeof req.body === 'string' ? req.body : '')
    } catch {
      throw new HttpError(400, 'invalid_json', 'request body is not valid JSON')
    }
    const record = parseOr400(clickRecordSchema, json)
    const click = toClickInput(record, req.ip, req.get('user-agent'), ctx.clock.now())
    await ctx.store.saveClick(click)
    res.cookie(VISITOR_COOKIE, record.v, { maxAge: VISITOR_COOKIE_DAYS * DAY_MS, path: '/', sameSite: 'lax', secure: req.secure, httpOnly: false })
    res.status(204).end()
  })
  return router
}

function toClickInput(record: z.output<typeof clickRecordSchema>, ip: string | undefined, userAgent: string | undefined, now: number): ClickInput {
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
    inApp: IN_APP_UA.test(userAgent ?? ''),
    ip,
    userAgent: userAgent?.slice(0, 1024),
    capturedAt: now,
  }
}
