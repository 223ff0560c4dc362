-- The daily report (日报). Event figures not already kept per grid and day (day_stats for checks,
-- gate_day_stats for the gate) are counted here as they are written: quarantine episodes started,
-- released and transferred, survey visits done. A submitted report is frozen as a snapshot; a
-- correction is a new version with its reason, both kept. The PostgreSQL twin differs only in types.

CREATE TABLE report_day_stats (
    grid_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    key TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (grid_id, day, key)
);

CREATE TABLE daily_reports (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES org_units(id),
    day TEXT NOT NULL,
    version INTEGER NOT NULL,
    -- submitted, or returned (by the street, for correction).
    status TEXT NOT NULL CHECK (status IN ('submitted','returned')),
    -- The report as submitted: figures and rows, JSON.
    snapshot TEXT NOT NULL,
    remark TEXT NOT NULL DEFAULT '',
    -- Why this version corrects the one before (empty for the first).
    correction_reason TEXT NOT NULL DEFAULT '',
    submitted_by INTEGER NOT NULL REFERENCES users(id),
    submitted_at INTEGER NOT NULL,
    on_time INTEGER NOT NULL,
    returned_by INTEGER REFERENCES users(id),
    returned_at INTEGER,
    return_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (unit_id, day, version)
);

-- Episodes already recorded: started (became active) on their start date, ended on the day of the
-- event that ended them.
INSERT INTO report_day_stats (grid_id, day, key, n)
SELECT grid_id, start_date, 'quarantine_new', COUNT(*) FROM quarantines
WHERE status IN ('active','released','transferred') GROUP BY grid_id, start_date;
