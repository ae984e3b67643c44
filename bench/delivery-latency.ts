/**
 * How fast an accepted order reaches the Events API on an idle collector: the collector runs as
 * its own process (`node collector/src/main.ts`), the sandbox Events API in this one, and each
 * order is sent only after the previous event arrived. Prints p50/p95/max from the moment the
 * merchant's backend posts the order to the moment the sandbox has the event.
 *
 *   npm run bench            (ORDERS=500 npm run bench for more)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { postSignedOrder, startChildCollector, startTestSandbox } from '../collector/test/harness.js'

const ORDERS = Number(process.env.ORDERS ?? 200)
const WARMUP = 20

const dir = mkdtempSync(join(tmpdir(), 'clickrelay-bench-'))
const sandbox = await startTestSandbox()
const collector = await startChildCollector({ CLICKRELAY_DB: join(dir, 'bench.db'), CLICKRELAY_EVENTS_API_URL: sandbox.trackUrl, CLICKRELAY_LOG_LEVEL: 'warn' })

async function arrival(eventId: string, since: number): Promise<number> {
  for (;;) {
    const event = sandbox.sandbox.received().find((e) => e.eventId === eventId)
    if (event) return event.receivedAt - since
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const latencies: number[] = []
try {
  for (let i = 0; i < ORDERS + WARMUP; i++) {
    const sent = Date.now()
    const answer = await postSignedOrder(collector.url, { order_id: `bench-${i}`, value: 10, currency: 'USD', url: 'https://shop.example/thanks', email: 'bench@example.com' })
    if (answer.status !== 201) throw new Error(`order ${i}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`)
    const ms = await arrival(String(answer.body.event_id), sent)
    if (i >= WARMUP) latencies.push(ms)
  }
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!
  console.log(`order accepted -> event at the Events API, idle collector, ${ORDERS} orders: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${latencies.at(-1)} ms`)
} finally {
  collector.process.kill('SIGTERM')
  await collector.exited
  await sandbox.close()
  rmSync(dir, { recursive: true, force: true })
}
