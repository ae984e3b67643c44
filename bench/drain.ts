/**
 * Recovery after a TikTok outage. The sandbox Events API answers 503 for OUTAGE_S seconds
 * (default 120) while ORDERS signed orders (default 20,000) are posted over HTTP; then it answers
 * again. Prints how long the collector took to notice (its next probe), the drain rate once it
 * did, and the collector's peak RSS. The collector runs as its own process
 * (`node collector/src/main.ts`) with its default delivery settings and log level; the sandbox
 * and the load run in this process, so the sandbox's own work (parsing, checking and keeping
 * every event) is on the other core and inside the measured drain time.
 *
 *   npm run bench -- drain                      the full run (about 2.5 minutes)
 *   OUTAGE_S=10 node --import tsx bench/drain.ts   a quick one
 *   PROFILE=1 ...                               also writes a CPU profile of the collector (--cpu-prof) to bench/profiles/
 *   COLLECTOR=tsx ...                           runs the sources under tsx instead of the compiled dist/ build that
 *                                               `npm start` runs (`npm run build` first); tsx adds ~30 MB of RSS
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { postSignedOrder, startChildCollector, startTestSandbox } from '../collector/test/harness.js'

const ORDERS = Number(process.env.ORDERS ?? 20_000)
const OUTAGE_S = Number(process.env.OUTAGE_S ?? 120)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32)
const GOAL_RECOVERY_S = 30
const GOAL_RATE = 50_000
const GOAL_RSS_MB = 200

/** The collector's peak resident memory since it started, from the kernel (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
  return kb / 1024
}

/** CPU time the collector has used so far (user + system), in ms, from /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime + stime, in clock ticks of 1/100 s
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const seconds = (ms: number) => (ms / 1000).toFixed(2)

const dir = mkdtempSync(join(tmpdir(), 'clickrelay-drain-'))
const sandbox = await startTestSandbox()
const profileDir = fileURLToPath(new URL('./profiles/', import.meta.url))
if (process.env.PROFILE) mkdirSync(profileDir, { recursive: true })
// The outage starts before the collector does: nothing accepted below can leave before it ends.
sandbox.sandbox.inject({ kind: 'http', status: 503, times: 0 })
const outageStart = Date.now()
const collector = await startChildCollector(
  { CLICKRELAY_DB: join(dir, 'drain.db'), CLICKRELAY_EVENTS_API_URL: sandbox.trackUrl },
  { nodeArgs: process.env.PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [], built: process.env.COLLECTOR !== 'tsx' },
)
const pid = collector.process.pid!

try {
  // The orders, signed as the merchant's backend sends them, CONCURRENCY at a time.
  const acceptStart = Date.now()
  let next = 0
  const eventIds = new Set<string>()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ORDERS) {
        const i = next++
        const answer = await postSignedOrder(collector.url, { order_id: `drain-${i}`, value: 10 + (i % 90), currency: 'USD', url: 'https://shop.example/thanks', email: `buyer${i}@example.com`, ip: '198.51.100.7', user_agent: 'Mozilla/5.0 (iPhone) Safari' })
        if (answer.status !== 201) throw new Error(`order ${i}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`)
        eventIds.add(String(answer.body.event_id))
      }
    }),
  )
  const acceptMs = Date.now() - acceptStart
  const outageMs = Math.max(OUTAGE_S * 1000, Date.now() - outageStart)
  await sleep(outageStart + outageMs - Date.now())
  const probesDuringOutage = sandbox.sandbox.requests().length
  const rssBeforeMb = peakRssMb(pid)

  // TikTok is back.
  const outageEnd = Date.now()
  const collectorCpuBefore = cpuMs(pid)
  const benchCpuBefore = process.cpuUsage()
  sandbox.sandbox.clearFaults()
  let delivered = 0
  let seen = probesDuringOutage
  const deadline = outageEnd + 5 * 60_000
  while (delivered < ORDERS) {
    const requests = sandbox.sandbox.requests()
    for (; seen < requests.length; seen++) if (requests[seen]!.code === 0) delivered += requests[seen]!.events
    if (Date.now() > deadline) throw new Error(`only ${delivered} of ${ORDERS} delivered 5 minutes after the outage ended`)
    if (delivered < ORDERS) await sleep(2)
  }
  const collectorCpu = cpuMs(pid) - collectorCpuBefore
  const benchCpu = process.cpuUsage(benchCpuBefore)
  const after = sandbox.sandbox.requests().slice(probesDuringOutage).filter((r) => r.code === 0)
  const probe = after[0]!
  const last = after.at(-1)!
  const drainMs = Math.max(1, last.at - probe.at)
  const drained = after.slice(1).reduce((n, r) => n + r.events, 0)
  const received = new Set(sandbox.sandbox.received().map((e) => e.eventId))
  const missing = [...eventIds].filter((id) => !received.has(id)).length
  const rssMb = peakRssMb(pid)

  const recoveryS = (last.at - outageEnd) / 1000
  console.log(`orders: ${ORDERS} accepted during the outage in ${seconds(acceptMs)} s (${Math.round(ORDERS / (acceptMs / 1000))} orders/s over HTTP, signed); outage ${seconds(outageMs)} s, ${probesDuringOutage} requests to TikTok during it`)
  console.log(`recovery: first probe ${seconds(probe.at - outageEnd)} s after TikTok came back; then ${drained} events in ${after.length - 1} requests (largest ${Math.max(...after.map((r) => r.events))}) in ${seconds(drainMs)} s`)
  console.log(`drain: ${Math.round(drained / (drainMs / 1000))} events/s (goal ≥ ${GOAL_RATE}); all ${ORDERS} delivered ${recoveryS.toFixed(2)} s after the outage ended (goal ≤ ${GOAL_RECOVERY_S} s)${missing ? `; MISSING ${missing}` : ''}`)
  console.log(`where the time goes: the collector used ${collectorCpu.toFixed(0)} ms of CPU for the drain (${((collectorCpu * 1000) / ORDERS).toFixed(1)} µs per event), the sandbox and this script ${((benchCpu.user + benchCpu.system) / 1000).toFixed(0)} ms; the machine's load average was ${loadavg()[0]!.toFixed(2)}`)
  console.log(`collector peak RSS: ${rssMb.toFixed(0)} MB (VmHWM, ${process.env.COLLECTOR !== 'tsx' ? 'compiled collector' : 'sources under tsx'}; ${rssBeforeMb.toFixed(0)} MB before the drain; goal ≤ ${GOAL_RSS_MB} MB)`)
  if (missing || recoveryS > GOAL_RECOVERY_S) process.exitCode = 1
} finally {
  collector.process.kill('SIGTERM')
  await collector.exited
  await sandbox.close()
  rmSync(dir, { recursive: true, force: true })
}
