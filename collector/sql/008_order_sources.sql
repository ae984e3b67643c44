-- 008: orders from the webhook sources (collector/src/webhooks/).
-- orders.source: where the order came from: api (POST /orders), shopify, woocommerce or stripe.
-- orders.provenance: JSON, where the order's facts came from: the platform's delivery ID and
-- topic, the payload field that carried the visitor ID, whether the IP and user agent were the
-- order's or the visitor's latest click's, and a ttclid read from a reported landing URL.
-- webhook_deliveries: every delivery a platform made, by its own delivery ID, so a redelivery is
-- answered without doing anything twice; also what /admin/status counts (accepted, ignored and
-- why). Deleted past CLICKRELAY_RETENTION_DAYS, as clicks are.

ALTER TABLE orders ADD COLUMN source TEXT NOT NULL DEFAULT 'api';
ALTER TABLE orders ADD COLUMN provenance TEXT;

CREATE TABLE webhook_deliveries (
  platform TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  topic TEXT,
  outcome TEXT NOT NULL,
  reason TEXT,
  order_id TEXT,
  PRIMARY KEY (platform, delivery_id)
);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (received_at);
