/**
 * Runs the attribution rules (rules.ts) against a storage engine's repository. The rules are
 * written once as a walk that yields its reads, because the engines differ in one way that
 * matters: SQLite must attribute synchronously inside the order's transaction (better-sqlite3
 * transactions cannot await), PostgreSQL answers over the network and must be awaited.
 */
import { attribution, type Walk } from './rules.js'
import type { Attribution, AttributionRepository, AttributionScope, Buyer } from './types.js'

/** Runs a walk against a repository that answers at once. */
export function runNow<T>(walk: Walk<T>, repo: AttributionRepository): T {
  let step = walk.next()
  while (!step.done) {
    const answer = step.value(repo)
    if (answer instanceof Promise) throw new TypeError('attributeNow needs a repository that answers synchronously; use attribute()')
    step = walk.next(answer)
  }
  return step.value
}

/** Runs a walk against a repository that may answer later. */
export async function runLater<T>(walk: Walk<T>, repo: AttributionRepository): Promise<T> {
  let step = walk.next()
  while (!step.done) step = walk.next(await step.value(repo))
  return step.value
}

/** The order's attribution, read inside the caller's transaction (SQLite). */
export function attributeNow(repo: AttributionRepository, buyer: Buyer, scope: AttributionScope): Attribution {
  return runNow(attribution(buyer, scope), repo)
}

/** The order's attribution from a repository that answers asynchronously (PostgreSQL, later). */
export function attribute(repo: AttributionRepository, buyer: Buyer, scope: AttributionScope): Promise<Attribution> {
  return runLater(attribution(buyer, scope), repo)
}
