-- Names beginning with a number, looked up once across the city rather than once per grid of the
-- jurisdiction: an address search (1号楼2单元) also looks for names beginning with what was typed,
-- and no name does, so a single probe answers it. The index on `name` in the database's collation
-- served nothing (a prefix is a range only in byte order) and gives way to this one.
DROP INDEX residents_name;
CREATE INDEX residents_name_c ON residents(name COLLATE "C") WHERE deleted_at IS NULL;
