/**
 * Real reverse proxies in front of a real collector, for proxy.spec.ts. nginx and Caddy from
 * Debian's packages run as the test's own processes, each with a config file the test writes
 * (from the README's snippets where there is one) into a directory of its own, on free loopback
 * ports; behind them, a collector on `npm start`'s start-up path with its own database, and a
 * tiny shop that serves the page carrying the tag.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { SIGNATURE_HEADER, signBody } from '../../collector/src/sign.js'
import { E2E } from './env.js'
import type { OrderReport } from './shop.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** The suite's self-signed certificate for shop.test and *.shop.test (fixtures/tls). */
export const TLS = {
  cert: fileURLToPath(new URL('../fixtures/tls/cert.pem', import.meta.url)),
  key: fileURLToPath(new URL('../fixtures/tls/key.pem', import.meta.url)),
}
/** Long enough for a collector whose sources changed to rebuild itself on a busy 2-core machine. */
const START_TIMEOUT_MS = 90_000

/** A program on PATH, or in the sbin directories a non-root PATH often lacks (Debian's nginx is /usr/sbin/nginx). */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin']
  for (const dir of dirs.filter(Boolean)) {
    const path = join(dir, name)
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {
      // not here
    }
  }
  return undefined
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A child process whose output is kept for the error message when it dies or never gets ready. */
export interface Process {
  name: string
  output(): string
  stop(): Promise<void>
}

function startProcess(name: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): Process & { child: ChildProcess } {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  child.on('error', (err) => keep(Buffer.from(`\n${name} could not start: ${err.message}\n`)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    name,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Polls `ready` until it answers true; fails at once, with the process's output, if the process exits first. */
async function waitUntilReady(proc: Process & { child: ChildProcess }, what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    const { exitCode, signalCode } = proc.child
    if (exitCode !== null || signalCode !== null) throw new Error(`${proc.name} exited (${exitCode ?? signalCode}) before ${what}:\n${proc.output()}`)
    if (await ready().catch(() => false)) return
    if (Date.now() > deadline) {
      await proc.stop()
      throw new Error(`${proc.name}: no ${what} within ${START_TIMEOUT_MS / 1000} s:\n${proc.output()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => socket.end(() => resolve(true)))
    socket.once('error', () => resolve(false))
  })

export interface Collector extends Process {
  port: number
  dbPath: string
  /** The clicks stored with this ttclid, read from the collector's SQLite file. */
  clicks(ttclid: string): Array<{ visitor_id: string }>
}

/**
 * A collector of its own, started as `npm start` starts it, listening on loopback with a fresh
 * database; `env` adds the case's CLICKRELAY_TRUST_PROXY, _PUBLIC_URL, _ALLOWED_ORIGINS.
 */
export async function startCollector(env: Record<string, string>): Promise<Collector> {
  const dir = mkdtempSync(join(tmpdir(), 'clickrelay-proxy-collector-'))
  const port = await freePort()
  const dbPath = join(dir, 'clickrelay.db')
  // Nothing from the shell that runs the suite (a CLICKRELAY_ACCESS_TOKEN, say) leaks into the case.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CLICKRELAY_')))
  const proc = startProcess(`collector on ${port}`, process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    env: {
      ...inherited,
      PORT: String(port),
      CLICKRELAY_HOST: '127.0.0.1',
      CLICKRELAY_DB: dbPath,
      CLICKRELAY_ORDER_SECRET: E2E.orderSecret,
      CLICKRELAY_ADMIN_TOKEN: E2E.adminToken,
      CLICKRELAY_LOG_LEVEL: 'warn',
      ...env,
    },
  })
  await waitUntilReady(proc, 'GET /healthz answered 200', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok)
  return {
    ...proc,
    port,
    dbPath,
    clicks(ttclid) {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true })
      try {
        db.pragma('busy_timeout = 5000')
        return db.prepare(`SELECT visitor_id FROM clicks WHERE ttclid = ?`).all(ttclid) as Array<{ visitor_id: string }>
      } finally {
        db.close()
      }
    },
    async stop() {
      await proc.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The shop's own application, behind the proxy: `GET /` answers `html`, anything else 404. */
export async function startShop(html: string): Promise<{ port: number; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const found = req.method === 'GET' && new URL(req.url ?? '/', 'http://shop').pathname === '/'
    res.writeHead(found ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(found ? html : 'Not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A shop page with `tag` early in <head>, as the README says to paste it. */
export const shopPage = (tag: string) => `<!doctype html><html><head><meta charset="utf-8">${tag}<title>Shop</title></head><body><h1>Shop</h1></body></html>`

/**
 * nginx as the test's own process: one process (`master_process off`, so stopping it leaves no
 * workers behind, as root too), every path it writes inside its own directory, errors on stderr.
 * `servers` are the http-level blocks; `port` is where they listen.
 */
export async function startNginx(binary: string, port: number, servers: string): Promise<Process> {
  const dir = mkdtempSync(join(tmpdir(), 'clickrelay-nginx-'))
  const conf = join(dir, 'nginx.conf')
  writeFileSync(
    conf,
    `master_process off;
pid nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path client_body;
    proxy_temp_path proxy;
    fastcgi_temp_path fastcgi;
    uwsgi_temp_path uwsgi;
    scgi_temp_path scgi;

${servers}
}
`,
  )
  const proc = startProcess(`nginx on ${port}`, binary, ['-e', 'stderr', '-p', dir, '-c', conf, '-g', 'daemon off;'], {})
  await waitUntilReady(proc, `a listener on port ${port}`, () => accepts(port))
  return { ...proc, output: () => `${proc.output()}\n--- ${conf}:\n${readFileSync(conf, 'utf8')}`, stop: () => proc.stop().finally(() => rmSync(dir, { recursive: true, force: true })) }
}

/** Caddy as the test's own process: no admin endpoint, no certificates to obtain, its storage and state inside its own directory. */
export async function startCaddy(binary: string, port: number, sites: string): Promise<Process> {
  const dir = mkdtempSync(join(tmpdir(), 'clickrelay-caddy-'))
  const config = join(dir, 'Caddyfile')
  writeFileSync(
    config,
    `{
	admin off
	auto_https off
	storage file_system ${join(dir, 'storage')}
}

${sites}
`,
  )
  const proc = startProcess(`caddy on ${port}`, binary, ['run', '--config', config, '--adapter', 'caddyfile'], {
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') },
  })
  await waitUntilReady(proc, `a listener on port ${port}`, () => accepts(port))
  return { ...proc, output: () => `${proc.output()}\n--- ${config}:\n${readFileSync(config, 'utf8')}`, stop: () => proc.stop().finally(() => rmSync(dir, { recursive: true, force: true })) }
}

/**
 * The fenced block that follows `<!-- snippet: <name> -->` in README.md, with each placeholder
 * replaced. Every placeholder must be there, so a README edit that drops one fails here instead
 * of silently testing something else.
 */
export function readmeSnippet(name: string, placeholders: Array<[string, string]>): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const marker = `<!-- snippet: ${name} -->`
  const at = readme.indexOf(marker)
  if (at < 0) throw new Error(`README.md has no ${marker}`)
  const block = /^```[^\n]*\n([\s\S]*?)^```/m.exec(readme.slice(at + marker.length))
  if (!block) throw new Error(`README.md has no fenced block after ${marker}`)
  let text = block[1]!
  for (const [placeholder, value] of placeholders) {
    if (!text.includes(placeholder)) throw new Error(`README snippet ${name} no longer contains the placeholder ${JSON.stringify(placeholder)}:\n${text}`)
    text = text.replaceAll(placeholder, value)
  }
  return text
}

/** `KEY=value` lines of a README env snippet (comments after the value ignored). */
export function readmeEnv(name: string, placeholders: Array<[string, string]> = []): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of readmeSnippet(name, placeholders).split('\n')) {
    const match = /^\s*([A-Z][A-Z0-9_]*)=(\S*)/.exec(line)
    if (match) env[match[1]!] = match[2]!
  }
  if (Object.keys(env).length === 0) throw new Error(`README snippet ${name} sets no variables`)
  return env
}

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/**
 * An HTTP request to a public URL of the test shop from Node, which does not share the browser's
 * resolver rules: it connects to 127.0.0.1 and says the name in Host and SNI. The certificate is
 * the suite's self-signed one.
 */
export function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const target = new URL(url)
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? 'GET',
        headers: { Host: target.host, ...options.headers },
        servername: target.hostname,
        rejectUnauthorized: false,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** Posts a confirmed order to the collector's public `/orders`, signed as the merchant's backend signs it. */
export function postOrder(collectorUrl: string, order: object): Promise<Answer> {
  const body = JSON.stringify(order)
  return send(`${collectorUrl}/orders`, { method: 'POST', headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signBody(E2E.orderSecret, body) }, body })
}

/** GET /admin/orders/:id through the proxy. */
export async function orderReport(collectorUrl: string, orderId: string): Promise<OrderReport> {
  const answer = await send(`${collectorUrl}/admin/orders/${encodeURIComponent(orderId)}`, { headers: { Authorization: `Bearer ${E2E.adminToken}` } })
  if (answer.status !== 200) throw new Error(`GET /admin/orders/${orderId} answered ${answer.status}: ${answer.body}`)
  return JSON.parse(answer.body) as OrderReport
}

/**
 * `npm run doctor -- <shopUrl> --admin-token …` as a merchant runs it: the committed build (which
 * `npm run test:e2e` rebuilds first), from Node (no browser),
 * seeing the test shop as the browser does: *.shop.test on 127.0.0.1 (proxy-hosts.ts) and the
 * suite's certificate trusted, so TLS is checked for real.
 */
export async function runDoctor(shopUrl: string): Promise<{ code: number | null; output: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CLICKRELAY_')))
  const hosts = pathToFileURL(fileURLToPath(new URL('./proxy-hosts.ts', import.meta.url))).href
  const proc = startProcess('doctor', process.execPath, ['--import', 'tsx', '--import', hosts, 'dist/collector/src/doctor/main.js', shopUrl, '--admin-token', E2E.adminToken], {
    cwd: ROOT,
    env: { ...inherited, NODE_EXTRA_CA_CERTS: TLS.cert },
  })
  // 'close' comes after the last of its output.
  const code = await new Promise<number | null>((resolve) => proc.child.once('close', (exitCode) => resolve(exitCode)))
  return { code, output: proc.output() }
}
