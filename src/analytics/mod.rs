//! Aggregation: the only module that uses polars.
//!
//! - [`formulas`]: METRICS.md §1–2 for one value at a time (the incremental path).
//! - [`full`]: METRICS.md §1–2 over whole columns with polars (start, replay, structural
//!   changes).
//! - [`current`]: the document of one period kept current change by change: reports without
//!   polars, anything else by a full recomputation over the facts held in memory.
//! - [`derived`]: the actuals of key results fed by data, derived from the trainings and GP
//!   initiatives (contract §4).
//! - [`ticker`]: the line the room reads for each edit, made once from the typed edit.
//! - [`document`]: the dashboard document and the patch (ops) between two versions.
//! - [`synthetic`]: generated facts for benchmarks and tests at scale.
//! - [`productivity`]: labour productivity, TFP growth, ranks and the composite index from the
//!   stored series (METRICS.md §3).

pub mod current;
pub mod derived;
pub mod document;
pub mod formulas;
pub mod full;
pub mod history;
pub mod productivity;
pub mod synthetic;
pub mod ticker;
