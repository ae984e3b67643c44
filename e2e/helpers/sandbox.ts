/**
 * What reached the sandbox Events API, compared with partial expected objects. Uses
 * Playwright's toMatchObject through expect.poll, which waits for deliveries and prints a
 * readable diff of the last answer when they never match.
 */
import { expect, type APIRequestContext } from '@playwright/test'
import Database from 'better-sqlite3'
import type { DedupReport, ReceivedEvent } from '../../collector/src/sandbox/events-api.js'
import { E2E } from './env.js'

export async function received(request: APIRequestContext, query: { event_id?: string; source?: 'server' | 'pixel' } = {}): Promise<ReceivedEvent[]> {
  const response = await request.get('/sandbox/received', { params: query })
  expect(response.ok()).toBe(true)
  return ((await response.json()) as { events: ReceivedEvent[] }).events
}

export async function report(request: APIRequestContext, eventId: string): Promise<DedupReport> {
  const response = await request.get('/sandbox/report', { params: { event_id: eventId } })
  expect(response.ok()).toBe(true)
  return (await response.json()) as DedupReport
}

/** Waits until exactly `expected.length` events for `eventId` reached the sandbox from `source` and each matches its partial object. */
export async function expectReceived(request: APIRequestContext, eventId: string, source: 'server' | 'pixel', expected: Array<Partial<Record<keyof ReceivedEvent, unknown>>>): Promise<ReceivedEvent[]> {
  await expect
    .poll(() => received(request, { event_id: eventId, source }), { message: `${source} events for ${eventId} at the sandbox`, timeout: 10_000 })
    .toMatchObject(expected)
  return received(request, { event_id: eventId, source })
}

export async function expectReport(request: APIRequestContext, eventId: string, expected: Partial<DedupReport>): Promise<DedupReport> {
  await expect.poll(() => report(request, eventId), { message: `dedup report for ${eventId}`, timeout: 10_000 }).toMatchObject(expected)
  return report(request, eventId)
}

/** Reads the collector's SQLite file (WAL allows a reader beside the running collector). */
export function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(E2E.dbPath, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(sql).all(...params) as T[]
  } finally {
    db.close()
  }
}
