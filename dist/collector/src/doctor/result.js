/** What the doctor finds: one line of the checklist per check, grouped by the six items it checks. */
export const ITEMS = {
    1: 'The tag is on the page',
    2: 'cr.js loads',
    3: 'A click record from the shop is accepted',
    4: 'The visitor cookie comes back first-party',
    5: 'The collector is healthy',
    6: 'Delivery to TikTok (admin status)',
};
/** The prefix of each item's check ids. */
export const ITEM_KEYS = { 1: 'tag', 2: 'script', 3: 'collect', 4: 'cookie', 5: 'health', 6: 'admin' };
export function summarize(url, urls, checks) {
    const counts = { pass: 0, warn: 0, fail: 0, skip: 0 };
    for (const check of checks)
        counts[check.status]++;
    return { url, ...urls, ok: counts.fail === 0, counts, checks };
}
