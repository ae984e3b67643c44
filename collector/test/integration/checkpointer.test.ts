/**
 * The checkpointer's worker thread: it copies the write-ahead log into the database and then
 * starts the log over itself, so the fsync of the log's new header is paid on its thread, not
 * inside the next request's or retention step's commit. A log that starts over gets new salts
 * in its header (bytes 16 to 23 of the -wal file), which is how the tests see who restarted it.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, openSync, readSync, closeSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { startCheckpointer } from '../../src/store/checkpointer.js'

function walSalts(dbPath: string): string {
  const fd = openSync(`${dbPath}-wal`, 'r')
  try {
    const header = Buffer.alloc(8)
    readSync(fd, header, 0, 8, 16)
    return header.toString('hex')
  } finally {
    closeSync(fd)
  }
}

describe('checkpointer', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'clickrelay-checkpointer-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  function open(name: string) {
    const path = join(dir, name)
    const db = new Database(path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.exec(`CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL); CREATE TABLE rows (body TEXT)`)
    return { path, db, insert: db.prepare(`INSERT INTO rows (body) VALUES (?)`) }
  }

  test('after copying the whole log the worker starts it over, and the next commit appends to it', async () => {
    const { path, db, insert } = open('restart.db')
    const checkpointer = startCheckpointer(db)
    try {
      for (let i = 0; i < 200; i++) insert.run('x'.repeat(500))
      const written = walSalts(path)

      await checkpointer.checkpoint()
      const afterCheckpoint = walSalts(path)
      assert.notEqual(afterCheckpoint, written, 'the worker started the log over')
      const restarts = db.prepare(`SELECT value FROM settings WHERE key = 'checkpointer_restarts'`).get() as { value: string } | undefined
      assert.equal(restarts?.value, '1')

      insert.run('the next commit')
      assert.equal(walSalts(path), afterCheckpoint, 'the store connection appended to the log the worker started: no restart, no header fsync')
      assert.equal((db.prepare(`SELECT count(*) AS n FROM rows`).get() as { n: number }).n, 201)
    } finally {
      await checkpointer.close()
      db.close()
    }
  })

  test('an idle worker does not write: it starts the log over only after others wrote', async () => {
    const { db, insert } = open('idle.db')
    const checkpointer = startCheckpointer(db)
    try {
      insert.run('one')
      await checkpointer.checkpoint()
      await checkpointer.checkpoint()
      await checkpointer.checkpoint()
      const count = () => (db.prepare(`SELECT value FROM settings WHERE key = 'checkpointer_restarts'`).get() as { value: string }).value
      assert.equal(count(), '1', 'no new restart while nobody else wrote')
      insert.run('two')
      await checkpointer.checkpoint()
      assert.equal(count(), '2')
    } finally {
      await checkpointer.close()
      db.close()
    }
  })
})
