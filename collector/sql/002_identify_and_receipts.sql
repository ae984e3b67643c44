-- 002: identities a visitor gave through clickrelay.identify() (hashes only), and receipts of the
-- order events the TikTok pixel fired in the browser (to tell paired orders from server-only ones).

CREATE TABLE identities (
  id          INTEGER PRIMARY KEY,
  visitor_id  TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('email', 'phone')),
  sha256      TEXT    NOT NULL,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  UNIQUE (visitor_id, kind, sha256)
);
CREATE INDEX identities_by_hash ON identities (kind, sha256);

CREATE TABLE pixel_receipts (
  id           INTEGER PRIMARY KEY,
  visitor_id   TEXT    NOT NULL,
  event_name   TEXT    NOT NULL,
  event_id     TEXT,
  order_key    TEXT,
  client_time  INTEGER,
  received_at  INTEGER NOT NULL
);
CREATE INDEX pixel_receipts_by_event_id ON pixel_receipts (event_id);
