-- A name search within a jurisdiction: the grid's residents by name, so that a prefix (a surname)
-- is a range of this index instead of a read of every resident of the community. In byte order
-- ("C"), where a prefix is a range whatever the database's collation.
CREATE INDEX residents_grid_name ON residents(grid_id, name COLLATE "C") WHERE deleted_at IS NULL;

-- 身份证后四位 and 手机尾号 within a jurisdiction: a probe per grid, instead of every resident of the
-- city with those four digits (about one in ten thousand) read and then filtered by grid. Not
-- partial: SQLite uses an index for each side of the OR only when the side alone fits it.
DROP INDEX residents_id_last4;
DROP INDEX residents_phone_last4;
CREATE INDEX residents_grid_id_last4 ON residents(grid_id, id_last4);
CREATE INDEX residents_grid_phone_last4 ON residents(grid_id, phone_last4);
