-- 007: when an event's maximum age (CLICKRELAY_EVENT_MAX_AGE_DAYS) starts counting. NULL means
-- from created_at; a replay sets it to the replay's time, so a replayed expired event gets a new
-- span of retries instead of expiring again at its first failed attempt.

ALTER TABLE events ADD COLUMN max_age_from INTEGER;
