/**
 * Configuration comes from the environment only, is validated once at start-up,
 * and a bad value stops the collector with a message naming the variable.
 */
import express from 'express'
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max'
import { z } from 'zod'

export const TIKTOK_EVENTS_API_URL = 'https://business-api.tiktok.com/open_api/v1.3/event/track/'
/** Used only in sandbox mode, where nothing leaves the machine. */
export const SANDBOX_PIXEL_CODE = 'CRSANDBOXPIXEL00000'
export const SANDBOX_ACCESS_TOKEN = 'sandbox-access-token'
export const SANDBOX_ORDER_SECRET = 'sandbox-order-secret-not-for-production'

export const PURCHASE_EVENTS = ['Purchase', 'CompletePayment'] as const

export interface Config {
  host: string
  port: number
  dbPath: string
  /** sandbox: no TikTok credentials, events go to the in-process sandbox Events API and the demo store is served. */
  mode: 'sandbox' | 'live'
  tiktok: {
    pixelCode: string
    accessToken: string
    /** Undefined in sandbox mode until the server knows its own address. */
    eventsApiUrl: string | undefined
    testEventCode: string | undefined
    purchaseEvent: (typeof PURCHASE_EVENTS)[number]
  }
  orderSecret: string
  adminToken: string | undefined
  defaultCountry: CountryCode | undefined
  trustProxy: boolean | number | string
  /** Other origins whose pages may send records to /collect (a collector on t.shop.example for pages on shop.example). */
  allowedOrigins: string[]
  clickWindowDays: number
  /** Click records (and pixel receipts) older than this are deleted. */
  retentionDays: number
  /** Requests per minute one IP may make to /collect. */
  rateLimitPerMinute: number
  delivery: {
    /** Events per request to the Events API (TikTok accepts up to 1,000). */
    batchSize: number
    /** How long one request to the Events API may take. */
    timeoutMs: number
    /** An event still failing this long after it was accepted ends as `expired`. */
    maxAgeDays: number
    /** Exponential backoff between attempts: the first delay, and the longest. */
    retryBaseMs: number
    retryMaxMs: number
  }
  logLevel: string
}

export class ConfigError extends Error {}

const optional = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional()

function integer(min: number, max: number, what: string) {
  const message = `${what} from ${min} to ${max}`
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message)
}

const schema = z.object({
  PORT: integer(0, 65535, 'a port number').default(8787),
  CLICKRELAY_HOST: z.string().trim().min(1).default('127.0.0.1'),
  CLICKRELAY_DB: z.string().trim().min(1).default('./data/clickrelay.db'),
  CLICKRELAY_PIXEL_CODE: optional.pipe(z.string().regex(/^[A-Z0-9]{10,32}$/, 'a TikTok pixel code: 10 to 32 capital letters and digits').optional()),
  CLICKRELAY_ACCESS_TOKEN: optional,
  CLICKRELAY_TEST_EVENT_CODE: optional.pipe(z.string().regex(/^[\w-]{1,64}$/, 'a test event code from Events Manager, e.g. TEST12345').optional()),
  CLICKRELAY_EVENTS_API_URL: optional.pipe(z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional()),
  CLICKRELAY_ORDER_SECRET: optional.pipe(z.string().min(16, 'at least 16 characters').optional()),
  CLICKRELAY_ADMIN_TOKEN: optional.pipe(z.string().min(16, 'at least 16 characters').optional()),
  CLICKRELAY_DEFAULT_COUNTRY: optional.pipe(
    z
      .string()
      .transform((v) => v.toUpperCase())
      .refine((v) => isSupportedCountry(v), 'an ISO 3166-1 alpha-2 country code, e.g. US or DE')
      .optional(),
  ),
  CLICKRELAY_TRUST_PROXY: optional,
  CLICKRELAY_ALLOWED_ORIGINS: optional.pipe(
    z
      .string()
      .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
      .refine((list) => list.every((o) => URL.canParse(o) && new URL(o).origin === o), 'a comma-separated list of origins like https://shop.example (scheme, host, optional port; no path)')
      .optional(),
  ),
  CLICKRELAY_CLICK_WINDOW_DAYS: integer(1, 90, 'a number of days').default(28),
  CLICKRELAY_RETENTION_DAYS: integer(1, 3650, 'a number of days').default(90),
  CLICKRELAY_RATE_LIMIT: integer(1, 1_000_000, 'a number of requests per minute').default(600),
  CLICKRELAY_BATCH_SIZE: integer(1, 1000, 'a number of events').default(1000),
  CLICKRELAY_DELIVERY_TIMEOUT_MS: integer(100, 120_000, 'a number of milliseconds').default(10_000),
  CLICKRELAY_EVENT_MAX_AGE_DAYS: integer(1, 365, 'a number of days').default(7),
  CLICKRELAY_RETRY_BASE_MS: integer(1, 3_600_000, 'a number of milliseconds').default(1_000),
  CLICKRELAY_RETRY_MAX_MS: integer(1, 86_400_000, 'a number of milliseconds').default(600_000),
  CLICKRELAY_PURCHASE_EVENT: z.enum(PURCHASE_EVENTS).default('Purchase'),
  CLICKRELAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ConfigError(`${String(issue.path[0])}: ${issue.message}`)
  }
  const e = parsed.data
  const live = Boolean(e.CLICKRELAY_PIXEL_CODE || e.CLICKRELAY_ACCESS_TOKEN)
  if (live && !e.CLICKRELAY_PIXEL_CODE) throw new ConfigError('CLICKRELAY_PIXEL_CODE: required when CLICKRELAY_ACCESS_TOKEN is set')
  if (live && !e.CLICKRELAY_ACCESS_TOKEN) throw new ConfigError('CLICKRELAY_ACCESS_TOKEN: required when CLICKRELAY_PIXEL_CODE is set')
  if (e.CLICKRELAY_RETENTION_DAYS < e.CLICKRELAY_CLICK_WINDOW_DAYS) {
    throw new ConfigError(`CLICKRELAY_RETENTION_DAYS: must be at least CLICKRELAY_CLICK_WINDOW_DAYS (${e.CLICKRELAY_CLICK_WINDOW_DAYS}), or clicks are deleted before orders can use them`)
  }
  if (live && !e.CLICKRELAY_ORDER_SECRET) throw new ConfigError('CLICKRELAY_ORDER_SECRET: required with TikTok credentials, so that only your backend can report orders')
  return {
    host: e.CLICKRELAY_HOST,
    port: e.PORT,
    dbPath: e.CLICKRELAY_DB,
    mode: live ? 'live' : 'sandbox',
    tiktok: {
      pixelCode: e.CLICKRELAY_PIXEL_CODE ?? SANDBOX_PIXEL_CODE,
      accessToken: e.CLICKRELAY_ACCESS_TOKEN ?? SANDBOX_ACCESS_TOKEN,
      eventsApiUrl: e.CLICKRELAY_EVENTS_API_URL ?? (live ? TIKTOK_EVENTS_API_URL : undefined),
      testEventCode: e.CLICKRELAY_TEST_EVENT_CODE,
      purchaseEvent: e.CLICKRELAY_PURCHASE_EVENT,
    },
    orderSecret: e.CLICKRELAY_ORDER_SECRET ?? SANDBOX_ORDER_SECRET,
    adminToken: e.CLICKRELAY_ADMIN_TOKEN,
    defaultCountry: e.CLICKRELAY_DEFAULT_COUNTRY as CountryCode | undefined,
    trustProxy: parseTrustProxy(e.CLICKRELAY_TRUST_PROXY),
    allowedOrigins: e.CLICKRELAY_ALLOWED_ORIGINS ?? [],
    clickWindowDays: e.CLICKRELAY_CLICK_WINDOW_DAYS,
    retentionDays: e.CLICKRELAY_RETENTION_DAYS,
    rateLimitPerMinute: e.CLICKRELAY_RATE_LIMIT,
    delivery: {
      batchSize: e.CLICKRELAY_BATCH_SIZE,
      timeoutMs: e.CLICKRELAY_DELIVERY_TIMEOUT_MS,
      maxAgeDays: e.CLICKRELAY_EVENT_MAX_AGE_DAYS,
      retryBaseMs: e.CLICKRELAY_RETRY_BASE_MS,
      retryMaxMs: Math.max(e.CLICKRELAY_RETRY_MAX_MS, e.CLICKRELAY_RETRY_BASE_MS),
    },
    logLevel: e.CLICKRELAY_LOG_LEVEL,
  }
}

/** Express's `trust proxy` values: true/false, a hop count, or addresses/subnets/names like "loopback, 10.0.0.0/8". */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false
  if (value === 'true') return true
  if (/^\d+$/.test(value)) return Number(value)
  try {
    express().set('trust proxy', value)
  } catch {
    throw new ConfigError(`CLICKRELAY_TRUST_PROXY: "${value}" is not true, false, a hop count or a list of addresses/subnets`)
  }
  return value
}
