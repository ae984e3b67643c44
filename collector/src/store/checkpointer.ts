/**
 * WAL checkpoints off the event loop. A checkpoint copies the write-ahead log back into the
 * database file and fsyncs both. By default SQLite runs one inside whichever commit takes the log
 * past 1,000 pages, so about every fiftieth order, or every few retention steps, paid the fsyncs:
 * 7 to 50 ms on the VM where bench/growth.ts measured it, when the commits themselves take under
 * 1 ms. Here a worker thread with a connection of its own checkpoints: every 200 ms when idle,
 * every 5 ms while there is log to copy, and whenever the store asks (the retention purge waits
 * for one every few steps, so its deletes never pile up in the log).
 *
 * The log starts over at the first commit after a checkpoint that left nothing behind, and that
 * commit fsyncs the log's new header (SQLite's guard against out-of-order writes): 0.2 ms as a
 * rule, 20 to 30 ms at this VM's disk's worst. So once the worker has copied everything, it
 * commits a one-row write of its own (the `checkpointer_restarts` setting) and pays that fsync on
 * its thread; the store's next commit appends to the fresh log. It writes only after others have
 * (PRAGMA data_version), and never waits for a lock: when the store is writing, its commit
 * restarts the log, as before. A checkpoint asked for by the store also holds off the worker's own
 * rounds, so the purge's steps never run beside one.
 *
 * Under writes so steady that no commit ever finds the log fully copied, it would never start
 * over: the store's connection still checkpoints by itself once the log reaches 10,000 pages
 * (40 MB), a safety valve that costs that one commit 25 to 300 ms here. bench/growth.ts meets it only
 * with orders back to back, once per ~550. If the worker cannot run, the store's connection
 * checkpoints at SQLite's 1,000 pages, as before.
 */
import type Database from 'better-sqlite3'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** Between checkpoints when the last one found nothing to copy, and when it did. */
const CHECKPOINT_EVERY_MS = 200
const CHECKPOINT_BUSY_EVERY_MS = 5
const VALVE_PAGES = 10_000
/** SQLite's default, for a store whose worker failed. */
const AUTOCHECKPOINT_PAGES = 1000

// Plain CommonJS, evaluated as it is, so it runs the same from the TypeScript sources and from dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
// Never waits for a lock: a round that finds the database busy tries again at the next one.
const db = new Database(workerData.path, { timeout: 0 })
let backfilled = 0
/** data_version right after this thread restarted the log: unchanged means nobody has written since. */
let restartedAt
let restartLog
try {
  restartLog = db.prepare("INSERT INTO settings (key, value) VALUES ('checkpointer_restarts', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
} catch {
  // A database without the settings table: the store's next commit restarts the log, as SQLite does.
}
const dataVersion = () => db.pragma('data_version', { simple: true })
const restart = () => {
  try {
    restartLog.run()
    restartedAt = dataVersion()
    backfilled = 0
  } catch {
    // The store is writing: its commit restarts the log instead.
  }
}
/** Whether the round copied anything: then the next comes soon, so the log never runs far ahead. */
const checkpoint = () => {
  try {
    if (restartedAt !== undefined && dataVersion() === restartedAt) return false
    const [{ log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)')
    const copied = checkpointed !== backfilled || checkpointed < log
    backfilled = checkpointed
    // All copied: the next commit starts the log over and fsyncs its header. Commit first, here,
    // so that fsync is paid on this thread rather than inside a request's or a purge step's commit.
    if (restartLog && log > 0 && checkpointed === log) restart()
    return copied
  } catch {
    // Busy or out of space: the log keeps the commits, and the next round tries again.
    return false
  }
}
let timer
const round = () => {
  timer = setTimeout(round, checkpoint() ? workerData.busyEveryMs : workerData.everyMs)
}
timer = setTimeout(round, workerData.everyMs)
parentPort.on('message', (message) => {
  if (message === 'checkpoint') {
    // Whoever asks sets the cadence (the retention purge, between its steps): no round of the
    // timer's own runs between two requests, so none competes with the asker's commits.
    clearTimeout(timer)
    checkpoint()
    parentPort.postMessage('checkpointed')
    timer = setTimeout(round, workerData.everyMs)
  } else if (message === 'close') {
    clearTimeout(timer)
    db.close()
    parentPort.close()
  }
})
`

export interface Checkpointer {
  /** Resolves once the log has been checkpointed (as far as readers allow) after this call. */
  checkpoint(): Promise<void>
  /** Stops the worker and closes its connection; call before closing the store's. */
  close(): Promise<void>
}

/** Starts checkpointing `db`'s file from a worker thread; an in-memory database has no log to checkpoint. */
export function startCheckpointer(db: Database.Database): Checkpointer {
  if (db.memory) return { checkpoint: () => new Promise((resolve) => setImmediate(resolve)), close: async () => {} }
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path: db.name, driver: createRequire(import.meta.url).resolve('better-sqlite3'), everyMs: CHECKPOINT_EVERY_MS, busyEveryMs: CHECKPOINT_BUSY_EVERY_MS },
  })
  // The worker never keeps the process alive by itself; whoever waits for it does (see waitFor).
  worker.unref()
  db.pragma(`wal_autocheckpoint = ${VALVE_PAGES}`)
  let running = true
  // Requests are answered in order, one message each.
  const waiting: Array<() => void> = []
  worker.on('message', () => waiting.shift()?.())
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  // A worker that failed to start or died leaves the checkpoints to the store's connection, as SQLite does by default.
  const stopped = () => {
    if (running && db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)
    running = false
    for (const resolve of waiting.splice(0)) resolve()
  }
  worker.once('error', stopped)
  worker.once('exit', stopped)
  return {
    checkpoint() {
      if (!running) return new Promise((resolve) => setImmediate(resolve))
      return waitFor(
        new Promise((resolve) => {
          waiting.push(resolve)
          worker.postMessage('checkpoint')
        }),
      )
    },
    async close() {
      if (running) {
        running = false
        worker.postMessage('close')
      }
      await waitFor(exited)
    },
  }
}

/**
 * Keeps the event loop alive until `promise` settles. An unref'd worker does not, and
 * Worker.ref() does not take before the thread is online: a store closed right after it opened
 * would let the process end with the close still pending.
 */
async function waitFor<T>(promise: Promise<T>): Promise<T> {
  const alive = setInterval(() => {}, 60_000)
  try {
    return await promise
  } finally {
    clearInterval(alive)
  }
}
