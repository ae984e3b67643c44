/**
 * One HTTP call to the Events API and what its answer means. The body's `code` decides:
 * TikTok answers HTTP 200 with a non-zero code when it rejects events.
 */
import type { TrackResponse } from './types.js'
import { TIKTOK_CODE } from './types.js'

/**
 * What an answer means for the events in the request:
 * - `delivered`: TikTok took them (`code: 0`).
 * - `retry`: TikTok is unreachable, overloaded or failing (timeouts, resets, HTTP 429 and 5xx, code
 *   40100), or answered with a code nobody has classified: the events wait and are tried again
 *   until their maximum age.
 * - `setup`: TikTok refused the token or the pixel (HTTP 401/403, codes 40001, 40105, 40007). The
 *   operator can fix that in a minute, so the events wait like retries while delivery reports
 *   `auth_failing`.
 * - `invalid`: TikTok refused the payload (code 40002, HTTP 400 or 413). A batch is split until the
 *   bad events stand alone; only those fail.
 */
export type Verdict = 'delivered' | 'retry' | 'setup' | 'invalid'

export interface SendResult {
  verdict: Verdict
  httpStatus: number | undefined
  code: number | undefined
  message: string
  requestId: string | undefined
  durationMs: number
  /** From a Retry-After header, in milliseconds. */
  retryAfterMs: number | undefined
}

export interface EventsApi {
  /** `body`: the request as JSON text (payload.ts trackRequestBody). */
  send(body: string): Promise<SendResult>
}

export interface EventsApiOptions {
  url: () => string
  accessToken: string
  timeoutMs: number
  fetch?: typeof fetch
  now?: () => number
}

export function createEventsApi(options: EventsApiOptions): EventsApi {
  const doFetch = options.fetch ?? fetch
  const now = options.now ?? (() => performance.now())
  return {
    async send(body) {
      const started = now()
      const finish = (r: Omit<SendResult, 'durationMs'>): SendResult => ({ ...r, durationMs: Math.round(now() - started) })
      let response: Response
      let text: string
      try {
        response = await doFetch(options.url(), {
          method: 'POST',
          headers: { 'Access-Token': options.accessToken, 'Content-Type': 'application/json' },
          body,
          signal: AbortSignal.timeout(options.timeoutMs),
        })
        text = await response.text()
      } catch (err) {
        const message = err instanceof Error && err.name === 'TimeoutError' ? `timed out after ${options.timeoutMs} ms` : `connection failed: ${(err as Error).cause ?? (err as Error).message}`
        return finish({ verdict: 'retry', httpStatus: undefined, code: undefined, message, requestId: undefined, retryAfterMs: undefined })
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'))
      let parsed: Partial<TrackResponse> | undefined
      try {
        parsed = JSON.parse(text) as Partial<TrackResponse>
      } catch {
        parsed = undefined
      }
      const code = typeof parsed?.code === 'number' ? parsed.code : undefined
      const base = { httpStatus: response.status, code, requestId: typeof parsed?.request_id === 'string' ? parsed.request_id : undefined, retryAfterMs }
      let message = typeof parsed?.message === 'string' ? parsed.message : `HTTP ${response.status}: ${text.slice(0, 200)}`
      if (response.ok && code === undefined) message = `unreadable answer: ${message}`
      return finish({ ...base, verdict: verdictOf(response.status, code), message })
    },
  }
}

/**
 * Codes that say the token or the pixel is wrong, which only the operator can fix: no permission
 * for the pixel (40001: token and pixel do not belong together, or an unknown pixel code), the
 * token missing, incorrect or revoked (40105), and the object the request names does not exist
 * (40007: the pixel was not found).
 */
const SETUP_CODES: ReadonlySet<number> = new Set([TIKTOK_CODE.NO_PERMISSION, TIKTOK_CODE.INVALID_TOKEN, TIKTOK_CODE.NOT_FOUND])

/**
 * What an answer means, from its HTTP status and TikTok's code in the body (undefined when
 * there was no answer, or no readable code). TikTok answers HTTP 200 with a non-zero code when it
 * rejects events, so on a 2xx the code decides. A code nobody has classified is retried: an event
 * never fails on a code whose meaning is unknown.
 */
export function verdictOf(httpStatus: number | undefined, code: number | undefined): Verdict {
  // No answer at all: a timeout or a reset.
  if (httpStatus === undefined) return 'retry'
  if (httpStatus === 429 || httpStatus >= 500) return 'retry'
  if (httpStatus === 401 || httpStatus === 403) return 'setup'
  // A refused token or pixel is a setup error whatever HTTP status carries it: splitting the batch would fail every event.
  if (code !== undefined && SETUP_CODES.has(code)) return 'setup'
  // A 400 or 413 is about this payload; other 4xx (404, ...) are about the setup, which the operator can fix, so keep the events.
  if (httpStatus === 400 || httpStatus === 413) return 'invalid'
  if (httpStatus < 200 || httpStatus >= 300) return 'retry'
  if (code === undefined) return 'retry'
  if (code === TIKTOK_CODE.OK) return 'delivered'
  if (code === TIKTOK_CODE.TOO_MANY_REQUESTS) return 'retry'
  if (code === TIKTOK_CODE.INVALID_PARAMETER) return 'invalid'
  if (SETUP_CODES.has(code)) return 'setup'
  return 'retry'
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}
