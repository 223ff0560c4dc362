-- A staff member's door visits still to make, found without reading every call (the "today" list
-- asks on each open); only calls with a visit asked are in it, so the daily plan adds nothing
-- to it. The SQLite twin is migrations/sqlite/0020_care_visits_index.sql.
CREATE INDEX care_calls_visit_open ON care_calls(visit_user_id)
    WHERE visit_user_id IS NOT NULL AND visit_done_at IS NULL;
