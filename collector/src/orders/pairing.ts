/**
 * Pixel pairing: whether TikTok can count an order once. TikTok drops the copy of a purchase when
 * the browser pixel and the server send the same event name with the same event_id. Which of the
 * pixel's order events belong to an order (its sightings) is the store's question; what they mean
 * is answered here, once, for the order pages, the admin API and the Overview's rollups.
 */

export type PixelPairingStatus = 'paired' | 'server_only' | 'different_event_name' | 'other_event_id' | 'no_event_id'

/** The three groups the Overview shows: counted once, server only, and fired but not paired (a risk of counting twice). */
export type PairingGroup = 'paired' | 'server_only' | 'unpaired'

/** What the store found among the pixel's order events for an order (store/rollups.ts asks each with an EXISTS probe). */
export interface PixelProbes {
  /** One with the order's event_id and the server event's name. */
  paired: boolean
  /** One with the order's event_id, under any name. */
  ours: boolean
  /** One naming the order by its key, with an event_id that is not the order's. */
  otherEventId: boolean
  /** One naming the order by its key without an event_id, or an anonymous one from the buyer's browser around the order. */
  noEventId: boolean
}

/**
 * - `paired`: the pixel fired the server event's name with the order's event_id;
 * - `different_event_name`: with the order's event_id, under another name (CompletePayment for Purchase);
 * - `other_event_id`: with an event_id of its own, not the order's (another integration fires it);
 * - `no_event_id`: with no event_id at all (the page called the pixel without an order key);
 * - `server_only`: never seen: the pixel was blocked or never fired.
 */
export function pairingOf(probes: PixelProbes): PixelPairingStatus {
  if (probes.paired) return 'paired'
  if (probes.ours) return 'different_event_name'
  if (probes.otherEventId) return 'other_event_id'
  if (probes.noEventId) return 'no_event_id'
  return 'server_only'
}

export function pairingGroup(status: PixelPairingStatus): PairingGroup {
  if (status === 'paired' || status === 'server_only') return status
  return 'unpaired'
}
