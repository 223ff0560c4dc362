-- Erasure (PIPL 47): a resident deleted longer ago than the setting has their personal data erased
-- by the purge, which marks when. The partial index holds only the deleted and not yet erased, so
-- the purge finds them without reading the registry, and no live resident's write pays for it.
ALTER TABLE residents ADD COLUMN erased_at BIGINT;
CREATE INDEX residents_to_erase ON residents(deleted_at) WHERE deleted_at IS NOT NULL AND erased_at IS NULL;
