/**
 * The SQLite implementation of Store (better-sqlite3, WAL). Schema and migrations are the
 * numbered .sql files in collector/sql, applied in order against PRAGMA user_version.
 * Statements are prepared once, here, with named @params.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SQL_DIR } from '../paths.js';
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
/** A buyer linked to more visitors than this is a shared device or a data problem; stop walking. */
const MAX_CLUSTER = 50;
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
export function openSqliteStore(path) {
    if (path !== ':memory:')
        mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
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
    INSERT INTO pixel_receipts (visitor_id, event_name, event_id, order_key, client_time, received_at)
    VALUES (@visitorId, @eventName, @eventId, @orderKey, @clientTime, @receivedAt)`);
    const saveIdentityTx = db.transaction((identity) => {
        if (identity.emailHash)
            upsertIdentity.run({ visitorId: identity.visitorId, kind: 'email', hash: identity.emailHash, at: identity.seenAt });
        if (identity.phoneHash)
            upsertIdentity.run({ visitorId: identity.visitorId, kind: 'phone', hash: identity.phoneHash, at: identity.seenAt });
    });
    // An order is known by its event_id: keys the contract treats as one ("#1001" and "1001") are one order.
    const findOrder = db.prepare(`SELECT order_id, event_id FROM orders WHERE event_id = @eventId`);
    // Identity resolution: the buyer's cluster is walked through the evidence at order time, so
    // it grows as evidence arrives. Visitors sharing an email or phone hash (identify(), earlier
    // orders) or a ttclid (one ad click opened in two browsers) are one buyer.
    const visitorsByIdentity = db.prepare(`SELECT visitor_id FROM identities WHERE kind = @kind AND sha256 = @hash`);
    const identitiesOfVisitor = db.prepare(`SELECT kind, sha256 FROM identities WHERE visitor_id = @visitorId`);
    const ttclidsOfVisitor = db.prepare(`
    SELECT DISTINCT ttclid FROM clicks WHERE visitor_id = @visitorId AND ttclid IS NOT NULL AND captured_at BETWEEN @from AND @to`);
    const visitorsByTtclid = db.prepare(`
    SELECT DISTINCT visitor_id FROM clicks WHERE ttclid = @ttclid AND captured_at BETWEEN @from AND @to`);
    // The cluster's most recent ttclid, attached at the moment it was first captured: later records
    // (a _ttp that appeared, a reload, the same link opened in Safari) repeat it but are not the click.
    const clusterClick = db.prepare(`
    WITH cluster AS (SELECT value AS visitor_id FROM json_each(@visitors))
    SELECT * FROM clicks
    WHERE visitor_id IN cluster AND captured_at BETWEEN @from AND @to
      AND ttclid = (SELECT ttclid FROM clicks
                    WHERE visitor_id IN cluster AND ttclid IS NOT NULL AND captured_at BETWEEN @from AND @to
                    ORDER BY captured_at DESC, id DESC LIMIT 1)
    ORDER BY captured_at, id LIMIT 1`);
    const clusterTtp = db.prepare(`
    SELECT ttp FROM clicks
    WHERE visitor_id IN (SELECT value FROM json_each(@visitors)) AND ttp IS NOT NULL AND captured_at BETWEEN @from AND @to
    ORDER BY captured_at DESC, id DESC LIMIT 1`);
    const latestClick = db.prepare(`
    SELECT * FROM clicks WHERE visitor_id = @visitorId AND captured_at <= @to
    ORDER BY captured_at DESC, id DESC LIMIT 1`);
    const upsertOrderIdentity = (visitorId, kind, hash, at) => upsertIdentity.run({ visitorId, kind, hash, at });
    const insertOrder = db.prepare(`
    INSERT INTO orders (order_id, event_id, visitor_id, email_sha256, phone_sha256, value, currency, event_time_s, click_id, linked_by, received_at)
    VALUES (@orderId, @eventId, @visitorId, @emailHash, @phoneHash, @value, @currency, @eventTimeS, @clickId, @linkedBy, @receivedAt)`);
    const insertEvent = db.prepare(`
    INSERT INTO events (destination, event_name, event_id, order_id, payload, test_event_code, next_attempt_at, created_at)
    VALUES ('tiktok', @eventName, @eventId, @orderId, @payload, @testEventCode, @now, @now)`);
    const selectDue = db.prepare(`
    SELECT id, destination, event_name, event_id, payload, test_event_code, attempts, created_at FROM events
    WHERE (status = 'pending' AND next_attempt_at <= @now) OR (status = 'sending' AND lease_until <= @now)
    ORDER BY next_attempt_at, id LIMIT @limit`);
    const lease = db.prepare(`UPDATE events SET status = 'sending', lease_until = @leaseUntil, attempts = attempts + 1 WHERE id = @id`);
    // An event deleted while its request was in flight (a deletion request) gets no receipt.
    const insertAttempt = db.prepare(`
    INSERT INTO attempts (event_row, started_at, duration_ms, batch_size, http_status, code, message, request_id)
    SELECT @id, @startedAt, @durationMs, @batchSize, @httpStatus, @code, @message, @requestId
    WHERE EXISTS (SELECT 1 FROM events WHERE id = @id)`);
    const markDelivered = db.prepare(`UPDATE events SET status = 'delivered', delivered_at = @now, lease_until = NULL, last_error = NULL WHERE id = @id`);
    const markRetry = db.prepare(`UPDATE events SET status = 'pending', next_attempt_at = @nextAttemptAt, lease_until = NULL, last_error = @message WHERE id = @id`);
    const markEnded = db.prepare(`UPDATE events SET status = @status, lease_until = NULL, last_error = @message WHERE id = @id`);
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
    const orderReport = db.prepare(`
    SELECT o.order_id, o.event_id, o.event_time_s, o.linked_by, o.click_id, c.*,
           e.event_name, e.status, e.attempts, e.last_error, e.delivered_at, e.test_event_code
    FROM orders o LEFT JOIN clicks c ON c.id = o.click_id LEFT JOIN events e ON e.order_id = o.order_id
    WHERE o.order_id = @orderId`);
    // Operator views and replay. The filter is one statement with optional terms.
    const EVENT_FILTER = `
    (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
    AND (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
    AND (@from IS NULL OR created_at >= @from) AND (@to IS NULL OR created_at < @to)`;
    const listEventsStmt = db.prepare(`
    SELECT id, destination, event_name, event_id, order_id, status, attempts, last_error, test_event_code, created_at, delivered_at, next_attempt_at
    FROM events WHERE ${EVENT_FILTER} ORDER BY id LIMIT @limit`);
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
    const replayStmt = db.prepare(`
    UPDATE events SET status = 'pending', next_attempt_at = @now, attempts = 0, lease_until = NULL, last_error = NULL
    WHERE status NOT IN ('pending', 'sending') AND ${EVENT_FILTER}
    RETURNING id`);
    const filterParams = (f) => ({
        ids: f.ids ? JSON.stringify(f.ids) : null,
        statuses: f.statuses ? JSON.stringify(f.statuses) : null,
        from: f.from ?? null,
        to: f.to ?? null,
        limit: f.limit ?? 1000,
    });
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
    const pixelEventsOf = db.prepare(`
    SELECT event_name, received_at FROM pixel_receipts WHERE event_id = @eventId ORDER BY id`);
    const purgeClicks = db.prepare(`DELETE FROM clicks WHERE captured_at < @cutoff`);
    const purgeReceipts = db.prepare(`DELETE FROM pixel_receipts WHERE received_at < @cutoff`);
    const purgeTx = db.transaction((cutoff) => ({
        clicks: purgeClicks.run({ cutoff }).changes,
        pixel_receipts: purgeReceipts.run({ cutoff }).changes,
    }));
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
    function clusterOf(order, window) {
        const visitors = new Map();
        const queue = [];
        const seen = new Set();
        const addVisitor = (visitorId, via) => {
            if (!visitors.has(visitorId) && visitors.size < MAX_CLUSTER) {
                visitors.set(visitorId, via);
                queue.push([visitorId, via]);
            }
        };
        const viaIdentity = (kind, hash, via) => {
            if (seen.has(kind + hash))
                return;
            seen.add(kind + hash);
            for (const row of visitorsByIdentity.all({ kind, hash }))
                addVisitor(row.visitor_id, via);
        };
        if (order.visitorId)
            addVisitor(order.visitorId, 'visitor_id');
        if (order.emailHash)
            viaIdentity('email', order.emailHash, 'email');
        if (order.phoneHash)
            viaIdentity('phone', order.phoneHash, 'phone');
        while (queue.length) {
            const [visitorId, via] = queue.shift();
            // A visitor reached from the buyer's own is named by that first link; further hops keep it.
            const link = (kind) => (via === 'visitor_id' ? kind : via);
            for (const identity of identitiesOfVisitor.all({ visitorId }))
                viaIdentity(identity.kind, identity.sha256, link(identity.kind));
            for (const { ttclid } of ttclidsOfVisitor.all({ visitorId, ...window })) {
                if (seen.has('ttclid' + ttclid))
                    continue;
                seen.add('ttclid' + ttclid);
                for (const row of visitorsByTtclid.all({ ttclid, ...window }))
                    addVisitor(row.visitor_id, link('ttclid'));
            }
        }
        return visitors;
    }
    function attribute(order, window) {
        const cluster = clusterOf(order, window);
        const range = { visitors: JSON.stringify([...cluster.keys()]), ...window };
        const click = cluster.size ? clusterClick.get(range) : undefined;
        const last = order.visitorId ? latestClick.get({ visitorId: order.visitorId, to: window.to }) : undefined;
        return {
            click: click && toClick(click),
            linkedBy: click ? cluster.get(click.visitor_id) : undefined,
            ttp: cluster.size ? clusterTtp.get(range)?.ttp : undefined,
            lastSeen: last && toClick(last),
        };
    }
    const acceptOrderTx = db.transaction((order, window, build, testEventCode) => {
        const existing = findOrder.get({ eventId: order.eventId });
        if (existing)
            return { created: false, orderId: existing.order_id, eventId: existing.event_id };
        const attribution = attribute(order, window);
        const event = build(order, attribution);
        insertOrder.run({
            ...order,
            clickId: attribution.click?.id ?? null,
            linkedBy: attribution.linkedBy ?? null,
            visitorId: order.visitorId ?? null,
            emailHash: order.emailHash ?? null,
            phoneHash: order.phoneHash ?? null,
        });
        // The order's own match keys are evidence for the next order of this buyer.
        if (order.visitorId && order.emailHash)
            upsertOrderIdentity(order.visitorId, 'email', order.emailHash, order.receivedAt);
        if (order.visitorId && order.phoneHash)
            upsertOrderIdentity(order.visitorId, 'phone', order.phoneHash, order.receivedAt);
        insertEvent.run({ eventName: event.event, eventId: event.event_id, orderId: order.orderId, payload: JSON.stringify(event), testEventCode: testEventCode ?? null, now: order.receivedAt });
        return { created: true, orderId: order.orderId, eventId: event.event_id };
    });
    const claimTx = db.transaction((now, limit, leaseUntil) => {
        const rows = selectDue.all({ now, limit });
        for (const row of rows)
            lease.run({ id: row.id, leaseUntil });
        return rows.map((row) => ({
            id: row.id,
            destination: row.destination,
            eventName: row.event_name,
            eventId: row.event_id,
            payload: JSON.parse(row.payload),
            testEventCode: opt(row.test_event_code),
            attempts: row.attempts + 1,
            createdAt: row.created_at,
        }));
    });
    const recordTx = db.transaction((outcomes, now) => {
        for (const outcome of outcomes) {
            const { attempt } = outcome;
            insertAttempt.run({ id: outcome.id, ...attempt, httpStatus: attempt.httpStatus ?? null, code: attempt.code ?? null, requestId: attempt.requestId ?? null });
            if (outcome.status === 'delivered')
                markDelivered.run({ id: outcome.id, now });
            else if (outcome.status === 'retry')
                markRetry.run({ id: outcome.id, nextAttemptAt: outcome.nextAttemptAt, message: attempt.message });
            else
                markEnded.run({ id: outcome.id, status: outcome.status, message: attempt.message });
        }
    });
    return {
        async saveClick(click) {
            insertClick.run({
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
            });
        },
        async saveIdentity(identity) {
            saveIdentityTx(identity);
        },
        async savePixelReceipt(r) {
            insertReceipt.run({ ...r, eventId: r.eventId ?? null, orderKey: r.orderKey ?? null, clientTime: r.clientTime ?? null });
        },
        async acceptOrder(order, window, build, testEventCode) {
            return acceptOrderTx.immediate(order, window, build, testEventCode);
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
        async replayEvents(filter, now) {
            return db.transaction(() => replayStmt.all({ ...filterParams(filter), now }).map((r) => r.id)).immediate();
        },
        async findOrder(orderId) {
            const row = orderReport.get({ orderId });
            if (!row)
                return undefined;
            const click = row.click_id === null ? undefined : toClick(row);
            return {
                orderId: row.order_id,
                eventId: row.event_id,
                eventTimeS: row.event_time_s,
                linkedBy: opt(row.linked_by),
                click: click && { ttclid: click.ttclid, landingUrl: click.landingUrl, inApp: click.inApp, capturedAt: click.capturedAt, utm: click.utm },
                event: row.event_name === null
                    ? undefined
                    : {
                        name: row.event_name,
                        status: row.status,
                        attempts: row.attempts,
                        lastError: opt(row.last_error),
                        deliveredAt: opt(row.delivered_at),
                        testEventCode: opt(row.test_event_code),
                    },
                pixelEvents: pixelEventsOf.all({ eventId: row.event_id }).map((r) => ({ eventName: r.event_name, receivedAt: r.received_at })),
            };
        },
        async purgeBefore(cutoff) {
            return purgeTx.immediate(cutoff);
        },
        async deleteSubject(subject) {
            return deleteTx.immediate(subject);
        },
        async close() {
            db.close();
        },
    };
}
