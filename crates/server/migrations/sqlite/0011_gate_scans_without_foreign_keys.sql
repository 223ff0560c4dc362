-- The PostgreSQL twin drops the foreign keys of gate_scans (their row locks made concurrent
-- batches share locks through multixacts). SQLite's checks take no such locks and its writers
-- take turns anyway: kept.
SELECT 1;
