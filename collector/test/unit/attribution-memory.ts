/**
 * The attribution repository over plain arrays: the contract of types.ts without SQL, for the
 * rules' unit tests and as the reference the SQLite repository is compared with. Counts what the
 * rules read, so a test can bound it.
 */
import type { AttributionRepository, Identity, IdentityKind } from '../../src/attribution/types.js'
import type { Click } from '../../src/store/store.js'

export interface World {
  clicks: Click[]
  identities: Array<{ visitorId: string; kind: IdentityKind; hash: string }>
}

export interface CountingRepository extends AttributionRepository {
  /** Reads made, and rows they returned (a count of browsers counts as that many rows). */
  reads: number
  rows: number
}

const newestFirst = (a: Click, b: Click) => b.capturedAt - a.capturedAt || b.id - a.id
const oldestFirst = (a: Click, b: Click) => a.capturedAt - b.capturedAt || a.id - b.id
const byKindThenHash = (a: Identity, b: Identity) => (a.kind === b.kind ? (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0) : a.kind < b.kind ? -1 : 1)

/** Counts the reads and rows of any repository. */
export function counting(repo: AttributionRepository): CountingRepository {
  const counted: CountingRepository = {
    reads: 0,
    rows: 0,
    identitiesOf: (...args) => tally(repo.identitiesOf(...args)),
    visitorsWithIdentity: (...args) => tally(repo.visitorsWithIdentity(...args)),
    latestClickWith: (...args) => tally(repo.latestClickWith(...args)),
    browsersWithTtclid: (...args) => tally(repo.browsersWithTtclid(...args)),
    firstCaptureOf: (...args) => tally(repo.firstCaptureOf(...args)),
    lastSeen: (...args) => tally(repo.lastSeen(...args)),
  }
  function tally<T>(answer: T): T {
    if (answer instanceof Promise) throw new TypeError('counting() wraps synchronous repositories')
    counted.reads += 1
    counted.rows += Array.isArray(answer) ? answer.length : typeof answer === 'number' ? answer : answer === undefined ? 0 : 1
    return answer
  }
  return counted
}

/** In the order the SQLite repository answers: identities by (kind, hash), visitors of a hash in insertion order. */
export function memoryRepository(world: World): AttributionRepository {
  const inWindow = (c: Click, w: { from: number; to: number }) => c.capturedAt >= w.from && c.capturedAt <= w.to
  return {
    identitiesOf: (visitorId, limit) =>
      world.identities
        .filter((i) => i.visitorId === visitorId)
        .map(({ kind, hash }) => ({ kind, hash }))
        .sort(byKindThenHash)
        .slice(0, limit),
    visitorsWithIdentity: ({ kind, hash }, limit) =>
      world.identities
        .filter((i) => i.kind === kind && i.hash === hash)
        .map((i) => i.visitorId)
        .slice(0, limit),
    latestClickWith: (field, visitors, window) => world.clicks.filter((c) => visitors.includes(c.visitorId) && c[field] !== undefined && inWindow(c, window)).sort(newestFirst)[0],
    browsersWithTtclid: (ttclid, window, limit) => Math.min(limit, new Set(world.clicks.filter((c) => c.ttclid === ttclid && inWindow(c, window)).map((c) => c.visitorId)).size),
    firstCaptureOf: (ttclid, window, visitors) => world.clicks.filter((c) => c.ttclid === ttclid && inWindow(c, window) && (!visitors || visitors.includes(c.visitorId))).sort(oldestFirst)[0],
    lastSeen: (visitorId, to) => world.clicks.filter((c) => c.visitorId === visitorId && c.capturedAt <= to).sort(newestFirst)[0],
  }
}

/** Builds a world one landing at a time; ids and times increase in the order of the calls. */
export function worldBuilder(start = Date.UTC(2026, 5, 14, 12)) {
  const world: World = { clicks: [], identities: [] }
  let now = start
  return {
    world,
    now: () => now,
    advance(ms: number) {
      now += ms
    },
    land(visitorId: string, fields: { ttclid?: string; ttp?: string; at?: number } = {}): Click {
      const click: Click = {
        id: world.clicks.length + 1,
        visitorId,
        ttclid: fields.ttclid,
        ttp: fields.ttp,
        utm: {},
        landingUrl: `https://shop.example/${fields.ttclid ? `?ttclid=${fields.ttclid}` : ''}`,
        referrer: undefined,
        inApp: false,
        ip: '203.0.113.7',
        userAgent: `UA of ${visitorId}`,
        capturedAt: fields.at ?? now,
      }
      world.clicks.push(click)
      now += 1000
      return click
    },
    identify(visitorId: string, kind: IdentityKind, hash: string) {
      if (!world.identities.some((i) => i.visitorId === visitorId && i.kind === kind && i.hash === hash)) world.identities.push({ visitorId, kind, hash })
    },
  }
}
