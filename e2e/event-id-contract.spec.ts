/**
 * The event_id contract: the built on-page script (dist/cr.js, in Chromium) and the built
 * collector (dist/common, in Node, and over POST /orders) derive the same event_id from any
 * order key a merchant may use.
 */
import { expect, test } from '@playwright/test'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { signBody, SIGNATURE_HEADER } from '../collector/src/sign.js'
import { E2E } from './helpers/env.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** A deterministic generator, so a failure names keys that can be reproduced. */
function generateKeys(count: number, seed = 20261122): Array<string | number> {
  let state = seed
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
  const pieces = ['#', ' ', '  ', '-', '_', '.', '/', 'ü', 'é', 'e\u0301', '漢字', '注文', '🛒', '👩‍👩‍👧', 'ا', 'Ω', '\t', '%', '+', '=', '"', "'", '\\', '<', '>', '&', '0', '1', '42', 'A', 'z', 'ORD', 'ß', '\u00a0', '\u200b']
  const keys: Array<string | number> = [84213, 0, 1001, Number.MAX_SAFE_INTEGER, '84213', '#84213', ' #84213 ', '', 'x'.repeat(200), '漢'.repeat(200)]
  while (keys.length < count) {
    const kind = next()
    if (kind < 0.15) {
      keys.push(Math.floor(next() * 1e12))
    } else {
      const length = kind < 0.9 ? 1 + Math.floor(next() * 12) : 40 + Math.floor(next() * 160)
      let key = ''
      for (let i = 0; i < length; i++) key += pieces[Math.floor(next() * pieces.length)]
      keys.push(key)
    }
  }
  return keys
}

function collectorBuildEventIds(keys: Array<string | number>): string[] {
  const program = `
    import { eventId } from './dist/common/event-id.js'
    let input = ''
    process.stdin.setEncoding('utf8')
    process.stdin.on('data', (c) => (input += c)).on('end', () => process.stdout.write(JSON.stringify(JSON.parse(input).map((k) => eventId('Purchase', k)))))`
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', program], { cwd: ROOT, input: JSON.stringify(keys), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.status !== 0) throw new Error(`the collector build could not compute event ids: ${result.stderr}`)
  return JSON.parse(result.stdout) as string[]
}

test('the browser build and the collector build give the same event_id for 5,000 generated order keys', async ({ page }) => {
  const keys = generateKeys(5_000)
  await page.goto('/demo/')
  await page.waitForFunction(() => typeof (window as unknown as { clickrelay?: { eventId?: unknown } }).clickrelay?.eventId === 'function')
  const inBrowser = await page.evaluate((ks) => ks.map((k) => (window as unknown as { clickrelay: { eventId(e: string, k: string | number): string } }).clickrelay.eventId('Purchase', k)), keys)
  const inCollector = collectorBuildEventIds(keys)

  const mismatches = keys.map((key, i) => ({ key, browser: inBrowser[i], collector: inCollector[i] })).filter((m) => m.browser !== m.collector)
  expect(mismatches.slice(0, 5)).toEqual([])
  for (const id of inBrowser) expect(id).toMatch(/^ord_[\w.-]{1,60}$/)
  expect(new Set(inBrowser).size, 'distinct keys give distinct ids').toBe(new Set(keys.map((k) => String(k).normalize('NFC').trim().replace(/^#+\s*/, ''))).size)
})

test('POST /orders answers with the event_id the browser computes, for odd order keys', async ({ page, request }) => {
  const keys = generateKeys(60, 7).filter((k) => String(k).trim().length > 0 && String(k).trim().length <= 200)
  await page.goto('/demo/')
  await page.waitForFunction(() => typeof (window as unknown as { clickrelay?: { eventId?: unknown } }).clickrelay?.eventId === 'function')
  for (const key of keys) {
    // Each run has a fresh database; a key generated twice is a resend, which must answer the same id.
    const orderId = key
    const body = JSON.stringify({ order_id: orderId, value: 1, currency: 'USD', url: `${E2E.baseUrl}/demo/thank-you` })
    const response = await request.post('/orders', { headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signBody(E2E.orderSecret, body) }, data: body })
    expect(response.status(), `order key ${JSON.stringify(orderId)}`).toBeLessThan(300)
    const fromBrowser = await page.evaluate((k) => (window as unknown as { clickrelay: { eventId(e: string, k: string | number): string } }).clickrelay.eventId('Purchase', k), orderId)
    expect(((await response.json()) as { event_id: string }).event_id, `order key ${JSON.stringify(orderId)}`).toBe(fromBrowser)
  }
})
