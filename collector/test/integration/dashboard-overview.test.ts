/**
 * The dashboard's Overview (issue 12, page 1), over real HTTP against a collector delivering to a
 * sandbox: a scripted day of clicks, identifies, orders and pixel receipts gives known figures
 * (clicks, in-app share, clicks restored, links, pixel pairing, delivery, match-key coverage), the
 * range picks its days, and the banner shows a match key's coverage drop against the 7 days before.
 */
import assert from 'node:assert/strict'
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { DAY_MS } from '../../src/clock.js'
import { SQL_DIR } from '../../src/paths.js'
import { ADMIN_TOKEN, eventually, manualClock, postClick, postSignedOrder, readRows, startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

const IN_APP_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 musical_ly_35.1.0 BytedanceWebview/d8a21c6'
const sha = (text: string) => createHash('sha256').update(text).digest('hex')
const MATCH_KEYS = ['email', 'phone', 'external_id', 'ttclid', 'ttp', 'ip', 'user_agent'] as const

let clock: ReturnType<typeof manualClock>
let sandbox: TestSandbox
let collector: TestCollector

/** The page as the admin reads it (Bearer: the figures are the point here, not the login). */
async function page(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(collector.url + path, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })
  return { status: response.status, text: await response.text() }
}

/** Every `data-figure` on the page, by name: the text a reader sees. */
function figures(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/data-figure="([^"]+)">([^<]*)</g)].map((m) => [m[1], m[2]]))
}

const banners = (html: string) => [...html.matchAll(/data-banner="([^"]+)"/g)].map((m) => m[1])

const order = (orderId: string, extra: Record<string, unknown> = {}) =>
  postSignedOrder(collector.url, { order_id: orderId, value: 10, currency: 'EUR', url: 'https://shop.example/thanks', ...extra }, { timestamp: Math.floor(clock.now() / 1000) })
const click = (visitor: string, url: string, ua?: string) => postClick(collector.url, { v: visitor, u: url }, ua ? { 'User-Agent': ua } : {})
const receipt = (visitor: string, fields: { i?: string; o?: string }) => postClick(collector.url, { k: 'r', v: visitor, n: 'Purchase', t: clock.now(), ...fields })
const settled = () =>
  eventually(() => (readRows<{ n: number }>(collector.dbPath, `SELECT COUNT(*) AS n FROM events WHERE status IN ('pending', 'sending')`)[0]!.n === 0 ? true : undefined), 10_000, 'every event delivered or failed')

/**
 * Runs migration 010 (009's backfill) on a copy of the database with its counts removed, and compares:
 * every count agrees, but the pairings that need what 009 adds (a receipt naming its order by its
 * key, or an anonymous one) which the backfill leaves as server only.
 */
function assertBackfillAgrees(dbPath: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'clickrelay-backfill-'))
  try {
    const live = new Database(dbPath, { readonly: true })
    const copyPath = join(dir, 'copy.db')
    live.prepare('VACUUM INTO ?').run(copyPath)
    live.close()
    const copy = new Database(copyPath)
    const counts = () => Object.fromEntries((copy.prepare('SELECT day, metric, count FROM daily_counts WHERE count != 0 ORDER BY day, metric').all() as Array<{ day: string; metric: string; count: number }>).map((r) => [`${r.day} ${r.metric}`, r.count]))
    const kept = counts()
    // As a database that held all this before migration 009 would be migrated.
    copy.exec('DELETE FROM daily_counts; UPDATE orders SET pixel_pairing = NULL')
    copy.exec(readFileSync(join(SQL_DIR, '010_daily_rollups_backfill.sql'), 'utf8'))
    const backfilled = counts()
    copy.close()
    // B-1 (its receipt names it by key, with another event_id) and D-1 (an anonymous receipt) stay server only.
    const expected: Record<string, number> = { ...kept }
    delete expected['2026-06-14 pairing:other_event_id']
    delete expected['2026-06-14 pairing:no_event_id']
    expected['2026-06-14 pairing:server_only'] = kept['2026-06-14 pairing:server_only']! + 2
    assert.ok(Object.keys(kept).length > 20, 'the day has counts to compare')
    assert.deepEqual(backfilled, expected)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** 75 % as the page writes shares. */
const share = (part: number, whole: number) => (whole ? `${Math.round((part / whole) * 1000) / 10} %` : '–')

describe('dashboard: overview', () => {
  beforeEach(async () => {
    clock = manualClock(Date.UTC(2026, 5, 14, 12, 0, 0))
    sandbox = await startTestSandbox({ clock })
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl, clock, env: { CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN } })
  })
  afterEach(async () => {
    await collector.stop()
    await sandbox.close()
  })

  test('a scripted day gives known figures: clicks, clicks restored, links, pixel pairing, delivery and coverage', async () => {
    // Yesterday: one order, in the 7 days but not in today's figures.
    clock.advance(-DAY_MS)
    assert.equal((await order('Y-1', { email: 'yesterday@example.com' })).status, 201)
    clock.advance(DAY_MS)

    // A: an in-app ad click; the pixel fires before the order arrives (paired from the start).
    await click('visitor_aaaa_000001', 'https://shop.example/p?ttclid=E.C.P.overview-a', IN_APP_UA)
    // The same landing again (the pixel set _ttp late, or a reload): still one ad click.
    await postClick(collector.url, { v: 'visitor_aaaa_000001', u: 'https://shop.example/p?ttclid=E.C.P.overview-a', p: 'ttp-late.1781436000' }, { 'User-Agent': IN_APP_UA })
    await receipt('visitor_aaaa_000001', { i: 'ord_A-1', o: 'A-1' })
    assert.equal((await order('A-1', { visitor_id: 'visitor_aaaa_000001', email: 'a@example.com' })).status, 201)

    // B: a desktop ad click that gives an email; the buyer pays in another browser (linked by
    // email), where another integration's pixel fires with its own event_id (not paired).
    await click('visitor_bbbb_000001', 'https://shop.example/p?ttclid=E.C.P.overview-b')
    await postClick(collector.url, { k: 'i', v: 'visitor_bbbb_000001', e: sha('b@example.com') })
    assert.equal((await order('B-1', { visitor_id: 'visitor_cccc_000001', email: 'b@example.com' })).status, 201)
    await receipt('visitor_cccc_000001', { i: 'woo-purchase-77', o: 'B-1' })

    // D: no ad click; the page fires the pixel without an order key after the order (not paired).
    await click('visitor_dddd_000001', 'https://shop.example/?utm_source=newsletter')
    assert.equal((await order('D-1', { visitor_id: 'visitor_dddd_000001' })).status, 201)
    await receipt('visitor_dddd_000001', {})

    // F: the pixel's receipt arrives after the order, with its event_id: server only, then paired.
    assert.equal((await order('F-1', { visitor_id: 'visitor_ffff_000001' })).status, 201)
    await receipt('visitor_ffff_000001', { i: 'ord_F-1', o: 'F-1' })

    // E: no browser at all, and TikTok refuses its event: server only, failed.
    sandbox.sandbox.inject({ kind: 'invalid_event', eventIds: ['ord_E-1'] })
    assert.equal((await order('E-1', { email: 'e@example.com' })).status, 201)
    await settled()

    const today = await page('/admin/?range=today')
    assert.equal(today.status, 200, today.text)
    const got = figures(today.text)
    assert.deepEqual(
      {
        ad_clicks: got.ad_clicks,
        in_app_share: got.in_app_share,
        orders: got.orders,
        orders_with_ttclid: got.orders_with_ttclid,
        clicks_restored: got.clicks_restored,
        'linked.visitor_id': got['linked.visitor_id'],
        'linked.email': got['linked.email'],
        'linked.phone': got['linked.phone'],
        'linked.ttclid': got['linked.ttclid'],
        'pairing.paired': got['pairing.paired'],
        'pairing.server_only': got['pairing.server_only'],
        'pairing.unpaired': got['pairing.unpaired'],
        'delivery.delivered': got['delivery.delivered'],
        'delivery.waiting': got['delivery.waiting'],
        'delivery.failed': got['delivery.failed'],
      },
      {
        ad_clicks: '2',
        in_app_share: '50 %',
        orders: '5',
        orders_with_ttclid: '2',
        clicks_restored: '40 %',
        'linked.visitor_id': '1',
        'linked.email': '1',
        'linked.phone': '0',
        'linked.ttclid': '0',
        'pairing.paired': '2',
        'pairing.server_only': '1',
        'pairing.unpaired': '2',
        'delivery.delivered': '4',
        'delivery.waiting': '0',
        'delivery.failed': '1',
      },
    )

    // Coverage: what the stored payloads of today's events carry, counted here from the events themselves.
    const payloads = readRows<{ payload: string }>(collector.dbPath, `SELECT payload FROM events WHERE order_id != 'Y-1'`).map((row) => JSON.parse(row.payload) as { user: Record<string, unknown> })
    assert.equal(payloads.length, 5)
    for (const key of MATCH_KEYS) {
      const carried = payloads.filter((p) => p.user[key] !== undefined).length
      assert.equal(got[`coverage.${key}`], share(carried, payloads.length), `coverage of ${key}`)
    }
    assert.equal(got['coverage.email'], '60 %', 'A, B and E gave an email')

    // The order pages say the same pairing as the counts.
    const pairing = readRows<{ order_id: string; pixel_pairing: string }>(collector.dbPath, 'SELECT order_id, pixel_pairing FROM orders ORDER BY order_id')
    assert.deepEqual(Object.fromEntries(pairing.map((row) => [row.order_id, row.pixel_pairing])), {
      'A-1': 'paired',
      'B-1': 'other_event_id',
      'D-1': 'no_event_id',
      'E-1': 'server_only',
      'F-1': 'paired',
      'Y-1': 'server_only',
    })
    assert.match((await page(`/admin/order?id=B-1`)).text, /<p class="pill other_event_id">other event_id<\/p>/)

    // Seven days hold yesterday's order too; the chart's data has one point per day.
    const week = await page('/admin/?range=7d')
    const weekly = figures(week.text)
    assert.equal(weekly.orders, '6')
    assert.equal(weekly['pairing.server_only'], '2')
    assert.equal(weekly['coverage.email'], share(4, 6))
    const chart = JSON.parse(/data-series="([^"]*)"/.exec(week.text)![1]!.replaceAll('&quot;', '"')) as { days: number[]; series: Array<{ key: string; values: Array<number | null> }> }
    assert.equal(chart.days.length, 7)
    const email = chart.series.find((s) => s.key === 'email')!
    assert.deepEqual(email.values.slice(-2), [100, 60], 'yesterday 1 of 1 with an email, today 3 of 5')
    assert.deepEqual(email.values.slice(0, 5), [null, null, null, null, null], 'no events, no point')
    assert.deepEqual(banners(week.text), [], 'no coverage drop on so few events, and delivery is ok')

    assert.equal((await page('/admin/?range=90d')).status, 400)

    // Migration 009 counts what a database already holds the same way the store counts as it writes.
    assertBackfillAgrees(collector.dbPath)
  })

  test("the banner shows a key whose coverage today is more than 15 points below the 7 days before, and not the others", async () => {
    // Seven days of orders with an email and a visitor ID, three a day.
    for (let day = 7; day >= 1; day--) {
      clock.set(Date.UTC(2026, 5, 14, 12, 0, 0) - day * DAY_MS)
      for (let n = 0; n < 3; n++) assert.equal((await order(`P-${day}-${n}`, { email: `p${day}${n}@example.com`, visitor_id: `visitor_past_${day}_${n}00000` })).status, 201)
    }
    // Today: the checkout stopped passing the email on; the visitor ID still comes.
    clock.set(Date.UTC(2026, 5, 14, 12, 0, 0))
    for (let n = 0; n < 19; n++) assert.equal((await order(`T-${n}`, { visitor_id: `visitor_today_${n}000000` })).status, 201)
    assert.deepEqual(banners((await page('/admin/')).text), [], 'fewer than 20 events today say nothing yet')

    assert.equal((await order('T-19', { visitor_id: 'visitor_today_19000000' })).status, 201)
    const html = (await page('/admin/')).text
    assert.deepEqual(banners(html), ['coverage.email'])
    assert.match(html, /0 % of today's 20 server events carry it, against 100 % over the 7 days before/)

    // Enough orders with an email bring it back within 15 points.
    for (let n = 0; n < 120; n++) assert.equal((await order(`R-${n}`, { email: `r${n}@example.com`, visitor_id: `visitor_back_${n}0000000` })).status, 201)
    assert.deepEqual(banners((await page('/admin/')).text), [])
  })

  test('exactly 15 points lower is no drop; more than 15 is', async () => {
    clock.set(Date.UTC(2026, 5, 13, 12, 0, 0))
    for (let n = 0; n < 20; n++) assert.equal((await order(`Y-${n}`, { email: `y${n}@example.com` })).status, 201)
    clock.set(Date.UTC(2026, 5, 14, 12, 0, 0))
    for (let n = 0; n < 20; n++) assert.equal((await order(`T-${n}`, n < 17 ? { email: `t${n}@example.com` } : {})).status, 201)
    assert.deepEqual(banners((await page('/admin/')).text), [], '85 % against 100 %: exactly 15 points')
    assert.equal((await order('T-20')).status, 201)
    assert.deepEqual(banners((await page('/admin/')).text), ['coverage.email'], '17 of 21 against 100 %: 19 points')
  })

  test('a delivery that is not ok is a banner too', async () => {
    sandbox.sandbox.inject({ kind: 'http', status: 503, times: 0 })
    assert.equal((await order('S-1')).status, 201)
    await eventually(async () => (figures((await page('/admin/')).text)['delivery.state'] === 'retrying' ? true : undefined), 10_000, 'delivery retrying')
    const html = (await page('/admin/')).text
    assert.deepEqual(banners(html), ['delivery'])
    assert.equal(figures(html)['delivery.waiting'], '1')
  })
})
