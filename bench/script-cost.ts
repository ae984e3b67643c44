/**
 * What the on-page script costs the page's main thread, on a first visit from a TikTok ad (the
 * path that does the most: reads the URL, writes the cookie and storage, sends the click record,
 * takes the collector's answer). Each load is a fresh browser context (a first visit, nothing
 * cached, a new renderer process) of the same small product page, whose response sets the
 * cookies a storefront's first response sets (JAR=bare for none) and whose only JavaScript is
 * one async tag as merchants paste it: dist/cr.js as built, or bench/minimal-capture.js (the
 * reference line: read the cookie and the URL, one sendBeacon), or an empty script (the baseline).
 *
 * What counts, read from a Chromium trace of each load (categories devtools.timeline,
 * disabled-by-default-devtools.timeline, v8.execute), on the main thread of the page's renderer,
 * from navigation to 2.2 s after the script started running (its first 2 seconds: its run at
 * load and both ticks of its 1 s interval; the load lasts a little longer than that):
 *   - `EvaluateScript` of any script from the bench's server (the tag, and any file it loads from
 *     beside itself): its run at load, compilation included;
 *   - `FunctionCall` of any function from those scripts: every timer (setTimeout, setInterval),
 *     requestIdleCallback and requestAnimationFrame callback, event listener (load, popstate...)
 *     and other callback Blink calls;
 *   - every `RunMicrotasks`: promise callbacks (then/catch, await, fetch().then(), response.json()),
 *     queueMicrotask, MutationObserver. The page has no JavaScript of its own, so every microtask
 *     on it is the script's.
 * The script's time is the union of those intervals (they nest), in wall time and in the main
 * thread's CPU time. A task the script runs is every main-thread task (DevTools' `RunTask`, what
 * its long-task view shows) that holds any of them, counted whole, the browser's own work in it
 * included. Not counted: the browser's work for the script outside its JavaScript (the network
 * stack, a later style recalc) and garbage collection outside those events.
 *
 * 1. Full speed, rounds of three loads interleaved (cr.js, minimal, empty, cr.js, ...), each
 *    script's time over the empty script's in the same round, three ways:
 *    - CDP `ScriptDuration` (Performance.getMetrics at the end of the load), as issue 13 measured
 *      it. Chromium counts script evaluation and timer, idle and event callbacks there, but NOT
 *      microtasks (checked: a 10 ms `.then` callback adds 0.1 ms to it), so it leaves out cr.js's
 *      handling of the collector's answer, and work moved into promise callbacks would vanish.
 *    - Every task, wall time, from the trace: the goal's figure, cr.js / minimal <= 2.5.
 *    - Every task, CPU time: leaves out the waits (a renderer's first cookie, storage or network
 *      access waits on the browser process), and so is steadier on a busy machine.
 *    Printed: the median of the per-round differences with their 25th-75th percentiles, and the
 *    ratio of the medians with a 90% bootstrap interval over rounds.
 * 2. Slowed down 4x (CDP Emulation.setCPUThrottlingRate; roughly a mid-range phone, where TikTok's
 *    in-app browser runs), cr.js alone (SLOW_REFERENCE=1 adds the minimal script): per load, the
 *    longest task the script runs; p50/p90/max over loads (goal: p90 <= 16 ms), which kind of
 *    task it was (load, timer, idle, frame, event, callback, promise), and every kind's count and length.
 *
 *   npm run bench -- script-cost    (about 3 s a load, under 3 minutes; ROUNDS=30 SLOW_LOADS=45 for
 *                                    steadier figures; CR_JS=path/to/cr.js measures another build;
 *                                    CPU_SLOWDOWN=6 a slower phone; TRACE_DIR=/tmp/x keeps the traces,
 *                                    one file per trace, for chrome://tracing or the Performance panel)
 */
import { chromium, type CDPSession } from '@playwright/test'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { startTestCollector, startTestSandbox } from '../collector/test/harness.js'
import { browserLaunchOptions } from '../e2e/helpers/browser.js'

const ROUNDS = Number(process.env.ROUNDS ?? 10)
const SLOW_LOADS = Number(process.env.SLOW_LOADS ?? 14)
const CPU_SLOWDOWN = Number(process.env.CPU_SLOWDOWN ?? 4)
/** SLOW_REFERENCE=1: the minimal script's loads interleaved with cr.js's in part 2 too. */
const SLOW_REFERENCE = process.env.SLOW_REFERENCE === '1'
const TRACE_DIR = process.env.TRACE_DIR
/** Rounds at full speed thrown away first: a new browser's first loads are slower. Part 2 runs in a warm browser. */
const WARMUP = 1
/** The script's first seconds that count, from its run at load; its 1 s interval's second tick is the last thing in them. */
const LIFE_MS = 2_200
/** How long a load lasts after the script arrived: its life and a margin, larger slowed down. */
const WINDOW_MS = { full: LIFE_MS + 150, slow: LIFE_MS + 300 }
const TASK_GOAL_MS = 16
const RATIO_GOAL = 2.5

const crPath = process.env.CR_JS ?? fileURLToPath(new URL('../dist/cr.js', import.meta.url))
const SCRIPTS = {
  cr: readFileSync(crPath, 'utf8'),
  minimal: readFileSync(new URL('./minimal-capture.js', import.meta.url), 'utf8'),
  empty: '',
}
type Variant = keyof typeof SCRIPTS
type Speed = 'full' | 'slow'
const LABEL: Record<Variant, string> = { cr: 'cr.js', minimal: 'minimal capture', empty: 'empty script' }

/** Trace categories: tasks (RunTask), script events (EvaluateScript, FunctionCall, TimerFire...), microtasks (RunMicrotasks). */
const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute']

interface TraceEvent {
  name: string
  ph: string
  ts: number
  dur?: number
  /** Thread (CPU) time: a thread waiting or descheduled does not advance it. */
  tts?: number
  tdur?: number
  pid: number
  tid: number
  args?: { data?: { url?: string }; beginData?: { url?: string }; sync_id?: string }
}

/**
 * The cookies a storefront's first response sets (Shopify's, about 1 kB), so that the page's cookie jar is not
 * empty when the tag reads it: parsing every cookie on each read costs in proportion. JAR=bare for an empty jar.
 */
const SHOP_COOKIES =
  process.env.JAR === 'bare'
    ? []
    : [
        '_shopify_y=8f14e45f-ceea-467f-a0e6-1b3a7c2d9e4b',
        '_shopify_s=c9f0f895-fb98-4b91-a4c6-5d2e8b7a1f30',
        '_shopify_sa_t=2025-11-23T17%3A50%3A00.000Z',
        '_shopify_sa_p=',
        '_orig_referrer=https%3A%2F%2Fwww.tiktok.com%2F',
        '_landing_page=%2Fproducts%2Ftrail-jacket%3Fttclid%3DE.C.P.CkAbc123%26utm_source%3Dtiktok',
        'localization=US',
        'cart_currency=USD',
        '_tracking_consent=%7B%22con%22%3A%7B%22CMP%22%3A%7B%22a%22%3A%22%22%2C%22m%22%3A%22%22%2C%22p%22%3A%22%22%2C%22s%22%3A%22%22%7D%7D%2C%22v%22%3A%222.1%22%2C%22region%22%3A%22USCA%22%2C%22reg%22%3A%22%22%7D',
        '_cmp_a=%7B%22purposes%22%3A%7B%22a%22%3Atrue%2C%22p%22%3Atrue%2C%22m%22%3Atrue%2C%22t%22%3Atrue%7D%2C%22display_banner%22%3Afalse%2C%22sale_of_data_region%22%3Afalse%7D',
        'keep_alive=5f2b1c3e-7a9d-4e8f-b6c1-0d2e3f4a5b6c',
        'secure_customer_sig=',
      ]

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x')
  const script = url.pathname.match(/^\/(\w+)\.js$/)?.[1]
  if (script && script in SCRIPTS) {
    return res.writeHead(200, { 'Content-Type': 'application/javascript', 'Cache-Control': 'no-store' }).end(SCRIPTS[script as Variant])
  }
  if (url.pathname !== '/') return res.writeHead(404).end()
  const variant = url.searchParams.get('s') ?? 'empty'
  res.setHeader('Set-Cookie', SHOP_COOKIES.map((cookie) => `${cookie}; Path=/; Max-Age=31536000; SameSite=Lax`))
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(`<!doctype html><html><head><meta charset="utf-8">
<title>Trail jacket</title>
<script async src="/${variant}.js" data-endpoint="${collector.url}"></script>
</head><body><h1>Trail jacket</h1><p>A product page.</p></body></html>`)
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const sandbox = await startTestSandbox()
const collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_ALLOWED_ORIGINS: origin, CLICKRELAY_LOG_LEVEL: 'warn', CLICKRELAY_RATE_LIMIT: '100000' } })
const browser = await chromium.launch(browserLaunchOptions())
const tracing = await browser.newBrowserCDPSession()

/** One load, before its trace is read. */
interface Visit {
  variant: Variant
  speed: Speed
  url: string
  /** CDP ScriptDuration at the end of the window, ms. */
  scriptDuration: number
}
interface Load extends Visit {
  /** The script's JavaScript in the trace, every task and microtask of its first LIFE_MS, ms. */
  traced: number
  /** The same in the main thread's CPU time, ms. */
  cpu: number
  /** The main-thread tasks that ran any of it, in order: wall and CPU time. */
  tasks: { kind: string; ms: number; cpu: number }[]
}

/** One first visit from an ad, with the tag of `variant`, in a context of its own. */
async function visit(variant: Variant, speed: Speed, n: number): Promise<Visit> {
  // A mobile Chrome user agent: the collector drops headless Chromium as a bot.
  const context = await browser.newContext({ userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36' })
  try {
    const page = await context.newPage()
    const cdp: CDPSession = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    if (speed === 'slow') await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN })
    let sent = 0
    let arrived = 0
    page.on('request', (request) => request.url() === `${collector.url}/collect` && sent++)
    page.on('requestfinished', (request) => request.url() === `${origin}/${variant}.js` && (arrived = Date.now()))
    const url = `${origin}/?s=${variant}&n=${n}&ttclid=E.C.P.bench${n}${speed}&utm_source=tiktok`
    await page.goto(url)
    if (!arrived) throw new Error(`${LABEL[variant]} had not arrived when the page had loaded`)
    await page.waitForTimeout(Math.max(0, arrived + WINDOW_MS[speed] - Date.now()))
    // Marks the end of the load in the trace: it must come after the script's first LIFE_MS.
    await tracing.send('Tracing.recordClockSyncMarker', { syncId: url })
    const { metrics } = await cdp.send('Performance.getMetrics')
    if (variant !== 'empty' && !sent) throw new Error(`${LABEL[variant]} sent nothing to the collector`)
    return { variant, speed, url, scriptDuration: 1000 * (metrics.find((m) => m.name === 'ScriptDuration')?.value ?? NaN) }
  } finally {
    await context.close()
  }
}

/** Visits one after another under one trace (a trace per visit costs more time than a visit's own work), then reads each one's part. */
async function tracedVisits(plan: [Variant, Speed, number][]): Promise<Load[]> {
  const events: TraceEvent[] = []
  const collect = ({ value }: { value: object[] }) => events.push(...(value as TraceEvent[]))
  tracing.on('Tracing.dataCollected', collect)
  await tracing.send('Tracing.start', { transferMode: 'ReportEvents', traceConfig: { recordMode: 'recordAsMuchAsPossible', includedCategories: CATEGORIES } })
  const visits: Visit[] = []
  try {
    for (const [variant, speed, n] of plan) visits.push(await visit(variant, speed, n))
  } finally {
    const complete = new Promise((resolve) => tracing.once('Tracing.tracingComplete', resolve))
    await tracing.send('Tracing.end')
    await complete
    tracing.off('Tracing.dataCollected', collect)
  }
  if (TRACE_DIR) {
    mkdirSync(TRACE_DIR, { recursive: true })
    const [variant, speed, n] = plan[0]!
    writeFileSync(`${TRACE_DIR}/${speed}-${n}-${variant}.json`, JSON.stringify({ traceEvents: events }))
  }
  return visits.map((v) => ({ ...v, ...analyse(events, v.url) }))
}

let shortWindows = 0
/** The script's time and tasks in its first LIFE_MS, on the main thread of the renderer that parsed `pageUrl`. */
function analyse(events: TraceEvent[], pageUrl: string): Pick<Load, 'traced' | 'cpu' | 'tasks'> {
  const parse = events.find((e) => e.name === 'ParseHTML' && e.args?.beginData?.url === pageUrl)
  if (!parse) throw new Error(`no ParseHTML of ${pageUrl} in the trace`)
  const thread = events.filter((e) => e.pid === parse.pid && e.tid === parse.tid && e.ph === 'X' && e.dur != null).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!)
  // The tag's script, and any it loads from the same server: the page itself has no script.
  const isOurs = (e: TraceEvent) => ((e.name === 'EvaluateScript' || e.name === 'FunctionCall') && e.args?.data?.url?.startsWith(`${origin}/`)) || e.name === 'RunMicrotasks'
  const run = thread.find((e) => e.name === 'EvaluateScript' && isOurs(e))
  if (!run) throw new Error(`the script of ${pageUrl} did not run`)
  const until = run.ts + LIFE_MS * 1000
  const marker = events.find((e) => e.name === 'clock_sync' && e.args?.sync_id === pageUrl)
  if (!marker) throw new Error(`no end marker for ${pageUrl} in the trace`)
  if (marker.ts < until) shortWindows++
  const main = thread.filter((e) => e.ts < until)
  const ours = main.filter(isOurs)
  // The union of the script's intervals (they nest: a microtask checkpoint runs inside EvaluateScript).
  const union = (start: (e: TraceEvent) => number, length: (e: TraceEvent) => number) => {
    let total = 0
    let end = -Infinity
    for (const e of ours) {
      const stop = start(e) + length(e)
      if (stop <= end) continue
      total += stop - Math.max(start(e), end)
      end = stop
    }
    return total / 1000
  }
  const cpuTime = (e: TraceEvent) => e.tdur ?? e.dur!
  const tasks: Load['tasks'] = []
  let taskEnd = -Infinity
  for (const task of main) {
    if (task.name !== 'RunTask' || task.ts < taskEnd) continue // a task nested in a task is part of it
    taskEnd = task.ts + task.dur!
    const inside = (e: TraceEvent) => e.ts >= task.ts && e.ts < taskEnd
    if (!ours.some(inside)) continue
    const names = new Set(main.filter(inside).map((e) => e.name))
    const kind = names.has('EvaluateScript')
      ? 'load'
      : names.has('TimerFire')
        ? 'timer'
        : names.has('FireIdleCallback')
          ? 'idle'
          : names.has('FireAnimationFrame')
            ? 'frame'
            : names.has('EventDispatch') && names.has('FunctionCall')
              ? 'event'
              : names.has('FunctionCall')
                ? 'callback'
                : 'promise'
    tasks.push({ kind, ms: task.dur! / 1000, cpu: cpuTime(task) / 1000 })
  }
  const cpu = ours.every((e) => e.tts != null && e.tdur != null) ? union((e) => e.tts!, (e) => e.tdur!) : NaN
  return { traced: union((e) => e.ts, (e) => e.dur!), cpu, tasks }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  const at = q * (sorted.length - 1)
  return sorted[Math.floor(at)]! + (sorted[Math.ceil(at)]! - sorted[Math.floor(at)]!) * (at - Math.floor(at))
}
const median = (values: number[]) => quantile(values, 0.5)
const ms = (x: number) => `${x.toFixed(1)} ms`
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} ms`

/** A 90% interval of median(a)/median(b) over rounds resampled with replacement (a fixed seed: the same data prints the same). */
function bootstrapRatio(a: number[], b: number[]): [number, number] {
  let seed = 0x2f6e2b1
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const ratios: number[] = []
  for (let i = 0; i < 2000; i++) {
    const picks = a.map(() => Math.floor(random() * a.length))
    ratios.push(median(picks.map((p) => a[p]!)) / median(picks.map((p) => b[p]!)))
  }
  return [quantile(ratios, 0.05), quantile(ratios, 0.95)]
}

const started = Date.now()
try {
  console.log(`${LABEL.cr}: ${crPath} (${SCRIPTS.cr.length} bytes); the page's cookie jar: ${SHOP_COOKIES.length} cookies, ${SHOP_COOKIES.join('; ').length} bytes`)
  // 1. Full speed, interleaved rounds, a trace per round.
  const full: Record<Variant, Load[]> = { cr: [], minimal: [], empty: [] }
  for (let round = 0; round < ROUNDS + WARMUP; round++) {
    const loads = await tracedVisits((Object.keys(SCRIPTS) as Variant[]).map((variant) => [variant, 'full', round]))
    if (round >= WARMUP) loads.forEach((l) => full[l.variant].push(l))
  }
  type Figure = 'scriptDuration' | 'traced' | 'cpu'
  const FIGURES: Figure[] = ['scriptDuration', 'traced', 'cpu']
  const over = (variant: Variant, figure: Figure) => full[variant].map((l, i) => l[figure] - full.empty[i]![figure])
  const cell = (text: string) => text.padEnd(30)
  const row = (label: string, cells: string[]) => console.log(`  ${label.padEnd(18)}${cells.map(cell).join('')}`)
  console.log(`Full speed, ${ROUNDS} rounds of cr.js, minimal, empty (a cold context each), the script's first ${LIFE_MS / 1000} s;`)
  console.log(`over the empty script of the same round: median [p25, p75]; the ratio's 90% interval by bootstrap over rounds:`)
  row('', ['CDP ScriptDuration', 'every task, wall (the goal)', 'every task, CPU'])
  row(LABEL.empty, FIGURES.map((f) => `${ms(median(full.empty.map((l) => l[f])))}`))
  for (const variant of ['cr', 'minimal'] as const) {
    row(
      LABEL[variant],
      FIGURES.map((f) => {
        const d = over(variant, f)
        return `${signed(median(d))} [${signed(quantile(d, 0.25))}, ${signed(quantile(d, 0.75))}]`
      }),
    )
  }
  row(
    'cr.js / minimal',
    FIGURES.map((f) => {
      const [low, high] = bootstrapRatio(over('cr', f), over('minimal', f))
      return `${(median(over('cr', f)) / median(over('minimal', f))).toFixed(2)} (${low.toFixed(2)}-${high.toFixed(2)})`
    }),
  )
  console.log(`  goal: cr.js / minimal <= ${RATIO_GOAL} on every task, wall time. ScriptDuration leaves out promise callbacks (the collector's answer); CPU time leaves out`)
  console.log(`  waits (a first cookie or storage access waits on the browser process) and is steadier on a busy machine.`)

  // 2. Slowed down: the longest task the script runs, per load; three loads a trace.
  const slow: Record<Variant, Load[]> = { cr: [], minimal: [], empty: [] }
  const plan: [Variant, Speed, number][] = []
  for (let i = 0; i < SLOW_LOADS; i++) for (const variant of SLOW_REFERENCE ? (['cr', 'minimal'] as const) : (['cr'] as const)) plan.push([variant, 'slow', i])
  for (let i = 0; i < plan.length; i += 3) {
    for (const l of await tracedVisits(plan.slice(i, i + 3))) slow[l.variant].push(l)
  }
  for (const variant of SLOW_REFERENCE ? (['cr', 'minimal'] as const) : (['cr'] as const)) {
    const loads = slow[variant]
    if (!loads.length) continue
    const longest = loads.map((l) => l.tasks.reduce((a, b) => (b.ms > a.ms ? b : a), { kind: 'none', ms: 0, cpu: 0 }))
    const kinds = new Map<string, number>()
    longest.forEach((t) => kinds.set(t.kind, (kinds.get(t.kind) ?? 0) + 1))
    const all = loads.flatMap((l) => l.tasks)
    const byKind = [...new Set(all.map((t) => t.kind))].map((kind) => {
      const of = all.filter((t) => t.kind === kind).map((t) => t.ms)
      return `${kind} ${(of.length / loads.length).toFixed(1)} (p50 ${ms(median(of))}, max ${ms(Math.max(...of))})`
    })
    const lengths = longest.map((t) => t.ms)
    const cpu = longest.map((t) => t.cpu)
    console.log(`${CPU_SLOWDOWN}x CPU slowdown, ${loads.length} loads of ${LABEL[variant]} (a cold context each), the script's first ${LIFE_MS / 1000} s:`)
    console.log(
      `  its longest task per load: p50 ${ms(median(lengths))}, p90 ${ms(quantile(lengths, 0.9))}, max ${ms(Math.max(...lengths))}` +
        (variant === 'cr' ? ` (goal: p90 <= ${TASK_GOAL_MS} ms)` : '') +
        `; that task's CPU time p50 ${ms(median(cpu))}, p90 ${ms(quantile(cpu, 0.9))}`,
    )
    console.log(`  the longest was: ${[...kinds].map(([k, c]) => `${k} ${c}x`).join(', ')}; its time per load p50 ${ms(median(loads.map((l) => l.traced)))}`)
    console.log(`  its tasks per load: ${byKind.join(', ')}`)
  }
  if (shortWindows) console.log(`WARNING: ${shortWindows} loads ended before the script's first ${LIFE_MS / 1000} s were over; their figures miss its last tasks`)
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`)
} finally {
  await browser.close()
  await collector.stop()
  await sandbox.close()
  server.close()
}
