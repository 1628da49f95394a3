-- The workshop room (issue 18). migrations/postgres/0003_room.sql is the same in PostgreSQL's
-- dialect; keep the two in step.

-- The range a key result's values may take (a count is at least 0); NULL: unbounded.
ALTER TABLE key_results ADD COLUMN min_value REAL;
ALTER TABLE key_results ADD COLUMN max_value REAL;

-- A report withdrawn (or superseded by a corrected one) stays in the table, marked with the
-- revision that withdrew it: a replay of an earlier revision still counts it.
ALTER TABLE actuals ADD COLUMN withdrawn_rev INTEGER;
ALTER TABLE actuals ADD COLUMN withdrawn_reason TEXT;
ALTER TABLE actuals ADD COLUMN withdrawn_by TEXT;

-- A primer's version (an amendment of an endorsed primer starts the next one) and its latest
-- review: the Secretariat's return or endorsement, or an amendment, with its comment.
ALTER TABLE primers ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE primers ADD COLUMN review_action TEXT;
ALTER TABLE primers ADD COLUMN review_note TEXT;
ALTER TABLE primers ADD COLUMN review_by TEXT;
ALTER TABLE primers ADD COLUMN review_at TEXT;
ALTER TABLE primers ADD COLUMN review_rev INTEGER;

-- The reason or comment that went with a change (a return, an amendment, a withdrawal).
ALTER TABLE audit_log ADD COLUMN note TEXT;

-- Requests made with an Idempotency-Key: a repeat gets the first answer instead of writing
-- again (a phone that resends what it queued while offline).
CREATE TABLE idempotency (
    credential TEXT NOT NULL,
    key        TEXT NOT NULL,
    request    TEXT NOT NULL,
    status     INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (credential, key)
);
