/** Fire-and-forget POST with a text/plain body: a "simple" request, so no CORS preflight, and it survives page unload. */
export function send(url: string, body: unknown): void {
  const data = JSON.stringify(body)
  if (!(navigator.sendBeacon && navigator.sendBeacon(url, data))) {
    fetch(url, { method: 'POST', body: data, keepalive: true, credentials: 'include' }).catch(() => {})
  }
}
