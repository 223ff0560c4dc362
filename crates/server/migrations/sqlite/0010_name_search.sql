-- A name search within a jurisdiction: the grid's residents by name, so that a prefix (a surname)
-- is a range of this index instead of a read of every resident of the community.
CREATE INDEX residents_grid_name ON residents(grid_id, name) WHERE deleted_at IS NULL;
