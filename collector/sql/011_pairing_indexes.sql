-- Indexes for the pixel-pairing probes (store/rollups.ts): each EXISTS finds its first receipt
-- at once, however many receipts name an order (a receipt is sent by anyone's browser).
DROP INDEX pixel_receipts_by_event_id;
CREATE INDEX pixel_receipts_by_event_id ON pixel_receipts (event_id, event_name);
DROP INDEX pixel_receipts_by_order_ref;
CREATE INDEX pixel_receipts_by_order_ref ON pixel_receipts (order_ref, event_id) WHERE order_ref IS NOT NULL;
-- Order events the pixel fired without an event_id or an order key: found by browser and time.
CREATE INDEX pixel_receipts_anonymous ON pixel_receipts (visitor_id, event_name, received_at) WHERE event_id IS NULL AND order_key IS NULL;
