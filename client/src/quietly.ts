/**
 * The one promise of this script: nothing it does can break the page. Every piece of our work
 * that runs inside a call of the page's (a hook), or on a timer of ours, goes through here.
 */

/** Runs `work`; whatever it throws stays with us. Returns its result, or undefined when it threw. */
export function quietly<T>(work: () => T): T | undefined {
  try {
    return work()
  } catch (e) {
    return undefined
  }
}

/** Runs `work` in a task of its own, quietly. */
export function later(work: () => void, ms?: number): void {
  setTimeout(() => quietly(work), ms)
}
