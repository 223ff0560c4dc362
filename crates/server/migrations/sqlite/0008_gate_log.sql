-- Visitors registered at a gate, each with a code good for one local day, and the gate's figures
-- per grid and day kept as scans are written (the log page and the daily report read these, never
-- a day's scans). The PostgreSQL twin is migrations/postgres/0008_gate_log.sql.

CREATE TABLE gate_visitors (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    gate_id INTEGER NOT NULL REFERENCES gates(id),
    host_household_id INTEGER NOT NULL REFERENCES households(id),
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL,
    plate TEXT,
    code TEXT NOT NULL UNIQUE,
    -- The local day the code is good for.
    day TEXT NOT NULL,
    registered_by INTEGER NOT NULL REFERENCES users(id),
    registered_at INTEGER NOT NULL
);
CREATE INDEX gate_visitors_day ON gate_visitors(community_id, day);
CREATE INDEX gate_visitors_phone ON gate_visitors(phone, day);

ALTER TABLE gate_scans ADD COLUMN visitor_id INTEGER REFERENCES gate_visitors(id);

-- grid_id 0: scans that name no household (unknown codes, visitors' refusals) count for the
-- community only. kind: 'in', 'out' (allowed), or 'refused:<reason>'.
CREATE TABLE gate_day_stats (
    community_id INTEGER NOT NULL,
    grid_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (community_id, day, grid_id, kind)
);
CREATE INDEX gate_day_stats_grid ON gate_day_stats(grid_id, day);

-- Scans already logged before this table existed.
INSERT INTO gate_day_stats (community_id, grid_id, day, kind, n)
SELECT s.community_id, COALESCE(h.grid_id, 0), s.day,
       CASE WHEN s.decision = 'allow' THEN s.direction ELSE 'refused:' || s.reason END, COUNT(*)
FROM gate_scans s LEFT JOIN households h ON h.id = s.household_id
GROUP BY 1, 2, 3, 4;

-- One active pass per household, also when two requests issue one at once.
UPDATE household_passes SET status = 'revoked' WHERE status = 'active'
    AND id NOT IN (SELECT MAX(id) FROM household_passes WHERE status = 'active' GROUP BY household_id);
CREATE UNIQUE INDEX household_passes_one_active ON household_passes(household_id) WHERE status = 'active';
