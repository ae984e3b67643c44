-- The Overview's numbers, kept as rows are written (store/rollups.ts), so a page over 28 days
-- reads at most a few hundred rows however many clicks and orders the database holds.
-- One row per UTC day and metric:
--   clicks; ad_clicks, ad_clicks_in_app (a visitor's first record of a ttclid) by the click's capture day
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
