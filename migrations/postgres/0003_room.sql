-- The workshop room (issue 18). migrations/sqlite/0003_room.sql is the same in SQLite's
-- dialect; keep the two in step.

-- The range a key result's values may take (a count is at least 0); NULL: unbounded.
ALTER TABLE key_results ADD COLUMN min_value DOUBLE PRECISION;
ALTER TABLE key_results ADD COLUMN max_value DOUBLE PRECISION;

-- A report withdrawn (or superseded by a corrected one) stays in the table, marked with the
-- revision that withdrew it: a replay of an earlier revision still counts it.
ALTER TABLE actuals ADD COLUMN withdrawn_rev BIGINT;
ALTER TABLE actuals ADD COLUMN withdrawn_reason TEXT;
ALTER TABLE actuals ADD COLUMN withdrawn_by TEXT;

-- A primer's version (an amendment of an endorsed primer starts the next one) and its latest
-- review: the Secretariat's return or endorsement, or an amendment, with its comment.
ALTER TABLE primers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE primers ADD COLUMN review_action TEXT;
ALTER TABLE primers ADD COLUMN review_note TEXT;
ALTER TABLE primers ADD COLUMN review_by TEXT;
ALTER TABLE primers ADD COLUMN review_at TEXT;
ALTER TABLE primers ADD COLUMN review_rev BIGINT;

-- The reason or comment that went with a change (a return, an amendment, a withdrawal).
ALTER TABLE audit_log ADD COLUMN note TEXT;

-- Requests made with an Idempotency-Key: a repeat gets the first answer instead of writing
-- again (a phone that resends what it queued while offline).
CREATE TABLE idempotency (
    credential TEXT NOT NULL,
    key        TEXT NOT NULL,
    request    TEXT NOT NULL,
    status     BIGINT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (credential, key)
);
