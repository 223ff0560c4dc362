-- Gate scans are written in batches by concurrent guards. On PostgreSQL each foreign key takes a
-- share lock on the referenced row: every scan of a gate locks the same gates, org_units and
-- users rows, and concurrent batches then share those locks through multixacts (a batch cost
-- several bare inserts). The batch reads every reference inside its own transaction (the gate
-- in the guard's community, the household or visitor the code names), and nothing referenced is
-- ever deleted (only marked), so the constraints guarded nothing the store does not.
ALTER TABLE gate_scans
    DROP CONSTRAINT IF EXISTS gate_scans_gate_id_fkey,
    DROP CONSTRAINT IF EXISTS gate_scans_community_id_fkey,
    DROP CONSTRAINT IF EXISTS gate_scans_guard_id_fkey,
    DROP CONSTRAINT IF EXISTS gate_scans_household_id_fkey,
    DROP CONSTRAINT IF EXISTS gate_scans_resident_id_fkey,
    DROP CONSTRAINT IF EXISTS gate_scans_visitor_id_fkey;
