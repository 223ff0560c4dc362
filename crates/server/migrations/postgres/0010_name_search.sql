-- A name search within a jurisdiction: the grid's residents by name, so that a prefix (a surname)
-- is a range of this index instead of a read of every resident of the community. In byte order
-- ("C"), where a prefix is a range whatever the database's collation.
CREATE INDEX residents_grid_name ON residents(grid_id, name COLLATE "C") WHERE deleted_at IS NULL;
