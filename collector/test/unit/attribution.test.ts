/**
 * The attribution rules (collector/src/attribution/), pure: a world of click records and
 * identities in memory, the rules read it through the repository interface.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DAY_MS } from '../../src/clock.js'
import { loadConfig } from '../../src/config.js'
import { attribute, attributeNow, runNow } from '../../src/attribution/attribute.js'
import { chooseClick, DEFAULT_SHARED_LINK_BROWSERS, hop, isSharedLink, MAX_CLUSTER_VISITORS, MAX_IDENTITIES_PER_VISITOR, personCluster, RULES } from '../../src/attribution/rules.js'
import type { AttributionRepository, AttributionScope, Buyer } from '../../src/attribution/types.js'
import { counting, memoryRepository, worldBuilder, type World } from './attribution-memory.js'

const buyer = (visitorId: string | undefined, extra: Partial<Buyer> = {}): Buyer => ({ visitorId, emailHash: undefined, phoneHash: undefined, ...extra })
const scopeAt = (now: number, extra: Partial<AttributionScope> = {}): AttributionScope => ({ from: now - 28 * DAY_MS, to: now + 600_000, ...extra })
const attributed = (world: World, who: Buyer, scope: AttributionScope) => attributeNow(memoryRepository(world), who, scope)

/** Every order of the three landings below: the sharer's ad X, the sharer's ad Y, the friend opening X. */
const PERMUTATIONS = [
  ['sharer X', 'sharer Y', 'friend X'],
  ['sharer X', 'friend X', 'sharer Y'],
  ['friend X', 'sharer X', 'sharer Y'],
  ['sharer Y', 'sharer X', 'friend X'],
  ['sharer Y', 'friend X', 'sharer X'],
  ['friend X', 'sharer Y', 'sharer X'],
] as const

describe('the rules, one at a time', () => {
  test('a hop from the buyer names the visitor by that link; further hops keep the first link', () => {
    assert.equal(hop('visitor_id', 'email'), 'email')
    assert.equal(hop('visitor_id', 'phone'), 'phone')
    assert.equal(hop('email', 'phone'), 'email')
    assert.equal(hop('phone', 'email'), 'phone')
  })

  test('a ttclid is a shared link only in MORE browsers than the threshold', () => {
    assert.equal(isSharedLink(20, 20), false)
    assert.equal(isSharedLink(21, 20), true)
    assert.equal(isSharedLink(2, 1), true)
    assert.equal(DEFAULT_SHARED_LINK_BROWSERS, 20)
  })

  test('the rule follows the browser that captured the click: its link, shared_click outside the cluster, shared_link when too shared', () => {
    const { land } = worldBuilder()
    const cluster = new Map([
      ['own', 'visitor_id' as const],
      ['by-mail', 'email' as const],
      ['by-phone', 'phone' as const],
    ])
    assert.deepEqual(chooseClick(cluster, land('own', { ttclid: 'X' }), false).rule, 'same_browser')
    assert.deepEqual(chooseClick(cluster, land('by-mail', { ttclid: 'X' }), false).rule, 'email')
    assert.deepEqual(chooseClick(cluster, land('by-phone', { ttclid: 'X' }), false).rule, 'phone')
    const outside = chooseClick(cluster, land('stranger', { ttclid: 'X' }), false)
    assert.deepEqual([outside.rule, outside.linkedBy], ['shared_click', 'ttclid'])
    const shared = chooseClick(cluster, land('by-mail', { ttclid: 'X' }), true)
    assert.deepEqual([shared.rule, shared.linkedBy], ['shared_link', 'email'])
  })

  test('every rule has a sentence that names what crosses between browsers', () => {
    for (const [rule, sentence] of Object.entries(RULES)) assert.match(sentence, /^[A-Z].+\.$/, rule)
    assert.match(RULES.shared_click, /nothing else/)
    assert.match(RULES.shared_link, /CLICKRELAY_SHARED_LINK_BROWSERS/)
  })
})

describe("the buyer's cluster", () => {
  test('joins browsers through the same visitor ID, email or phone, transitively, and never through a ttclid', () => {
    const w = worldBuilder()
    w.land('buyer', { ttclid: 'X' })
    w.land('friend', { ttclid: 'X' })
    w.identify('friend', 'email', 'friend@')
    w.identify('buyer', 'email', 'me@')
    w.identify('laptop', 'email', 'me@')
    w.identify('laptop', 'phone', '+1555')
    w.identify('tablet', 'phone', '+1555')
    const cluster = runNow(personCluster(buyer('buyer')), memoryRepository(w.world))
    assert.deepEqual([...cluster], [
      ['buyer', 'visitor_id'],
      ['laptop', 'email'],
      ['tablet', 'email'],
    ])
  })

  test("starts from the order's own email and phone when the order has no visitor ID", () => {
    const w = worldBuilder()
    w.identify('phone-browser', 'phone', '+1555')
    assert.deepEqual([...runNow(personCluster(buyer(undefined, { phoneHash: '+1555' })), memoryRepository(w.world))], [['phone-browser', 'phone']])
  })

  test(`stops at ${MAX_CLUSTER_VISITORS} visitors and reads at most ${MAX_IDENTITIES_PER_VISITOR} hashes of one visitor`, () => {
    const w = worldBuilder()
    for (let i = 0; i < 500; i++) w.identify(`kiosk-customer-${i}`, 'email', 'placeholder@')
    w.identify('buyer', 'email', 'placeholder@')
    for (let i = 0; i < 100; i++) w.identify('counter-tablet', 'email', `customer-${String(i).padStart(3, '0')}@`)
    const repo = counting(memoryRepository(w.world))
    const cluster = runNow(personCluster(buyer('buyer')), repo)
    assert.equal(cluster.size, MAX_CLUSTER_VISITORS)
    assert.ok(repo.rows <= 3 * MAX_CLUSTER_VISITORS, `read ${repo.rows} rows`)

    const tablet = counting(memoryRepository(w.world))
    runNow(personCluster(buyer('counter-tablet')), tablet)
    assert.equal(tablet.reads, 1 + MAX_IDENTITIES_PER_VISITOR)
  })
})

describe('an order', () => {
  for (const order of PERMUTATIONS) {
    test(`a friend opening the sharer's ad link X (${order.join(', ')}) buys with X: never Y, never the sharer's _ttp`, () => {
      const w = worldBuilder()
      for (const step of order) {
        if (step === 'sharer X') w.land('sharer', { ttclid: 'X', ttp: 'sharer-ttp-1' })
        if (step === 'sharer Y') w.land('sharer', { ttclid: 'Y', ttp: 'sharer-ttp-2' })
        if (step === 'friend X') w.land('friend', { ttclid: 'X' })
      }
      w.identify('sharer', 'email', 'sharer@')
      w.identify('sharer-laptop', 'email', 'sharer@')
      w.land('sharer-laptop', { ttclid: 'Z', ttp: 'sharer-ttp-3' })
      w.advance(60_000)
      const result = attributed(w.world, buyer('friend', { emailHash: 'friend@' }), scopeAt(w.now()))
      assert.equal(result.click?.ttclid, 'X')
      assert.equal(result.ttp, undefined)
      const friendFirst = order.indexOf('friend X') < order.indexOf('sharer X')
      assert.deepEqual([result.rule, result.linkedBy], friendFirst ? ['same_browser', 'visitor_id'] : ['shared_click', 'ttclid'])
      assert.equal(result.click?.visitorId, friendFirst ? 'friend' : 'sharer', 'the first capture of X')
      assert.equal(result.lastSeen?.visitorId, 'friend')

      // The sharer's own order is untouched by the friend: the sharer's latest ad, the sharer's _ttp.
      const sharers = attributed(w.world, buyer('sharer'), scopeAt(w.now()))
      assert.deepEqual([sharers.click?.ttclid, sharers.ttp, sharers.rule], ['Z', 'sharer-ttp-3', 'email'])
    })
  }

  test("in-app, then Safari on the same link: Safari's order carries the in-app capture, and Safari's own _ttp only", () => {
    const w = worldBuilder()
    const inApp = w.land('in-app', { ttclid: 'X', ttp: 'in-app-ttp' })
    w.land('safari', { ttclid: 'X', ttp: 'safari-ttp' })
    const result = attributed(w.world, buyer('safari'), scopeAt(w.now()))
    assert.deepEqual(result.click, inApp)
    assert.deepEqual([result.rule, result.linkedBy, result.ttp], ['shared_click', 'ttclid', 'safari-ttp'])
  })

  test("a browser linked by email brings everything it saw: its latest ttclid and _ttp", () => {
    const w = worldBuilder()
    w.land('phone', { ttclid: 'OLD' })
    const latest = w.land('phone', { ttclid: 'NEW', ttp: 'phone-ttp' })
    w.land('phone', { ttclid: 'NEW' }) // a reload: repeats the click, is not the click
    w.identify('phone', 'email', 'me@')
    w.advance(14 * DAY_MS)
    w.land('desktop')
    const result = attributed(w.world, buyer('desktop', { emailHash: 'me@' }), scopeAt(w.now()))
    assert.deepEqual(result.click, latest)
    assert.deepEqual([result.rule, result.linkedBy, result.ttp], ['email', 'email', 'phone-ttp'])
    assert.equal(result.lastSeen?.visitorId, 'desktop')
  })

  test('a ttclid in more browsers than the threshold is a shared link: the buyer keeps it from its own landing, and nothing else is linked', () => {
    const w = worldBuilder()
    for (let i = 0; i < 1000; i++) {
      w.land(`browser-${i}`, { ttclid: 'VIRAL', ttp: `ttp-${i}` })
      w.identify(`browser-${i}`, 'email', `person-${i}@`)
    }
    // Every other browser goes on to another ad, with another _ttp: none of it is the buyer's.
    for (let i = 0; i < 1000; i++) if (i !== 500) w.land(`browser-${i}`, { ttclid: `LATER-${i}`, ttp: `later-ttp-${i}` })
    const repo = counting(memoryRepository(w.world))
    const result = attributeNow(repo, buyer('browser-500', { emailHash: 'person-500@' }), scopeAt(w.now()))
    assert.equal(result.click?.ttclid, 'VIRAL')
    assert.deepEqual([result.click?.visitorId, result.rule, result.linkedBy, result.ttp], ['browser-500', 'shared_link', 'visitor_id', 'ttp-500'])
    // The reads a viral link costs: the buyer's own few rows, and browsers counted to one past the threshold.
    assert.ok(repo.rows <= DEFAULT_SHARED_LINK_BROWSERS + 1 + 8, `read ${repo.rows} rows in ${repo.reads} reads`)
  })

  test('at exactly the threshold the ttclid is one click opened in several browsers, attached at its first capture', () => {
    const w = worldBuilder()
    const first = w.land('browser-0', { ttclid: 'X' })
    for (let i = 1; i < 3; i++) w.land(`browser-${i}`, { ttclid: 'X' })
    assert.deepEqual(attributed(w.world, buyer('browser-2'), scopeAt(w.now(), { sharedLinkBrowsers: 3 })).click, first)
    const shared = attributed(w.world, buyer('browser-2'), scopeAt(w.now(), { sharedLinkBrowsers: 2 }))
    assert.deepEqual([shared.click?.visitorId, shared.rule], ['browser-2', 'shared_link'])
  })

  test('only clicks inside the window count, for the ttclid, the _ttp and the first capture', () => {
    const w = worldBuilder()
    w.land('other', { ttclid: 'X' })
    w.land('buyer', { ttclid: 'OLD', ttp: 'old-ttp' })
    w.advance(30 * DAY_MS)
    const inWindow = w.land('buyer', { ttclid: 'X' })
    const result = attributed(w.world, buyer('buyer'), scopeAt(w.now()))
    assert.deepEqual([result.click, result.rule, result.ttp], [inWindow, 'same_browser', undefined])
  })

  test('no recorded link, no ttclid: an order with no visitor and unknown hashes gets nothing', () => {
    const w = worldBuilder()
    w.land('someone', { ttclid: 'X', ttp: 't' })
    assert.deepEqual(attributed(w.world, buyer(undefined, { emailHash: 'nobody@' }), scopeAt(w.now())), { click: undefined, linkedBy: undefined, rule: undefined, ttp: undefined, lastSeen: undefined })
    const own = attributed(w.world, buyer('visitor-without-ad'), scopeAt(w.now()))
    assert.deepEqual([own.click, own.rule], [undefined, undefined])
  })
})

describe('the drivers', () => {
  test('the same rules run against a repository that answers later (PostgreSQL) and give the same answer', async () => {
    const w = worldBuilder()
    w.land('sharer', { ttclid: 'X', ttp: 'sharer-ttp' })
    w.land('friend', { ttclid: 'X' })
    w.land('sharer', { ttclid: 'Y' })
    const now = memoryRepository(w.world)
    const later = Object.fromEntries(Object.entries(now).map(([name, read]) => [name, async (...args: unknown[]) => (read as (...a: unknown[]) => unknown)(...args)])) as unknown as AttributionRepository
    const scope = scopeAt(w.now())
    assert.deepEqual(await attribute(later, buyer('friend'), scope), attributeNow(now, buyer('friend'), scope))
    assert.throws(() => attributeNow(later, buyer('friend'), scope), /answers synchronously/)
  })
})

test('CLICKRELAY_SHARED_LINK_BROWSERS: 20 by default, 1 to 1000, and a bad value names the variable', () => {
  assert.equal(loadConfig({}).sharedLinkBrowsers, 20)
  assert.equal(loadConfig({ CLICKRELAY_SHARED_LINK_BROWSERS: '2' }).sharedLinkBrowsers, 2)
  for (const bad of ['0', '1001', 'twenty', '2.5']) assert.throws(() => loadConfig({ CLICKRELAY_SHARED_LINK_BROWSERS: bad }), /CLICKRELAY_SHARED_LINK_BROWSERS: .*shared link.* from 1 to 1000$/)
})
