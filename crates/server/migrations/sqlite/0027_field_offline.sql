-- Field work offline (离线采集): a reading or a visit taken with no signal is sent later from the
-- phone's queue. The server keeps the phone's clock beside its own (a phone's time far ahead or days
-- behind is flagged, not trusted), and a visit keeps the key of the send that made it, so a replay
-- of the same send is told from someone else's visit meanwhile. The PostgreSQL twin is
-- migrations/postgres/0027_field_offline.sql.
ALTER TABLE health_checks ADD COLUMN device_at INTEGER;
ALTER TABLE survey_visits ADD COLUMN device_at INTEGER;
ALTER TABLE survey_visits ADD COLUMN idempotency_key TEXT;
