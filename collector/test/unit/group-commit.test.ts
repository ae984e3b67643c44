/** Group commit (store/group-commit.ts): what /collect's 200 relies on. */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import Database from 'better-sqlite3'
import { groupCommit } from '../../src/store/group-commit.js'
import { openSqliteStore } from '../../src/store/sqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'clickrelay-group-commit-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** A writer connection with the group commit, and a second connection that sees only what was committed. */
function setup(name: string) {
  const path = join(dir, `${name}.db`)
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)')
  const reader = new Database(path, { readonly: true })
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
  const committed = () => (reader.prepare('SELECT v FROM t ORDER BY id').all() as Array<{ v: string }>).map((r) => r.v)
  return { db, reader, insert, committed, writes: groupCommit(db) }
}

test('a burst of writes is one transaction, and each caller learns of its write only once that transaction committed', async () => {
  const { insert, committed, writes } = setup('burst')
  const seenInsideTheGroup: number[] = []
  const burst = Array.from({ length: 50 }, (_, i) =>
    writes.add(() => {
      insert.run(`w${i}`)
      // Until the group commits, nothing of it is visible from outside: no write was committed on its own.
      seenInsideTheGroup.push(committed().length)
    }),
  )
  assert.deepEqual(committed(), [], 'nothing is written while the requests of this turn are still coming in')
  const seenWhenAnswered = await Promise.all(burst.map((p) => p.then(() => committed().length)))
  assert.deepEqual(seenInsideTheGroup, new Array(50).fill(0))
  assert.deepEqual(seenWhenAnswered, new Array(50).fill(50), 'each promise settles after the commit of all 50')
  assert.deepEqual(committed(), Array.from({ length: 50 }, (_, i) => `w${i}`), 'in the order they were asked for')
})

test('a failure in a group rolls back every write of that group, rejects each caller with the error, and the next group commits', async () => {
  const { insert, committed, writes } = setup('failure')
  await writes.add(() => insert.run('before'))
  const poisoned = new Error('disk on fire')
  const group = [
    writes.add(() => insert.run('a')),
    writes.add(() => {
      throw poisoned
    }),
    writes.add(() => insert.run('c')),
  ]
  const outcomes = await Promise.allSettled(group)
  assert.deepEqual(
    outcomes.map((o) => o.status === 'rejected' && o.reason),
    [poisoned, poisoned, poisoned],
    'every request of the group fails with the store error (a 5xx, or a 503 for a full disk)',
  )
  assert.deepEqual(committed(), ['before'], "none of the group's writes is stored, not even those before the failure")
  await writes.add(() => insert.run('after'))
  assert.deepEqual(committed(), ['before', 'after'], 'the next group is unaffected')
})

test('writes asked for in different turns are different groups: one failing does not undo the other', async () => {
  const { insert, committed, writes } = setup('turns')
  const first = writes.add(() => insert.run('first'))
  await new Promise((resolve) => setImmediate(resolve))
  const second = writes.add(() => {
    throw new Error('second fails')
  })
  await first
  await assert.rejects(second, /second fails/)
  assert.deepEqual(committed(), ['first'])
})

test('flush() commits what is queued at once, so closing the store loses nothing answered', async () => {
  const { insert, committed, writes } = setup('flush')
  const pending = writes.add(() => insert.run('queued'))
  writes.flush()
  assert.deepEqual(committed(), ['queued'])
  await pending
})

test("the SQLite store groups /collect's writes: clicks, identities and receipts asked for together are stored together", async () => {
  const path = join(dir, 'store.db')
  const store = openSqliteStore(path)
  const reader = new Database(path, { readonly: true })
  const count = (table: string) => (reader.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
  try {
    const now = Date.now()
    const writes = [
      ...Array.from({ length: 20 }, (_, i) =>
        store.saveClick({ visitorId: `group_visitor_${String(i).padStart(4, '0')}`, ttclid: 'E.C.P.group', ttp: undefined, utm: {}, landingUrl: 'https://shop.example/', referrer: undefined, inApp: false, ip: undefined, userAgent: undefined, capturedAt: now }),
      ),
      store.saveIdentity({ visitorId: 'group_visitor_0000', emailHash: 'a'.repeat(64), phoneHash: 'b'.repeat(64), seenAt: now }),
      store.savePixelReceipt({ visitorId: 'group_visitor_0000', eventName: 'Purchase', eventId: 'e1', orderKey: '1', clientTime: now, receivedAt: now }),
    ]
    assert.deepEqual([count('clicks'), count('identities'), count('pixel_receipts')], [0, 0, 0], 'not yet committed')
    await Promise.all(writes)
    assert.deepEqual([count('clicks'), count('identities'), count('pixel_receipts')], [20, 2, 1])
  } finally {
    reader.close()
    await store.close()
  }
})

test('a write still queued when the store closes is committed first, not failed', async () => {
  const store = openSqliteStore(':memory:')
  const last = store.saveClick({ visitorId: 'closing_visitor_001', ttclid: undefined, ttp: undefined, utm: {}, landingUrl: 'https://shop.example/', referrer: undefined, inApp: false, ip: undefined, userAgent: undefined, capturedAt: Date.now() })
  await store.close()
  await last
})
