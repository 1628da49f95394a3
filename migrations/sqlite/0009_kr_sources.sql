-- Key results fed by data (issue 23, contract §4). migrations/postgres/0009_kr_sources.sql is
-- the same in the other dialect; keep the two in step.
--
-- source:     the key result's KrSource as JSON (dataset, measure, filter, since); NULL for a
--             key result whose actuals are reported by hand.
-- source_rev, source_at: the revision and time of the change that gave the key result its
--             current source (its derived actuals are stamped with the later of this and the
--             latest change to its member's source rows). NULL without a source.
ALTER TABLE key_results ADD COLUMN source TEXT;
ALTER TABLE key_results ADD COLUMN source_rev INTEGER;
ALTER TABLE key_results ADD COLUMN source_at TEXT;
