//! What the dashboard is computed from: plain rows read from the store, as of a revision.
//! Neither polars nor the database appears here, so both the store (which fills them) and the
//! computations (which read them) depend on this and not on each other.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

/// A member economy.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberFact {
    pub iso3: String,
    pub name: String,
}

/// Shared text: cloned into the document by reference count, not by copy (a national-scale
/// document holds 100,000 key results).
pub type Text = Arc<str>;

/// A key result with its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct KrFact {
    pub iso3: Text,
    pub code: Text,
    pub pillar: i64,
    pub focus_area: Text,
    pub title: Text,
    pub unit: Text,
    pub increase: bool,
    pub baseline: Option<f64>,
    pub weight: f64,
    /// Target per year.
    pub targets: BTreeMap<i64, f64>,
}

/// The key of a key result in the dashboard document: `ISO3/CODE`.
pub fn kr_key(iso3: &str, code: &str) -> String {
    format!("{iso3}/{code}")
}

/// One report of an actual.
#[derive(Debug, Clone, PartialEq)]
pub struct ActualFact {
    pub iso3: String,
    pub code: String,
    pub year: i64,
    pub value: f64,
    /// RFC 3339, fixed width (text order is time order).
    pub reported_at: Text,
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
    /// Derived by [`Facts::link`]: what computations need per row without lookups by name.
    pub links: Links,
}

/// Indexes derived from the facts, so that a recomputation groups by integers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Links {
    /// Per key result: its document key, its member's index in `members`, its focus area's
    /// index in `focus_keys`.
    pub kr_keys: Vec<Text>,
    /// Key-result indexes in the order of their keys.
    pub kr_sorted: Vec<u32>,
    pub kr_member: Vec<u32>,
    pub kr_focus: Vec<u32>,
    /// Focus areas compared after trimming and case folding, and the label shown for each: the
    /// smallest in text order of the labels written for it (inner whitespace collapsed), so the
    /// choice does not depend on input order.
    pub focus_keys: Vec<String>,
    pub focus_labels: Vec<Text>,
    /// The linked reports of each year as columns, in report order.
    pub year_reports: BTreeMap<i64, YearReports>,
}

/// One year's reports as columns: key-result index, value, and index in `Facts::actuals`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearReports {
    pub kr: Vec<u32>,
    pub value: Vec<f64>,
    pub row: Vec<u32>,
}

impl ActualFact {
    /// A report as stored, not yet linked to its key result ([`Facts::link`] does that).
    pub fn unlinked(
        (iso3, code, year, value, reported_at, rev): (String, String, i64, f64, String, i64),
    ) -> Self {
        Self {
            iso3,
            code,
            year,
            value,
            reported_at: reported_at.into(),
            rev,
            kr: UNLINKED,
        }
    }
}

impl Links {
    /// Records report `row` of `Facts::actuals` (linked to `a.kr`).
    pub fn add_report(&mut self, row: usize, a: &ActualFact) {
        if a.kr == UNLINKED {
            return;
        }
        let y = self.year_reports.entry(a.year).or_default();
        y.kr.push(a.kr);
        y.value.push(a.value);
        y.row.push(row as u32);
    }
}

impl Facts {
    /// Derives [`Links`] and sets each report's `kr` to the index of its key result.
    pub fn link(&mut self) {
        let members: HashMap<&str, u32> = self
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.iso3.as_str(), i as u32))
            .collect();
        let mut links = Links::default();
        let mut focus: HashMap<String, u32> = HashMap::new();
        let mut index: HashMap<(&str, &str), u32> = HashMap::new();
        for (i, k) in self.key_results.iter().enumerate() {
            index.insert((&k.iso3, &k.code), i as u32);
            links.kr_keys.push(kr_key(&k.iso3, &k.code).into());
            links
                .kr_member
                .push(members.get(&*k.iso3).copied().unwrap_or(UNLINKED));
            let shown = k
                .focus_area
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let key = crate::domain::focus_area_key(&shown);
            let f = *focus.entry(key.clone()).or_insert_with(|| {
                links.focus_keys.push(key);
                links.focus_labels.push(shown.as_str().into());
                links.focus_keys.len() as u32 - 1
            });
            if *shown < *links.focus_labels[f as usize] {
                links.focus_labels[f as usize] = shown.into();
            }
            links.kr_focus.push(f);
        }
        links.kr_sorted = (0..self.key_results.len() as u32).collect();
        links
            .kr_sorted
            .sort_unstable_by(|&a, &b| links.kr_keys[a as usize].cmp(&links.kr_keys[b as usize]));
        for (row, a) in self.actuals.iter_mut().enumerate() {
            a.kr = index
                .get(&(a.iso3.as_str(), a.code.as_str()))
                .copied()
                .unwrap_or(UNLINKED);
            links.add_report(row, a);
        }
        self.links = links;
    }
}

/// How many recent changes the document carries: what the wall's ticker shows, with a
/// margin (the audit log has the rest). Every patch carries the list whole, and its size is
/// most of a patch's: with 20, patches were 3.5 KiB, and at 1,000 sockets and 20 updates a
/// second the server spent about a fifth more CPU and p50 was about 3 ms longer than with 8.
pub const RECENT: usize = 10;
