import { ORDER_EVENTS, eventId } from '../../../common/event-id.js';
import { HOUR_MS } from '../clock.js';
import { pairingOf } from '../orders/pairing.js';
/** The match keys whose coverage the Overview charts, in the order it shows them. */
export const MATCH_KEYS = ['email', 'phone', 'external_id', 'ttclid', 'ttp', 'ip', 'user_agent'];
/**
 * A pixel order event with neither an event_id nor an order key can only be tied to an order by
 * its browser: one fired by the buyer's browser this close to the order's acceptance is taken as
 * that order's.
 */
export const ANONYMOUS_PIXEL_WINDOW_MS = HOUR_MS;
/** The receipts (or orders) around a time that an anonymous pixel event and an order may pair across. */
export function anonymousWindow(at) {
    return { from: at - ANONYMOUS_PIXEL_WINDOW_MS, to: at + ANONYMOUS_PIXEL_WINDOW_MS };
}
/** 2026-06-14: the UTC day of a time in ms, as daily_counts keys it. */
export function utcDay(ms) {
    return new Date(ms).toISOString().slice(0, 10);
}
/** The event_id of the order a receipt names by its order key, for order events only. */
export function orderRefOf(eventName, orderKey) {
    if (orderKey === undefined || !ORDER_EVENTS.includes(eventName))
        return undefined;
    return eventId(eventName, orderKey);
}
export function sqliteRollups(db) {
    const bump = db.prepare(`
    INSERT INTO daily_counts (day, metric, count) VALUES (@day, @metric, @by)
    ON CONFLICT (day, metric) DO UPDATE SET count = count + excluded.count`);
    const add = (at, metric, by = 1) => bump.run({ day: utcDay(at), metric, by });
    // Whether a click record is its visitor's first with this ttclid (the one just stored counts): read
    // through the visitor's clicks, never the ttclid's (`+ttclid`), which a shared link makes thousands.
    const recordsOfAdClick = db.prepare(`
    SELECT COUNT(*) AS n FROM (SELECT 1 FROM clicks WHERE visitor_id = @visitorId AND +ttclid = @ttclid LIMIT 2)`);
    const rangeStmt = db.prepare(`SELECT day, metric, count FROM daily_counts WHERE day >= @from AND day <= @to ORDER BY day`);
    // The events not delivered, by status, created since a time: each a range of events_by_status_creation.
    const notDeliveredStmt = db.prepare(`
    SELECT status, COUNT(*) AS n FROM events WHERE status IN ('pending', 'sending', 'failed', 'expired') AND created_at >= @since GROUP BY status`);
    const probes = db.prepare(`
    SELECT EXISTS (SELECT 1 FROM pixel_receipts WHERE event_id = @eventId AND event_name = @eventName) AS paired,
           EXISTS (SELECT 1 FROM pixel_receipts WHERE event_id = @eventId) AS ours,
           EXISTS (SELECT 1 FROM pixel_receipts WHERE order_ref = @eventId AND event_id IS NOT NULL AND event_id != @eventId) AS other_event_id,
           EXISTS (SELECT 1 FROM pixel_receipts WHERE order_ref = @eventId AND event_id IS NULL) AS by_key_without_id,
           EXISTS (SELECT 1 FROM pixel_receipts WHERE visitor_id = @visitorId AND event_name = @eventName AND received_at BETWEEN @from AND @to
                     AND event_id IS NULL AND order_key IS NULL) AS anonymous`);
    function pairingOfOrder(order) {
        // Without a server event (none is made without one today) the purchase event's name is the one to look for.
        const eventName = order.serverEventName ?? 'Purchase';
        const found = probes.get({ eventId: order.eventId, eventName, visitorId: order.visitorId ?? null, ...anonymousWindow(order.receivedAt) });
        return pairingOf({ paired: found.paired === 1, ours: found.ours === 1, otherEventId: found.other_event_id === 1, noEventId: found.by_key_without_id === 1 || found.anonymous === 1 });
    }
    const ORDER_FACTS = `SELECT o.order_id, o.event_id, o.visitor_id, o.received_at, o.pixel_pairing,
    (SELECT event_name FROM events e WHERE e.order_id = o.order_id) AS server_event FROM orders o`;
    const orderByEventId = db.prepare(`${ORDER_FACTS} WHERE o.event_id = @eventId`);
    const ordersOfVisitor = db.prepare(`${ORDER_FACTS} WHERE o.visitor_id = @visitorId AND o.received_at BETWEEN @from AND @to`);
    const setPairing = db.prepare(`UPDATE orders SET pixel_pairing = @pairing WHERE order_id = @orderId`);
    return {
        /**
         * A click record was stored. An ad click is counted once per visitor and ttclid, on its first
         * record: the script sends a second record when the pixel sets _ttp late, and a reload sends
         * another, but the shopper tapped the ad once.
         */
        clickSaved(click) {
            add(click.capturedAt, 'clicks');
            if (click.ttclid === undefined)
                return;
            if (recordsOfAdClick.get({ visitorId: click.visitorId, ttclid: click.ttclid }).n > 1)
                return;
            add(click.capturedAt, 'ad_clicks');
            if (click.inApp)
                add(click.capturedAt, 'ad_clicks_in_app');
        },
        /** The pairing a new order starts with, from the receipts already stored (the pixel often fires first). */
        pairingOfNewOrder(order) {
            return pairingOfOrder(order);
        },
        /** An order and its server event were stored. */
        orderAccepted(order) {
            add(order.receivedAt, 'orders');
            if (order.linkedBy) {
                add(order.receivedAt, 'orders_with_ttclid');
                add(order.receivedAt, `linked:${order.linkedBy}`);
            }
            add(order.receivedAt, `pairing:${order.pairing}`);
            add(order.receivedAt, 'events');
            for (const key of MATCH_KEYS) {
                if (order.user[key] !== undefined)
                    add(order.receivedAt, `key:${key}`);
            }
        },
        /** A pixel receipt was stored: the orders it concerns are paired again, and their day's counts move with them. */
        receiptSaved(receipt) {
            if (!ORDER_EVENTS.includes(receipt.eventName))
                return;
            const orderRef = orderRefOf(receipt.eventName, receipt.orderKey);
            const orders = [];
            for (const id of new Set([receipt.eventId, orderRef])) {
                const row = id === undefined ? undefined : orderByEventId.get({ eventId: id });
                if (row)
                    orders.push(row);
            }
            if (receipt.eventId === undefined && receipt.orderKey === undefined) {
                orders.push(...ordersOfVisitor.all({ visitorId: receipt.visitorId, ...anonymousWindow(receipt.receivedAt) }));
            }
            for (const row of orders) {
                // Paired is final: no receipt can unpair an order.
                if (row.pixel_pairing === 'paired')
                    continue;
                const pairing = pairingOfOrder({ eventId: row.event_id, visitorId: row.visitor_id ?? undefined, receivedAt: row.received_at, serverEventName: row.server_event ?? undefined });
                if (pairing === row.pixel_pairing)
                    continue;
                setPairing.run({ pairing, orderId: row.order_id });
                if (row.pixel_pairing)
                    add(row.received_at, `pairing:${row.pixel_pairing}`, -1);
                add(row.received_at, `pairing:${pairing}`);
            }
        },
        /** Every count of the UTC days from `from` to `to` (YYYY-MM-DD), both included. */
        dailyCounts(from, to) {
            return rangeStmt.all({ from, to });
        },
        /** The server events created since `since` (ms) that are not delivered, by their status now. */
        notDeliveredCounts(since) {
            return Object.fromEntries(notDeliveredStmt.all({ since }).map((row) => [row.status, row.n]));
        },
    };
}
