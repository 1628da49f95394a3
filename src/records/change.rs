//! A change is a value: what one committed write did, typed, from the commit to every consumer.
//!
//! [`Change`] is what [`crate::store::Write::commit`] returns and what the change feed
//! ([`crate::feed`]) publishes: the revision, who and when, and one [`Edit`] per audited row of
//! the write, in the order written. The aggregator applies the edits to its documents; the
//! ticker line of each edit is made from it by [`crate::analytics::ticker`]; the store reads
//! the same values back from the log for changes another process committed. Nothing on the way
//! parses JSON text or compares kinds as strings.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::facts::{ActualFact, Text};
use crate::model::{
    AccreditationInput, BcnApplication, Budget, CoeProposal, CoeRecord, GpInitiativeInput, GpTheme,
    PrimerInput, Project, SeriesInfo, TrainingInput,
};

/// One committed write.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub rev: i64,
    /// When it was committed (fixed-width RFC 3339, see [`crate::store::timestamp`]).
    pub at: Text,
    /// Who made it: the audit log's actor.
    pub actor: Text,
    /// What it did, one edit per audited row, in the order written. Never empty: a write that
    /// changed nothing is not committed.
    pub edits: Vec<Edit>,
}

/// Who makes a write, as the audit log records it: the credential's identity, role and member
/// scope, and the request it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The credential's label ("ops script", "Viet Nam delegation card, SPP workshop"), or
    /// `cli:USER` for the command line.
    pub name: String,
    /// `secretariat` or `editor` (the command line acts as the Secretariat).
    pub role: String,
    /// An editor's member.
    pub scope: Option<String>,
    /// The credential's id; none for the command line.
    pub credential: Option<String>,
    /// The request id (also in the request's log line and its `x-request-id` header).
    pub request_id: Option<String>,
    /// The request's `Idempotency-Key`, kept with the revision in the write's own transaction.
    pub idempotency: Option<Claim>,
}

/// An `Idempotency-Key` of a credential, with the fingerprint of the request that first used it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub credential: String,
    pub key: String,
    /// Method, path and a digest of the body.
    pub request: String,
}

impl Actor {
    /// The command line, run by `user` on the server's machine: the Secretariat.
    pub fn cli(user: &str) -> Self {
        Self::service(&format!("cli:{user}"))
    }

    /// The service itself, acting as the Secretariat under `name` (the demo data's "demo").
    pub fn service(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            role: "secretariat".into(),
            scope: None,
            credential: None,
            request_id: None,
            idempotency: None,
        }
    }
}

/// One edit of a change, with its change's revision, time and author: a row of the audit log,
/// and a line of the ticker.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub rev: i64,
    pub at: Text,
    pub actor: Text,
    pub edit: Edit,
}

/// What one audited row of a write did: one variant per kind of write.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// A report appended (its `rev` is the change's; `kr` is not linked).
    Report(ActualFact),
    /// A report withdrawn, with the reason: it no longer counts from this change on (a
    /// correction is a withdrawal and the corrected report, in one change).
    Withdraw(Withdrawal),
    /// A member's primer written whole (focus areas, key results, targets).
    Primer(PrimerEdit),
    /// The budget of a pillar and year set (APO-wide, or a member's).
    Budget(Budget),
    /// A project created or replaced.
    Project {
        created: bool,
        project: Box<Project>,
    },
    /// Values of one productivity series of one member upserted.
    Series(SeriesEdit),
    /// The catalogue entry of a series (label, unit, source) set, as it is now.
    SeriesInfo(SeriesInfo),
    /// A BCN application filed (`Create`), approved or declined: as it stands after.
    Bcn {
        action: Action,
        application: Box<BcnApplication>,
    },
    /// A COE registered (`Create`), changed (`Update`) or assessed (`Assess`): the entry
    /// with its assessments as it stands after.
    Coe { action: Action, coe: Box<CoeRecord> },
    /// A proposal by an existing COE, or an application for a new one, filed.
    CoeProposal(Box<CoeProposal>),
    /// An accreditation recorded (`Create`) or changed (`Update`): the record as it stands
    /// after.
    Accreditation {
        action: Action,
        accreditation: Box<AccreditationInput>,
    },
    /// A GP theme added (`Create`) or relabelled (`Update`).
    GpTheme { action: Action, theme: GpTheme },
    /// A GP initiative recorded (`Create`), changed (`Update`), or deleted (`Delete`: the
    /// record as it was).
    GpInitiative {
        action: Action,
        initiative: Box<GpInitiativeInput>,
    },
    /// A training recorded (`Create`), changed (`Update`), or deleted (`Delete`: the record
    /// as it was).
    Training {
        action: Action,
        training: Box<TrainingInput>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrimerEdit {
    pub iso3: Text,
    pub action: Action,
    /// The primer as stored after the edit.
    pub primer: Arc<PrimerInput>,
    /// Codes of the key results this edit added (none for a new primer: it adds them all).
    pub added: Vec<Text>,
    /// The reviewer's comment on a return or an endorsement, the reason for an amendment.
    pub note: Option<Text>,
}

/// A report taken back: which one (the report as it was appended, its `rev` the revision that
/// appended it), and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Withdrawal {
    pub report: ActualFact,
    pub reason: Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeriesEdit {
    pub iso3: Text,
    pub series: Text,
    /// The values that changed, by year, as they are now.
    pub values: BTreeMap<i64, f64>,
}

/// What a row of the audit log is about. Serialized (and stored) as its lower-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Actual,
    Primer,
    Budget,
    Project,
    Series,
    /// A series' catalogue entry (stored as `series_info`).
    #[serde(rename = "series_info")]
    SeriesInfo,
    /// A BCN exchange applied for (stored as `bcn_application`).
    #[serde(rename = "bcn_application")]
    BcnApplication,
    /// A Center of Excellence's registry entry and its assessments.
    Coe,
    /// A COE proposal or an application for a new COE (stored as `coe_proposal`).
    #[serde(rename = "coe_proposal")]
    CoeProposal,
    /// A body's accreditation.
    Accreditation,
    /// A GP 2.0 initiative with its outcomes (stored as `gp_initiative`).
    #[serde(rename = "gp_initiative")]
    GpInitiative,
    /// A GP 2.0 theme (stored as `gp_theme`).
    #[serde(rename = "gp_theme")]
    GpTheme,
    /// A training delivered.
    Training,
}

/// What was done to it. Serialized (and stored) as its lower-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A value reported.
    Report,
    Create,
    Update,
    /// Primer workflow moves.
    Submit,
    Endorse,
    Return,
    /// An endorsed primer reopened as a draft of its next version.
    Amend,
    /// A budget or series value set.
    Set,
    /// A report taken back.
    Withdraw,
    /// A BCN application approved.
    Approve,
    /// A BCN application declined.
    Decline,
    /// A COE assessed: its phase held or advanced.
    Assess,
    /// A record deleted (a GP initiative, a training).
    Delete,
}

impl Entity {
    pub const ALL: [Entity; 13] = [
        Entity::Actual,
        Entity::Primer,
        Entity::Budget,
        Entity::Project,
        Entity::Series,
        Entity::SeriesInfo,
        Entity::BcnApplication,
        Entity::Coe,
        Entity::CoeProposal,
        Entity::Accreditation,
        Entity::GpInitiative,
        Entity::GpTheme,
        Entity::Training,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Actual => "actual",
            Self::Primer => "primer",
            Self::Budget => "budget",
            Self::Project => "project",
            Self::Series => "series",
            Self::SeriesInfo => "series_info",
            Self::BcnApplication => "bcn_application",
            Self::Coe => "coe",
            Self::CoeProposal => "coe_proposal",
            Self::Accreditation => "accreditation",
            Self::GpInitiative => "gp_initiative",
            Self::GpTheme => "gp_theme",
            Self::Training => "training",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::Report,
        Action::Create,
        Action::Update,
        Action::Submit,
        Action::Endorse,
        Action::Return,
        Action::Amend,
        Action::Set,
        Action::Withdraw,
        Action::Approve,
        Action::Decline,
        Action::Assess,
        Action::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::Create => "create",
            Self::Update => "update",
            Self::Submit => "submit",
            Self::Endorse => "endorse",
            Self::Return => "return",
            Self::Amend => "amend",
            Self::Set => "set",
            Self::Withdraw => "withdraw",
            Self::Approve => "approve",
            Self::Decline => "decline",
            Self::Assess => "assess",
            Self::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl Edit {
    pub fn entity(&self) -> Entity {
        match self {
            Self::Report(_) | Self::Withdraw(_) => Entity::Actual,
            Self::Primer(_) => Entity::Primer,
            Self::Budget(_) => Entity::Budget,
            Self::Project { .. } => Entity::Project,
            Self::Series(_) => Entity::Series,
            Self::SeriesInfo(_) => Entity::SeriesInfo,
            Self::Bcn { .. } => Entity::BcnApplication,
            Self::Coe { .. } => Entity::Coe,
            Self::CoeProposal(_) => Entity::CoeProposal,
            Self::Accreditation { .. } => Entity::Accreditation,
            Self::GpTheme { .. } => Entity::GpTheme,
            Self::GpInitiative { .. } => Entity::GpInitiative,
            Self::Training { .. } => Entity::Training,
        }
    }

    pub fn action(&self) -> Action {
        match self {
            Self::Report(_) => Action::Report,
            Self::Withdraw(_) => Action::Withdraw,
            Self::Primer(p) => p.action,
            Self::Budget(_) | Self::Series(_) | Self::SeriesInfo(_) => Action::Set,
            Self::Project { created: true, .. } => Action::Create,
            Self::Project { created: false, .. } => Action::Update,
            Self::Bcn { action, .. }
            | Self::Coe { action, .. }
            | Self::Accreditation { action, .. }
            | Self::GpTheme { action, .. }
            | Self::GpInitiative { action, .. }
            | Self::Training { action, .. } => *action,
            Self::CoeProposal(_) => Action::Create,
        }
    }

    /// The key of what it changed, as the audit log names it: `ISO3/KR/YEAR` for a report,
    /// `ISO3` for a primer, `PILLAR/YEAR/ISO3` (or `…/APO`) for a budget, the code of a
    /// project, `ISO3/SERIES` for a series' values, `SERIES` for its catalogue entry, the id
    /// of a BCN application, a COE or a COE proposal, the id of an accreditation, a GP theme,
    /// a GP initiative or a training.
    pub fn key(&self) -> String {
        match self {
            Self::Report(a) | Self::Withdraw(Withdrawal { report: a, .. }) => {
                format!("{}/{}/{}", a.iso3, a.code, a.year)
            }
            Self::Primer(p) => p.iso3.to_string(),
            Self::Budget(b) => format!(
                "{}/{}/{}",
                b.pillar.get(),
                b.year.get(),
                b.iso3.as_ref().map_or("APO", |m| m.as_str())
            ),
            Self::Project { project, .. } => project.code.as_str().to_owned(),
            Self::Series(s) => format!("{}/{}", s.iso3, s.series),
            Self::SeriesInfo(i) => i.series.clone(),
            Self::Bcn { application, .. } => application.id.to_string(),
            Self::Coe { coe, .. } => coe.id.as_str().to_owned(),
            Self::CoeProposal(p) => p.id.to_string(),
            Self::Accreditation { accreditation, .. } => accreditation.id.to_string(),
            Self::GpTheme { theme, .. } => theme.id.to_string(),
            Self::GpInitiative { initiative, .. } => initiative.id.to_string(),
            Self::Training { training, .. } => training.id.to_string(),
        }
    }

    /// The member it concerns, if one (a BCN application's sender; a project's single host).
    pub fn iso3(&self) -> Option<&str> {
        match self {
            Self::Report(a) | Self::Withdraw(Withdrawal { report: a, .. }) => Some(&a.iso3),
            Self::Primer(p) => Some(&p.iso3),
            Self::Budget(b) => b.iso3.as_ref().map(|m| m.as_str()),
            Self::Project { project, .. } => project.host_iso3.as_ref().map(|h| h.as_str()),
            Self::Series(s) => Some(&s.iso3),
            Self::SeriesInfo(_) => None,
            Self::Bcn { application, .. } => Some(application.sender.as_str()),
            Self::Coe { coe, .. } => Some(coe.iso3.as_str()),
            Self::CoeProposal(p) => Some(p.iso3.as_str()),
            Self::Accreditation { accreditation, .. } => Some(accreditation.iso3.as_str()),
            Self::GpTheme { .. } => None,
            Self::GpInitiative { initiative, .. } => Some(initiative.iso3.as_str()),
            Self::Training { training, .. } => Some(training.iso3.as_str()),
        }
    }

    /// Whether the dashboard document is computed from what it changed beyond its ticker
    /// line: a primer (key results, targets, focus areas, status), a budget, or a withdrawn
    /// report (the one before it becomes current again). Reports change it too, through the
    /// incremental path; projects only add ticker lines, series and their catalogue not even
    /// those.
    pub fn restructures(&self) -> bool {
        matches!(self, Self::Primer(_) | Self::Budget(_) | Self::Withdraw(_))
    }

    /// Whether it changed rows that key results fed by data are derived from (a training or
    /// a GP initiative): the document is recomputed after it when there are such key results
    /// (`crate::analytics::derived`).
    pub fn feeds_key_results(&self) -> bool {
        matches!(self, Self::Training { .. } | Self::GpInitiative { .. })
    }

    /// The comment, reason or note that went with it (the audit log's `note`).
    pub fn note(&self) -> Option<&str> {
        match self {
            Self::Primer(p) => p.note.as_deref(),
            Self::Withdraw(w) => Some(&w.reason),
            Self::Bcn { application, .. } => application.reason.as_deref(),
            Self::Coe {
                action: Action::Assess,
                coe,
            } => coe
                .assessments
                .last()
                .map(|a| a.note.as_str())
                .filter(|n| !n.is_empty()),
            _ => None,
        }
    }

    /// Whether the room's ticker shows it. Series values and catalogue entries are left out:
    /// one Penn World Table import writes hundreds of them and would push everything else off
    /// the list (the audit log keeps them, and patches still name them among their events, so
    /// the pages that chart series hear of them).
    pub fn on_ticker(&self) -> bool {
        !matches!(self, Self::Series(_) | Self::SeriesInfo(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_actions_are_named_once_and_read_back() {
        for e in Entity::ALL {
            assert_eq!(Entity::parse(e.as_str()), Some(e));
            assert_eq!(
                serde_json::to_value(e).unwrap(),
                serde_json::json!(e.as_str())
            );
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::json!(a.as_str())
            );
        }
        assert_eq!(Entity::parse("actuals"), None);
    }
}
