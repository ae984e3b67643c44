/** Starts real collectors (real Express on 127.0.0.1, real SQLite file) for the integration tests. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import Database from 'better-sqlite3'
import express from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Clock } from '../src/clock.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/log.js'
import { createSandbox, SANDBOX_TRACK_PATH, type Sandbox } from '../src/sandbox/events-api.js'
import { startCollector, type RunningCollector } from '../src/server.js'
import type { Store } from '../src/store/store.js'
import { signBody, SIGNATURE_HEADER } from '../src/sign.js'

export const ORDER_SECRET = 'test-order-secret-0123456789'
export const PIXEL_CODE = 'CTESTPIXEL1234567890'
export const ACCESS_TOKEN = 'test-access-token'
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789'

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2026, 5, 14, 12, 0, 0)): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start
  return {
    now: () => now,
    advance(ms) {
      now += ms
    },
    set(ms) {
      now = ms
    },
  }
}

export interface TestCollector extends RunningCollector {
  dir: string
  dbPath: string
  /** Every log line written so far. */
  logs(): string
}

/** A collector in live mode, delivering to `eventsApiUrl` (usually a test sandbox), with its own temp directory. */
export async function startTestCollector(options: { eventsApiUrl: string; env?: Record<string, string>; clock?: Clock; store?: (dbPath: string) => Store }): Promise<TestCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'clickrelay-test-'))
  const dbPath = join(dir, 'clickrelay.db')
  const config = loadConfig({
    PORT: '0',
    CLICKRELAY_DB: dbPath,
    CLICKRELAY_PIXEL_CODE: PIXEL_CODE,
    CLICKRELAY_ACCESS_TOKEN: ACCESS_TOKEN,
    CLICKRELAY_ORDER_SECRET: ORDER_SECRET,
    CLICKRELAY_EVENTS_API_URL: options.eventsApiUrl,
    CLICKRELAY_LOG_LEVEL: 'debug',
    CLICKRELAY_DELIVERY_TIMEOUT_MS: '2000',
    CLICKRELAY_RETRY_BASE_MS: '20',
    CLICKRELAY_RETRY_MAX_MS: '200',
    ...options.env,
  })
  let logged = ''
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged += chunk.toString()
      done()
    },
  })
  const collector = await startCollector(config, {
    log: createLogger(config.logLevel, sink),
    clock: options.clock,
    store: options.store?.(dbPath),
  })
  return {
    ...collector,
    dir,
    dbPath,
    logs: () => logged,
    async stop() {
      await collector.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface TestSandbox {
  sandbox: Sandbox
  url: string
  trackUrl: string
  close(): Promise<void>
}

/** The sandbox Events API on its own port, as TikTok would be: a separate server reached over HTTP. */
export async function startTestSandbox(options: { clock?: Clock; port?: number } = {}): Promise<TestSandbox> {
  const sandbox = createSandbox({ pixelCode: PIXEL_CODE, accessToken: ACCESS_TOKEN, clock: options.clock ?? { now: () => Date.now() } })
  const app = express()
  app.use(sandbox.router)
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    sandbox,
    url,
    trackUrl: url + SANDBOX_TRACK_PATH,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** POST /orders signed as the merchant's backend would. A string is sent as it is. */
export async function postSignedOrder(baseUrl: string, order: unknown, options: { secret?: string; timestamp?: number; headers?: Record<string, string> } = {}) {
  const body = typeof order === 'string' ? order : JSON.stringify(order)
  const response = await fetch(baseUrl + '/orders', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      [SIGNATURE_HEADER]: signBody(options.secret ?? ORDER_SECRET, body, options.timestamp ?? Math.floor(Date.now() / 1000)),
      ...options.headers,
    },
    body,
  })
  return { status: response.status, body: (await response.json()) as Record<string, any> }
}

/** A desktop browser: requests without one are dropped as bots (Node's fetch says "node"). */
export const BROWSER_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'

/** POST /collect as the on-page script does: a text/plain JSON body, from a browser. */
export async function postClick(baseUrl: string, record: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(baseUrl + '/collect', { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'User-Agent': BROWSER_UA, ...headers }, body: typeof record === 'string' ? record : JSON.stringify(record) })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined }
}

/** Read-only rows from a collector's database file, opened and closed for this one query. */
export function readRows<T>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true })
  try {
    return db.prepare(sql).all(...params) as T[]
  } finally {
    db.close()
  }
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export interface ChildCollector {
  url: string
  process: ChildProcess
  output(): string
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<number | string>
}

/**
 * The collector as a real child process (`node collector/src/main.ts`), so a test can kill -9
 * it. Resolves once it listens; its address is read from the banner it prints.
 */
export async function startChildCollector(env: Record<string, string>, options: { nodeArgs?: string[]; built?: boolean } = {}): Promise<ChildCollector> {
  // `built`: the compiled collector in dist/ (what `npm start` runs; build it first), not the sources under tsx.
  const entry = options.built ? [fileURLToPath(new URL('../../dist/collector/src/main.js', import.meta.url))] : ['--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))]
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...entry], {
    env: { PATH: process.env.PATH, PORT: '0', CLICKRELAY_PIXEL_CODE: PIXEL_CODE, CLICKRELAY_ACCESS_TOKEN: ACCESS_TOKEN, CLICKRELAY_ORDER_SECRET: ORDER_SECRET, CLICKRELAY_LOG_LEVEL: 'info', ...env },
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /ClickRelay collector on (http:\/\/\S+)/.exec(output)
      if (match) resolve(match[1]!)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    void exited.then((code) => reject(new Error(`collector exited (${code}) before listening:\n${output}`)))
    setTimeout(() => reject(new Error(`collector did not start within 20 s:\n${output}`)), 20_000).unref()
  })
  return { url, process: child, output: () => output, exited }
}
