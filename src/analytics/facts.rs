//! What the dashboard is computed from: plain rows read from the store, as of a revision.
//! Neither polars nor the database appears here, so both the store (which fills them) and the
//! computations (which read them) depend on this and not on each other.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// A member economy.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberFact {
    pub iso3: String,
    pub name: String,
}

/// A key result with its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct KrFact {
    pub iso3: String,
    pub code: String,
    pub pillar: i64,
    pub focus_area: String,
    pub title: String,
    pub unit: String,
    pub increase: bool,
    pub baseline: Option<f64>,
    pub weight: f64,
    /// Target per year.
    pub targets: BTreeMap<i64, f64>,
}

impl KrFact {
    /// The key of this key result in the dashboard document: `ISO3/CODE`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.iso3, self.code)
    }
}

/// One report of an actual.
#[derive(Debug, Clone, PartialEq)]
pub struct ActualFact {
    pub iso3: String,
    pub code: String,
    pub year: i64,
    pub value: f64,
    /// RFC 3339, fixed width (text order is time order).
    pub reported_at: String,
    pub rev: i64,
    /// Index of its key result in [`Facts::key_results`] ([`UNLINKED`] until
    /// [`Facts::link`]), so that computations need no lookup by name per report.
    pub kr: u32,
}

/// The `kr` of a report whose key result is not (or not yet) known.
pub const UNLINKED: u32 = u32::MAX;

/// One budget row (APO-wide or a member's).
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetFact {
    pub pillar: i64,
    pub year: i64,
    pub planned: f64,
    pub spent: f64,
}

/// One change as the room sees it in the ticker: who did what, when.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Recent {
    pub rev: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub key: String,
    /// A short human summary, e.g. "VNM-KR1 2026: 12.5".
    pub summary: String,
}

/// Everything the dashboard document is computed from, as of `rev`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub rev: i64,
    pub members: Vec<MemberFact>,
    /// Primer status per member that has a primer, and its focus areas.
    pub primers: BTreeMap<String, (String, Vec<String>)>,
    pub key_results: Vec<KrFact>,
    pub actuals: Vec<ActualFact>,
    pub budgets: Vec<BudgetFact>,
    /// The latest changes, newest first.
    pub recent: Vec<Recent>,
}

impl Facts {
    /// Sets each report's `kr` to the index of its key result.
    pub fn link(&mut self) {
        let index: std::collections::HashMap<(&str, &str), u32> = self
            .key_results
            .iter()
            .enumerate()
            .map(|(i, k)| ((k.iso3.as_str(), k.code.as_str()), i as u32))
            .collect();
        for a in &mut self.actuals {
            a.kr = index
                .get(&(a.iso3.as_str(), a.code.as_str()))
                .copied()
                .unwrap_or(UNLINKED);
        }
    }
}

/// How many recent changes the document carries.
pub const RECENT: usize = 20;
