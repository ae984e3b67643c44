-- 005: an index for every lookup the collector makes, foreign keys included (SQLite does not
-- index a child key by itself, so each parent delete scanned the child table), and what the
-- retention purge needs to delete and scrub past CLICKRELAY_RETENTION_DAYS in small chunks.
-- collector/test/unit/query-plans.test.ts runs EXPLAIN QUERY PLAN on every statement.

-- Foreign keys. Deleting a click sets orders.click_id to NULL (one lookup per deleted click);
-- the order report and deletion requests find an order's events; deleting an order checks them.
CREATE INDEX orders_by_click  ON orders (click_id);
CREATE INDEX events_by_order  ON events (order_id);

-- Deletion requests find a person's orders and pixel receipts.
CREATE INDEX orders_by_visitor         ON orders (visitor_id);
CREATE INDEX orders_by_email           ON orders (email_sha256);
CREATE INDEX orders_by_phone           ON orders (phone_sha256);
CREATE INDEX pixel_receipts_by_visitor ON pixel_receipts (visitor_id);

-- Retention deletes identities not seen again, and pixel receipts, by age.
CREATE INDEX identities_by_last_seen   ON identities (last_seen);
CREATE INDEX pixel_receipts_by_time    ON pixel_receipts (received_at);

-- Orders are kept for the books, but scrubbed of personal data past the retention age (the
-- order's visitor ID, email and phone hashes, its click, and the user fields of its events'
-- payloads). The partial index holds only orders not scrubbed yet, so each purge reads the
-- orders that are due, never the years already done.
ALTER TABLE orders ADD COLUMN scrubbed_at INTEGER;
CREATE INDEX orders_to_scrub ON orders (received_at) WHERE scrubbed_at IS NULL;
