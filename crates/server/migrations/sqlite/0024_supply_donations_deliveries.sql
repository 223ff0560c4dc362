-- Donations (捐赠) from partner units and door deliveries (配送到户). Goods given keep their donor
-- through the ledger to the household's door: a movement names the donation it came in with or
-- goes out from. The PostgreSQL twin is migrations/postgres/0024_supply_donations_deliveries.sql.
CREATE TABLE supply_donations (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    -- The partner unit (联点单位) or person who gave.
    donor TEXT NOT NULL,
    contact_name TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    received_at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    UNIQUE (created_by, idempotency_key)
);
CREATE INDEX supply_donations_community ON supply_donations(community_id, received_at);

CREATE TABLE supply_donation_lines (
    id INTEGER PRIMARY KEY,
    donation_id INTEGER NOT NULL REFERENCES supply_donations(id),
    item_id INTEGER NOT NULL REFERENCES supply_items(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    UNIQUE (donation_id, item_id)
);

-- A household's delivery: scheduled → out (the goods leave the store) → delivered | failed (the
-- goods come back) → rescheduled. An isolated household's is contactless: left at the door and
-- confirmed by phone.
CREATE TABLE supply_deliveries (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    status TEXT NOT NULL CHECK (status IN ('scheduled','out','delivered','failed','cancelled')),
    scheduled_for INTEGER NOT NULL,
    -- The household was in home isolation when the delivery was scheduled.
    isolated INTEGER NOT NULL CHECK (isolated IN (0, 1)),
    contactless INTEGER NOT NULL CHECK (contactless IN (0, 1)),
    courier TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 1,
    out_at INTEGER,
    delivered_at INTEGER,
    received_by TEXT NOT NULL DEFAULT '',
    phone_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (phone_confirmed IN (0, 1)),
    failure TEXT NOT NULL DEFAULT '' CHECK (failure IN ('','nobody_home','refused','other')),
    -- What the household pays for paid goods, and what was collected at the door (fen).
    due_fen INTEGER NOT NULL DEFAULT 0 CHECK (due_fen >= 0),
    collected_fen INTEGER CHECK (collected_fen >= 0),
    note TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    UNIQUE (created_by, idempotency_key),
    CHECK (isolated = 0 OR contactless = 1),
    CHECK (status <> 'delivered' OR contactless = 0 OR phone_confirmed = 1)
);
CREATE INDEX supply_deliveries_community ON supply_deliveries(community_id, scheduled_for);
CREATE INDEX supply_deliveries_household ON supply_deliveries(household_id, id);

CREATE TABLE supply_delivery_lines (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES supply_deliveries(id),
    item_id INTEGER NOT NULL REFERENCES supply_items(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    -- The household's need it fills, and the donation the goods come from.
    need_id INTEGER REFERENCES supply_needs(id),
    donation_id INTEGER REFERENCES supply_donations(id)
);
CREATE INDEX supply_delivery_lines_delivery ON supply_delivery_lines(delivery_id);
CREATE INDEX supply_delivery_lines_need ON supply_delivery_lines(need_id);

CREATE TABLE supply_delivery_events (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES supply_deliveries(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    by_user INTEGER NOT NULL REFERENCES users(id),
    at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX supply_delivery_events_delivery ON supply_delivery_events(delivery_id, id);

ALTER TABLE supply_movements ADD COLUMN donation_id INTEGER REFERENCES supply_donations(id);
ALTER TABLE supply_movements ADD COLUMN delivery_id INTEGER REFERENCES supply_deliveries(id);
CREATE INDEX supply_movements_donation ON supply_movements(donation_id, item_id);
CREATE INDEX supply_movements_delivery ON supply_movements(delivery_id);
