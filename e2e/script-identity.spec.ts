/**
 * The visitor ID: random, first-party, in a 400-day cookie mirrored in localStorage, restored
 * from whichever survives; the collector's answer can hand back the ID to keep; identify()
 * sends only hashes, to the collector and to the pixel.
 */
import { createHash } from 'node:crypto'
import type { ClickRecord, IdentifyRecord } from '../common/wire.js'
import { query } from './helpers/sandbox.js'
import { expect, pixel, recordsSent, tag, test, unique } from './helpers/storefront.js'

const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const visitorId = () => (window as unknown as { clickrelay: { visitorId(): string | undefined } }).clickrelay.visitorId()
const ready = () => typeof (window as unknown as { clickrelay?: { visitorId?: unknown } }).clickrelay?.visitorId === 'function'


test('the visitor ID is 96 random bits in a 400-day Lax cookie on / and mirrored in localStorage', async ({ page, context, store }) => {
  store.page('/id', tag())
  await page.goto(`${store.url}/id`)
  await page.waitForFunction(ready)
  const id = await page.evaluate(visitorId)
  expect(id).toMatch(/^[0-9a-f]{24}$/)
  const cookie = (await context.cookies()).find((c) => c.name === 'cr_vid')!
  expect(cookie).toMatchObject({ value: id, path: '/', sameSite: 'Lax', httpOnly: false })
  const days = (cookie.expires * 1000 - Date.now()) / 86_400_000
  expect(days).toBeGreaterThan(399)
  expect(days).toBeLessThanOrEqual(400)
  expect(await page.evaluate(() => localStorage.getItem('cr_vid'))).toBe(id)

  await page.goto(`${store.url}/id?second`)
  await page.waitForFunction(ready)
  expect(await page.evaluate(visitorId), 'the same visitor on the next page').toBe(id)
})

test('a lost cookie is restored from storage, and lost storage from the cookie', async ({ page, context, store }) => {
  store.page('/restore', tag())
  await page.goto(`${store.url}/restore`)
  await page.waitForFunction(ready)
  const id = await page.evaluate(visitorId)

  await context.clearCookies()
  await page.reload()
  await page.waitForFunction(ready)
  expect(await page.evaluate(visitorId)).toBe(id)
  expect((await context.cookies()).find((c) => c.name === 'cr_vid')?.value).toBe(id)

  await page.evaluate(() => localStorage.clear())
  await page.reload()
  await page.waitForFunction(ready)
  expect(await page.evaluate(visitorId)).toBe(id)
  expect(await page.evaluate(() => localStorage.getItem('cr_vid'))).toBe(id)
})

test('the script keeps the visitor ID the collector hands back', async ({ page, context, store }) => {
  // A server-set cookie the script cannot read (HttpOnly) and another ID in storage: the collector's answer wins.
  const serverId = 'server0000000000000abcde'
  await context.addCookies([{ name: 'cr_vid', value: serverId, domain: '127.0.0.1', path: '/', httpOnly: true }])
  store.page('/handback', tag())
  store.page('/no-tag', '')
  await page.goto(`${store.url}/no-tag`)
  await page.evaluate(() => localStorage.setItem('cr_vid', 'script00000000000000abcd'))
  const sent = recordsSent(page)
  const campaign = unique('handback')
  await page.goto(`${store.url}/handback?utm_source=${campaign}`)
  await expect.poll(() => sent.length).toBe(1)
  expect((sent[0] as ClickRecord).v).toBe('script00000000000000abcd')
  await expect.poll(() => page.evaluate(visitorId)).toBe(serverId)
  expect(await page.evaluate(() => localStorage.getItem('cr_vid'))).toBe(serverId)
  await expect.poll(() => query(`SELECT visitor_id FROM clicks WHERE utm_source = ?`, campaign)).toEqual([{ visitor_id: serverId }])
})

test('identify() sends only SHA-256 hashes to the collector and to the pixel', async ({ page, store }) => {
  store.page('/signup', tag('data-phone-country="44"') + pixel())
  await page.goto(`${store.url}/signup`)
  await page.waitForFunction(() => typeof (window as unknown as { ttq?: { identify?: unknown } }).ttq?.identify === 'function' && !Array.isArray((window as unknown as { ttq: unknown }).ttq))
  await page.waitForFunction(ready)
  await page.evaluate(() => {
    const w = window as unknown as { ttq: { identify(f: object): void }; pixelIdentified: object[] }
    w.pixelIdentified = []
    const original = w.ttq.identify
    w.ttq.identify = (fields: object) => {
      w.pixelIdentified.push(fields)
      original.call(w.ttq, fields)
    }
  })
  const bodies: string[] = []
  page.on('request', (r) => r.url().endsWith('/collect') && bodies.push(r.postData() ?? ''))
  await page.evaluate(() => (window as unknown as { clickrelay: { identify(f: object): Promise<void> } }).clickrelay.identify({ email: '  Shopper.Two@Example.COM ', phone: '020 7946 0958' }))
  const id = await page.evaluate(visitorId)

  await expect.poll(() => bodies.length).toBe(1)
  const record = JSON.parse(bodies[0]!) as IdentifyRecord
  expect(record).toEqual({ k: 'i', v: id, e: sha('shopper.two@example.com'), h: sha('+442079460958') })
  expect(bodies[0]).not.toMatch(/example\.com|7946/i)
  expect(await page.evaluate(() => (window as unknown as { pixelIdentified: object[] }).pixelIdentified)).toEqual([
    { email: sha('shopper.two@example.com'), phone_number: sha('+442079460958'), external_id: sha(id!) },
  ])
  await expect.poll(() => query(`SELECT kind, sha256 FROM identities WHERE visitor_id = ? ORDER BY kind`, id)).toEqual([
    { kind: 'email', sha256: sha('shopper.two@example.com') },
    { kind: 'phone', sha256: sha('+442079460958') },
  ])
})

test('identify() leaves out a phone it cannot normalise without a calling code', async ({ page, store }) => {
  store.page('/signup-nocc', tag())
  await page.goto(`${store.url}/signup-nocc`)
  await page.waitForFunction(ready)
  const bodies: string[] = []
  page.on('request', (r) => r.url().endsWith('/collect') && bodies.push(r.postData() ?? ''))
  await page.evaluate(() => (window as unknown as { clickrelay: { identify(f: object): Promise<void> } }).clickrelay.identify({ email: 'a@b.example', phone: '020 7946 0958' }))
  await expect.poll(() => bodies.length).toBe(1)
  expect(JSON.parse(bodies[0]!)).toEqual({ k: 'i', v: expect.any(String), e: sha('a@b.example') })
})
