//! Aggregation: the only module that uses polars.
//!
//! - [`facts`]: the rows the document is computed from (filled by the store).
//! - [`metrics`]: METRICS.md §1–2 for one value at a time (the incremental path).
//! - [`full`]: METRICS.md §1–2 over whole columns with polars (start, replay, structural
//!   changes).
//! - [`incremental`]: the document kept current report by report, without polars.
//! - [`document`]: the dashboard document and the patch (ops) between two versions.
//! - [`synthetic`]: generated facts for benchmarks and tests at scale.
//! - [`productivity`]: labour productivity, TFP growth, ranks and the composite index from the
//!   stored series (METRICS.md §3).

pub mod document;
pub mod facts;
pub mod full;
pub mod incremental;
pub mod metrics;
pub mod productivity;
pub mod synthetic;
