import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
/** Between checkpoints when the last one found nothing to copy, and when it did. */
const CHECKPOINT_EVERY_MS = 200;
const CHECKPOINT_BUSY_EVERY_MS = 5;
const VALVE_PAGES = 10_000;
/** SQLite's default, for a store whose worker failed. */
const AUTOCHECKPOINT_PAGES = 1000;
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
`;
/** Starts checkpointing `db`'s file from a worker thread; an in-memory database has no log to checkpoint. */
export function startCheckpointer(db) {
    if (db.memory)
        return { checkpoint: () => new Promise((resolve) => setImmediate(resolve)), close: async () => { } };
    const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { path: db.name, driver: createRequire(import.meta.url).resolve('better-sqlite3'), everyMs: CHECKPOINT_EVERY_MS, busyEveryMs: CHECKPOINT_BUSY_EVERY_MS },
    });
    // The worker never keeps the process alive by itself; whoever waits for it does (see waitFor).
    worker.unref();
    db.pragma(`wal_autocheckpoint = ${VALVE_PAGES}`);
    let running = true;
    // Requests are answered in order, one message each.
    const waiting = [];
    worker.on('message', () => waiting.shift()?.());
    const exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    // A worker that failed to start or died leaves the checkpoints to the store's connection, as SQLite does by default.
    const stopped = () => {
        if (running && db.open)
            db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
        running = false;
        for (const resolve of waiting.splice(0))
            resolve();
    };
    worker.once('error', stopped);
    worker.once('exit', stopped);
    return {
        checkpoint() {
            if (!running)
                return new Promise((resolve) => setImmediate(resolve));
            return waitFor(new Promise((resolve) => {
                waiting.push(resolve);
                worker.postMessage('checkpoint');
            }));
        },
        async close() {
            if (running) {
                running = false;
                worker.postMessage('close');
            }
            await waitFor(exited);
        },
    };
}
/**
 * Keeps the event loop alive until `promise` settles. An unref'd worker does not, and
 * Worker.ref() does not take before the thread is online: a store closed right after it opened
 * would let the process end with the close still pending.
 */
async function waitFor(promise) {
    const alive = setInterval(() => { }, 60_000);
    try {
        return await promise;
    }
    finally {
        clearInterval(alive);
    }
}
