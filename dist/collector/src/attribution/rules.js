/** A buyer linked to more visitors than this is a shared device or a data problem: the cluster stops growing. */
export const MAX_CLUSTER_VISITORS = 50;
/** A visitor that gave more hashes than this is a shop's counter tablet, not a person: the rest are not followed. */
export const MAX_IDENTITIES_PER_VISITOR = 20;
/** CLICKRELAY_SHARED_LINK_BROWSERS's default: more browsers than this on one ttclid make it a shared link. */
export const DEFAULT_SHARED_LINK_BROWSERS = 20;
/** Each rule in a sentence, for GET /admin/orders/:id. */
export const RULES = {
    same_browser: "The buyer's own browser landed with this ttclid.",
    email: 'A browser that gave the same email (through identify() or an earlier order) landed with this ttclid.',
    phone: 'A browser that gave the same phone number (through identify() or an earlier order) landed with this ttclid.',
    shared_click: "The buyer's browser landed with this ttclid after another browser did (the same ad link opened in two browsers, or sent on): the order carries that ttclid from its first capture, and nothing else of the other browser's (its other clicks, _ttp, email or phone).",
    shared_link: "This ttclid reached more browsers than CLICKRELAY_SHARED_LINK_BROWSERS (a link passed around): it counts for each browser that landed with it, here the buyer's, and links none of them to another.",
    landing_url: "Nothing of the buyer's (visitor ID, email, phone) led to an ad click, but the order platform reported the landing URL of the order's session, and it carried this ttclid.",
};
/** The rule for a click first captured in the buyer's cluster, by the link that reached its browser. */
const RULE_OF_LINK = { visitor_id: 'same_browser', email: 'email', phone: 'phone', ttclid: 'shared_click', landing_url: 'landing_url' };
/** A visitor reached from the buyer's own is named by that link; further hops keep the first link. */
export function hop(via, next) {
    return via === 'visitor_id' ? next : via;
}
/** Whether a ttclid seen in `browsers` browsers is a shared link rather than one person's click. */
export function isSharedLink(browsers, sharedLinkBrowsers) {
    return browsers > sharedLinkBrowsers;
}
/**
 * The rule for the click an order carries: its browser's link to the buyer, `shared_click` when
 * the click was first captured in a browser outside the buyer's cluster, `shared_link` when its
 * ttclid reached too many browsers to say more than "the buyer landed with it".
 */
export function chooseClick(cluster, click, shared) {
    const via = cluster.get(click.visitorId);
    if (!via)
        return { click, linkedBy: 'ttclid', rule: 'shared_click' };
    return { click, linkedBy: via, rule: shared ? 'shared_link' : RULE_OF_LINK[via] };
}
function* read(query) {
    return (yield query);
}
/**
 * The buyer's cluster: the order's visitor and every visitor linked to it by an email or phone
 * hash, breadth first, each with the first link that reached it. Capped: at most
 * MAX_CLUSTER_VISITORS visitors, MAX_IDENTITIES_PER_VISITOR hashes read per visitor, and as many
 * visitors read per hash. ttclids are not followed here.
 */
export function* personCluster(buyer) {
    const cluster = new Map();
    const queue = [];
    const followed = new Set();
    const full = () => cluster.size >= MAX_CLUSTER_VISITORS;
    const add = (visitorId, via) => {
        if (cluster.has(visitorId) || full())
            return;
        cluster.set(visitorId, via);
        queue.push(visitorId);
    };
    function* follow(identity, via) {
        const key = `${identity.kind}:${identity.hash}`;
        if (followed.has(key) || full())
            return;
        followed.add(key);
        for (const visitorId of yield* read((r) => r.visitorsWithIdentity(identity, MAX_CLUSTER_VISITORS)))
            add(visitorId, via);
    }
    if (buyer.visitorId)
        add(buyer.visitorId, 'visitor_id');
    if (buyer.emailHash)
        yield* follow({ kind: 'email', hash: buyer.emailHash }, 'email');
    if (buyer.phoneHash)
        yield* follow({ kind: 'phone', hash: buyer.phoneHash }, 'phone');
    for (let next = 0; next < queue.length && !full(); next++) {
        const visitorId = queue[next];
        const via = cluster.get(visitorId);
        for (const identity of yield* read((r) => r.identitiesOf(visitorId, MAX_IDENTITIES_PER_VISITOR)))
            yield* follow(identity, hop(via, identity.kind));
    }
    return cluster;
}
/**
 * An order's attribution: the cluster's most recent ttclid (by the cluster's own landings) and
 * _ttp within the window, the rule that gave it, and the buyer's last visit for ip/user_agent.
 */
export function* attribution(buyer, scope) {
    const window = { from: scope.from, to: scope.to };
    const sharedLinkBrowsers = scope.sharedLinkBrowsers ?? DEFAULT_SHARED_LINK_BROWSERS;
    const { visitorId } = buyer;
    const lastSeen = visitorId ? yield* read((r) => r.lastSeen(visitorId, window.to)) : undefined;
    const cluster = yield* personCluster(buyer);
    const visitors = [...cluster.keys()];
    if (!visitors.length)
        return { ...(yield* fromLandingUrl(buyer, window)), ttp: undefined, lastSeen };
    const ttp = (yield* read((r) => r.latestClickWith('ttp', visitors, window)))?.ttp;
    const latest = yield* read((r) => r.latestClickWith('ttclid', visitors, window));
    const ttclid = latest?.ttclid;
    if (!latest || !ttclid)
        return { ...(yield* fromLandingUrl(buyer, window)), ttp, lastSeen };
    // Counted up to one past the threshold: a viral link costs as much as a link in 21 browsers.
    const shared = isSharedLink(yield* read((r) => r.browsersWithTtclid(ttclid, window, sharedLinkBrowsers + 1)), sharedLinkBrowsers);
    // A shared link's records are read in the cluster only; otherwise the click's first capture in any browser.
    const first = yield* read((r) => r.firstCaptureOf(ttclid, window, shared ? visitors : undefined));
    const chosen = chooseClick(cluster, first ?? latest, shared);
    return { ...chosen, ttp, lastSeen: lastSeen ?? (yield* linkedVisitorLastSeen(chosen, window)) };
}
/**
 * An order without a visitor ID of its own (a Stripe payment found by its email) still has a
 * buyer's browser: the one a person-level link reached. Its latest click gives the IP and user
 * agent the order lacks. A browser reached only through a shared ttclid is someone else's: never.
 */
function* linkedVisitorLastSeen(chosen, window) {
    const { click, rule } = chosen;
    if (!click || (rule !== 'same_browser' && rule !== 'email' && rule !== 'phone'))
        return undefined;
    return yield* read((r) => r.lastSeen(click.visitorId, window.to));
}
/**
 * The last resort: the ttclid in the landing URL the order platform reported. It is the order's
 * own session, so it needs no link; its first capture by the script, if any, says where it landed.
 */
function* fromLandingUrl(buyer, window) {
    const ttclid = buyer.landingTtclid;
    if (!ttclid)
        return { click: undefined, linkedBy: undefined, rule: undefined };
    const click = yield* read((r) => r.firstCaptureOf(ttclid, window, undefined));
    return { click, reportedTtclid: click ? undefined : ttclid, linkedBy: 'landing_url', rule: 'landing_url' };
}
