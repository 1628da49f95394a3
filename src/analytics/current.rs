//! The document of one period kept current, change by change.
//!
//! A new report changes one key result's current actual; its progress, its member × pillar
//! cell, the member, the pillar, the member's focus area, completeness and the overall score
//! follow, and nothing else. [`CurrentDashboard`] keeps the per-key-result state and indexes to
//! find those in O(key results of one member + members), updates them in place with the
//! single-value rules of [`super::formulas`], and returns the patch: the ops on exactly the
//! values that changed, and the new ticker lines as inserts. A change that restructures the
//! document (a primer: key results, targets, focus areas, status; a budget) is applied to the
//! facts held in memory and goes through a full recomputation with polars ([`super::full`])
//! and a diff of the whole document; neither path reads the database.

use std::collections::{BTreeSet, HashMap};

use polars::prelude::PolarsResult;
use serde_json::Value;

use super::document::{Completeness, Dashboard, Op, Segment, diff, diff_into, diff_list};
use super::formulas::{Status, mean, progress, score};
use super::ticker;
use crate::records::{Change, Facts, RECENT, Text, UNLINKED};

/// The current report of a key result for the period.
#[derive(Debug, Clone)]
struct Latest {
    value: f64,
    reported_at: Text,
    rev: i64,
}

/// The dashboard of one period, kept current.
pub struct CurrentDashboard {
    period: i64,
    facts: Facts,
    doc: Dashboard,
    latest: Vec<Option<Latest>>,
    /// Key results of each (member, pillar) and (member, focus area), by the indexes of
    /// [`Facts::link`].
    cells: HashMap<(u32, i64), Vec<usize>>,
    member_focus: HashMap<(u32, u32), Vec<usize>>,
    /// Per focus area: the members with key results in it, and their current score there.
    focus_members: Vec<BTreeSet<u32>>,
    focus_scores: HashMap<(u32, u32), Option<f64>>,
}

impl CurrentDashboard {
    /// Computes the document from scratch (polars) and builds the indexes.
    /// It keeps only the reports of `period` ([`Facts::only_year`]).
    pub fn new(facts: Facts, period: i64, generated_at: String) -> PolarsResult<Self> {
        let mut facts = if facts.year == Some(period) {
            facts
        } else {
            facts.only_year(period)
        };
        if !facts.is_settled() {
            facts.settle();
        }
        super::derived::refresh(&mut facts)?;
        let doc = super::full::compute(&facts, period, generated_at)?;
        let l = &facts.links;
        let mut live = Self {
            period,
            latest: vec![None; facts.key_results.len()],
            cells: HashMap::new(),
            member_focus: HashMap::new(),
            focus_members: vec![BTreeSet::new(); l.focus_keys.len()],
            focus_scores: HashMap::new(),
            doc,
            facts: Facts::default(),
        };
        for (i, k) in facts.key_results.iter().enumerate() {
            let (m, f) = (l.kr_member[i], l.kr_focus[i]);
            live.cells.entry((m, k.pillar)).or_default().push(i);
            live.member_focus.entry((m, f)).or_default().push(i);
            live.focus_members[f as usize].insert(m);
        }
        for a in facts.actuals.iter().filter(|a| a.year == period) {
            if let Some(slot) = live.latest.get_mut(a.kr as usize) {
                // Facts are in report order: the last one seen is the current one.
                *slot = Some(Latest {
                    value: a.value,
                    reported_at: a.reported_at.clone(),
                    rev: a.rev,
                });
            }
        }
        live.facts = facts;
        let keys: Vec<_> = live.member_focus.keys().copied().collect();
        for key in keys {
            let s = live.cell(&live.member_focus[&key]).0;
            live.focus_scores.insert(key, s);
        }
        Ok(live)
    }

    pub fn document(&self) -> &Dashboard {
        &self.doc
    }

    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// Applies committed changes, in revision order (one, or a burst coalesced into one
    /// patch); returns the ops that bring the document from before them to after.
    pub fn apply(&mut self, changes: &[&Change], generated_at: String) -> PolarsResult<Vec<Op>> {
        let Some(last) = changes.last() else {
            return Ok(Vec::new());
        };
        // A change to the rows key results fed by data are derived from recomputes as a
        // primer does, when there are such key results (looked for only then: a report does
        // not pay for it).
        let any =
            |f: fn(&crate::records::Edit) -> bool| changes.iter().any(|c| c.edits.iter().any(f));
        if any(crate::records::Edit::restructures)
            || (any(crate::records::Edit::feeds_key_results)
                && super::derived::has_sources(&self.facts))
        {
            let old = to_value(&self.doc);
            let mut facts = std::mem::take(&mut self.facts);
            for c in changes {
                facts.apply(c);
            }
            facts.settle();
            *self = Self::new(facts, self.period, generated_at)?;
            return Ok(diff(&old, &to_value(&self.doc)));
        }
        Ok(self.apply_reports(changes, last.rev, generated_at))
    }

    /// The incremental path: reports (and ticker lines) only.
    fn apply_reports(&mut self, changes: &[&Change], rev: i64, generated_at: String) -> Vec<Op> {
        let mut touched = BTreeSet::new();
        let mut lines = 0;
        for c in changes {
            // The facts take the reports first, and link each to its key result.
            let first = self.facts.actuals.len();
            lines += c.edits.iter().filter(|e| e.on_ticker()).count();
            self.facts.apply(c);
            for a in &self.facts.actuals[first..] {
                if a.kr == UNLINKED || a.year != self.period {
                    continue;
                }
                let i = a.kr as usize;
                // Within a change, reports come in the order written, and one that ties with
                // the current one is later and wins, as in the store's report order.
                let newer = self.latest[i]
                    .as_ref()
                    .is_none_or(|l| (&*a.reported_at, a.rev) >= (&*l.reported_at, l.rev));
                if newer {
                    self.latest[i] = Some(Latest {
                        value: a.value,
                        reported_at: a.reported_at.clone(),
                        rev: a.rev,
                    });
                    touched.insert(i);
                }
            }
        }

        let l = &self.facts.links;
        let members: BTreeSet<u32> = touched.iter().map(|&i| l.kr_member[i]).collect();
        let pillars: BTreeSet<i64> = touched
            .iter()
            .map(|&i| self.facts.key_results[i].pillar)
            .collect();
        let focus: BTreeSet<(u32, u32)> = touched
            .iter()
            .map(|&i| (l.kr_member[i], l.kr_focus[i]))
            .collect();
        // Snapshot what may change, change it, diff the snapshots.
        let before = Snapshot::take(self, &touched, &members, &pillars, &focus);
        for &i in &touched {
            self.update_key_result(i);
        }
        for &m in &members {
            self.update_member(m);
        }
        for &k in &pillars {
            self.update_pillar(k);
        }
        for &mf in &focus {
            self.update_focus(mf);
        }
        self.update_totals();
        let after = Snapshot::take(self, &touched, &members, &pillars, &focus);

        let mut ops = Vec::new();
        let mut path = Vec::new();
        for ((section, key), old) in before.0 {
            path.clear();
            path.push(Segment::from(section));
            if !key.is_empty() {
                path.push(Segment::Key(key.clone()));
            }
            diff_into(&mut path, &old, &after.0[&(section, key)], &mut ops);
        }

        self.doc.rev = rev;
        self.doc.generated_at = generated_at;
        // The new lines on top of the old ones: the facts have not changed shape, so the old
        // lines read as a recomputation would make them.
        let fresh = lines.min(RECENT);
        let mut recent: Vec<_> = self.facts.recent[..fresh]
            .iter()
            .map(|l| ticker::line(l, &self.facts))
            .collect();
        recent.extend(self.doc.recent.iter().take(RECENT - fresh).cloned());
        let old_recent = std::mem::replace(&mut self.doc.recent, recent);
        ops.push(Op::Set {
            path: vec!["rev".into()],
            value: rev.into(),
        });
        ops.push(Op::Set {
            path: vec!["generated_at".into()],
            value: self.doc.generated_at.clone().into(),
        });
        diff_list(&["recent".into()], &old_recent, &self.doc.recent, &mut ops);
        ops
    }

    fn member_iso3(&self, m: u32) -> &str {
        &self.facts.members[m as usize].iso3
    }

    fn update_key_result(&mut self, i: usize) {
        let k = &self.facts.key_results[i];
        let latest = self.latest[i].as_ref();
        let p = progress(
            k.increase,
            k.baseline,
            k.targets.get(&self.period).copied(),
            latest.map(|l| l.value),
        );
        let doc = self
            .doc
            .key_results
            .get_mut(&self.facts.links.kr_keys[i])
            .expect("every key result has an entry");
        let old_status = doc.status;
        doc.actual = latest.map(|l| l.value);
        doc.reported_at = latest.map(|l| l.reported_at.clone());
        doc.progress = p;
        doc.status = Status::of(p);
        let new_status = doc.status;
        if old_status != new_status {
            let member = self.doc.members.get_mut(&*k.iso3).expect("member entry");
            member.status_counts.remove(old_status);
            member.status_counts.add(new_status, 1);
            let pillar = self
                .doc
                .pillars
                .get_mut(&k.pillar.to_string())
                .expect("pillar entry");
            pillar.status_counts.remove(old_status);
            pillar.status_counts.add(new_status, 1);
            if old_status == Status::NoData {
                pillar.krs_with_data += 1;
            } else if new_status == Status::NoData {
                pillar.krs_with_data -= 1;
            }
        }
    }

    /// `S(m,k)` and coverage from the member's key results in the pillar (or focus area).
    fn cell(&self, krs: &[usize]) -> (Option<f64>, Option<f64>) {
        let (mut num, mut den, mut with) = (0.0, 0.0, 0usize);
        for &i in krs {
            let k = &self.facts.key_results[i];
            if let Some(p) = self.doc.key_results[&self.facts.links.kr_keys[i]].progress {
                num += k.weight * score(p);
                den += k.weight;
                with += 1;
            }
        }
        let n = krs.len();
        (
            (with > 0).then(|| num / den),
            (n > 0).then(|| with as f64 / n as f64),
        )
    }

    fn update_member(&mut self, m: u32) {
        let iso3 = self.member_iso3(m).to_owned();
        for k in 1..=4 {
            let Some(krs) = self.cells.get(&(m, k)) else {
                continue;
            };
            let (s, c) = self.cell(krs);
            let cell = self
                .doc
                .members
                .get_mut(&iso3)
                .and_then(|d| d.pillars.get_mut(&k.to_string()))
                .expect("member cell");
            cell.score = s;
            cell.coverage = c;
        }
        let (reported, expected) = self.completeness_of(m);
        let d = self.doc.members.get_mut(&iso3).expect("member entry");
        d.score = mean(d.pillars.values().map(|c| c.score)).0;
        d.reported = reported;
        d.expected = expected;
        d.completeness = (expected > 0).then(|| reported as f64 / expected as f64);
    }

    fn completeness_of(&self, m: u32) -> (usize, usize) {
        let (mut reported, mut expected) = (0, 0);
        for k in 1..=4 {
            for &i in self.cells.get(&(m, k)).into_iter().flatten() {
                if self.facts.key_results[i].targets.contains_key(&self.period) {
                    expected += 1;
                    reported += usize::from(self.latest[i].is_some());
                }
            }
        }
        (reported, expected)
    }

    fn update_pillar(&mut self, k: i64) {
        let key = k.to_string();
        let (s, n) = mean(self.doc.members.values().map(|m| m.pillars[&key].score));
        let p = self.doc.pillars.get_mut(&key).expect("pillar entry");
        p.score = s;
        p.members_scored = n;
    }

    /// The member's score in the focus area, then the area's mean over its members.
    fn update_focus(&mut self, (m, f): (u32, u32)) {
        let s = self.cell(&self.member_focus[&(m, f)]).0;
        self.focus_scores.insert((m, f), s);
        let (s, n) = mean(
            self.focus_members[f as usize]
                .iter()
                .map(|&m| self.focus_scores[&(m, f)]),
        );
        let label = &self.facts.links.focus_labels[f as usize];
        let doc = self.doc.focus_areas.get_mut(&**label).expect("focus entry");
        doc.score = s;
        doc.members = n;
    }

    fn update_totals(&mut self) {
        let d = &mut self.doc;
        d.overall.score = mean(d.pillars.values().map(|p| p.score)).0;
        d.overall.members_scored = d.members.values().filter(|m| m.score.is_some()).count();
        let (r, e) = d
            .members
            .values()
            .fold((0, 0), |(r, e), m| (r + m.reported, e + m.expected));
        d.completeness = Completeness::new(r, e);
    }
}

/// The serialized values of the document's parts a change may touch, keyed by (section, key).
struct Snapshot(std::collections::BTreeMap<(&'static str, String), Value>);

impl Snapshot {
    fn take(
        live: &CurrentDashboard,
        krs: &BTreeSet<usize>,
        members: &BTreeSet<u32>,
        pillars: &BTreeSet<i64>,
        focus: &BTreeSet<(u32, u32)>,
    ) -> Self {
        let d = &live.doc;
        let mut s = std::collections::BTreeMap::new();
        let v = |x: &dyn erased::Ser| x.value();
        for &i in krs {
            let key = &live.facts.links.kr_keys[i];
            s.insert(("key_results", key.to_string()), v(&d.key_results[key]));
        }
        for &m in members {
            let iso3 = live.member_iso3(m);
            s.insert(("members", iso3.to_owned()), v(&d.members[iso3]));
        }
        for k in pillars {
            s.insert(("pillars", k.to_string()), v(&d.pillars[&k.to_string()]));
        }
        for &(_, f) in focus {
            let label = live.facts.links.focus_labels[f as usize].to_string();
            s.insert(("focus_areas", label.clone()), v(&d.focus_areas[&label]));
        }
        s.insert(("overall", String::new()), v(&d.overall));
        s.insert(("completeness", String::new()), v(&d.completeness));
        Self(s)
    }
}

mod erased {
    /// Serializes any document part to a JSON value (object-safe, for the snapshot table).
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("document parts serialize")
        }
    }
}

pub fn to_value(doc: &Dashboard) -> Value {
    serde_json::to_value(doc).expect("the document serializes")
}

#[cfg(test)]
mod tests;
