/**
 * The dashboard as the integration tests use it over real HTTP: requests that keep redirects and
 * the session cookie visible, and a logged-in session with its CSRF token, read from a page as a
 * browser would.
 */
import assert from 'node:assert/strict'
import { SESSION_COOKIE } from '../src/dashboard/access.js'

export interface Answer {
  status: number
  headers: Headers
  /** Where a redirect points, as sent (redirects are not followed). */
  location: string | null
  text: string
  /** `name=value` of the session cookie set by this answer, if any. */
  cookie: string | undefined
  /** That cookie's whole Set-Cookie header, with its attributes. */
  setCookie: string | undefined
}

export interface RequestOptions {
  cookie?: string
  /** Sent as `Authorization: Bearer …`. */
  bearer?: string
  headers?: Record<string, string>
  /** A form post, as the dashboard's forms send it. */
  form?: Record<string, string>
  /** A JSON post, as the admin API takes it. */
  json?: unknown
}

export interface Session {
  cookie: string
  csrf: string
}

export interface DashboardClient {
  /** GET, or POST when there is a form or JSON body. */
  request(path: string, options?: RequestOptions): Promise<Answer>
  /** The session's CSRF token, from the page `csrfFrom` (its logout form); the page must answer 200. */
  csrfOf(cookie: string): Promise<string>
  /** Logs in with a token (303 and a cookie) and reads the session's CSRF token. */
  session(token: string): Promise<Session>
}

/**
 * A client of the collector at `baseUrl()` (a function: the tests start a collector per test).
 * `csrfFrom` is the page a session reads its CSRF token from: the page a test is about, so each
 * session checks that page opens too.
 */
export function dashboardClient(baseUrl: () => string, { csrfFrom = '/admin/' }: { csrfFrom?: string } = {}): DashboardClient {
  async function request(path: string, options: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.cookie) headers.Cookie = options.cookie
    if (options.bearer) headers.Authorization = `Bearer ${options.bearer}`
    let body: string | undefined
    if (options.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(options.form).toString()
    } else if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.json)
    }
    const response = await fetch(baseUrl() + path, { method: body === undefined ? 'GET' : 'POST', headers, body, redirect: 'manual' })
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))
    return { status: response.status, headers: response.headers, location: response.headers.get('location'), text: await response.text(), cookie: setCookie?.split(';')[0], setCookie }
  }

  async function csrfOf(cookie: string): Promise<string> {
    const page = await request(csrfFrom, { cookie })
    assert.equal(page.status, 200, page.text)
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1]
    assert.ok(csrf, 'the page has a CSRF field')
    return csrf
  }

  async function session(token: string): Promise<Session> {
    const login = await request('/admin/login', { form: { token } })
    assert.equal(login.status, 303, login.text)
    assert.ok(login.cookie, 'the login sets the session cookie')
    return { cookie: login.cookie, csrf: await csrfOf(login.cookie) }
  }

  return { request, csrfOf, session }
}
