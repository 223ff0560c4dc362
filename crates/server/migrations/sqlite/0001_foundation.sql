-- Foundation schema. The PostgreSQL twin is migrations/postgres/0001_foundation.sql: keep them in step.
-- Times are unix seconds (UTC); dates are 'YYYY-MM-DD' text; flags are 0/1 integers, so that one set of
-- queries reads both databases the same way.

CREATE TABLE org_units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('city','district','street','community','grid')),
    parent_id INTEGER REFERENCES org_units(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX org_units_parent ON org_units(parent_id);

-- Closure table: one row per (ancestor, descendant), a unit being its own ancestor at depth 0.
-- Jurisdiction checks are a join on it, which both databases index the same way.
CREATE TABLE unit_closure (
    ancestor_id INTEGER NOT NULL REFERENCES org_units(id),
    descendant_id INTEGER NOT NULL REFERENCES org_units(id),
    depth INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX unit_closure_descendant ON unit_closure(descendant_id);

CREATE TABLE buildings (
    id INTEGER PRIMARY KEY,
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    name TEXT NOT NULL,
    UNIQUE (grid_id, name)
);

CREATE TABLE building_units (
    id INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings(id),
    name TEXT NOT NULL,
    UNIQUE (building_id, name)
);

CREATE TABLE households (
    id INTEGER PRIMARY KEY,
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    building_unit_id INTEGER REFERENCES building_units(id),
    room TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL,
    head_resident_id INTEGER,
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX households_grid ON households(grid_id, deleted_at, id);

CREATE TABLE residents (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    id_last4 TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    phone TEXT,
    -- Last 4 digits of the phone (手机尾号), searched as often as the ID number's.
    phone_last4 TEXT,
    relation TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    family_contacts TEXT NOT NULL DEFAULT '[]',
    emergency_contact_name TEXT NOT NULL DEFAULT '',
    emergency_contact_phone TEXT,
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
);
-- (grid, deleted, id): lists read a page in index order and counts never touch the table.
CREATE INDEX residents_grid ON residents(grid_id, deleted_at, id);
CREATE INDEX residents_household ON residents(household_id);
CREATE INDEX residents_id_number ON residents(id_number);
CREATE INDEX residents_id_last4 ON residents(id_last4);
CREATE INDEX residents_phone ON residents(phone);
CREATE INDEX residents_phone_last4 ON residents(phone_last4);
CREATE INDEX residents_name ON residents(name);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 1,
    disabled INTEGER NOT NULL DEFAULT 0,
    phone TEXT,
    created_at INTEGER NOT NULL,
    password_changed_at INTEGER
);

-- The units a staff member serves; a person may serve several grids.
CREATE TABLE staff_units (
    user_id INTEGER NOT NULL REFERENCES users(id),
    unit_id INTEGER NOT NULL REFERENCES org_units(id),
    PRIMARY KEY (user_id, unit_id)
);
CREATE INDEX staff_units_unit ON staff_units(unit_id);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (community_id, kind)
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);

-- A session is found by the SHA-256 of its token, so a copy of this table opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    reauth_at INTEGER,
    address TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX login_failures_username ON login_failures(username, at);
CREATE INDEX login_failures_address ON login_failures(address, at);

-- Append-only: each entry carries the hash of the one before it. No code path updates or deletes it.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_kind TEXT NOT NULL DEFAULT '',
    object_id TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor, at);
CREATE INDEX audit_log_object ON audit_log(object_kind, object_id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Gates of a community (门岗). Passes, rules and the gate log come with the gate-control work.
CREATE TABLE gates (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('pedestrian','vehicle','both')),
    UNIQUE (community_id, name)
);

CREATE TABLE gate_guards (
    gate_id INTEGER NOT NULL REFERENCES gates(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (gate_id, user_id)
);
