//! Productivity measures from the stored series (METRICS.md §3).
