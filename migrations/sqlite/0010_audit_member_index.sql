-- SQLite only: the index audit_by_member (0002) goes. No read of SQLite's uses it: the audit
-- reads filter by `($1 IS NULL OR member = $1)`, which SQLite plans before the value is bound,
-- as a scan by id (EXPLAIN QUERY PLAN: SCAN audit_log, with a member or without); and every
-- write paid for it, a leaf at its member's place for each audit row. PostgreSQL plans with
-- the value bound and keeps its index: migrations/postgres/0010_audit_member_index.sql changes
-- nothing, so that the two stay numbered in step.
DROP INDEX IF EXISTS audit_by_member;
