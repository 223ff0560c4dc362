-- Where the numbers of a household's address begin: the address from each number on (南泉社区
-- 80号楼3单元502室 → 80号楼3单元502室, 3单元502室, 502室), Latin letters in capitals. A search that
-- begins with a number (1号楼2单元) is then a range of this index for each grid of the
-- jurisdiction, where it used to read every address of the jurisdiction. Written by the store with
-- each household; the rows of households already stored are written at start (settings key).
-- No foreign key: households are never deleted (only marked), the store writes these rows with
-- the household, and a city's two million of them took 7% longer to load with one.
CREATE TABLE address_numbers (
    household_id INTEGER NOT NULL,
    grid_id INTEGER NOT NULL,
    tail TEXT NOT NULL
);
CREATE INDEX address_numbers_grid_tail ON address_numbers(grid_id, tail);
CREATE INDEX address_numbers_household ON address_numbers(household_id);
INSERT INTO settings (key, value) VALUES ('address_numbers_pending', '1');
