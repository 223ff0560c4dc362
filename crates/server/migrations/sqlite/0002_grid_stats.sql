-- Current residents and households per grid, kept in the same transaction as every write that
-- changes them, so that a jurisdiction's totals are a sum over its grids instead of a count over
-- its people (and so that reports can take them as they are).
CREATE TABLE grid_stats (
    grid_id BIGINT PRIMARY KEY REFERENCES org_units(id),
    residents BIGINT NOT NULL DEFAULT 0,
    households BIGINT NOT NULL DEFAULT 0
);

INSERT INTO grid_stats (grid_id, residents, households)
SELECT o.id,
       (SELECT COUNT(*) FROM residents r WHERE r.grid_id = o.id AND r.deleted_at IS NULL),
       (SELECT COUNT(*) FROM households h WHERE h.grid_id = o.id AND h.deleted_at IS NULL)
FROM org_units o WHERE o.kind = 'grid';
