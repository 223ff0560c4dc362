-- Help requests (求助 / 诉求) of the 24-hour service: taken at any hour, claimed by one person,
-- moved on until resolved, cancelled or found a duplicate. The PostgreSQL twin is
-- migrations/postgres/0018_help_requests.sql. Every move is kept in help_request_events with who
-- and when; what is overdue is computed from the times, never stored.
CREATE TABLE help_requests (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    -- The household's grid; NULL for a place outside the registry (free text in `place`).
    grid_id INTEGER REFERENCES org_units(id),
    household_id INTEGER REFERENCES households(id),
    place TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL CHECK (category IN ('ride','medicine','food','medical','emergency','other')),
    -- The special group the request is for, fixed when it is taken (from the category).
    team_kind TEXT NOT NULL,
    urgency TEXT NOT NULL CHECK (urgency IN ('normal','urgent','critical')),
    words TEXT NOT NULL DEFAULT '',
    contact_phone TEXT,
    status TEXT NOT NULL CHECK (status IN ('new','acknowledged','in_progress','resolved','cancelled','duplicate')),
    assignee_id INTEGER REFERENCES users(id),
    -- The outcome of a resolved request, the reason of a cancelled one.
    outcome TEXT NOT NULL DEFAULT '',
    duplicate_of INTEGER REFERENCES help_requests(id),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    -- Taken by then, or overdue: the setting of its urgency when it was made.
    ack_due_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    closed_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL
);
CREATE UNIQUE INDEX help_requests_key ON help_requests(created_by, idempotency_key);
CREATE INDEX help_requests_community_status ON help_requests(community_id, status, id);
CREATE INDEX help_requests_assignee_status ON help_requests(assignee_id, status, id);
CREATE INDEX help_requests_household ON help_requests(household_id, id);

CREATE TABLE help_request_events (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES help_requests(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    assignee_id INTEGER REFERENCES users(id),
    by_user INTEGER NOT NULL REFERENCES users(id),
    at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX help_request_events_request ON help_request_events(request_id, id);
