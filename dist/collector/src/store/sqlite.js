/**
 * The SQLite implementation of Store (better-sqlite3, WAL). Schema and migrations are the
 * numbered .sql files in collector/sql, applied in order against PRAGMA user_version.
 * Statements are prepared once, here, with named @params.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { attributeNow } from '../attribution/attribute.js';
import { SQL_DIR } from '../paths.js';
import { startCheckpointer } from './checkpointer.js';
import { groupCommit } from './group-commit.js';
import { anonymousWindow, orderRefOf, sqliteRollups } from './rollups.js';
export function migrate(db, dir = SQL_DIR) {
    const files = readdirSync(dir)
        .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
        .sort();
    let version = db.pragma('user_version', { simple: true });
    for (const file of files) {
        const number = Number(file.slice(0, 3));
        if (number <= version)
            continue;
        const sql = readFileSync(join(dir, file), 'utf8');
        db.transaction(() => {
            db.exec(sql);
            db.pragma(`user_version = ${number}`);
        })();
        version = number;
    }
    return version;
}
/** The text of every statement a store prepared, with its connection: what explainStatements reads. */
const preparedStatements = new WeakMap();
/** Notes the SQL of every statement prepared through `db.prepare` from now on, wherever in the adapter it is prepared. */
function recordStatements(db) {
    const sources = new Set();
    const prepare = db.prepare.bind(db);
    db.prepare = ((source) => {
        const statement = prepare(source);
        sources.add(statement.source);
        return statement;
    });
    return sources;
}
/**
 * EXPLAIN QUERY PLAN of every statement `store` prepared, on its own connection (so its temp
 * tables are there), with every @param bound to NULL: the plan does not depend on the values.
 * For collector/test/unit/query-plans.test.ts: an index for every lookup the code does.
 */
export function explainStatements(store) {
    const prepared = preparedStatements.get(store);
    if (!prepared)
        throw new Error('not a SQLite store');
    return [...prepared.sources].map((sql) => {
        const params = Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map((m) => [m[1], null]));
        const rows = Database.prototype.prepare.call(prepared.db, `EXPLAIN QUERY PLAN ${sql}`).all(params);
        return { sql, plan: rows.map((row) => row.detail) };
    });
}
/** Rows per retention step: a step must hold the database for well under 10 ms (bench/growth.ts measures it). */
const PURGE_CHUNK_ROWS = 50;
const PURGE_STEPS_PER_CHECKPOINT = 20;
/**
 * What the order's provenance keeps: its source's notes, and whose IP and user agent its event
 * carries (the order's, else its visitor's latest click record's: tiktok/payload.ts), and a
 * ttclid read from a reported landing URL.
 */
function provenanceOf(order, attributed) {
    const provenance = { ...order.sourceNotes };
    const lastSeen = attributed.lastSeen;
    if (order.ip)
        provenance.ipFrom = 'order';
    else if (lastSeen?.ip)
        provenance.ipFrom = 'visitor_last_click';
    if (order.userAgent)
        provenance.userAgentFrom = 'order';
    else if (lastSeen?.userAgent)
        provenance.userAgentFrom = 'visitor_last_click';
    if (attributed.reportedTtclid)
        provenance.reportedTtclid = attributed.reportedTtclid;
    return provenance;
}
const opt = (v) => (v === null ? undefined : v);
function toClick(row) {
    const utm = {};
    for (const key of ['source', 'medium', 'campaign', 'content', 'term']) {
        const v = row[`utm_${key}`];
        if (v !== null)
            utm[key] = v;
    }
    return {
        id: row.id,
        visitorId: row.visitor_id,
        ttclid: opt(row.ttclid),
        ttp: opt(row.ttp),
        utm,
        landingUrl: row.landing_url,
        referrer: opt(row.referrer),
        inApp: row.in_app === 1,
        ip: opt(row.ip),
        userAgent: opt(row.user_agent),
        capturedAt: row.captured_at,
    };
}
/**
 * The attribution repository (../attribution/types.ts) over SQLite: one prepared statement per
 * read, each through an index and bounded. Prepared on the store's connection, so the reads run
 * inside the order's transaction.
 */
export function sqliteAttributionRepository(db) {
    const identitiesOf = db.prepare(`
    SELECT kind, sha256 FROM identities WHERE visitor_id = @visitorId LIMIT @limit`);
    const visitorsWithIdentity = db.prepare(`
    SELECT visitor_id FROM identities WHERE kind = @kind AND sha256 = @hash LIMIT @limit`);
    const latestWith = {
        ttclid: db.prepare(`
      SELECT * FROM clicks
      WHERE visitor_id IN (SELECT value FROM json_each(@visitors)) AND ttclid IS NOT NULL AND captured_at BETWEEN @from AND @to
      ORDER BY captured_at DESC, id DESC LIMIT 1`),
        ttp: db.prepare(`
      SELECT * FROM clicks
      WHERE visitor_id IN (SELECT value FROM json_each(@visitors)) AND ttp IS NOT NULL AND captured_at BETWEEN @from AND @to
      ORDER BY captured_at DESC, id DESC LIMIT 1`),
    };
    // DISTINCT with a LIMIT stops at the limit: a link in 100,000 browsers reads about limit rows.
    const browsersWithTtclid = db.prepare(`
    SELECT COUNT(*) AS browsers FROM (SELECT DISTINCT visitor_id FROM clicks WHERE ttclid = @ttclid AND captured_at BETWEEN @from AND @to LIMIT @limit)`);
    const firstCapture = db.prepare(`
    SELECT * FROM clicks WHERE ttclid = @ttclid AND captured_at BETWEEN @from AND @to ORDER BY captured_at, id LIMIT 1`);
    // `+ttclid` keeps SQLite on clicks_by_visitor: the cluster's few records, never every record of a viral ttclid.
    const firstCaptureAmong = db.prepare(`
    SELECT * FROM clicks
    WHERE visitor_id IN (SELECT value FROM json_each(@visitors)) AND +ttclid = @ttclid AND captured_at BETWEEN @from AND @to
    ORDER BY captured_at, id LIMIT 1`);
    const lastSeen = db.prepare(`
    SELECT * FROM clicks WHERE visitor_id = @visitorId AND captured_at <= @to ORDER BY captured_at DESC, id DESC LIMIT 1`);
    const click = (row) => row && toClick(row);
    return {
        identitiesOf: (visitorId, limit) => identitiesOf.all({ visitorId, limit }).map((row) => ({ kind: row.kind, hash: row.sha256 })),
        visitorsWithIdentity: ({ kind, hash }, limit) => visitorsWithIdentity.all({ kind, hash, limit }).map((row) => row.visitor_id),
        latestClickWith: (field, visitors, { from, to }) => click(latestWith[field].get({ visitors: JSON.stringify(visitors), from, to })),
        browsersWithTtclid: (ttclid, { from, to }, limit) => browsersWithTtclid.get({ ttclid, from, to, limit })?.browsers ?? 0,
        firstCaptureOf: (ttclid, { from, to }, visitors) => click(visitors ? firstCaptureAmong.get({ ttclid, visitors: JSON.stringify(visitors), from, to }) : firstCapture.get({ ttclid, from, to })),
        lastSeen: (visitorId, to) => click(lastSeen.get({ visitorId, to })),
    };
}
export function openSqliteStore(path) {
    if (path !== ':memory:')
        mkdirSync(dirname(path), { recursive: true });
    return sqliteStore(new Database(path));
}
/** The store on a connection the caller opened: a test keeps it to fill the disk (max_page_count) or tune busy_timeout. */
export function sqliteStore(db) {
    const statementSources = recordStatements(db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    const checkpointer = startCheckpointer(db);
    // One collector process owns a SQLite database: whatever a previous process had in flight
    // when it died is due again now, with the same event_id (TikTok deduplicates the copy).
    db.prepare(`UPDATE events SET status = 'pending', lease_until = NULL, next_attempt_at = MIN(next_attempt_at, @now) WHERE status = 'sending'`).run({ now: Date.now() });
    const insertClick = db.prepare(`
    INSERT INTO clicks (visitor_id, ttclid, ttp, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
                        landing_url, referrer, in_app, ip, user_agent, captured_at)
    VALUES (@visitorId, @ttclid, @ttp, @utm_source, @utm_medium, @utm_campaign, @utm_content, @utm_term,
            @landingUrl, @referrer, @inApp, @ip, @userAgent, @capturedAt)`);
    const upsertIdentity = db.prepare(`
    INSERT INTO identities (visitor_id, kind, sha256, first_seen, last_seen) VALUES (@visitorId, @kind, @hash, @at, @at)
    ON CONFLICT (visitor_id, kind, sha256) DO UPDATE SET last_seen = excluded.last_seen`);
    const insertReceipt = db.prepare(`
    INSERT INTO pixel_receipts (visitor_id, event_name, event_id, order_key, order_ref, client_time, received_at)
    VALUES (@visitorId, @eventName, @eventId, @orderKey, @orderRef, @clientTime, @receivedAt)`);
    // The Overview's daily counts and each order's pixel pairing, written with the rows they count.
    const rollups = sqliteRollups(db);
    const upsertIdentities = (identity) => {
        if (identity.emailHash)
            upsertIdentity.run({ visitorId: identity.visitorId, kind: 'email', hash: identity.emailHash, at: identity.seenAt });
        if (identity.phoneHash)
            upsertIdentity.run({ visitorId: identity.visitorId, kind: 'phone', hash: identity.phoneHash, at: identity.seenAt });
    };
    // /collect's writes: clicks, identities and pixel receipts, committed in groups (group-commit.ts).
    const collected = groupCommit(db);
    // An order is known by its event_id: keys the contract treats as one ("#1001" and "1001") are one order.
    const findOrder = db.prepare(`SELECT order_id, event_id FROM orders WHERE event_id = @eventId`);
    // Attribution reads through its repository; the rules are in ../attribution/.
    const attribution = sqliteAttributionRepository(db);
    const upsertOrderIdentity = (visitorId, kind, hash, at) => upsertIdentity.run({ visitorId, kind, hash, at });
    const insertOrder = db.prepare(`
    INSERT INTO orders (order_id, event_id, visitor_id, email_sha256, phone_sha256, value, currency, event_time_s, click_id, linked_by, attribution_rule, received_at, source, provenance, pixel_pairing)
    VALUES (@orderId, @eventId, @visitorId, @emailHash, @phoneHash, @value, @currency, @eventTimeS, @clickId, @linkedBy, @rule, @receivedAt, @source, @provenance, @pixelPairing)`);
    const selectWebhookDelivery = db.prepare(`
    SELECT platform, delivery_id, received_at, topic, outcome, reason, order_id FROM webhook_deliveries WHERE platform = @platform AND delivery_id = @deliveryId`);
    const insertWebhookDelivery = db.prepare(`
    INSERT INTO webhook_deliveries (platform, delivery_id, received_at, topic, outcome, reason, order_id)
    VALUES (@platform, @deliveryId, @receivedAt, @topic, @outcome, @reason, @orderId) ON CONFLICT DO NOTHING`);
    const webhookActivityStmt = db.prepare(`
    SELECT platform, outcome, reason, COUNT(*) AS count, MAX(received_at) AS last_at FROM webhook_deliveries
    WHERE received_at >= @since GROUP BY platform, outcome, reason ORDER BY platform, outcome, reason`);
    const insertEvent = db.prepare(`
    INSERT INTO events (destination, event_name, event_id, order_id, payload, test_event_code, next_attempt_at, created_at)
    VALUES ('tiktok', @eventName, @eventId, @orderId, @payload, @testEventCode, @now, @now)`);
    // Two statements, not one with OR: each reads its index in order and stops at the limit, where
    // the OR form sorted every due row on each claim (a 20,000-event backlog, 20 times over).
    const selectDue = db.prepare(`
    SELECT id, destination, event_name, event_id, payload, test_event_code, attempts, COALESCE(max_age_from, created_at) AS age_from FROM events
    WHERE status = 'pending' AND next_attempt_at <= @now
    ORDER BY next_attempt_at, id LIMIT @limit`);
    const selectLeaseExpired = db.prepare(`
    SELECT id, destination, event_name, event_id, payload, test_event_code, attempts, COALESCE(max_age_from, created_at) AS age_from FROM events
    WHERE status = 'sending' AND lease_until <= @now
    ORDER BY lease_until, id LIMIT @limit`);
    // Delivery writes a request's events together: one statement over their ids (a JSON array),
    // not one per event, which was most of the cost of draining a backlog.
    const lease = db.prepare(`UPDATE events SET status = 'sending', lease_until = @leaseUntil, attempts = attempts + 1 WHERE id IN (SELECT value FROM json_each(@ids))`);
    // An event deleted while its request was in flight (a deletion request) gets no receipt.
    const insertAttempt = db.prepare(`
    INSERT INTO attempts (event_row, started_at, duration_ms, batch_size, http_status, code, message, request_id)
    SELECT id, @startedAt, @durationMs, @batchSize, @httpStatus, @code, @message, @requestId
    FROM events WHERE id IN (SELECT value FROM json_each(@ids))`);
    const markDelivered = db.prepare(`UPDATE events SET status = 'delivered', delivered_at = @now, lease_until = NULL, last_error = NULL WHERE id IN (SELECT value FROM json_each(@ids))`);
    const markRetry = db.prepare(`UPDATE events SET status = 'pending', next_attempt_at = @nextAttemptAt, lease_until = NULL, last_error = @message WHERE id IN (SELECT value FROM json_each(@ids))`);
    const markEnded = db.prepare(`UPDATE events SET status = @status, lease_until = NULL, last_error = @message WHERE id IN (SELECT value FROM json_each(@ids))`);
    // The delivery circuit: when the Events API answers again, the whole backlog is due at once;
    // while it fails, an event that cannot be tried again within its maximum age ends as expired.
    const makeDue = db.prepare(`UPDATE events SET next_attempt_at = @now WHERE status = 'pending' AND next_attempt_at > @now`);
    const expireWaitingStmt = db.prepare(`UPDATE events SET status = 'expired', last_error = @message WHERE status = 'pending' AND COALESCE(max_age_from, created_at) < @cutoff`);
    const nextDue = db.prepare(`
    SELECT MIN(CASE status WHEN 'pending' THEN next_attempt_at ELSE lease_until END) AS at
    FROM events WHERE status IN ('pending', 'sending')`);
    const stats = db.prepare(`
    SELECT COUNT(*) AS waiting, MIN(created_at) AS oldest FROM events WHERE status IN ('pending', 'sending')`);
    const clickActivity = db.prepare(`
    SELECT COUNT(*) AS clicks, SUM(ttclid IS NOT NULL) AS ad_clicks FROM clicks WHERE captured_at >= @since`);
    const orderActivity = db.prepare(`
    SELECT COUNT(*) AS orders, SUM(linked_by IS NOT NULL) AS with_ttclid FROM orders WHERE received_at >= @since`);
    const lastDelivered = db.prepare(`SELECT MAX(delivered_at) AS at FROM events WHERE delivered_at IS NOT NULL`);
    const insertSetting = db.prepare(`INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO NOTHING`);
    const readSetting = db.prepare(`SELECT value FROM settings WHERE key = @key`);
    const upsertSetting = db.prepare(`INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    const ORDER_REPORT = `
    SELECT o.rowid AS row, o.order_id, o.event_id, o.value, o.currency, o.event_time_s, o.received_at, o.linked_by, o.attribution_rule, o.click_id, o.source, o.provenance, o.pixel_pairing, o.visitor_id AS order_visitor_id, c.*,
           e.id AS event_row, e.event_name, e.status, e.attempts, e.last_error, e.delivered_at, e.test_event_code
    FROM orders o LEFT JOIN clicks c ON c.id = o.click_id LEFT JOIN events e ON e.order_id = o.order_id`;
    const orderReport = db.prepare(`${ORDER_REPORT} WHERE o.order_id = @orderId`);
    const latestOrders = db.prepare(`
    ${ORDER_REPORT} WHERE (o.received_at, o.rowid) < (@beforeTime, @beforeRow) ORDER BY o.received_at DESC, o.rowid DESC LIMIT @limit`);
    const ordersByEmail = db.prepare(`
    ${ORDER_REPORT} WHERE o.email_sha256 = @emailHash AND (o.received_at, o.rowid) < (@beforeTime, @beforeRow) ORDER BY o.received_at DESC, o.rowid DESC LIMIT @limit`);
    const ordersByKey = db.prepare(`
    ${ORDER_REPORT} WHERE o.order_id = @orderId OR o.event_id IN (SELECT value FROM json_each(@eventIds)) ORDER BY o.received_at DESC, o.rowid DESC LIMIT @limit`);
    const toOrderReport = (row) => {
        const click = row.click_id === null ? undefined : toClick(row);
        return {
            orderId: row.order_id,
            eventId: row.event_id,
            source: row.source ?? 'api',
            provenance: typeof row.provenance === 'string' ? JSON.parse(row.provenance) : {},
            value: row.value,
            currency: row.currency,
            eventTimeS: row.event_time_s,
            receivedAt: row.received_at,
            linkedBy: opt(row.linked_by),
            rule: opt(row.attribution_rule),
            click: click && { ttclid: click.ttclid, landingUrl: click.landingUrl, inApp: click.inApp, capturedAt: click.capturedAt, utm: click.utm, referrer: click.referrer },
            event: row.event_row === null || row.event_name === null
                ? undefined
                : {
                    id: row.event_row,
                    name: row.event_name,
                    status: row.status,
                    attempts: row.attempts,
                    lastError: opt(row.last_error),
                    deliveredAt: opt(row.delivered_at),
                    testEventCode: opt(row.test_event_code),
                },
            pixelPairing: row.pixel_pairing ?? 'server_only',
            pixelEvents: pixelEventsOf
                .all({ eventId: row.event_id, eventName: row.event_name ?? 'Purchase', visitorId: row.order_visitor_id, ...anonymousWindow(row.received_at) })
                .map((r) => ({ eventName: r.event_name, eventId: opt(r.event_id), receivedAt: r.received_at })),
        };
    };
    // Operator views and replay. The filter is one statement with optional terms.
    const EVENT_FILTER = `
    (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
    AND (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
    AND (@from IS NULL OR created_at >= @from) AND (@to IS NULL OR created_at < @to)`;
    /** The columns of an event as a list shows it (EventListRow). */
    const EVENT_SUMMARY = 'id, destination, event_name, event_id, order_id, status, attempts, last_error, test_event_code, created_at, delivered_at, next_attempt_at';
    const listEventsStmt = db.prepare(`
    SELECT ${EVENT_SUMMARY}
    FROM events WHERE ${EVENT_FILTER} ORDER BY id LIMIT @limit`);
    // The Events page: the same filter read down from below row @beforeId (a range on the rowid, so a
    // later page starts where the last one ended instead of reading every newer row again).
    const listEventsNewestStmt = db.prepare(`
    SELECT ${EVENT_SUMMARY}
    FROM events WHERE ${EVENT_FILTER} AND id < @beforeId ORDER BY id DESC LIMIT @limit`);
    const getEventStmt = db.prepare(`SELECT * FROM events WHERE id = @id`);
    const receiptsStmt = db.prepare(`SELECT * FROM attempts WHERE event_row = @id ORDER BY id`);
    const lastAttemptStmt = db.prepare(`SELECT * FROM attempts ORDER BY id DESC LIMIT 1`);
    const toAttempt = (a) => ({
        startedAt: a.started_at,
        durationMs: a.duration_ms,
        batchSize: a.batch_size,
        httpStatus: opt(a.http_status),
        code: opt(a.code),
        message: a.message ?? '',
        requestId: opt(a.request_id),
    });
    // Replay takes events not waiting or in flight, in row order, a page at a time. TikTok's dedup
    // window runs from its first receipt of an event_id: the first attempt it answered with code 0
    // (delivered_at is the latest delivery, moved by every replay). The replay and its preview
    // (previewReplay) read the same two statements, so they cannot differ on what is taken or refused.
    const REPLAYABLE = `status NOT IN ('pending', 'sending') AND ${EVENT_FILTER} AND (@afterId IS NULL OR id > @afterId)`;
    const replayCandidates = db.prepare(`
    SELECT ${EVENT_SUMMARY}, COALESCE(MIN(delivered_at, first_ok), first_ok, delivered_at) AS first_delivered_at, scrubbed
    FROM (SELECT ${EVENT_SUMMARY},
                 (SELECT MIN(started_at) FROM attempts WHERE event_row = events.id AND http_status = 200 AND code = 0) AS first_ok,
                 EXISTS (SELECT 1 FROM orders WHERE orders.order_id = events.order_id AND orders.scrubbed_at IS NOT NULL) AS scrubbed
          FROM events WHERE ${REPLAYABLE} ORDER BY id LIMIT @limit)`);
    const replayRemaining = db.prepare(`SELECT COUNT(*) AS n FROM events WHERE ${REPLAYABLE}`);
    const insertReplayRequest = db.prepare(`
    INSERT INTO replay_requests (requested_at, actor, ip, token_fingerprint, forced, note, scope)
    VALUES (@requestedAt, @actor, @ip, @tokenFingerprint, @forced, @note, @scope)`);
    const insertReplayedEvents = db.prepare(`
    INSERT INTO replayed_events (request_id, event_row, previous_status)
    SELECT @requestId, id, status FROM events WHERE id IN (SELECT value FROM json_each(@ids))`);
    const requeue = db.prepare(`
    UPDATE events SET status = 'pending', next_attempt_at = @now, attempts = 0, lease_until = NULL, last_error = NULL, max_age_from = @now
    WHERE id IN (SELECT value FROM json_each(@ids))`);
    const replaysOfEvent = db.prepare(`
    SELECT r.requested_at, r.actor, r.ip, r.token_fingerprint, r.forced, r.note, e.previous_status
    FROM replayed_events e JOIN replay_requests r ON r.id = e.request_id
    WHERE e.event_row = @id ORDER BY r.id`);
    const replayTx = db.transaction((filter, request) => {
        const params = replayParams(filter);
        const chosen = replayCandidates.all(params);
        const cutoff = request.firstDeliveredNotBefore;
        const tooOld = chosen
            .filter((e) => cutoff !== undefined && e.first_delivered_at !== null && e.first_delivered_at < cutoff)
            .map((e) => ({ id: e.id, eventId: e.event_id, firstDeliveredAt: e.first_delivered_at }));
        const scrubbed = chosen.filter((e) => e.scrubbed).map((e) => ({ id: e.id, eventId: e.event_id }));
        if (scrubbed.length || tooOld.length || !chosen.length)
            return { replayed: [], remaining: replayRemaining.get(params).n, tooOld, scrubbed };
        const replayed = chosen.map((e) => e.id);
        const ids = JSON.stringify(replayed);
        const { lastInsertRowid } = insertReplayRequest.run({
            requestedAt: request.requestedAt,
            actor: request.actor ?? null,
            ip: request.ip ?? null,
            tokenFingerprint: request.tokenFingerprint,
            forced: request.forced ? 1 : 0,
            note: request.note ?? null,
            scope: request.scope,
        });
        insertReplayedEvents.run({ requestId: lastInsertRowid, ids });
        requeue.run({ ids, now: request.requestedAt });
        return { replayed, remaining: replayRemaining.get({ ...params, afterId: replayed.at(-1) }).n, tooOld, scrubbed };
    });
    const previewTx = db.transaction((filter) => {
        const params = replayParams(filter);
        const chosen = replayCandidates.all(params).map((row) => ({ ...toEventSummary(row), firstDeliveredAt: opt(row.first_delivered_at), scrubbed: row.scrubbed === 1 }));
        return { chosen, matching: replayRemaining.get(params).n };
    });
    const filterParams = (f) => ({
        ids: f.ids ? JSON.stringify(f.ids) : null,
        statuses: f.statuses ? JSON.stringify(f.statuses) : null,
        from: f.from ?? null,
        to: f.to ?? null,
        limit: f.limit ?? 1000,
    });
    const replayParams = (f) => ({ ...filterParams(f), afterId: f.afterId ?? null });
    const toEventSummary = (row) => ({
        id: row.id,
        destination: row.destination,
        eventName: row.event_name,
        eventId: row.event_id,
        orderId: opt(row.order_id),
        status: row.status,
        attempts: row.attempts,
        lastError: opt(row.last_error),
        testEventCode: opt(row.test_event_code),
        createdAt: row.created_at,
        deliveredAt: opt(row.delivered_at),
        nextAttemptAt: row.next_attempt_at,
    });
    // The pixel's order events for an order, as its pairing saw them (rollups.ts): with its event_id,
    // naming its order key, or anonymous from its browser around it under the server event's name.
    // The first 50: the page shows why, and receipts are anyone's to send.
    const pixelEventsOf = db.prepare(`
    SELECT event_name, event_id, received_at FROM (
      SELECT id, event_name, event_id, received_at FROM pixel_receipts WHERE event_id = @eventId
      UNION SELECT id, event_name, event_id, received_at FROM pixel_receipts WHERE order_ref = @eventId
      UNION SELECT id, event_name, event_id, received_at FROM pixel_receipts
        WHERE visitor_id = @visitorId AND event_name = @eventName AND received_at BETWEEN @from AND @to AND event_id IS NULL AND order_key IS NULL)
    ORDER BY id LIMIT 50`);
    // Retention works in chunks of rows, each one short transaction, the oldest rows first.
    const purgeDeletes = [
        ['clicks', db.prepare(`DELETE FROM clicks WHERE rowid IN (SELECT rowid FROM clicks WHERE captured_at < @cutoff ORDER BY captured_at LIMIT @limit)`)],
        ['identities', db.prepare(`DELETE FROM identities WHERE rowid IN (SELECT rowid FROM identities WHERE last_seen < @cutoff ORDER BY last_seen LIMIT @limit)`)],
        ['pixel_receipts', db.prepare(`DELETE FROM pixel_receipts WHERE rowid IN (SELECT rowid FROM pixel_receipts WHERE received_at < @cutoff ORDER BY received_at LIMIT @limit)`)],
        ['webhook_deliveries', db.prepare(`DELETE FROM webhook_deliveries WHERE rowid IN (SELECT rowid FROM webhook_deliveries WHERE received_at < @cutoff ORDER BY received_at LIMIT @limit)`)],
    ];
    // Orders to scrub, after (received_at, rowid) = @after: an order skipped because its event
    // still waits is not read again by the next chunk.
    const ordersToScrub = db.prepare(`
    SELECT rowid AS row, order_id, received_at,
           EXISTS (SELECT 1 FROM events WHERE events.order_id = orders.order_id AND status IN ('pending', 'sending')) AS waiting
    FROM orders
    WHERE scrubbed_at IS NULL AND received_at < @cutoff AND (received_at, rowid) > (@afterTime, @afterRow)
    ORDER BY received_at, rowid LIMIT @limit`);
    const scrubOrder = db.prepare(`UPDATE orders SET visitor_id = NULL, email_sha256 = NULL, phone_sha256 = NULL, click_id = NULL, provenance = json_remove(provenance, '$.reportedTtclid'), scrubbed_at = @now WHERE rowid = @row`);
    const eventsOfOrder = db.prepare(`SELECT id, payload FROM events WHERE order_id = @orderId`);
    const scrubEventPayload = db.prepare(`UPDATE events SET payload = @payload WHERE id = @id`);
    const purgeStepTx = db.transaction((work) => work());
    /** Set by close(): a purge under way takes no further step. */
    let closing = false;
    // Deletion requests work through two scratch tables of this connection.
    db.exec(`CREATE TEMP TABLE doomed_visitors (visitor_id TEXT PRIMARY KEY); CREATE TEMP TABLE doomed_orders (order_id TEXT PRIMARY KEY);`);
    const deletion = {
        reset: db.prepare(`DELETE FROM doomed_visitors`),
        resetOrders: db.prepare(`DELETE FROM doomed_orders`),
        visitors: db.prepare(`
      INSERT OR IGNORE INTO doomed_visitors
      SELECT @visitorId WHERE @visitorId IS NOT NULL
      UNION SELECT visitor_id FROM identities WHERE (kind = 'email' AND sha256 = @emailHash) OR (kind = 'phone' AND sha256 = @phoneHash)
      UNION SELECT visitor_id FROM orders WHERE visitor_id IS NOT NULL AND (email_sha256 = @emailHash OR phone_sha256 = @phoneHash)`),
        orders: db.prepare(`
      INSERT OR IGNORE INTO doomed_orders
      SELECT order_id FROM orders
      WHERE visitor_id IN (SELECT visitor_id FROM doomed_visitors) OR email_sha256 = @emailHash OR phone_sha256 = @phoneHash`),
        steps: [
            ['attempts', db.prepare(`DELETE FROM attempts WHERE event_row IN (SELECT id FROM events WHERE order_id IN (SELECT order_id FROM doomed_orders))`)],
            ['events', db.prepare(`DELETE FROM events WHERE order_id IN (SELECT order_id FROM doomed_orders)`)],
            ['orders', db.prepare(`DELETE FROM orders WHERE order_id IN (SELECT order_id FROM doomed_orders)`)],
            ['clicks', db.prepare(`DELETE FROM clicks WHERE visitor_id IN (SELECT visitor_id FROM doomed_visitors)`)],
            [
                'identities',
                db.prepare(`DELETE FROM identities WHERE visitor_id IN (SELECT visitor_id FROM doomed_visitors) OR (kind = 'email' AND sha256 = @emailHash) OR (kind = 'phone' AND sha256 = @phoneHash)`),
            ],
            ['pixel_receipts', db.prepare(`DELETE FROM pixel_receipts WHERE visitor_id IN (SELECT visitor_id FROM doomed_visitors)`)],
        ],
    };
    const deleteTx = db.transaction((subject) => {
        const params = { visitorId: subject.visitorId ?? null, emailHash: subject.emailHash ?? null, phoneHash: subject.phoneHash ?? null };
        deletion.reset.run();
        deletion.resetOrders.run();
        const counts = { visitors: deletion.visitors.run(params).changes };
        deletion.orders.run(params);
        for (const [table, statement] of deletion.steps)
            counts[table] = (table === 'identities' ? statement.run(params) : statement.run()).changes;
        return counts;
    });
    const acceptOrderTx = db.transaction((order, scope, build, testEventCode) => {
        const existing = findOrder.get({ eventId: order.eventId });
        if (existing)
            return { created: false, orderId: existing.order_id, eventId: existing.event_id };
        const attributed = attributeNow(attribution, order, scope);
        const event = build(order, attributed);
        const pixelPairing = rollups.pairingOfNewOrder({ eventId: order.eventId, visitorId: order.visitorId, receivedAt: order.receivedAt, serverEventName: event.event });
        insertOrder.run({
            ...order,
            source: order.source ?? 'api',
            provenance: JSON.stringify(provenanceOf(order, attributed)),
            clickId: attributed.click?.id ?? null,
            linkedBy: attributed.linkedBy ?? null,
            rule: attributed.rule ?? null,
            visitorId: order.visitorId ?? null,
            emailHash: order.emailHash ?? null,
            phoneHash: order.phoneHash ?? null,
            pixelPairing,
        });
        // The order's own match keys are evidence for the next order of this buyer.
        if (order.visitorId && order.emailHash)
            upsertOrderIdentity(order.visitorId, 'email', order.emailHash, order.receivedAt);
        if (order.visitorId && order.phoneHash)
            upsertOrderIdentity(order.visitorId, 'phone', order.phoneHash, order.receivedAt);
        insertEvent.run({ eventName: event.event, eventId: event.event_id, orderId: order.orderId, payload: JSON.stringify(event), testEventCode: testEventCode ?? null, now: order.receivedAt });
        rollups.orderAccepted({ receivedAt: order.receivedAt, linkedBy: attributed.linkedBy, pairing: pixelPairing, user: event.user });
        return { created: true, orderId: order.orderId, eventId: event.event_id };
    });
    const claimTx = db.transaction((now, limit, leaseUntil) => {
        // Events whose lease ran out (their request never came back) go first: they are the oldest.
        const stale = selectLeaseExpired.all({ now, limit });
        const rows = stale.length < limit ? [...stale, ...selectDue.all({ now, limit: limit - stale.length })] : stale;
        if (rows.length > 0)
            lease.run({ ids: JSON.stringify(rows.map((row) => row.id)), leaseUntil });
        return rows.map((row) => ({
            id: row.id,
            destination: row.destination,
            eventName: row.event_name,
            eventId: row.event_id,
            payloadJson: row.payload,
            testEventCode: opt(row.test_event_code),
            attempts: row.attempts + 1,
            ageFrom: row.age_from,
        }));
    });
    const recordTx = db.transaction((outcomes, now) => {
        // The events of one request share its attempt and, mostly, its outcome: each such group is written at once.
        const groups = new Map();
        for (const outcome of outcomes) {
            const key = outcome.status === 'retry' ? `retry ${outcome.nextAttemptAt}` : outcome.status;
            let byOutcome = groups.get(outcome.attempt);
            if (!byOutcome)
                groups.set(outcome.attempt, (byOutcome = new Map()));
            const group = byOutcome.get(key);
            if (group)
                group.ids.push(outcome.id);
            else
                byOutcome.set(key, { outcome, ids: [outcome.id] });
        }
        for (const [attempt, byOutcome] of groups) {
            for (const { outcome, ids: list } of byOutcome.values()) {
                const ids = JSON.stringify(list);
                insertAttempt.run({ ids, ...attempt, httpStatus: attempt.httpStatus ?? null, code: attempt.code ?? null, requestId: attempt.requestId ?? null });
                if (outcome.status === 'delivered')
                    markDelivered.run({ ids, now });
                else if (outcome.status === 'retry')
                    markRetry.run({ ids, nextAttemptAt: outcome.nextAttemptAt, message: attempt.message });
                else
                    markEnded.run({ ids, status: outcome.status, message: attempt.message });
            }
        }
    });
    const store = {
        async saveClick(click) {
            const row = {
                visitorId: click.visitorId,
                ttclid: click.ttclid ?? null,
                ttp: click.ttp ?? null,
                utm_source: click.utm.source ?? null,
                utm_medium: click.utm.medium ?? null,
                utm_campaign: click.utm.campaign ?? null,
                utm_content: click.utm.content ?? null,
                utm_term: click.utm.term ?? null,
                landingUrl: click.landingUrl,
                referrer: click.referrer ?? null,
                inApp: click.inApp ? 1 : 0,
                ip: click.ip ?? null,
                userAgent: click.userAgent ?? null,
                capturedAt: click.capturedAt,
            };
            const counted = { visitorId: click.visitorId, capturedAt: click.capturedAt, ttclid: click.ttclid, inApp: click.inApp };
            return collected.add(() => {
                insertClick.run(row);
                rollups.clickSaved(counted);
            });
        },
        async saveIdentity(identity) {
            return collected.add(() => upsertIdentities(identity));
        },
        async savePixelReceipt(r) {
            const row = { ...r, eventId: r.eventId ?? null, orderKey: r.orderKey ?? null, orderRef: orderRefOf(r.eventName, r.orderKey) ?? null, clientTime: r.clientTime ?? null };
            return collected.add(() => {
                insertReceipt.run(row);
                rollups.receiptSaved(r);
            });
        },
        async acceptOrder(order, scope, build, testEventCode) {
            return acceptOrderTx.immediate(order, scope, build, testEventCode);
        },
        async webhookDelivery(platform, deliveryId) {
            const row = selectWebhookDelivery.get({ platform, deliveryId });
            if (!row)
                return undefined;
            return { platform: row.platform, deliveryId: row.delivery_id, receivedAt: row.received_at, topic: opt(row.topic), outcome: row.outcome, reason: opt(row.reason), orderId: opt(row.order_id) };
        },
        async recordWebhookDelivery(delivery) {
            const params = { ...delivery, topic: delivery.topic ?? null, reason: delivery.reason ?? null, orderId: delivery.orderId ?? null };
            return insertWebhookDelivery.run(params).changes === 1;
        },
        async webhookActivity(since) {
            return webhookActivityStmt.all({ since }).map((row) => ({ platform: row.platform, outcome: row.outcome, reason: opt(row.reason), count: row.count, lastAt: row.last_at }));
        },
        async claimDueEvents(now, limit, leaseUntil) {
            return claimTx.immediate(now, limit, leaseUntil);
        },
        async recordOutcomes(outcomes, now) {
            recordTx.immediate(outcomes, now);
        },
        async nextDueAt() {
            return opt(nextDue.get()?.at ?? null);
        },
        async makeWaitingDue(now) {
            return makeDue.run({ now }).changes;
        },
        async expireWaiting(cutoff, message) {
            return expireWaitingStmt.run({ cutoff, message }).changes;
        },
        async activity(since) {
            const clicks = clickActivity.get({ since });
            const orders = orderActivity.get({ since });
            return { clicks: clicks?.clicks ?? 0, adClicks: clicks?.ad_clicks ?? 0, orders: orders?.orders ?? 0, ordersWithTtclid: orders?.with_ttclid ?? 0 };
        },
        async lastAttempt() {
            const row = lastAttemptStmt.get();
            return row ? toAttempt(row) : undefined;
        },
        async lastDeliveredAt() {
            return opt(lastDelivered.get()?.at ?? null);
        },
        async setting(key, make) {
            insertSetting.run({ key, value: make() });
            return readSetting.get({ key }).value;
        },
        async readSetting(key) {
            return readSetting.get({ key })?.value;
        },
        async putSetting(key, value) {
            upsertSetting.run({ key, value });
        },
        async dailyCounts(from, to) {
            return rollups.dailyCounts(from, to);
        },
        async notDeliveredCounts(since) {
            return rollups.notDeliveredCounts(since);
        },
        async queueStats() {
            const row = stats.get();
            return { waiting: row?.waiting ?? 0, oldestWaitingSince: opt(row?.oldest ?? null) };
        },
        async listEvents(filter) {
            return listEventsStmt.all(filterParams(filter)).map(toEventSummary);
        },
        async getEvent(id) {
            const row = getEventStmt.get({ id });
            if (!row)
                return undefined;
            return {
                ...toEventSummary(row),
                payload: JSON.parse(row.payload),
                receipts: receiptsStmt.all({ id }).map(toAttempt),
            };
        },
        async listEventsNewestFirst(page) {
            return listEventsNewestStmt.all({ ...filterParams(page), beforeId: page.beforeId ?? Number.MAX_SAFE_INTEGER }).map(toEventSummary);
        },
        async replayEvents(filter, request) {
            return replayTx.immediate(filter, request);
        },
        async previewReplay(filter) {
            // One read transaction: the count and the events chosen are of the same moment.
            return previewTx(filter);
        },
        async replaysOf(eventRow) {
            return replaysOfEvent.all({ id: eventRow }).map((r) => ({
                requestedAt: r.requested_at,
                actor: opt(r.actor),
                ip: opt(r.ip),
                tokenFingerprint: r.token_fingerprint,
                note: opt(r.note),
                forced: r.forced === 1,
                previousStatus: r.previous_status,
            }));
        },
        async findOrder(orderId) {
            const row = orderReport.get({ orderId });
            return row && toOrderReport(row);
        },
        async listOrders(query) {
            let rows;
            if ('orderId' in query) {
                rows = ordersByKey.all({ orderId: query.orderId, eventIds: JSON.stringify(query.eventIds), limit: query.limit });
            }
            else {
                const page = { beforeTime: query.before?.receivedAt ?? Number.MAX_SAFE_INTEGER, beforeRow: query.before?.row ?? Number.MAX_SAFE_INTEGER, limit: query.limit };
                rows = 'emailHash' in query ? ordersByEmail.all({ ...page, emailHash: query.emailHash }) : latestOrders.all(page);
            }
            const last = rows.at(-1);
            return { orders: rows.map(toOrderReport), next: last && rows.length === query.limit ? { receivedAt: last.received_at, row: last.row } : undefined };
        },
        async purgeBefore(cutoff, { now, scrub, chunkSize = PURGE_CHUNK_ROWS, onStep }) {
            const report = { deleted: {}, scrubbed: { orders: 0, events: 0 }, waiting: 0, steps: 0, longestStepMs: 0 };
            // A step is one transaction. Between steps the event loop serves requests and deliveries
            // while the worker checkpoints the step's pages, so the log starts over instead of growing.
            const step = async (work) => {
                if (closing || !db.open)
                    return undefined;
                const started = performance.now();
                const result = purgeStepTx.immediate(work);
                const ms = performance.now() - started;
                report.longestStepMs = Math.max(report.longestStepMs, ms);
                report.steps++;
                onStep?.(ms);
                // The log restarts at the first commit after a checkpoint that copied it all, and that
                // commit fsyncs the log's header: cheap as a rule, tens of ms at the disk's worst. So the
                // purge lets the log gather a few steps before each checkpoint, and few steps pay it.
                if (report.steps % PURGE_STEPS_PER_CHECKPOINT === 0)
                    await checkpointer.checkpoint();
                else
                    await new Promise((resolve) => setImmediate(resolve));
                return result;
            };
            for (const [table, statement] of purgeDeletes) {
                report.deleted[table] = 0;
                for (;;) {
                    const deleted = await step(() => statement.run({ cutoff, limit: chunkSize }).changes);
                    if (deleted === undefined)
                        return report;
                    report.deleted[table] += deleted;
                    if (deleted < chunkSize)
                        break;
                }
            }
            let after = { afterTime: -1, afterRow: 0 };
            for (;;) {
                const candidates = await step(() => {
                    const orders = ordersToScrub.all({ cutoff, ...after, limit: chunkSize });
                    for (const order of orders) {
                        // Delivery still needs the match keys of an event waiting to be sent: a later purge scrubs it.
                        if (order.waiting) {
                            report.waiting++;
                            continue;
                        }
                        scrubOrder.run({ row: order.row, now });
                        report.scrubbed.orders++;
                        for (const event of eventsOfOrder.all({ orderId: order.order_id })) {
                            scrubEventPayload.run({ id: event.id, payload: JSON.stringify(scrub(JSON.parse(event.payload))) });
                            report.scrubbed.events++;
                        }
                    }
                    return orders;
                });
                if (candidates === undefined)
                    return report;
                const last = candidates.at(-1);
                if (!last || candidates.length < chunkSize)
                    return report;
                after = { afterTime: last.received_at, afterRow: last.row };
            }
        },
        async deleteSubject(subject) {
            return deleteTx.immediate(subject);
        },
        async close() {
            closing = true;
            collected.flush();
            await checkpointer.close();
            db.close();
        },
    };
    preparedStatements.set(store, { db, sources: statementSources });
    return store;
}
