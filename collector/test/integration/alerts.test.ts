/**
 * Alerts (issue 12, page 6): CLICKRELAY_ALERT_WEBHOOK_URL gets one Slack-compatible message when
 * a banner condition starts and one when it ends, at most one per condition per hour, never
 * twice across a restart, and its URL in no log. A local receiver stands in for Slack.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/clock.js'
import { ADMIN_TOKEN, eventually, manualClock, postSignedOrder, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

const SECRET_PATH = '/services/T0000/B0000/alert-secret-part-7f3a'
const NOON = Date.UTC(2026, 5, 14, 12, 0, 0)

interface Receiver {
  url: string
  messages: Array<Record<string, unknown>>
  /** The status the next posts get (200 unless told otherwise). */
  answer: number
  close(): Promise<void>
}

/** Slack's side: an incoming webhook on a free loopback port that keeps what it is sent. */
async function startReceiver(): Promise<Receiver> {
  const receiver = { messages: [] as Array<Record<string, unknown>>, answer: 200 } as Receiver
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      if (req.method === 'POST' && req.url === SECRET_PATH && receiver.answer === 200) {
        assert.equal(req.headers['content-type'], 'application/json')
        receiver.messages.push(JSON.parse(body) as Record<string, unknown>)
      }
      res.writeHead(req.url === SECRET_PATH ? receiver.answer : 404).end(receiver.answer === 200 ? 'ok' : 'no')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SECRET_PATH}`
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return receiver
}

let clock: ReturnType<typeof manualClock>
let sandbox: TestSandbox
let receiver: Receiver
let dir: string
let collector: TestCollector

const start = () => startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_ALERT_WEBHOOK_URL: receiver.url, CLICKRELAY_DB: join(dir, 'alerts.db'), CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN } })
const order = (orderId: string, extra: Record<string, unknown> = {}) =>
  postSignedOrder(collector.url, { order_id: orderId, value: 10, currency: 'EUR', url: 'https://shop.example/thanks', ...extra }, { timestamp: Math.floor(clock.now() / 1000) })
const texts = () => receiver.messages.map((m) => m.text as string)

/** Seven days of orders with an email, then 20 today without: the email's coverage drops from 100 % to 0 %. */
async function dropEmailCoverage(): Promise<void> {
  for (let day = 7; day >= 1; day--) {
    clock.set(NOON - day * DAY_MS)
    for (let n = 0; n < 3; n++) assert.equal((await order(`P-${day}-${n}`, { email: `p${day}${n}@example.com` })).status, 201)
  }
  clock.set(NOON)
  for (let n = 0; n < 20; n++) assert.equal((await order(`T-${n}`)).status, 201)
}

/** Orders with an email, enough to bring today's coverage back within 15 points. */
async function restoreEmailCoverage(): Promise<void> {
  for (let n = 0; n < 120; n++) assert.equal((await order(`R-${n}`, { email: `r${n}@example.com` })).status, 201)
}

describe('alerts', () => {
  beforeEach(async () => {
    clock = manualClock(NOON)
    dir = mkdtempSync(join(tmpdir(), 'clickrelay-alerts-'))
    sandbox = await startTestSandbox({ clock })
    receiver = await startReceiver()
    collector = await start()
  })
  afterEach(async () => {
    await collector.stop()
    await sandbox.close()
    await receiver.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('one message when coverage drops and one when it recovers; nothing in between, nothing twice', async () => {
    await dropEmailCoverage()
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1, texts().join('\n'))
    assert.match(texts()[0]!, /Fewer server events carry the email match key: 0 % of today's 20 server events carry it, against 100 % over the 7 days before/)
    assert.deepEqual(Object.keys(receiver.messages[0]!), ['text'], 'Slack-compatible: {"text": …}')

    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1, 'a condition that holds is not said again')

    // It recovers within the hour of the first message: the end waits for the hour to pass.
    await restoreEmailCoverage()
    clock.advance(30 * MINUTE_MS)
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1, 'at most one message per condition per hour')
    clock.advance(30 * MINUTE_MS)
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 2)
    assert.match(texts()[1]!, /The email match key is back within 15 points of the 7 days before/)
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 2)

    // Only the email's coverage moved: no other key, no delivery condition said anything.
    assert.ok(texts().every((text) => text.includes('email')))
    assert.ok(!collector.logs().includes('alert-secret-part'), 'the webhook URL is never logged')
  })

  test('a condition that starts and ends within the hour says nothing more once the hour is over', async () => {
    await dropEmailCoverage()
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1)
    await restoreEmailCoverage()
    await collector.alerts!.check()
    // Dropping again before the hour is out: what was said last (it dropped) is still true.
    for (let n = 0; n < 10; n++) assert.equal((await order(`D-${n}`)).status, 201)
    clock.advance(HOUR_MS)
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1, texts().join('\n'))
  })

  test('a new UTC day with too few events yet says nothing: a drop that lasts is not announced as over at midnight', async () => {
    await dropEmailCoverage()
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1)
    clock.set(NOON + 12 * 3_600_000 + 5 * 60_000) // 00:05 the next day: no server events yet today
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1, texts().join('\n'))
    for (let n = 0; n < 20; n++) assert.equal((await order(`N-${n}`)).status, 201)
    clock.advance(2 * HOUR_MS)
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1, 'the drop still holds: nothing new to say')
  })

  test('what was said survives a restart: the same condition is not said again', async () => {
    await dropEmailCoverage()
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1)
    await collector.stop()
    clock.advance(2 * HOUR_MS)
    collector = await start()
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1, texts().join('\n'))
  })

  test('delivery retrying for more than 15 minutes is a message; a webhook that fails is tried again and shown in the status', async () => {
    sandbox.sandbox.inject({ kind: 'http', status: 503, times: 0 })
    assert.equal((await order('S-1', { email: 's@example.com' })).status, 201)
    await eventually(() => (collector.delivery.status().state === 'retrying' ? true : undefined), 10_000, 'delivery retrying')
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 0, 'a short outage is no alert')

    clock.advance(16 * MINUTE_MS)
    receiver.answer = 500
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 0)
    const status = (await (await fetch(`${collector.url}/admin/status`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { problems: Array<{ code: string; message: string }> }
    const problem = status.problems.find((p) => p.code === 'alert_webhook_failing')
    assert.ok(problem, JSON.stringify(status.problems))
    assert.match(problem.message, /answered HTTP 500/)
    assert.ok(!problem.message.includes('alert-secret-part'), 'the status does not show the URL')

    receiver.answer = 200
    await collector.alerts!.check()
    assert.equal(receiver.messages.length, 1)
    assert.match(texts()[0]!, /Delivery to TikTok has been retrying for 1[67] minutes/)
  })
})
