//! Neutral records: the values that storage, the change feed and analytics pass between them.
//! They depend on [`crate::domain`] and [`crate::model`] only, so that the store (which fills
//! them) and the computations (which read them) depend on these and not on each other.
//!
//! - [`change`]: [`Change`], what one committed write did, typed, one [`Edit`] per kind of
//!   write.
//! - [`facts`]: [`Facts`], the rows the dashboard document is computed from, as of a revision.

pub mod change;
pub mod facts;
pub mod sources;

pub use change::{
    Action, Actor, Change, Claim, Edit, Entity, Logged, PrimerEdit, SeriesEdit, Withdrawal,
};
pub use facts::{
    ActualFact, BudgetFact, Facts, KrFact, MemberFact, PrimerFact, RECENT, Text, UNLINKED, kr_key,
};
pub use sources::{GpFact, SourceFacts, Stamp, TrainingFact, source_stamp};
