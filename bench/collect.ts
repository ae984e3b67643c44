/**
 * POST /collect against a bare Express route that parses the same body and does nothing else,
 * side by side in one run. Each server runs in its own process as production runs it: the
 * collector compiled by tsc (as `npm run build` does, into node_modules/.cache) and started with
 * plain `node`, the bare route as plain JavaScript; this process is the load generator, so on a
 * 2-core machine the server under load has a core to itself and the idle one sleeps. Rounds
 * alternate (bare, collector, collector, bare, ...); each round keeps CONNECTIONS keep-alive
 * connections to its server busy, the same number for both. Every request is the click record
 * the on-page script sends after a TikTok ad click (a ttclid of its own, UTMs, the referrer, a
 * _ttp) from a phone's browser, with a random visitor ID and a random client IP in
 * X-Forwarded-For, as a trusted reverse proxy (CLICKRELAY_TRUST_PROXY=loopback) passes them on:
 * each is a new shopper to the rate limit and a new row in the database. The figure is the
 * requests answered over the time taken, all rounds of a server together; the server's CPU per
 * request is printed beside it, as it holds better than a rate on a busy machine.
 *
 * The load loop speaks HTTP/1.1 on raw sockets, one request at a time per connection (no
 * pipelining): Node's own HTTP client costs about as much CPU per request as the bare server,
 * and would measure itself. Every answer must be a 200, and at the end the clicks table must
 * hold exactly one row per 200 the collector gave, or the bench fails.
 *
 *   npm run bench -- collect
 *   ROUNDS=6 ROUND_SECONDS=5 CONNECTIONS=32 npm run bench -- collect
 *   PROFILE=1 npm run bench -- collect     (both servers run with --cpu-prof; prints where their time went)
 *   COLLECTOR_MAIN=/elsewhere/build/collector/src/main.js npm run bench -- collect
 *                                           (measures that compiled collector instead, e.g. an earlier commit's)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'

const ROUNDS = Number(process.env.ROUNDS ?? 6)
const ROUND_SECONDS = Number(process.env.ROUND_SECONDS ?? 5)
const WARMUP_SECONDS = Number(process.env.WARMUP_SECONDS ?? 3)
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32)
const PROFILE = Boolean(process.env.PROFILE)
const GOAL = 0.9

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** The collector's public host behind the proxy, and the shop whose pages send the records. */
const COLLECTOR_HOST = 't.shop.example'
const SHOP = 'https://shop.example'
/** Phones in TikTok's in-app browser and in their own browsers, across OS and app versions: 120 distinct user agents. */
const USER_AGENTS = [17, 16, 15].flatMap((ios) =>
  [1, 2, 3, 4].flatMap((minor) =>
    [33, 34, 35, 36].flatMap((app) => [
      `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios}_${minor} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_${app}.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US ByteFullLocale/en WKWebView/1 BytedanceWebview/d8a21c6`,
      `Mozilla/5.0 (Linux; Android ${ios - 3}; SM-S91${minor}B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/12${app - 30}.0.6422.165 Mobile Safari/537.36 trill_${app}0003 JsSdk/1.0 NetType/4G Channel/googleplay AppName/trill app_version/${app}.0.3 ByteLocale/en ByteFullLocale/en Region/US BytedanceWebview/d8a21c6`,
      `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios}_${minor} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${ios}.${minor} Mobile/15E148 Safari/604.1`,
      `Mozilla/5.0 (Linux; Android ${ios - 3}; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/12${app - 30}.0.0.0 Mobile Safari/537.36`,
    ]),
  ),
)

// --- the bare route ----------------------------------------------------------------------

/** Express, the same body parser as the collector's, JSON.parse, and the answer. Plain JavaScript, run with `node -e`. */
const BARE_SERVER = `
import express from 'express'
const app = express()
app.post('/collect', express.text({ type: () => true, limit: '16kb' }), (req, res) => {
  const record = JSON.parse(req.body)
  res.json({ v: record.v })
})
const server = app.listen(0, '127.0.0.1', () => console.log('bare route on http://127.0.0.1:' + server.address().port))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
`

// --- the requests ------------------------------------------------------------------------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
function random(n: number, alphabet = ALPHABET): string {
  let s = ''
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)]
  return s
}
const HEX = '0123456789abcdef'
const ttps = Array.from({ length: 1000 }, () => `${random(27)}.tt.1`)
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!

/** One click record as the script sends it (see client/src/index.ts), in a request as the proxy passes it on. */
function request(): string {
  const record = {
    v: random(24, HEX),
    // Each ad click has a ttclid of its own.
    u: `${SHOP}/products/linen-shirt?ttclid=E.C.P.${random(150)}&utm_source=tiktok&utm_medium=paid&utm_campaign=flash_sale&utm_content=video_${Math.floor(Math.random() * 40)}`,
    r: 'https://www.tiktok.com/',
    p: pick(ttps),
  }
  const body = JSON.stringify(record)
  const ip = `${1 + Math.floor(Math.random() * 223)}.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`
  return (
    'POST /collect HTTP/1.1\r\n' +
    `Host: ${COLLECTOR_HOST}\r\n` +
    'Connection: keep-alive\r\n' +
    `X-Forwarded-For: ${ip}\r\n` +
    'X-Forwarded-Proto: https\r\n' +
    `X-Forwarded-Host: ${COLLECTOR_HOST}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `User-Agent: ${pick(USER_AGENTS)}\r\n` +
    'Content-Type: text/plain;charset=UTF-8\r\n' +
    'Accept: */*\r\n' +
    `Origin: ${SHOP}\r\n` +
    `Referer: ${SHOP}/\r\n` +
    'Sec-Fetch-Site: same-site\r\n' +
    'Sec-Fetch-Mode: cors\r\n' +
    'Sec-Fetch-Dest: empty\r\n' +
    'Accept-Encoding: gzip, deflate, br\r\n' +
    'Accept-Language: en-US,en;q=0.9\r\n' +
    '\r\n' +
    body
  )
}

// --- the load loop -----------------------------------------------------------------------

interface Tally {
  ok: number
  /** Answers other than 200, by status. */
  other: Map<number, number>
  latencies: number[]
}

/** A keep-alive connection that sends one request, reads the whole answer, then sends the next. */
class Connection {
  private buffer = ''
  private expected = -1
  private status = 0
  private sentAt = 0
  private tally: Tally | undefined
  private until = 0
  private finished: (() => void) | undefined

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.read(chunk))
    socket.on('error', (err) => {
      throw err
    })
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new Connection(socket)))
      socket.once('error', reject)
    })
  }

  /** Sends requests back to back until `until` (ms), counting the answers in `tally`. */
  run(tally: Tally, until: number): Promise<void> {
    this.tally = tally
    this.until = until
    return new Promise((resolve) => {
      this.finished = resolve
      this.send()
    })
  }

  close(): void {
    this.socket.destroy()
  }

  private send(): void {
    this.sentAt = performance.now()
    this.socket.write(request())
  }

  private read(chunk: Buffer): void {
    this.buffer += chunk.toString('latin1')
    for (;;) {
      if (this.expected < 0) {
        const end = this.buffer.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = this.buffer.slice(0, end)
        if (/\r\ntransfer-encoding:/i.test(head)) throw new Error('a chunked answer: this load loop reads Content-Length only')
        this.status = Number(head.slice(9, 12))
        this.expected = end + 4 + Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
      }
      if (this.buffer.length < this.expected) return
      this.buffer = this.buffer.slice(this.expected)
      this.expected = -1
      this.answered()
    }
  }

  private answered(): void {
    const tally = this.tally!
    const now = performance.now()
    if (this.status === 200) tally.ok++
    else tally.other.set(this.status, (tally.other.get(this.status) ?? 0) + 1)
    tally.latencies.push(now - this.sentAt)
    if (Date.now() < this.until) this.send()
    else this.finished?.()
  }
}

function newTally(): Tally {
  return { ok: 0, other: new Map(), latencies: [] }
}

interface Target {
  name: 'bare' | 'collector'
  port: number
  pid: number
  /** clientCpu: seconds of CPU the load loop used, to show it was not the bottleneck; serverCpu: the server's. */
  rounds: Array<{ requests: number; seconds: number; clientCpu: number; serverCpu: number }>
  /** 200s given over the whole run, warm-up included. */
  ok: number
  latencies: number[]
}

/** User and system CPU seconds a process has used so far (Linux), in the kernel's clock ticks. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

async function round(target: Target, seconds: number, measured: boolean): Promise<number> {
  // Fresh connections each round: a server closes a keep-alive connection idle for 5 s, as
  // each one is while the other server has its round.
  const connections = await Promise.all(Array.from({ length: CONNECTIONS }, () => Connection.open(target.port)))
  const tally = newTally()
  const started = performance.now()
  const cpu = process.cpuUsage()
  const serverCpu = cpuSeconds(target.pid)
  await Promise.all(connections.map((c) => c.run(tally, Date.now() + seconds * 1000)))
  const elapsed = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  const serverUsed = cpuSeconds(target.pid) - serverCpu
  for (const c of connections) c.close()
  target.ok += tally.ok
  if (tally.other.size) throw new Error(`${target.name}: answers other than 200: ${JSON.stringify(Object.fromEntries(tally.other))}`)
  const requests = tally.ok
  if (measured) {
    target.rounds.push({ requests, seconds: elapsed, clientCpu: (used.user + used.system) / 1e6, serverCpu: serverUsed })
    target.latencies.push(...tally.latencies)
  }
  return requests / elapsed
}

// --- the servers -------------------------------------------------------------------------

interface Child {
  port: number
  process: ChildProcess
  exited: Promise<unknown>
}

/** Starts `node args` and resolves once it prints the URL it listens on. */
function startChild(args: string[], env: Record<string, string>, banner: RegExp): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = banner.exec(output)
      if (match) resolve({ port: Number(match[1]), process: child, exited })
    })
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    void exited.then((code) => reject(new Error(`${args.join(' ')} exited (${String(code)}) before listening:\n${output}`)))
  })
}

async function stopChild(child: Child): Promise<void> {
  child.process.kill('SIGTERM')
  await child.exited
}

/** Compiles the collector as `npm run build` does, into a directory of its own inside the package (so it finds node_modules and collector/sql). */
const BUILD_DIR = join(ROOT, 'node_modules', '.cache', 'clickrelay-bench-collect')

function buildCollector(): string {
  const outDir = BUILD_DIR
  rmSync(outDir, { recursive: true, force: true })
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'collector/tsconfig.json', '--outDir', outDir], { cwd: ROOT, encoding: 'utf8' })
  const main = join(outDir, 'collector', 'src', 'main.js')
  if (tsc.status !== 0) {
    if (!statSync(main, { throwIfNoEntry: false })) throw new Error(`tsc could not build the collector:\n${tsc.stdout}${tsc.stderr}`)
    console.warn(`tsc reported type errors; measuring the JavaScript it emitted anyway:\n${tsc.stdout}`)
  }
  return main
}

const at = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0

/** Self time per function in a server's CPU profile (its main thread's), the heaviest first, grouped by package. */
function summarizeProfile(name: string, dir: string): string {
  // One profile per thread; the main thread's is the largest.
  const file = readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.name.endsWith('.cpuprofile'))
    .map((f) => f.name)
    .sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0]
  if (!file) return `${name}: no profile written`
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>
    samples: number[]
    timeDeltas: number[]
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  const byPackage = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!
    const dt = profile.timeDeltas[i] ?? 0
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)') {
      if (functionName !== '(idle)') self.set(functionName, (self.get(functionName) ?? 0) + dt)
      if (functionName !== '(idle)') total += dt
      return
    }
    total += dt
    const where = url.replace(/^file:\/\//, '').replace(ROOT, '').replace(/^node_modules\/\.cache\/clickrelay-bench-collect\//, '')
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.startsWith('node:') || !where ? 'node' : where.split('/').slice(0, 3).join('/'))
    self.set(`${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`, (self.get(`${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`) ?? 0) + dt)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt)
  })
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n')
  return `${name} main thread by package (self time, of ${(total / 1e6).toFixed(1)} s busy):\n${top(byPackage, 12)}\n${name}, heaviest functions:\n${top(self, 25)}\nprofile: ${join(dir, file)}`
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clickrelay-bench-collect-'))
  const dbPath = join(dir, 'bench.db')
  const profile = (name: string) => (PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, `profile-${name}`)}`] : [])
  const collectorChild = await startChild(
    [...profile('collector'), process.env.COLLECTOR_MAIN ?? buildCollector()],
    {
      PORT: '0',
      CLICKRELAY_DB: dbPath,
      CLICKRELAY_PIXEL_CODE: 'CBENCHPIXEL1234567890',
      CLICKRELAY_ACCESS_TOKEN: 'bench-access-token',
      CLICKRELAY_ORDER_SECRET: 'bench-order-secret-0123456789',
      // Nothing is delivered here: no order is sent.
      CLICKRELAY_EVENTS_API_URL: 'http://127.0.0.1:9/',
      CLICKRELAY_TRUST_PROXY: 'loopback',
      CLICKRELAY_ALLOWED_ORIGINS: SHOP,
      CLICKRELAY_LOG_LEVEL: 'info',
    },
    /ClickRelay collector on http:\/\/127\.0\.0\.1:(\d+)/,
  )
  const bareChild = await startChild([...profile('bare'), '--input-type=module', '-e', BARE_SERVER], {}, /bare route on http:\/\/127\.0\.0\.1:(\d+)/)
  const bare: Target = { name: 'bare', port: bareChild.port, pid: bareChild.process.pid!, rounds: [], ok: 0, latencies: [] }
  const collector: Target = { name: 'collector', port: collectorChild.port, pid: collectorChild.process.pid!, rounds: [], ok: 0, latencies: [] }
  let failed = false
  try {
    console.log(`${CONNECTIONS} keep-alive connections per server, ${ROUNDS} rounds of ${ROUND_SECONDS} s each after ${WARMUP_SECONDS} s of warm-up`)
    await round(bare, WARMUP_SECONDS, false)
    await round(collector, WARMUP_SECONDS, false)
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which server goes first, so neither always follows the other.
      const order = i % 2 === 0 ? [bare, collector] : [collector, bare]
      const rates: string[] = []
      for (const target of order) rates.push(`${target.name} ${Math.round(await round(target, ROUND_SECONDS, true))} req/s`)
      console.log(`  round ${i + 1}: ${rates.join(', ')}`)
    }
  } catch (err) {
    failed = true
    console.error(err)
  } finally {
    await stopChild(bareChild)
    await stopChild(collectorChild)
  }
  const stored = (() => {
    const db = new Database(dbPath, { readonly: true })
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM clicks').get() as { n: number }).n
    } finally {
      db.close()
    }
  })()
  if (!failed) {
    const rate = (t: Target) => t.rounds.reduce((n, r) => n + r.requests, 0) / t.rounds.reduce((s, r) => s + r.seconds, 0)
    const details = (t: Target) => {
      const sorted = t.latencies.sort((a, b) => a - b)
      const clientCpu = t.rounds.reduce((s, r) => s + r.clientCpu, 0) / t.rounds.reduce((s, r) => s + r.seconds, 0)
      const requests = t.rounds.reduce((n, r) => n + r.requests, 0)
      const serverCpu = t.rounds.reduce((s, r) => s + r.serverCpu, 0) / requests
      const cpu = Number.isNaN(serverCpu) ? '' : `; server CPU ${Math.round(serverCpu * 1e6)} µs a request`
      return `p50 ${at(sorted, 0.5).toFixed(2)} ms, p99 ${at(sorted, 0.99).toFixed(2)} ms${cpu}; load loop at ${Math.round(100 * clientCpu)}% of a core`
    }
    const ratio = rate(collector) / rate(bare)
    console.log(`bare Express route (parse the body, answer):  ${Math.round(rate(bare))} req/s  (${details(bare)})`)
    console.log(`collector POST /collect:                      ${Math.round(rate(collector))} req/s  (${details(collector)})`)
    console.log(`ratio: ${ratio.toFixed(2)}x (goal: at least ${GOAL}x)${ratio >= GOAL ? '' : '  BELOW GOAL'}`)
    console.log(`clicks stored: ${stored} of ${collector.ok} answered 200`)
    if (stored !== collector.ok) {
      console.error(`the collector answered 200 to ${collector.ok} click records but stored ${stored}`)
      failed = true
    }
  }
  if (PROFILE) for (const name of ['collector', 'bare']) console.log(summarizeProfile(name, join(dir, `profile-${name}`)))
  else rmSync(dir, { recursive: true, force: true })
  rmSync(BUILD_DIR, { recursive: true, force: true })
  process.exit(failed ? 1 : 0)
}

await main()
