-- Each resident carries its household's address, so that a page of residents is read from their
-- own rows, without a look-up of each one's household. The household's row stays the truth; every
-- write that changes a household's address or a resident's household writes the copy in the same
-- transaction (households.rs, registry, import). (0014 is PostgreSQL's own.)
ALTER TABLE residents ADD COLUMN address TEXT NOT NULL DEFAULT '';
UPDATE residents SET address = (SELECT h.address FROM households h WHERE h.id = residents.household_id);
