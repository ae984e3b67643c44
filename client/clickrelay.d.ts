/**
 * Types for the global `window.clickrelay` that dist/cr.js defines. Before the script has
 * loaded, a page can queue work with the stub:
 *
 *   window.clickrelay = window.clickrelay || { q: [], ready: function (f) { this.q.push(f) } };
 *   clickrelay.ready(function (cr) { cr.identify({ email: 'a@example.com' }) });
 */
export interface ClickRelay {
  /** The first-party visitor ID; undefined while consent is required and not given. Send it to your backend with the order. */
  visitorId(): string | undefined
  /** The shared event_id for an event and order key: `eventId('Purchase', '84213')` is `"ord_84213"`. */
  eventId(event: string, orderId: string | number): string
  /** Runs `fn` with the API now, or, through the stub, once the script has loaded. */
  ready(fn: (api: ClickRelay) => void): void
  /**
   * Links this visitor to a buyer (newsletter signup, login). Email and phone are normalised and
   * SHA-256-hashed in the browser; only the hashes are sent, to the collector and to the pixel's
   * `ttq.identify`. Needs a secure context (https); elsewhere it does nothing.
   */
  identify(fields: { email?: string; phone?: string }): Promise<void>
  /** `ttq.track(event, properties)` with `event_id` filled in from `properties.order_id`. */
  track(event: string, properties?: { order_id?: string | number; [key: string]: unknown }): void
  /** With `data-consent="required"`: `true` starts capture (and remembers it), `false` stops it and clears what was stored. */
  consent(granted: boolean): void
}

/** What a page may hold in `window.clickrelay` before the script has loaded. */
export interface ClickRelayStub {
  q: Array<(api: ClickRelay) => void>
  ready(fn: (api: ClickRelay) => void): void
}

declare global {
  interface Window {
    clickrelay: ClickRelay | ClickRelayStub
  }
}
