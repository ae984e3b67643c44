-- The daily counts and pixel pairings of what the database already held before 009 (store/rollups.ts
-- keeps them from then on). Apart from 009 so that a bench or a test can run it again on any data:
-- empty daily_counts and orders.pixel_pairing, then run this file.
-- Receipts stored before 009 have no order_ref, so
-- their orders are paired, paired under another name, or server only.
UPDATE orders SET pixel_pairing = CASE
  WHEN EXISTS (SELECT 1 FROM pixel_receipts r JOIN events e ON e.order_id = orders.order_id
               WHERE r.event_id = orders.event_id AND r.event_name = e.event_name) THEN 'paired'
  WHEN EXISTS (SELECT 1 FROM pixel_receipts r WHERE r.event_id = orders.event_id) THEN 'different_event_name'
  ELSE 'server_only' END;

INSERT INTO daily_counts (day, metric, count)
  SELECT date(captured_at / 1000, 'unixepoch'), 'clicks', COUNT(*) FROM clicks GROUP BY 1;
-- An ad click counts once per visitor and ttclid, on the day of its first record, in the browser of that
-- record (with one MIN() in the query, SQLite takes a bare column from the row of the minimum).
CREATE TEMP TABLE first_ad_clicks AS
  SELECT date(MIN(captured_at) / 1000, 'unixepoch') AS day, in_app FROM clicks WHERE ttclid IS NOT NULL GROUP BY visitor_id, ttclid;
INSERT INTO daily_counts (day, metric, count)
  SELECT day, 'ad_clicks', COUNT(*) FROM first_ad_clicks GROUP BY day;
INSERT INTO daily_counts (day, metric, count)
  SELECT day, 'ad_clicks_in_app', COUNT(*) FROM first_ad_clicks WHERE in_app = 1 GROUP BY day;
DROP TABLE first_ad_clicks;
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
