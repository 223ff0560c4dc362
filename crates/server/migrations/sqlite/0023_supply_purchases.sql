-- Purchase runs (采购): who went where and when, what was bought at what price, and the cash
-- (integer fen, never floats). The goods enter the store's ledger when the run returns. The
-- PostgreSQL twin is migrations/postgres/0023_supply_purchases.sql.
CREATE TABLE supply_purchases (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    status TEXT NOT NULL CHECK (status IN ('planned','shopping','returned','reconciled','cancelled')),
    place TEXT NOT NULL,
    -- Who went, as they are called (a driver may have no account).
    buyers TEXT NOT NULL,
    planned_for INTEGER NOT NULL,
    started_at INTEGER,
    returned_at INTEGER,
    reconciled_at INTEGER,
    cash_advanced_fen INTEGER NOT NULL CHECK (cash_advanced_fen >= 0),
    spent_fen INTEGER CHECK (spent_fen >= 0),
    change_returned_fen INTEGER CHECK (change_returned_fen >= 0),
    receipts_note TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    UNIQUE (created_by, idempotency_key),
    CHECK (status <> 'reconciled' OR cash_advanced_fen = spent_fen + change_returned_fen)
);
CREATE INDEX supply_purchases_community ON supply_purchases(community_id, planned_for);

CREATE TABLE supply_purchase_lines (
    id INTEGER PRIMARY KEY,
    purchase_id INTEGER NOT NULL REFERENCES supply_purchases(id),
    item_id INTEGER NOT NULL REFERENCES supply_items(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_fen INTEGER NOT NULL CHECK (unit_price_fen >= 0),
    total_fen INTEGER NOT NULL CHECK (total_fen >= 0),
    UNIQUE (purchase_id, item_id)
);

-- The movement a run's goods entered the store by.
ALTER TABLE supply_movements ADD COLUMN purchase_id INTEGER REFERENCES supply_purchases(id);
