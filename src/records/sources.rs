//! The rows key results fed by data are derived from (contract §4), and when they changed.
//!
//! A derived actual takes the revision and time ([`Stamp`]) of the change that made it: the
//! later of the change that gave its key result its current source and the latest change to
//! its member's rows in the source's dataset.

use std::collections::BTreeMap;

use super::change::{Action, Edit};
use super::facts::Text;
use crate::model::{
    GpInitiativeInput, InitiativeStatus, KrSource, OutcomeMetric, Sector, SourceDataset,
    TrainingInput,
};

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

/// A training as the derivation counts it: its member, year (its end date's), sector and
/// counts.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingFact {
    pub iso3: Text,
    pub year: i64,
    pub sector: Sector,
    pub participants: i64,
    pub smes: i64,
    pub female: i64,
    pub certified_specialists: i64,
    /// Participants × hours.
    pub participant_hours: f64,
}

impl TrainingFact {
    pub fn new(t: &TrainingInput) -> Self {
        Self {
            iso3: t.iso3.as_str().into(),
            year: t.year(),
            sector: t.sector,
            participants: t.participants.total(),
            smes: t.smes,
            female: t.by_sex.female,
            certified_specialists: t.certified_specialists,
            participant_hours: t.participant_hours(),
        }
    }
}

/// A GP initiative as the derivation counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct GpFact {
    pub iso3: Text,
    pub theme: Text,
    /// A cancelled initiative counts nothing.
    pub cancelled: bool,
    pub start_year: i64,
    pub end_year: i64,
    /// (metric, year, value).
    pub outcomes: Vec<(OutcomeMetric, i64, f64)>,
}

impl GpFact {
    pub fn new(g: &GpInitiativeInput) -> Self {
        Self {
            iso3: g.iso3.as_str().into(),
            theme: g.theme.as_str().into(),
            cancelled: g.status == InitiativeStatus::Cancelled,
            start_year: g.start_year,
            end_year: g.end_year,
            outcomes: g
                .outcomes
                .iter()
                .map(|o| (o.metric, o.year, o.value.get()))
                .collect(),
        }
    }
}

/// The rows key results fed by data are derived from, as of the facts' revision, and when
/// each member's rows of each dataset last changed (deletions too).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceFacts {
    /// By id.
    pub trainings: BTreeMap<Text, TrainingFact>,
    /// By id.
    pub gp: BTreeMap<Text, GpFact>,
    /// The latest change to a member's rows of a dataset.
    pub changed: BTreeMap<(Text, SourceDataset), Stamp>,
}

impl SourceFacts {
    /// Applies a training or GP initiative edit made at `now`; other edits are ignored.
    /// Returns the dataset it changed.
    pub fn apply(&mut self, edit: &Edit, now: &Stamp) -> Option<SourceDataset> {
        let (dataset, iso3, old_iso3) = match edit {
            Edit::Training { action, training } => {
                let id: Text = training.id.as_str().into();
                let old = if *action == Action::Delete {
                    self.trainings.remove(&id)
                } else {
                    self.trainings
                        .insert(id.clone(), TrainingFact::new(training))
                };
                (
                    SourceDataset::Trainings,
                    training.iso3.as_str(),
                    old.map(|o| o.iso3),
                )
            }
            Edit::GpInitiative { action, initiative } => {
                let id: Text = initiative.id.as_str().into();
                let old = if *action == Action::Delete {
                    self.gp.remove(&id)
                } else {
                    self.gp.insert(id.clone(), GpFact::new(initiative))
                };
                (
                    SourceDataset::GpInitiatives,
                    initiative.iso3.as_str(),
                    old.map(|o| o.iso3),
                )
            }
            _ => return None,
        };
        // A record moved to another member changes both members' rows.
        for member in std::iter::once(Text::from(iso3)).chain(old_iso3) {
            self.changed.insert((member, dataset), now.clone());
        }
        Some(dataset)
    }

    /// When `iso3`'s rows of `dataset` last changed.
    pub fn changed(&self, iso3: &str, dataset: SourceDataset) -> Option<&Stamp> {
        self.changed.get(&(Text::from(iso3), dataset))
    }
}
