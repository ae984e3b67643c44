-- 003: values the collector makes for itself and keeps with its data (the sandbox's order
-- secret), and the indexes that /admin/status and retention read by time.

CREATE TABLE settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);

CREATE INDEX clicks_by_time       ON clicks (captured_at);
CREATE INDEX orders_by_time       ON orders (received_at);
CREATE INDEX events_by_delivery   ON events (delivered_at) WHERE delivered_at IS NOT NULL;
