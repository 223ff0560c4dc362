-- The 24-hour service's duty roster (值班表), the dispatch and escalation of help requests, and
-- the care of vulnerable residents (包干到人). The PostgreSQL twin is
-- migrations/postgres/0019_roster_and_care.sql. Rows are removed by marking them (removed_at),
-- never deleted, so the roster of any past day can be read back as it stood.

-- A weekly shift: every `weekday` (ISO, Monday 1) from `start_minute` local time for `minutes`.
CREATE TABLE duty_patterns (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    duty_group TEXT NOT NULL CHECK (duty_group IN ('logistics','home_coordination','medical','emergency','duty_leader')),
    user_id INTEGER NOT NULL REFERENCES users(id),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    minutes INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    removed_at INTEGER,
    removed_by INTEGER REFERENCES users(id)
);
CREATE INDEX duty_patterns_community ON duty_patterns(community_id, duty_group);

-- A one-off override between two instants (half-open): an extra shift (`on`) or time off (`off`).
CREATE TABLE duty_shifts (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    duty_group TEXT NOT NULL CHECK (duty_group IN ('logistics','home_coordination','medical','emergency','duty_leader')),
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('on','off')),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL CHECK (ends_at > starts_at),
    note TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    removed_at INTEGER,
    removed_by INTEGER REFERENCES users(id)
);
CREATE INDEX duty_shifts_community ON duty_shifts(community_id, starts_at);

-- One person's duty between two instants handed to another; it applies only once accepted.
CREATE TABLE duty_swaps (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    duty_group TEXT NOT NULL CHECK (duty_group IN ('logistics','home_coordination','medical','emergency','duty_leader')),
    from_user INTEGER NOT NULL REFERENCES users(id),
    to_user INTEGER NOT NULL REFERENCES users(id),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL CHECK (ends_at > starts_at),
    status TEXT NOT NULL CHECK (status IN ('proposed','accepted','declined','withdrawn')),
    note TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    decided_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX duty_swaps_community ON duty_swaps(community_id, status);

-- The escalation clock of a request: `round` counts reopenings, each starting afresh at
-- `round_started_at`; `ack_minutes` is the setting it was given when taken, kept so that a changed
-- setting changes no request already open.
ALTER TABLE help_requests ADD COLUMN ack_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE help_requests ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE help_requests ADD COLUMN round_started_at INTEGER NOT NULL DEFAULT 0;
UPDATE help_requests SET round_started_at = created_at, ack_minutes = MAX(1, (ack_due_at - created_at) / 60);

-- A step of a request's dispatch (0: offered to whoever is on duty; 1: the group's others on duty;
-- 2: the duty leader; 3: the community's leaders), fired once per round.
CREATE TABLE help_escalations (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES help_requests(id),
    round INTEGER NOT NULL,
    step INTEGER NOT NULL CHECK (step BETWEEN 0 AND 3),
    -- When it was due, and when the service fired it (later after a restart).
    due_at INTEGER NOT NULL,
    fired_at INTEGER NOT NULL,
    recipients INTEGER NOT NULL,
    UNIQUE (request_id, round, step)
);

-- Who a step offered the request to: their "today" list shows it until it is taken.
CREATE TABLE help_offers (
    request_id INTEGER NOT NULL REFERENCES help_requests(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    round INTEGER NOT NULL,
    step INTEGER NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (request_id, user_id, round, step)
);
CREATE INDEX help_offers_user ON help_offers(user_id, at);

-- A vulnerable resident given to a staff member (包干到人), with an optional backup. At most one
-- active (ended_at NULL) per resident; reassigning ends the old one.
CREATE TABLE care_assignments (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    primary_user INTEGER NOT NULL REFERENCES users(id),
    backup_user INTEGER REFERENCES users(id),
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    created_by INTEGER NOT NULL REFERENCES users(id),
    ended_by INTEGER REFERENCES users(id),
    note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX care_assignments_active ON care_assignments(resident_id) WHERE ended_at IS NULL;
CREATE INDEX care_assignments_primary ON care_assignments(primary_user) WHERE ended_at IS NULL;
CREATE INDEX care_assignments_grid ON care_assignments(grid_id) WHERE ended_at IS NULL;

-- Days a staff member is away: their calls of those days go to the backup.
CREATE TABLE staff_leave (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL CHECK (last_day >= first_day),
    note TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    removed_at INTEGER
);
CREATE INDEX staff_leave_user ON staff_leave(user_id, first_day);

-- The daily call plan: one call per resident, day and slot, to the person who makes it.
CREATE TABLE care_calls (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    assignment_id INTEGER NOT NULL REFERENCES care_assignments(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    day TEXT NOT NULL,
    slot INTEGER NOT NULL DEFAULT 1,
    assignee_id INTEGER NOT NULL REFERENCES users(id),
    status TEXT NOT NULL CHECK (status IN ('due','reached','escalated')),
    attempts INTEGER NOT NULL DEFAULT 0,
    missed INTEGER NOT NULL DEFAULT 0,
    reached_at INTEGER,
    -- Escalated: why (`missed` attempts, or `none` made that day), the door visit asked of whoever
    -- is on duty, and when it was done.
    escalated_at INTEGER,
    escalation_reason TEXT,
    visit_user_id INTEGER REFERENCES users(id),
    visit_done_at INTEGER,
    created_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (resident_id, day, slot)
);
CREATE INDEX care_calls_assignee_day ON care_calls(assignee_id, day);
CREATE INDEX care_calls_grid_day ON care_calls(grid_id, day);

-- Each try of a call, with what came of it.
CREATE TABLE care_attempts (
    id INTEGER PRIMARY KEY,
    call_id INTEGER NOT NULL REFERENCES care_calls(id),
    by_user INTEGER NOT NULL REFERENCES users(id),
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('reached_well','reached_needs_help','no_answer','wrong_number','refused')),
    note TEXT NOT NULL DEFAULT '',
    help_request_id INTEGER REFERENCES help_requests(id),
    idempotency_key TEXT NOT NULL,
    UNIQUE (by_user, idempotency_key)
);
CREATE INDEX care_attempts_call ON care_attempts(call_id, id);

-- Home services (cleaning, rubbish, shopping) and door visits, as done.
CREATE TABLE care_visits (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    by_user INTEGER NOT NULL REFERENCES users(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cleaning','rubbish','shopping','door_visit','other')),
    note TEXT NOT NULL DEFAULT '',
    call_id INTEGER REFERENCES care_calls(id),
    idempotency_key TEXT NOT NULL,
    UNIQUE (by_user, idempotency_key)
);
CREATE INDEX care_visits_resident ON care_visits(resident_id, at);
