/**
 * Group commit for the small writes /collect makes (a click, an identity, a pixel receipt).
 * One transaction per request costs a commit each: its locks and its pages written to the log
 * again and again. Here every write asked for during one turn of the event loop is queued, and
 * the queue is committed as one transaction right after that turn's I/O (setImmediate). Each
 * caller's promise settles only once its group's transaction has committed, so an answer sent
 * after it still means "stored"; when the transaction fails, every write of the group is rolled
 * back and every caller gets the error (a full disk is a 503 for each, errors.ts).
 */
import type Database from 'better-sqlite3'

/** Writes per transaction: a burst larger than this commits in several transactions, in order. */
const MAX_GROUP = 1000

interface Pending {
  write: () => void
  resolve: () => void
  reject: (err: unknown) => void
}

export interface GroupCommit {
  /** Runs `write` in the next group's transaction; resolves once that transaction committed. */
  add(write: () => void): Promise<void>
  /** Commits what is queued now (before the database closes). */
  flush(): void
}

export function groupCommit(db: Database.Database): GroupCommit {
  let queue: Pending[] = []
  let scheduled = false
  const commit = db.transaction((group: Pending[]) => {
    for (const pending of group) pending.write()
  })

  function flush(): void {
    scheduled = false
    while (queue.length > 0) {
      const group = queue.length <= MAX_GROUP ? queue : queue.slice(0, MAX_GROUP)
      queue = queue.length <= MAX_GROUP ? [] : queue.slice(MAX_GROUP)
      try {
        commit.immediate(group)
      } catch (err) {
        for (const pending of group) pending.reject(err)
        continue
      }
      for (const pending of group) pending.resolve()
    }
  }

  return {
    add(write) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ write, resolve, reject })
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
    },
    flush,
  }
}
