/**
 * POSTs a record with a text/plain body: a CORS-simple request (no preflight) that outlives the
 * page (keepalive). Resolves with the collector's answer, or undefined when there is none: the
 * network, an ad blocker or the page's Content-Security-Policy stopped it, or it refused the
 * record (an error has no `v`). Never rejects.
 */
import type { CollectAnswer, WireRecord } from '../../common/wire.js'

export function send(url: string, record: WireRecord): Promise<CollectAnswer | undefined> {
  return Promise.resolve()
    .then(() => fetch(url, { method: 'POST', body: JSON.stringify(record), keepalive: true, credentials: 'include' }))
    .then((response) => response.json() as Promise<CollectAnswer>)
    .catch(() => undefined)
}
