-- What households need (物资需求): one line per item, recorded by the grid worker (later by the
-- household itself), and every move of a line with who and when. The PostgreSQL twin is
-- migrations/postgres/0022_supply_needs.sql.
CREATE TABLE supply_needs (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    item_id INTEGER NOT NULL REFERENCES supply_items(id),
    -- The local day it was asked for: the needs list is a day's.
    day TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    fulfilled INTEGER NOT NULL DEFAULT 0 CHECK (fulfilled >= 0),
    -- Free for the vulnerable and the isolated; paid otherwise.
    paid INTEGER NOT NULL CHECK (paid IN (0, 1)),
    note TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('requested','committed','in_transit','delivered','cancelled')),
    -- A quantity over the household's cap or far above the usual, confirmed by the one recording it;
    -- a delivery of more than asked, confirmed by the one delivering.
    over_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (over_confirmed IN (0, 1)),
    over_delivery_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (over_delivery_confirmed IN (0, 1)),
    cancel_reason TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    UNIQUE (created_by, idempotency_key),
    CHECK (fulfilled <= quantity OR over_delivery_confirmed = 1)
);
CREATE INDEX supply_needs_community_day ON supply_needs(community_id, day, status);
CREATE INDEX supply_needs_grid_day ON supply_needs(grid_id, day, status);
CREATE INDEX supply_needs_household ON supply_needs(household_id, item_id, day);

CREATE TABLE supply_need_events (
    id INTEGER PRIMARY KEY,
    need_id INTEGER NOT NULL REFERENCES supply_needs(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    by_user INTEGER NOT NULL REFERENCES users(id),
    at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX supply_need_events_need ON supply_need_events(need_id, id);
