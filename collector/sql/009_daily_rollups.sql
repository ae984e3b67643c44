-- The Overview's numbers, kept as rows are written (store/rollups.ts), so a page over 28 days
-- reads at most a few hundred rows however many clicks and orders the database holds.
-- One row per UTC day and metric:
--   clicks, ad_clicks (with a ttclid), ad_clicks_in_app            by the click's capture day
--   orders, orders_with_ttclid, linked:<linked_by>, pairing:<status> by the order's acceptance day
--   events, key:<match key>                                         by the server event's creation day
-- Counts are aggregates: retention and deletion requests remove rows, never these counts.
CREATE TABLE daily_counts (
  day     TEXT    NOT NULL,
  metric  TEXT    NOT NULL,
  count   INTEGER NOT NULL,
  PRIMARY KEY (day, metric)
) WITHOUT ROWID;

-- Each order's pixel pairing (orders/pairing.ts), kept as receipts arrive before or after it.
ALTER TABLE orders ADD COLUMN pixel_pairing TEXT;
-- The event_id of the order a pixel receipt names by its order key (ord_<key>), so a receipt
-- with another event_id, or none, still finds its order.
ALTER TABLE pixel_receipts ADD COLUMN order_ref TEXT;
CREATE INDEX pixel_receipts_by_order_ref ON pixel_receipts (order_ref) WHERE order_ref IS NOT NULL;
-- The Overview's delivery figures: the range's events by status, read from this index alone.
CREATE INDEX events_by_creation ON events (created_at, status);

-- What the database already holds. Receipts stored before this migration have no order_ref, so
-- their orders are paired, paired under another name, or server only.
UPDATE orders SET pixel_pairing = CASE
  WHEN EXISTS (SELECT 1 FROM pixel_receipts r JOIN events e ON e.order_id = orders.order_id
               WHERE r.event_id = orders.event_id AND r.event_name = e.event_name) THEN 'paired'
  WHEN EXISTS (SELECT 1 FROM pixel_receipts r WHERE r.event_id = orders.event_id) THEN 'different_event_name'
  ELSE 'server_only' END;

INSERT INTO daily_counts (day, metric, count)
  SELECT date(captured_at / 1000, 'unixepoch'), 'clicks', COUNT(*) FROM clicks GROUP BY 1;
INSERT INTO daily_counts (day, metric, count)
  SELECT date(captured_at / 1000, 'unixepoch'), 'ad_clicks', COUNT(*) FROM clicks WHERE ttclid IS NOT NULL GROUP BY 1;
INSERT INTO daily_counts (day, metric, count)
  SELECT date(captured_at / 1000, 'unixepoch'), 'ad_clicks_in_app', COUNT(*) FROM clicks WHERE ttclid IS NOT NULL AND in_app = 1 GROUP BY 1;
INSERT INTO daily_counts (day, metric, count)
  SELECT date(received_at / 1000, 'unixepoch'), 'orders', COUNT(*) FROM orders GROUP BY 1;
INSERT INTO daily_counts (day, metric, count)
  SELECT date(received_at / 1000, 'unixepoch'), 'orders_with_ttclid', COUNT(*) FROM orders WHERE linked_by IS NOT NULL GROUP BY 1;
INSERT INTO daily_counts (day, metric, count)
  SELECT date(received_at / 1000, 'unixepoch'), 'linked:' || linked_by, COUNT(*) FROM orders WHERE linked_by IS NOT NULL GROUP BY 1, 2;
INSERT INTO daily_counts (day, metric, count)
  SELECT date(received_at / 1000, 'unixepoch'), 'pairing:' || pixel_pairing, COUNT(*) FROM orders GROUP BY 1, 2;
INSERT INTO daily_counts (day, metric, count)
  SELECT date(created_at / 1000, 'unixepoch'), 'events', COUNT(*) FROM events GROUP BY 1;
-- Events scrubbed by retention lost their keys: their days count them as carrying none.
INSERT INTO daily_counts (day, metric, count)
  SELECT day, 'key:' || key, SUM(present) FROM (
    SELECT date(e.created_at / 1000, 'unixepoch') AS day, k.value AS key, json_extract(e.payload, '$.user.' || k.value) IS NOT NULL AS present
    FROM events e, json_each('["email","phone","external_id","ttclid","ttp","ip","user_agent"]') k)
  GROUP BY day, key HAVING SUM(present) > 0;
