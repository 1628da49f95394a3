-- Nothing changes on PostgreSQL: migrations/sqlite/0010_audit_member_index.sql drops SQLite's
-- audit_by_member, which no SQLite read could use. PostgreSQL plans an audit read with the
-- member bound and can use its own. A migration of its own keeps the two numbered in step.
SELECT 1;
