-- The daily report's figures of state (residents, households, episodes active and by kind, residents
-- at risk, observation beds and beds taken) are read as they stand now. For a day that has ended,
-- what changed after it is taken back off: every change is counted here, by unit (the grid, or the
-- unit that runs an observation site), local day and figure, in the same transaction as the change.
-- Counting starts with this migration: a day before it reads as the state when it ran.
CREATE TABLE state_changes (
    unit_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    key TEXT NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, day, key)
);
