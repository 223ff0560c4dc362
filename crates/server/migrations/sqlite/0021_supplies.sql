-- Supplies (物资): the catalogue and each community store's stock ledger. The PostgreSQL twin is
-- migrations/postgres/0021_supplies.sql.

-- The catalogue, shared by every community so that a street or a city adds up the same items.
CREATE TABLE supply_items (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL CHECK (category IN ('daily','vegetables','medicine','protective')),
    -- The unit every quantity of the item is counted in (个, 包, 斤, 瓶, 盒): whole numbers only.
    unit TEXT NOT NULL,
    -- What one household usually asks for; ten times it asks for confirmation.
    usual_quantity INTEGER CHECK (usual_quantity > 0),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    retired_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1
);

-- A community's own rules for an item: a fair share per household in short supply, and the stock
-- under which the store is flagged.
CREATE TABLE supply_limits (
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    item_id INTEGER NOT NULL REFERENCES supply_items(id),
    household_cap INTEGER CHECK (household_cap > 0),
    min_stock INTEGER CHECK (min_stock >= 0),
    updated_by INTEGER NOT NULL REFERENCES users(id),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (community_id, item_id)
);

-- The balance of each item of each store as the ledger gives it, kept with every movement in the
-- same transaction (tests check it equals the ledger's sum), and the row a movement locks so that
-- two taking the last units cannot both succeed. `frozen_at`: the latest stocktake's time.
CREATE TABLE supply_stock (
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    item_id INTEGER NOT NULL REFERENCES supply_items(id),
    balance INTEGER NOT NULL CHECK (balance >= 0),
    last_at INTEGER NOT NULL,
    frozen_at INTEGER,
    PRIMARY KEY (community_id, item_id)
);

-- The ledger: append-only. `at` is when the goods moved (may be earlier than `recorded_at`);
-- `quantity` is signed (in positive, out negative). A stocktake keeps what was counted and moves
-- the difference (possibly nothing). A reversal names the movement it undoes, once.
CREATE TABLE supply_movements (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    item_id INTEGER NOT NULL REFERENCES supply_items(id),
    kind TEXT NOT NULL CHECK (kind IN ('purchase_in','donation_in','delivery_out','delivery_return',
        'staff_out','loss','adjustment','stocktake','reversal')),
    quantity INTEGER NOT NULL CHECK (quantity <> 0 OR kind = 'stocktake'),
    at INTEGER NOT NULL,
    counted INTEGER CHECK (counted >= 0),
    reverses_id INTEGER UNIQUE REFERENCES supply_movements(id),
    reason TEXT NOT NULL DEFAULT '',
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    UNIQUE (recorded_by, idempotency_key)
);
CREATE INDEX supply_movements_item ON supply_movements(community_id, item_id, at, id);

-- Nothing written to the ledger is ever changed or taken away.
CREATE TRIGGER supply_movements_no_update BEFORE UPDATE ON supply_movements
BEGIN SELECT RAISE(ABORT, 'the stock ledger is append-only'); END;
CREATE TRIGGER supply_movements_no_delete BEFORE DELETE ON supply_movements
BEGIN SELECT RAISE(ABORT, 'the stock ledger is append-only'); END;
