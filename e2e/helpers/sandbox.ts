/**
 * What reached the sandbox Events API, compared with partial expected objects. Uses
 * Playwright's toMatchObject through expect.poll, which waits for deliveries and prints a
 * readable diff of the last answer when they never match.
 */
import { expect, type APIRequestContext } from '@playwright/test'
import Database from 'better-sqlite3'
import type { DedupReport, ReceivedEvent } from '../../collector/src/sandbox/events-api.js'
import { E2E } from './env.js'

export async function received(request: APIRequestContext, query: { event_id?: string; source?: 'server' | 'pixel' } = {}, baseUrl = E2E.baseUrl): Promise<ReceivedEvent[]> {
  const response = await request.get(`${baseUrl}/sandbox/received`, { params: query })
  expect(response.ok()).toBe(true)
  return ((await response.json()) as { events: ReceivedEvent[] }).events
}

export async function report(request: APIRequestContext, eventId: string, baseUrl = E2E.baseUrl): Promise<DedupReport> {
  const response = await request.get(`${baseUrl}/sandbox/report`, { params: { event_id: eventId } })
  expect(response.ok()).toBe(true)
  return (await response.json()) as DedupReport
}

/** Waits until exactly `expected.length` events for `eventId` reached the sandbox from `source` and each matches its partial object. */
export async function expectReceived(
  request: APIRequestContext,
  eventId: string,
  source: 'server' | 'pixel',
  expected: Array<Partial<Record<keyof ReceivedEvent, unknown>>>,
  baseUrl = E2E.baseUrl,
): Promise<ReceivedEvent[]> {
  await expect
    .poll(() => received(request, { event_id: eventId, source }, baseUrl), { message: `${source} events for ${eventId} at the sandbox`, timeout: 10_000 })
    .toMatchObject(expected)
  return received(request, { event_id: eventId, source }, baseUrl)
}

export async function expectReport(request: APIRequestContext, eventId: string, expected: Partial<DedupReport>, baseUrl = E2E.baseUrl): Promise<DedupReport> {
  await expect.poll(() => report(request, eventId, baseUrl), { message: `dedup report for ${eventId}`, timeout: 10_000 }).toMatchObject(expected)
  return report(request, eventId, baseUrl)
}

/** Reads the collector's SQLite file (WAL allows a reader beside the running collector). */
export function query<T>(sql: string, ...params: unknown[]): T[] {
  return withDb(E2E.dbPath, true, (db) => db.prepare(sql).all(...params) as T[])
}

/**
 * Moves a visitor's stored history back in time, as if it had happened `ms` earlier: the
 * journeys' time travel, instead of waiting.
 */
export function ageVisitor(visitorId: string, ms: number): void {
  withDb(E2E.dbPath, false, (db) => {
    db.prepare(`UPDATE clicks SET captured_at = captured_at - @ms WHERE visitor_id = @visitorId`).run({ ms, visitorId })
    db.prepare(`UPDATE identities SET first_seen = first_seen - @ms, last_seen = last_seen - @ms WHERE visitor_id = @visitorId`).run({ ms, visitorId })
  })
}

function withDb<T>(path: string, readonly: boolean, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly, fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  try {
    return fn(db)
  } finally {
    db.close()
  }
}
