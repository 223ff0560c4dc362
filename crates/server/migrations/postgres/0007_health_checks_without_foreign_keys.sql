-- Health checks are the busiest table (a city's million a day, in batches). On PostgreSQL each
-- foreign key costs an index probe per row and takes a share lock on the referenced row; all of a
-- recorder's rows lock the same users row, and concurrent batches then queue on it (a batch took
-- ten times a bare insert). The store checks every reference when it writes (the resident in the
-- caller's jurisdiction, its grid and household), and residents, households, grids and users are
-- never deleted (only marked), so the constraints guarded nothing the store does not.
ALTER TABLE health_checks
    DROP CONSTRAINT IF EXISTS health_checks_resident_id_fkey,
    DROP CONSTRAINT IF EXISTS health_checks_grid_id_fkey,
    DROP CONSTRAINT IF EXISTS health_checks_household_id_fkey,
    DROP CONSTRAINT IF EXISTS health_checks_recorded_by_fkey;
