//! The views of the programmes that several records make: pillar budgets beside the projects
//! that break them down, the BCN network (who learns from whom), a member's programmes.

use serde::Serialize;
use utoipa::ToSchema;

use super::{BcnApplication, Coe, CoeProposal, Project};

/// Amounts of one part of a pillar's budget (regional, member-level, or both).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct BudgetPart {
    /// Σ planned of the pillar budget rows (METRICS.md "Budget").
    pub planned: f64,
    pub spent: f64,
    /// Σ of the project budget rows of the pillar and year: a breakdown of `planned`.
    pub assigned: f64,
    /// `planned − assigned`: negative when projects are given more than was planned.
    pub unassigned: f64,
}

/// One project's part of a pillar's budget in a year.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProjectShare {
    pub code: String,
    pub title: String,
    /// From the regional part.
    pub regional: f64,
    /// From members' allocations.
    pub members: f64,
}

/// A pillar's budget of a year: its regional and member-level parts and their total (which
/// project budgets never change), how much of each is assigned to projects, and the projects.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PillarBudget {
    pub pillar: i64,
    pub name: String,
    pub year: i64,
    pub regional: BudgetPart,
    pub members: BudgetPart,
    pub total: BudgetPart,
    pub projects: Vec<ProjectShare>,
}

/// Applications from one sending member to one hosting member, counted by status.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BcnPair {
    pub sender: String,
    pub host: String,
    pub pending: i64,
    pub approved: i64,
    pub declined: i64,
    pub total: i64,
}

/// What a member takes part in: its COEs, the projects it hosts or joins (`*` included), its
/// COE proposals, and the BCN applications it sent and hosts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberProgrammes {
    pub iso3: String,
    pub coes: Vec<Coe>,
    pub projects: Vec<Project>,
    pub coe_proposals: Vec<CoeProposal>,
    pub bcn_sent: Vec<BcnApplication>,
    pub bcn_hosted: Vec<BcnApplication>,
}

/// The network of BCN exchanges among `applications`: sender → host pairs, by sender then host.
pub fn bcn_network<'a>(applications: impl IntoIterator<Item = &'a BcnApplication>) -> Vec<BcnPair> {
    let mut pairs: std::collections::BTreeMap<(String, String), BcnPair> = Default::default();
    for a in applications {
        let key = (a.sender.as_str().to_owned(), a.host.as_str().to_owned());
        let pair = pairs.entry(key.clone()).or_insert_with(|| BcnPair {
            sender: key.0,
            host: key.1,
            pending: 0,
            approved: 0,
            declined: 0,
            total: 0,
        });
        match a.status {
            super::BcnStatus::Pending => pair.pending += 1,
            super::BcnStatus::Approved => pair.approved += 1,
            super::BcnStatus::Declined => pair.declined += 1,
        }
        pair.total += 1;
    }
    pairs.into_values().collect()
}
