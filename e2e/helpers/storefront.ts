/**
 * A storefront of fixture pages on its own origin (another port on 127.0.0.1: a separate
 * origin, the same site as the collector, as a shop and its collector would be), each page
 * built per test from the ClickRelay tag, the pixel's base code, and whatever the test needs.
 */
import { test as base, type Page, type Request } from '@playwright/test'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SANDBOX_PIXEL_CODE } from '../../collector/src/config.js'
import { pixelBaseCode } from '../../collector/src/demo/pages.js'
import type { WireRecord } from '../../common/wire.js'
import { E2E } from './env.js'

export interface Storefront {
  url: string
  /** Serves `html` (inside <head>) and `body` at `path`. */
  page(path: string, head: string, body?: string): void
  /** Answers every request to `path` with `handler`, given the request's body (a stand-in for the platform's own endpoints). */
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): void
  close(): Promise<void>
}

/** A full page of the storefront: `head` inside <head>, `body` inside <body>. */
export function html(head: string, body = '<h1>Storefront</h1>'): string {
  return `<!doctype html><html><head><meta charset="utf-8">${head}</head><body>${body}</body></html>`
}

/** Starts the storefront of this worker (`test.info().parallelIndex`). */
export async function startStorefront(parallelIndex: number): Promise<Storefront> {
  const pages = new Map<string, string>()
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse, body: string) => void>()
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const handler = routes.get(path)
    if (handler) {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => handler(req, res, body))
      return
    }
    const page = pages.get(path)
    res.writeHead(page ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(page ?? 'not found')
  })
  await new Promise<void>((resolve) => server.listen(E2E.storefrontPort(parallelIndex), '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    page(path, head, body) {
      pages.set(path, html(head, body))
    },
    route(path, handler) {
      routes.set(path, handler)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The one tag a merchant pastes, with extra data- attributes. */
export function tag(attributes = ''): string {
  return `<script async src="${E2E.baseUrl}/cr.js" ${attributes}></script>`
}

/** TikTok's pixel base code, loading the sandbox's stand-in library (optionally with its _ttp set late). */
export function pixel(options: { ttpDelayMs?: number } = {}): string {
  const library = `${E2E.baseUrl}/sandbox/pixel/events.js${options.ttpDelayMs ? `?ttp_delay=${options.ttpDelayMs}` : ''}`
  return `<script>${pixelBaseCode(SANDBOX_PIXEL_CODE, library)}</script>`
}

/**
 * Holds the pixel's library until cr.js has run on `page`. TikTok's library is a large
 * third-party download that normally arrives after the merchant's own small script; tests that
 * depend on that order make it certain rather than guessing how long a busy machine needs.
 */
export async function pixelLibraryAfterScript(page: Page): Promise<void> {
  await page.route('**/sandbox/pixel/events.js*', async (route) => {
    await page.waitForFunction(() => typeof (window as unknown as { clickrelay?: { track?: unknown } }).clickrelay?.track === 'function')
    await route.continue()
  })
}

/** Every record the page's script sends to /collect, in order, as the collector receives it. */
export function recordsSent(page: Page): WireRecord[] {
  const records: WireRecord[] = []
  page.on('request', (request: Request) => {
    if (request.method() === 'POST' && request.url() === `${E2E.baseUrl}/collect`) records.push(JSON.parse(request.postData() ?? 'null') as WireRecord)
  })
  return records
}

/** `test` with a worker-scoped `store` fixture: one storefront per worker, on that worker's port. */
export const test = base.extend<object, { store: Storefront }>({
  store: [
    async ({}, use, workerInfo) => {
      const store = await startStorefront(workerInfo.parallelIndex)
      await use(store)
      await store.close()
    },
    { scope: 'worker' },
  ],
})
export { expect } from '@playwright/test'

/** A value no other test, repeat or run against the same database uses: `E.C.P.<name>-<random>` for ttclids. */
export function unique(name: string): string {
  return `${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
}
