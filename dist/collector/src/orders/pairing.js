/**
 * Pixel pairing: whether TikTok can count an order once. TikTok drops the copy of a purchase when
 * the browser pixel and the server send the same event name with the same event_id. Which of the
 * pixel's order events belong to an order (its sightings) is the store's question; what they mean
 * is answered here, once, for the order pages, the admin API and the Overview's rollups.
 */
/**
 * - `paired`: the pixel fired the server event's name with the order's event_id;
 * - `different_event_name`: with the order's event_id, under another name (CompletePayment for Purchase);
 * - `other_event_id`: with an event_id of its own, not the order's (another integration fires it);
 * - `no_event_id`: with no event_id at all (the page called the pixel without an order key);
 * - `server_only`: never seen: the pixel was blocked or never fired.
 */
export function pairingOf(probes) {
    if (probes.paired)
        return 'paired';
    if (probes.ours)
        return 'different_event_name';
    if (probes.otherEventId)
        return 'other_event_id';
    if (probes.noEventId)
        return 'no_event_id';
    return 'server_only';
}
export function pairingGroup(status) {
    if (status === 'paired' || status === 'server_only')
        return status;
    return 'unpaired';
}
