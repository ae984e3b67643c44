/** identify()'s work, fetched once from dist/cr-identify.js (hash.ts) on the first call. */
import type { Identify } from './hash.js'
import { loadBeside } from './tag.js'

let loading: Promise<Identify> | undefined

export function loadIdentify(): Promise<Identify> {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      ;(window as unknown as { crIdentify: { push(fn: Identify): void } }).crIdentify = { push: resolve }
      loadBeside('cr-identify.js', () => {
        // Not loaded (offline, blocked): the next identify() tries again.
        loading = undefined
        reject()
      })
    })
  }
  return loading
}
