/**
 * POSTs a record with a text/plain body: a CORS-simple request (no preflight) that outlives the
 * page (keepalive). The collector's answer may hand back the visitor ID to keep.
 */
import type { CollectAnswer, WireRecord } from '../../common/wire.js'

export function send(url: string, record: WireRecord, onAnswer: (answer: CollectAnswer) => void): void {
  fetch(url, { method: 'POST', body: JSON.stringify(record), keepalive: true, credentials: 'include' })
    .then((response) => response.json())
    .then(onAnswer, () => {})
}
