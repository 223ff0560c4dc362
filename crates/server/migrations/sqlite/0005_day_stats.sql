-- Per grid and local day: health checks recorded, distinct residents checked, fevers. Kept in the
-- same transaction as each check, so that "not checked today" and the daily report read a handful
-- of rows instead of counting a day's checks. The PostgreSQL twin is identical.
CREATE TABLE day_stats (
    grid_id BIGINT NOT NULL REFERENCES org_units(id),
    day TEXT NOT NULL,
    health_checks BIGINT NOT NULL DEFAULT 0,
    residents_checked BIGINT NOT NULL DEFAULT 0,
    fevers BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (grid_id, day)
);
