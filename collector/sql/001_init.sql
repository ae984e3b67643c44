-- 001: clicks captured by the on-page script, orders reported by the merchant's backend,
-- and the outbox of server events with one row per delivery attempt.
-- Times are Unix milliseconds (INTEGER) unless the column name says seconds.

CREATE TABLE clicks (
  id            INTEGER PRIMARY KEY,
  visitor_id    TEXT    NOT NULL,
  ttclid        TEXT,
  ttp           TEXT,
  utm_source    TEXT,
  utm_medium    TEXT,
  utm_campaign  TEXT,
  utm_content   TEXT,
  utm_term      TEXT,
  landing_url   TEXT    NOT NULL,
  referrer      TEXT,
  in_app        INTEGER NOT NULL DEFAULT 0,
  ip            TEXT,
  user_agent    TEXT,
  captured_at   INTEGER NOT NULL
);
CREATE INDEX clicks_by_visitor ON clicks (visitor_id, captured_at);
CREATE INDEX clicks_by_ttclid  ON clicks (ttclid) WHERE ttclid IS NOT NULL;

CREATE TABLE orders (
  order_id      TEXT    PRIMARY KEY,
  event_id      TEXT    NOT NULL UNIQUE,         -- orders are deduplicated on it (see common/event-id.ts)
  visitor_id    TEXT,
  email_sha256  TEXT,
  phone_sha256  TEXT,
  value         REAL    NOT NULL,
  currency      TEXT    NOT NULL,
  event_time_s  INTEGER NOT NULL,
  -- which click gave the order its ttclid, and through which link (visitor_id, email, phone, ttclid)
  click_id      INTEGER REFERENCES clicks (id) ON DELETE SET NULL,
  linked_by     TEXT,
  received_at   INTEGER NOT NULL
);

-- The outbox. `destination` leaves room for other ad platforms fed by the same queue.
CREATE TABLE events (
  id               INTEGER PRIMARY KEY,
  destination      TEXT    NOT NULL DEFAULT 'tiktok',
  event_name       TEXT    NOT NULL,
  event_id         TEXT    NOT NULL,
  order_id         TEXT    REFERENCES orders (order_id),
  payload          TEXT    NOT NULL,            -- the exact JSON event sent (hashes only, never raw PII)
  test_event_code  TEXT,                        -- set when the event is sent in TikTok's test mode
  status           TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'expired')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  lease_until      INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  delivered_at     INTEGER,
  UNIQUE (destination, event_name, event_id)
);
CREATE INDEX events_due ON events (status, next_attempt_at);

CREATE TABLE attempts (
  id           INTEGER PRIMARY KEY,
  event_row    INTEGER NOT NULL REFERENCES events (id),
  started_at   INTEGER NOT NULL,
  duration_ms  INTEGER NOT NULL,
  batch_size   INTEGER NOT NULL,
  http_status  INTEGER,
  code         INTEGER,
  message      TEXT,
  request_id   TEXT
);
CREATE INDEX attempts_by_event ON attempts (event_row);
