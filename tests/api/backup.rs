//! Backups taken under write load restore to a consistent revision (being written).
