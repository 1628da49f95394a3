//! Backups: a consistent copy of the database while it serves, and its restore.
