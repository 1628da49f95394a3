//! What the committer ([`super::commit`]) measures, registered by `/metrics`.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

/// How a write ended (the label value is the name in lower case).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Outcome {
    /// Committed with its own revision.
    Committed,
    /// Changed nothing: rolled back, no revision used.
    Unchanged,
    /// Refused or failed: rolled back alone, the others in its group unaffected.
    Failed,
}

impl EncodeLabelValue for Outcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        use std::fmt::Write as _;
        encoder.write_str(match self {
            Self::Committed => "committed",
            Self::Unchanged => "unchanged",
            Self::Failed => "failed",
        })
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: Outcome,
}

/// The way a group went (the label value is the name in lower case).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Way {
    /// Reports alone, checked against the key results the committer holds and written in one
    /// round trip (`commit::fast`).
    Short,
    /// In a transaction that locks the revision row first, each write in a savepoint.
    Long,
}

impl EncodeLabelValue for Way {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        use std::fmt::Write as _;
        encoder.write_str(match self {
            Self::Short => "short",
            Self::Long => "long",
        })
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WayLabel {
    pub way: Way,
}

/// What the committer measures, registered by `/metrics` ([`crate::http::metrics`]). Cheap
/// to clone: each field is a shared handle.
#[derive(Clone)]
pub struct CommitMetrics {
    /// Seconds each group's last round trips took, its fsync included (SQLite
    /// `synchronous=FULL`, PostgreSQL `synchronous_commit=on`): the remaining inserts and the
    /// COMMIT of the long way, the whole write of the short way (`commit::fast`).
    pub commit_seconds: Histogram,
    /// Writes per commit: the group-commit batch sizes.
    pub group_writes: Histogram,
    /// Writes by outcome.
    pub writes: Family<OutcomeLabel, Counter>,
    /// Writes waiting for the committer now.
    pub queued: Gauge,
    /// Groups by the way they went.
    pub groups: Family<WayLabel, Counter>,
    /// Seconds the committer spent running groups rather than waiting for writes: divided by
    /// the time elapsed, how busy it is.
    pub busy_seconds: Counter<f64, AtomicU64>,
}

impl CommitMetrics {
    /// Counts a group that went `way` and kept the committer busy since `started`.
    pub(crate) fn group_ran(&self, way: Way, started: std::time::Instant) {
        self.groups.get_or_create(&WayLabel { way }).inc();
        self.busy_seconds.inc_by(started.elapsed().as_secs_f64());
    }
}

impl Default for CommitMetrics {
    fn default() -> Self {
        Self {
            commit_seconds: Histogram::new([
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
            group_writes: Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]),
            writes: Family::default(),
            queued: Gauge::default(),
            groups: Family::default(),
            busy_seconds: Counter::default(),
        }
    }
}
