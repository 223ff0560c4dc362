-- Each resident carries its household's address, so that a page of residents is read from their
-- own rows, without a look-up of each one's household (a third of a list's work in the database).
-- The household's row stays the truth; every write that changes a household's address or a
-- resident's household writes the copy in the same transaction (households.rs, registry, import).
ALTER TABLE residents ADD COLUMN address TEXT NOT NULL DEFAULT '';
UPDATE residents r SET address = h.address FROM households h WHERE h.id = r.household_id;
