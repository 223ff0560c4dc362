-- Resident self-service (居民端): each household's personal link, what residents send through it,
-- and their requests to correct what is held about them (PIPL). The PostgreSQL twin is
-- migrations/postgres/0026_resident_links.sql.
--
-- The link's token is never stored: only its SHA-256, so neither a copy of the database nor a
-- reader of it can open a household's pages. A lost sheet is answered by revoking and issuing anew.
CREATE TABLE resident_links (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('active','revoked')),
    issued_at INTEGER NOT NULL,
    issued_by INTEGER NOT NULL REFERENCES users(id),
    revoked_at INTEGER,
    revoked_by INTEGER REFERENCES users(id),
    last_used_at INTEGER
);
-- One working link per household, also when two workers issue one at once.
CREATE UNIQUE INDEX resident_links_one_active ON resident_links(household_id) WHERE status = 'active';

-- What a resident sent through a link: the link it came by. The record's staff column (recorded_by,
-- created_by) then holds the worker answerable for the link, and NULL here means staff recorded it
-- on the resident's behalf (代录): either way the record says who acted for whom.
ALTER TABLE health_checks ADD COLUMN via_link_id INTEGER;
ALTER TABLE help_requests ADD COLUMN via_link_id INTEGER;
ALTER TABLE supply_needs ADD COLUMN via_link_id INTEGER;

-- A resident's request to correct what is held (个人信息更正): it lands in the grid worker's data
-- checks until handled.
CREATE TABLE resident_corrections (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    -- The member concerned; NULL for the household as a whole (its address, a missing member).
    resident_id INTEGER REFERENCES residents(id),
    link_id INTEGER NOT NULL REFERENCES resident_links(id),
    words TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open','corrected','declined')),
    created_at INTEGER NOT NULL,
    handled_by INTEGER REFERENCES users(id),
    handled_at INTEGER,
    answer TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT NOT NULL,
    UNIQUE (link_id, idempotency_key)
);
CREATE INDEX resident_corrections_open ON resident_corrections(grid_id, status);
CREATE INDEX resident_corrections_household ON resident_corrections(household_id, id);
