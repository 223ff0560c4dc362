-- Door-to-door survey campaigns (摸排), risk areas and the residents they put at risk. The
-- PostgreSQL twin is migrations/postgres/0004_surveys.sql.

CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    name TEXT NOT NULL,
    -- The questionnaire as JSON: [{key, kind, label, options, required}].
    questions TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open','closed')),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);

CREATE TABLE survey_grids (
    survey_id INTEGER NOT NULL REFERENCES surveys(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    PRIMARY KEY (survey_id, grid_id)
);
CREATE INDEX survey_grids_grid ON survey_grids(grid_id);

-- A household's visit: done (answers), nobody home (attempts counted) or refused. A household
-- without a row is not visited yet.
CREATE TABLE survey_visits (
    id INTEGER PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    status TEXT NOT NULL CHECK (status IN ('done','nobody_home','refused')),
    attempts INTEGER NOT NULL DEFAULT 1,
    answers TEXT NOT NULL DEFAULT '{}',
    updated_by INTEGER NOT NULL REFERENCES users(id),
    updated_at INTEGER NOT NULL,
    UNIQUE (survey_id, household_id)
);
CREATE INDEX survey_visits_grid ON survey_visits(survey_id, grid_id, status);

-- Places that make a return a risk, over the dates they were one (in 2020: Hubei).
CREATE TABLE risk_areas (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);

-- A resident put at risk by an answer, with the recommended measure, until a leader confirms
-- (a quarantine starts) or dismisses it with a reason.
CREATE TABLE risk_flags (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    grid_id INTEGER NOT NULL REFERENCES org_units(id),
    survey_visit_id INTEGER REFERENCES survey_visits(id),
    reason TEXT NOT NULL,
    measure TEXT NOT NULL CHECK (measure IN ('home','centralized')),
    status TEXT NOT NULL CHECK (status IN ('pending','confirmed','dismissed')),
    created_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES users(id),
    decided_at INTEGER,
    decision_reason TEXT NOT NULL DEFAULT '',
    quarantine_id INTEGER REFERENCES quarantines(id),
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX risk_flags_grid_status ON risk_flags(grid_id, status, id);
CREATE INDEX risk_flags_resident_status ON risk_flags(resident_id, status);
