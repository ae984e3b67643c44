-- 004: the replay log. Who asked for each replay, when, and which events it put back in the
-- queue, so a purchase counted twice can be traced to the request that sent it again.
-- "Who" is what the admin API can know: one shared bearer token means the caller names itself
-- (the ClickRelay-Actor header, optional) and the collector records what it saw (the client
-- address and a fingerprint of the token, never the token).

CREATE TABLE replay_requests (
  id                INTEGER PRIMARY KEY,
  requested_at      INTEGER NOT NULL,
  actor             TEXT,              -- the ClickRelay-Actor header, as the caller gave it
  ip                TEXT,              -- the client's address (through CLICKRELAY_TRUST_PROXY)
  token_fingerprint TEXT    NOT NULL,  -- first 16 hex of SHA-256 of the admin token in force
  forced            INTEGER NOT NULL,  -- 1: "force": true, TikTok's 48-hour dedup window ignored
  note              TEXT,              -- the request's "note": why
  scope             TEXT    NOT NULL   -- JSON: {"ids": [..]} or {"status", "from", "to", "limit", "after_id"}
);

-- One row per event a request put back in the queue, with the status it had before.
-- Deleting an event (a deletion request) deletes its lines; the request stays.
CREATE TABLE replayed_events (
  request_id       INTEGER NOT NULL REFERENCES replay_requests (id),
  event_row        INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  previous_status  TEXT    NOT NULL,
  PRIMARY KEY (event_row, request_id)
) WITHOUT ROWID;
CREATE INDEX replayed_events_by_request ON replayed_events (request_id);
