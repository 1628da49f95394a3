//! The rows key results fed by data are derived from (contract §4), and when they changed.
//!
//! A derived actual takes the revision and time ([`Stamp`]) of the change that made it: the
//! later of the change that gave its key result its current source and the latest change to
//! its member's rows in the source's dataset.

use crate::model::KrSource;

use super::facts::Text;

/// A change's revision and time (fixed-width RFC 3339: text order is time order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub rev: i64,
    pub at: Text,
}

/// The stamp a key result's source carries after a primer write at `now`: kept from its
/// previous version when that had the same source, `now` when the source is new or changed,
/// none without a source. The store ([`crate::store`]'s primer write), the replay of the log
/// and [`super::Facts::apply`] all follow this rule, so they agree.
pub fn source_stamp(
    old: Option<(Option<&KrSource>, Option<&Stamp>)>,
    new: Option<&KrSource>,
    now: &Stamp,
) -> Option<Stamp> {
    let new = new?;
    match old {
        Some((Some(o), Some(kept))) if o == new => Some(kept.clone()),
        _ => Some(now.clone()),
    }
}
