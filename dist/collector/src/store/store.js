/** Every status an event can have, in the order it moves through them. */
export const EVENT_STATUSES = ['pending', 'sending', 'delivered', 'failed', 'expired'];
/** The statuses an event ends with, those a replay takes: one pending or in flight is in the queue already. */
export const ENDED_STATUSES = ['delivered', 'failed', 'expired'];
