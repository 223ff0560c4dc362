-- Health checks, alerts, quarantine episodes and centralized observation. The PostgreSQL twin is
-- migrations/postgres/0003_health.sql. Temperatures are tenths of a degree (365 = 36.5 °C), so
-- both databases compare them exactly; `day` is the local date of the configured time zone.

CREATE TABLE health_checks (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    temperature_tenths INTEGER NOT NULL,
    symptoms TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL CHECK (source IN ('door','gate','self','phone')),
    fever INTEGER NOT NULL,
    day TEXT NOT NULL,
    checked_at INTEGER NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    -- A retried request with the same key returns the first answer; the hash tells a retry from
    -- a different request reusing a key.
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL
);
CREATE UNIQUE INDEX health_checks_key ON health_checks(recorded_by, idempotency_key);
-- "Not checked today" for a grid, and a day's counts for the report.
CREATE INDEX health_checks_grid_day ON health_checks(grid_id, day, resident_id);
CREATE INDEX health_checks_resident ON health_checks(resident_id, checked_at);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    health_check_id INTEGER REFERENCES health_checks(id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open','closed')),
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    closed_by INTEGER REFERENCES users(id),
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX alerts_grid_status ON alerts(grid_id, status, id);
CREATE INDEX alerts_resident_status ON alerts(resident_id, status);

CREATE TABLE observation_sites (
    id INTEGER PRIMARY KEY,
    -- The district or street that runs it; every unit below may send people there.
    unit_id INTEGER NOT NULL REFERENCES org_units(id),
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    beds INTEGER NOT NULL CHECK (beds >= 0),
    occupied INTEGER NOT NULL DEFAULT 0 CHECK (occupied >= 0 AND occupied <= beds),
    created_at INTEGER NOT NULL
);

CREATE TABLE quarantines (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    kind TEXT NOT NULL CHECK (kind IN ('home','centralized','hospital')),
    reason TEXT NOT NULL,
    start_date TEXT NOT NULL,
    planned_end_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned','active','released','transferred')),
    site_id INTEGER REFERENCES observation_sites(id),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX quarantines_grid_status ON quarantines(grid_id, status, id);
CREATE INDEX quarantines_household_status ON quarantines(household_id, status);
CREATE INDEX quarantines_resident ON quarantines(resident_id, status);

-- Every change of state, with who and when.
CREATE TABLE quarantine_events (
    id INTEGER PRIMARY KEY,
    quarantine_id INTEGER NOT NULL REFERENCES quarantines(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    at INTEGER NOT NULL,
    by_user INTEGER NOT NULL REFERENCES users(id),
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX quarantine_events_quarantine ON quarantine_events(quarantine_id, id);

-- The daily follow-up of an active episode: one per day.
CREATE TABLE follow_ups (
    id INTEGER PRIMARY KEY,
    quarantine_id INTEGER NOT NULL REFERENCES quarantines(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    day TEXT NOT NULL,
    temperature_tenths INTEGER NOT NULL,
    symptoms TEXT NOT NULL DEFAULT '',
    needs TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    -- An attempted breach (a resident who wanted to go out), noted as it happened.
    breach INTEGER NOT NULL DEFAULT 0,
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at INTEGER NOT NULL,
    UNIQUE (quarantine_id, day)
);
CREATE INDEX follow_ups_grid_day ON follow_ups(grid_id, day);

-- A transfer to a centralized observation site: notified → picked up → admitted → released.
CREATE TABLE transfers (
    id INTEGER PRIMARY KEY,
    quarantine_id INTEGER NOT NULL REFERENCES quarantines(id),
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    site_id INTEGER NOT NULL REFERENCES observation_sites(id),
    status TEXT NOT NULL CHECK (status IN ('notified','picked_up','admitted','released')),
    notified_at INTEGER NOT NULL,
    picked_up_at INTEGER,
    picked_up_by INTEGER REFERENCES users(id),
    plate TEXT,
    admitted_at INTEGER,
    released_at INTEGER,
    -- The person's state of mind, as the staff saw it.
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX transfers_grid_status ON transfers(grid_id, status);
CREATE INDEX transfers_site_status ON transfers(site_id, status);
