-- Notices (通知) to staff with read receipts (已读回执), and publicity to residents. The recipients
-- are fixed when a notice is published; each one's receipt only moves forward (delivered → read →
-- confirmed), and a new version of the notice asks every recipient again. The PostgreSQL twin is
-- migrations/postgres/0025_notices.sql.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- To be read and studied by then.
    deadline INTEGER NOT NULL,
    -- The staff roles addressed, comma separated ('grid_worker,team_member'); '' for residents only.
    roles TEXT NOT NULL,
    -- Also shown to the residents of the audience's communities (publicity).
    to_residents INTEGER NOT NULL DEFAULT 0 CHECK (to_residents IN (0, 1)),
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    recipients INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    UNIQUE (created_by, idempotency_key)
);
CREATE INDEX notices_created ON notices(created_at);

-- The units a notice goes to (a street, communities, grids): its audience is their staff.
CREATE TABLE notice_units (
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    unit_id INTEGER NOT NULL REFERENCES org_units(id),
    PRIMARY KEY (notice_id, unit_id)
);
CREATE INDEX notice_units_unit ON notice_units(unit_id);

-- Files kept with a notice (a scanned requirement, a leaflet), kept by the service itself.
CREATE TABLE notice_attachments (
    id INTEGER PRIMARY KEY,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX notice_attachments_notice ON notice_attachments(notice_id);

-- Each recipient's receipt of the notice's current version. `unit_id` is the recipient's own unit
-- (a grid worker's grid, a leader's community) and `community_id` the community it lies in (the
-- unit itself above a community): the publisher sees the receipts per community, the daily report
-- counts them per grid and community.
CREATE TABLE notice_recipients (
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    unit_id INTEGER NOT NULL REFERENCES org_units(id),
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    status TEXT NOT NULL CHECK (status IN ('delivered','read','confirmed')),
    version INTEGER NOT NULL,
    delivered_at INTEGER NOT NULL,
    read_at INTEGER,
    confirmed_at INTEGER,
    -- Past the deadline unconfirmed: reminded on the recipient's pages, then their leader told.
    reminded_at INTEGER,
    escalated_at INTEGER,
    PRIMARY KEY (notice_id, user_id)
);
CREATE INDEX notice_recipients_user ON notice_recipients(user_id, status);
CREATE INDEX notice_recipients_community ON notice_recipients(community_id, notice_id);
CREATE INDEX notice_recipients_unit ON notice_recipients(unit_id, notice_id);

-- Every step of every receipt, kept: a new version's reset does not erase who had studied the last.
CREATE TABLE notice_receipts (
    id INTEGER PRIMARY KEY,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('delivered','read','confirmed')),
    at INTEGER NOT NULL
);
CREATE INDEX notice_receipts_notice ON notice_receipts(notice_id, user_id);
