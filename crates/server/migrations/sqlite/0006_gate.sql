-- Gate control (门岗): household passes, each community's exit rules, and the log of every scan.
-- The PostgreSQL twin is migrations/postgres/0006_gate.sql.

CREATE TABLE household_passes (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    -- Unguessable: 20 random characters; what the QR code holds.
    code TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('active','revoked')),
    issued_at INTEGER NOT NULL,
    issued_by INTEGER NOT NULL REFERENCES users(id),
    revoked_at INTEGER
);
CREATE INDEX household_passes_household ON household_passes(household_id, status);

-- One row per community; a community without one has no exit limit and no curfew.
CREATE TABLE gate_rules (
    community_id INTEGER PRIMARY KEY REFERENCES org_units(id),
    -- At most this many exits per household in `period_days` local days (0: no limit).
    exits_per_period INTEGER NOT NULL DEFAULT 0,
    period_days INTEGER NOT NULL DEFAULT 1,
    -- Local hours, 0–23; equal means no curfew. Exits are refused from start until end.
    curfew_start INTEGER NOT NULL DEFAULT 0,
    curfew_end INTEGER NOT NULL DEFAULT 0,
    vehicles_allowed INTEGER NOT NULL DEFAULT 1,
    visitors_allowed INTEGER NOT NULL DEFAULT 1,
    updated_by INTEGER REFERENCES users(id),
    updated_at INTEGER NOT NULL
);

CREATE TABLE gate_scans (
    id INTEGER PRIMARY KEY,
    gate_id INTEGER NOT NULL REFERENCES gates(id),
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    guard_id INTEGER NOT NULL REFERENCES users(id),
    household_id INTEGER REFERENCES households(id),
    resident_id INTEGER REFERENCES residents(id),
    direction TEXT NOT NULL CHECK (direction IN ('in','out')),
    temperature_tenths INTEGER,
    plate TEXT,
    decision TEXT NOT NULL CHECK (decision IN ('allow','deny')),
    reason TEXT,
    day TEXT NOT NULL,
    at INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL
);
CREATE UNIQUE INDEX gate_scans_key ON gate_scans(guard_id, idempotency_key);
-- Exits of a household over the last days (the quota), and the log per gate and day.
CREATE INDEX gate_scans_household ON gate_scans(household_id, direction, decision, day);
CREATE INDEX gate_scans_gate_day ON gate_scans(gate_id, day, at);
CREATE INDEX gate_scans_community_day ON gate_scans(community_id, day, decision);
