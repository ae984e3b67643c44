/**
 * What the on-page script costs the page's main thread, on a first visit from a TikTok ad (the
 * path that does the most: reads the URL, writes the cookie and storage, sends the click record,
 * takes the collector's answer). Chromium is slowed down 4x, roughly a mid-range phone, where
 * TikTok's in-app browser runs. Each load is a fresh browser context (a first visit) with the
 * tag as merchants paste it (async). Each of the script's tasks is timed: its run at load, and
 * every timer callback it schedules (the answer to its request, a promise callback, is not).
 * A PerformanceObserver also counts long tasks (50 ms and over) during load and the two seconds
 * after, against the same page without the script; on a throttled machine that count is noisy,
 * the script's own tasks are the figure to watch.
 *
 *   npm run bench            (LOADS=100 for more loads, CPU_SLOWDOWN=1 for this machine at full speed)
 */
import { chromium } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startTestCollector, startTestSandbox } from '../collector/test/harness.js'
import { browserLaunchOptions } from '../e2e/helpers/browser.js'

const LOADS = Number(process.env.LOADS ?? 30)
const WARMUP = 3
const CPU_SLOWDOWN = Number(process.env.CPU_SLOWDOWN ?? 4)
const script = readFileSync(new URL('../dist/cr.js', import.meta.url), 'utf8')

const TIMED_SCRIPT = `window.__tasks = [];
(function (setTimeout, setInterval) { var t0 = performance.now(); ${script}; __tasks.push(performance.now() - t0) })(
  function (f, ms) { return window.setTimeout(function () { var t = performance.now(); try { f() } finally { __tasks.push(performance.now() - t) } }, ms) },
  function (f, ms) { return window.setInterval(function () { var t = performance.now(); try { f() } finally { __tasks.push(performance.now() - t) } }, ms) })`

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  // The tag as merchants paste it (async, external). Each task of the script is timed: its run at
  // load, and every callback it schedules, through timer functions that shadow the global ones.
  if (path === '/cr.js') return res.writeHead(200, { 'Content-Type': 'application/javascript', 'Cache-Control': 'no-store' }).end(TIMED_SCRIPT)
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(`<!doctype html><html><head><meta charset="utf-8">
<script>window.__long = []; new PerformanceObserver((l) => l.getEntries().forEach((e) => __long.push(e.duration))).observe({ type: 'longtask', buffered: true })</script>
${path === '/with' ? `<script async src="/cr.js" data-endpoint="${collector.url}"></script>` : ''}
</head><body><h1>Trail jacket</h1><p>A product page.</p></body></html>`)
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const sandbox = await startTestSandbox()
const collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, env: { CLICKRELAY_ALLOWED_ORIGINS: origin, CLICKRELAY_LOG_LEVEL: 'warn', CLICKRELAY_RATE_LIMIT: '100000' } })
const browser = await chromium.launch(browserLaunchOptions())

/** One first visit: the duration of each of the script's tasks in ms (its run at load first), and the long tasks seen. */
async function load(path: '/with' | '/without', n: number): Promise<{ tasks: number[]; longTasks: number[] }> {
  // A desktop Chrome user agent: the collector drops headless Chromium as a bot.
  const context = await browser.newContext({ userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36' })
  try {
    const page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN })
    const answered = path === '/with' ? page.waitForResponse(`${collector.url}/collect`) : Promise.resolve()
    await page.goto(`${origin}${path}?ttclid=E.C.P.bench${n}&utm_source=tiktok`)
    await answered
    await page.waitForTimeout(2_000)
    return await page.evaluate(() => {
      const g = globalThis as unknown as { __long: number[]; __tasks?: number[] }
      return { tasks: g.__tasks ?? [], longTasks: g.__long }
    })
  } finally {
    await context.close()
  }
}

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!
const ms = (x: number) => `${x.toFixed(1)} ms`
try {
  const runs: number[] = []
  const longestOwn: number[] = []
  const longWith: number[] = []
  const longWithout: number[] = []
  for (let i = 0; i < LOADS + WARMUP; i++) {
    const withScript = await load('/with', i)
    const without = await load('/without', i)
    if (i < WARMUP) continue
    if (!withScript.tasks.length) throw new Error('the script did not run')
    runs.push(withScript.tasks[0]!)
    longestOwn.push(Math.max(...withScript.tasks))
    longWith.push(...withScript.longTasks)
    longWithout.push(...without.longTasks)
  }
  const longest = (tasks: number[]) => (tasks.length ? `, longest ${ms(Math.max(...tasks))}` : '')
  console.log(
    `cr.js main-thread cost, first visit from an ad, ${CPU_SLOWDOWN}x CPU slowdown, ${LOADS} loads: ` +
      `run at load p50 ${ms(quantile(runs, 0.5))}, p90 ${ms(quantile(runs, 0.9))}, max ${ms(Math.max(...runs))}; ` +
      `its longest task per load p50 ${ms(quantile(longestOwn, 0.5))}, p90 ${ms(quantile(longestOwn, 0.9))}, max ${ms(Math.max(...longestOwn))}; ` +
      `long tasks: ${longWith.length} with the script${longest(longWith)}, ${longWithout.length} without${longest(longWithout)}`,
  )
} finally {
  await browser.close()
  await collector.stop()
  await sandbox.close()
  server.close()
}
