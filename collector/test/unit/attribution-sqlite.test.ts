/**
 * Generated worlds (fast-check): the SQLite repository answers the rules exactly as the in-memory
 * reference does, and whatever the world, an order carries only what the buyer's own person
 * cluster saw, checked against an independent oracle (connected components over visitor IDs,
 * emails and phones; ttclids are no edges).
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { attributeNow } from '../../src/attribution/attribute.js'
import type { AttributionScope, Buyer, IdentityKind } from '../../src/attribution/types.js'
import { migrate, sqliteAttributionRepository } from '../../src/store/sqlite.js'
import type { Click } from '../../src/store/store.js'
import { memoryRepository, type World } from './attribution-memory.js'

const VISITORS = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5']
const HASHES = ['h0', 'h1', 'h2']

const clickArb = fc.record({
  visitorId: fc.constantFrom(...VISITORS),
  ttclid: fc.option(fc.constantFrom('A', 'B', 'C'), { nil: undefined }),
  ttp: fc.option(fc.constantFrom('t0', 't1', 't2', 't3'), { nil: undefined }),
  // few distinct times, so ties are broken by id as in SQL
  capturedAt: fc.integer({ min: 0, max: 12 }),
})
const identityArb = fc.record({ visitorId: fc.constantFrom(...VISITORS), kind: fc.constantFrom<IdentityKind>('email', 'phone'), hash: fc.constantFrom(...HASHES) })
const worldArb = fc.record({
  clicks: fc.array(clickArb, { maxLength: 25 }),
  identities: fc.uniqueArray(identityArb, { maxLength: 10, selector: (i) => `${i.visitorId}|${i.kind}|${i.hash}` }),
  buyer: fc.record({
    visitorId: fc.option(fc.constantFrom(...VISITORS), { nil: undefined }),
    emailHash: fc.option(fc.constantFrom(...HASHES), { nil: undefined }),
    phoneHash: fc.option(fc.constantFrom(...HASHES), { nil: undefined }),
  }),
  from: fc.integer({ min: 0, max: 6 }),
  span: fc.integer({ min: 0, max: 12 }),
  sharedLinkBrowsers: fc.integer({ min: 1, max: 4 }),
})

type Generated = typeof worldArb extends fc.Arbitrary<infer T> ? T : never

function toWorld(generated: Generated): World {
  const clicks: Click[] = generated.clicks.map((c, i) => ({
    id: i + 1,
    visitorId: c.visitorId,
    ttclid: c.ttclid,
    ttp: c.ttp,
    utm: {},
    landingUrl: 'https://shop.example/',
    referrer: undefined,
    inApp: false,
    ip: undefined,
    userAgent: undefined,
    capturedAt: c.capturedAt,
  }))
  return { clicks, identities: generated.identities }
}

/** The buyer's person cluster, computed another way: a flood fill over visitor–hash edges. */
function oracleCluster(world: World, buyer: Buyer): Set<string> {
  const visitors = new Set<string>()
  const hashes = new Set<string>()
  if (buyer.visitorId) visitors.add(buyer.visitorId)
  if (buyer.emailHash) hashes.add(`email:${buyer.emailHash}`)
  if (buyer.phoneHash) hashes.add(`phone:${buyer.phoneHash}`)
  for (let grew = true; grew; ) {
    grew = false
    for (const i of world.identities) {
      const key = `${i.kind}:${i.hash}`
      if (visitors.has(i.visitorId) !== hashes.has(key)) {
        visitors.add(i.visitorId)
        hashes.add(key)
        grew = true
      }
    }
  }
  return visitors
}

const db = new Database(':memory:')
migrate(db)
const sqlite = sqliteAttributionRepository(db)
const insertClick = db.prepare(`INSERT INTO clicks (id, visitor_id, ttclid, ttp, landing_url, captured_at) VALUES (@id, @visitorId, @ttclid, @ttp, @landingUrl, @capturedAt)`)
const insertIdentity = db.prepare(`INSERT INTO identities (visitor_id, kind, sha256, first_seen, last_seen) VALUES (@visitorId, @kind, @hash, 0, 0)`)
const load = db.transaction((world: World) => {
  db.exec(`DELETE FROM clicks; DELETE FROM identities`)
  for (const c of world.clicks) insertClick.run({ ...c, ttclid: c.ttclid ?? null, ttp: c.ttp ?? null })
  for (const i of world.identities) insertIdentity.run(i)
})
after(() => db.close())

test('generated worlds: SQLite attributes as the reference does, and no order carries what its person cluster did not see', () => {
  fc.assert(
    fc.property(worldArb, (generated) => {
      const world = toWorld(generated)
      load(world)
      const buyer: Buyer = generated.buyer
      const scope: AttributionScope = { from: generated.from, to: generated.from + generated.span, sharedLinkBrowsers: generated.sharedLinkBrowsers }
      const result = attributeNow(sqlite, buyer, scope)
      assert.deepEqual(result, attributeNow(memoryRepository(world), buyer, scope))

      const cluster = oracleCluster(world, buyer)
      const seen = world.clicks.filter((c) => cluster.has(c.visitorId) && c.capturedAt >= scope.from && c.capturedAt <= scope.to)
      const newest = (field: 'ttclid' | 'ttp') => seen.filter((c) => c[field] !== undefined).sort((a, b) => b.capturedAt - a.capturedAt || b.id - a.id)[0]?.[field]
      assert.equal(result.click?.ttclid, newest('ttclid'), 'the ttclid is the newest one the cluster landed with')
      assert.equal(result.ttp, newest('ttp'), 'the _ttp is the newest one the cluster saw')
      if (!result.click) return
      const browsers = new Set(world.clicks.filter((c) => c.ttclid === result.click!.ttclid && c.capturedAt >= scope.from && c.capturedAt <= scope.to).map((c) => c.visitorId))
      const shared = browsers.size > generated.sharedLinkBrowsers
      if (shared) assert.deepEqual([result.rule, cluster.has(result.click.visitorId)], ['shared_link', true])
      else assert.equal(result.rule === 'shared_click', !cluster.has(result.click.visitorId), 'shared_click exactly when the first capture is outside the cluster')
      assert.ok(result.click.capturedAt >= scope.from && result.click.capturedAt <= scope.to)
    }),
    { numRuns: 500 },
  )
})
