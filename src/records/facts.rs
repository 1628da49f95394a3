//! What the dashboard is computed from: plain rows read from the store, as of a revision.
//! Neither polars nor the database appears here, so both the store (which fills them) and the
//! computations (which read them) depend on this and not on each other.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::change::{Change, Edit, Logged};
use super::sources::{SourceFacts, Stamp, source_stamp};
use crate::domain::{Direction, PrimerStatus};
use crate::model::{Budget, KeyResult, KrSource, PrimerInput};

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
    /// Where its actuals come from when they are derived from data (contract §4): then only
    /// derived actuals count for it.
    pub source: Option<Arc<KrSource>>,
    /// The change that gave it its current source ([`super::sources::source_stamp`]).
    pub source_stamp: Option<Stamp>,
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
    /// [`Facts::link`], and for a report by hand on a key result fed by data, which does not
    /// count), so that computations need no lookup by name per report.
    pub kr: u32,
    /// Derived from the source rows of a key result fed by data
    /// (`crate::analytics::derived`), stamped with the change that made it; not a report.
    pub derived: bool,
}

/// The `kr` of a report whose key result is not (or not yet) known.
pub const UNLINKED: u32 = u32::MAX;

/// One budget row (APO-wide or a member's).
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetFact {
    pub pillar: i64,
    pub year: i64,
    /// The member whose budget it is; `None` for the APO-wide budget.
    pub iso3: Option<String>,
    pub planned: f64,
    pub spent: f64,
}

/// A member's primer, as far as the dashboard needs it (its key results are in
/// [`Facts::key_results`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PrimerFact {
    pub status: PrimerStatus,
    /// Strategic focus areas, in the primer's order.
    pub focus_areas: Vec<String>,
}

/// Everything the dashboard document is computed from, as of `rev`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub rev: i64,
    pub members: Vec<MemberFact>,
    /// The primer of each member that has one, by ISO3.
    pub primers: BTreeMap<String, PrimerFact>,
    /// In member order, then primer order.
    pub key_results: Vec<KrFact>,
    /// In report order: by `reported_at`, then revision, then as written.
    pub actuals: Vec<ActualFact>,
    /// By pillar, year, then member (the APO-wide budget first).
    pub budgets: Vec<BudgetFact>,
    /// The latest [`RECENT`] edits the ticker shows, newest first.
    pub recent: Vec<Logged>,
    /// Derived by [`Facts::link`]: what computations need per row without lookups by name.
    pub links: Links,
    /// The trainings and GP initiatives key results fed by data are derived from.
    pub sources: SourceFacts,
    /// When set, only reports of this year are kept ([`Facts::only_year`]): a period's
    /// document reads no others, so the aggregator's three documents share the reports out
    /// rather than each holding all of them.
    pub year: Option<i64>,
}

/// Indexes derived from the facts, so that a recomputation groups by integers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Links {
    /// Per key result: its document key, its member's index in `members`, its focus area's
    /// index in `focus_keys`.
    pub kr_keys: Vec<Text>,
    /// Key-result indexes in the order of their keys.
    pub kr_sorted: Vec<u32>,
    /// Key-result index by key: how a report finds its key result.
    pub kr_by_key: HashMap<Text, u32>,
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

impl KrFact {
    /// A key result of `iso3`'s primer.
    pub fn new(iso3: &str, k: &KeyResult) -> Self {
        Self {
            iso3: iso3.into(),
            code: k.code.as_str().into(),
            pillar: k.pillar.get(),
            focus_area: k.focus_area.as_str().into(),
            title: k.title.as_str().into(),
            unit: k.unit.as_str().into(),
            increase: k.direction == Direction::Increase,
            baseline: k.baseline_value.map(|b| b.get()),
            weight: k.weight.get(),
            targets: k.targets.iter().map(|(y, t)| (y.get(), t.get())).collect(),
            source: k.source.clone().map(Arc::new),
            source_stamp: None,
        }
    }
}

impl PrimerFact {
    pub fn new(p: &PrimerInput) -> Self {
        Self {
            status: p.status,
            focus_areas: p.focus_areas.clone(),
        }
    }
}

impl BudgetFact {
    pub fn new(b: &Budget) -> Self {
        Self {
            pillar: b.pillar.get(),
            year: b.year.get(),
            iso3: b.iso3.as_ref().map(|m| m.as_str().to_owned()),
            planned: b.planned.get(),
            spent: b.spent.get(),
        }
    }

    /// The order of [`Facts::budgets`] (and of the budgets table's reads).
    pub fn order(&self) -> (i64, i64, &str) {
        (self.pillar, self.year, self.iso3.as_deref().unwrap_or(""))
    }
}

impl Facts {
    /// These facts with only the reports of `year`, now and as changes are applied: all that
    /// `year`'s document is computed from. (Links are derived afresh: settle before use.)
    pub fn only_year(mut self, year: i64) -> Self {
        self.actuals.retain(|a| a.year == year);
        self.year = Some(year);
        self.links = Links::default();
        self
    }

    /// Whether report `a` is kept here ([`Facts::only_year`]).
    pub fn keeps(&self, a: &ActualFact) -> bool {
        self.year.is_none_or(|y| a.year == y)
    }

    /// Applies a committed change: reports are appended, a primer replaces its member's
    /// primer and key results, a budget replaces its row, and the ticker's edits go on top of
    /// [`Facts::recent`]. After changes that restructure the facts (a primer or a budget),
    /// their links are dropped: [`Facts::settle`] them before computing from them, and they
    /// are then as the store would read them at the last change's revision.
    pub fn apply(&mut self, change: &Change) {
        // Where this change's reports start (a withdrawal before them moves them up).
        let mut first = self.actuals.len();
        for edit in &change.edits {
            match edit {
                Edit::Report(a) if self.keeps(a) => {
                    let mut a = a.clone();
                    a.kr = self.counted_kr(&a);
                    self.links.add_report(self.actuals.len(), &a);
                    self.actuals.push(a);
                }
                Edit::Report(_) => {}
                Edit::Primer(p) => {
                    self.primers
                        .insert(p.iso3.to_string(), PrimerFact::new(&p.primer));
                    let of_member = |k: &KrFact| *k.iso3 < *p.iso3;
                    let start = self.key_results.partition_point(of_member);
                    let end = start
                        + self.key_results[start..]
                            .iter()
                            .take_while(|k| k.iso3 == p.iso3)
                            .count();
                    let now = Stamp {
                        rev: change.rev,
                        at: change.at.clone(),
                    };
                    let old = &self.key_results[start..end];
                    let fresh: Vec<KrFact> = p
                        .primer
                        .key_results
                        .iter()
                        .map(|k| {
                            let before = old.iter().find(|o| *o.code == *k.code.as_str());
                            KrFact {
                                source_stamp: source_stamp(
                                    before.map(|b| (b.source.as_deref(), b.source_stamp.as_ref())),
                                    k.source.as_ref(),
                                    &now,
                                ),
                                ..KrFact::new(&p.iso3, k)
                            }
                        })
                        .collect();
                    self.key_results.splice(start..end, fresh);
                }
                Edit::Budget(b) => {
                    let b = BudgetFact::new(b);
                    match self.budgets.binary_search_by(|o| o.order().cmp(&b.order())) {
                        Ok(i) => self.budgets[i] = b,
                        Err(i) => self.budgets.insert(i, b),
                    }
                }
                Edit::Withdraw(w) => {
                    // The report itself: the last stored one equal to it (identical reports
                    // are interchangeable).
                    let r = &w.report;
                    if let Some(i) = self.actuals.iter().rposition(|a| {
                        a.rev == r.rev
                            && a.iso3 == r.iso3
                            && a.code == r.code
                            && a.year == r.year
                            && a.reported_at == r.reported_at
                            && a.value.to_bits() == r.value.to_bits()
                    }) {
                        self.actuals.remove(i);
                        if i < first {
                            first -= 1;
                        }
                    }
                }
                Edit::Project { .. }
                | Edit::Series(_)
                | Edit::SeriesInfo(_)
                | Edit::Bcn { .. }
                | Edit::Coe { .. }
                | Edit::CoeProposal(_)
                | Edit::Accreditation { .. }
                | Edit::GpTheme { .. } => {}
                // The rows key results fed by data are derived from: the derived actuals
                // follow when they are derived again (`crate::analytics::derived`).
                Edit::GpInitiative { .. } | Edit::Training { .. } => {
                    let now = Stamp {
                        rev: change.rev,
                        at: change.at.clone(),
                    };
                    self.sources.apply(edit, &now);
                }
            }
        }
        // The ticker's edits on top, newest first; its reports as linked above (so that a
        // ticker line need not look its key result up again).
        let mut linked = self.actuals[first..].iter().rev();
        let mut recent = Vec::with_capacity(RECENT);
        for edit in change.edits.iter().rev() {
            if recent.len() == RECENT {
                break;
            }
            let edit = match edit {
                Edit::Series(_) | Edit::SeriesInfo(_) => continue,
                Edit::Report(a) if self.keeps(a) => {
                    Edit::Report(linked.next().cloned().unwrap_or_else(|| a.clone()))
                }
                // Another year's report, not kept: linked for its ticker line alone.
                Edit::Report(a) => {
                    let mut a = a.clone();
                    a.kr = self.counted_kr(&a);
                    Edit::Report(a)
                }
                other => other.clone(),
            };
            recent.push(Logged {
                rev: change.rev,
                at: change.at.clone(),
                actor: change.actor.clone(),
                edit,
            });
        }
        recent.extend(
            self.recent
                .drain(..)
                .take(RECENT.saturating_sub(recent.len())),
        );
        self.recent = recent;
        self.rev = change.rev;
        if change.edits.iter().any(Edit::restructures) {
            self.links = Links::default();
        }
    }

    /// The key result a report is about: by its link when that is current, else by name.
    pub fn key_result_of(&self, a: &ActualFact) -> Option<&KrFact> {
        self.key_results
            .get(a.kr as usize)
            .filter(|k| *k.iso3 == *a.iso3 && *k.code == *a.code)
            .or_else(|| {
                self.kr_index(&a.iso3, &a.code)
                    .map(|i| &self.key_results[i as usize])
            })
    }

    /// Whether the links are current ([`Facts::apply`] of a restructuring change drops them).
    pub fn is_settled(&self) -> bool {
        self.links.kr_keys.len() == self.key_results.len()
            && self.links.kr_member.len() == self.key_results.len()
    }

    /// Puts the reports in report order and derives the links afresh. Reports applied in
    /// revision order, each change's in the order written, are in the store's order once
    /// sorted (stably) by time and revision; a report dated before an earlier one is the only
    /// thing out of place, so the sort is close to linear.
    pub fn settle(&mut self) {
        self.actuals
            .sort_by(|a, b| (&a.reported_at, a.rev).cmp(&(&b.reported_at, b.rev)));
        self.link();
    }

    /// The index of a key result in [`Facts::key_results`], by the links (so only while they
    /// are current).
    pub fn kr_index(&self, iso3: &str, code: &str) -> Option<u32> {
        if !self.is_settled() {
            return None;
        }
        self.links
            .kr_by_key
            .get(kr_key(iso3, code).as_str())
            .copied()
    }

    /// The index of report `a`'s key result, by the links (so only while they are current);
    /// [`UNLINKED`] when it is unknown, or when `a` is a report by hand on a key result fed by
    /// data (only its derived actuals count) or a derived actual of one that no longer is.
    pub fn counted_kr(&self, a: &ActualFact) -> u32 {
        match self.kr_index(&a.iso3, &a.code) {
            Some(i) if self.key_results[i as usize].source.is_some() == a.derived => i,
            _ => UNLINKED,
        }
    }

    /// A member's name, by ISO3.
    pub fn member_name(&self, iso3: &str) -> Option<&str> {
        self.members
            .binary_search_by(|m| m.iso3.as_str().cmp(iso3))
            .ok()
            .map(|i| self.members[i].name.as_str())
    }

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
        links.kr_by_key.reserve(self.key_results.len());
        // Borrowed keys for the reports below: no key text made per report.
        let mut index: HashMap<(&str, &str), u32> = HashMap::new();
        for (i, k) in self.key_results.iter().enumerate() {
            index.insert((&k.iso3, &k.code), i as u32);
            let key: Text = kr_key(&k.iso3, &k.code).into();
            links.kr_by_key.insert(key.clone(), i as u32);
            links.kr_keys.push(key);
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
                .filter(|&i| self.key_results[i as usize].source.is_some() == a.derived)
                .unwrap_or(UNLINKED);
            links.add_report(row, a);
        }
        self.links = links;
    }
}

/// How many recent changes the document carries: what the wall's ticker shows, with a
/// margin (the audit log has the rest). A patch carries only the new lines (an insert and a
/// trim), so the length costs the snapshot, not the patches.
pub const RECENT: usize = 10;
