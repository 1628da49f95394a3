//! The dashboard document (DESIGN.md, "The dashboard document") and the patch between two
//! versions of it. Keyed maps throughout, so that a patch addresses any value by a stable path.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::facts::{Recent, Text};
use super::metrics::Status;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Dashboard {
    pub rev: i64,
    pub period: i64,
    pub generated_at: String,
    pub overall: Overall,
    /// Keyed by pillar number, "1" to "4".
    pub pillars: BTreeMap<String, PillarDoc>,
    /// Keyed by ISO3; every member, with or without a primer.
    pub members: BTreeMap<String, MemberDoc>,
    /// Keyed by focus-area label (labels that differ only in case and spacing are one area).
    pub focus_areas: BTreeMap<String, FocusDoc>,
    /// Keyed by `ISO3/CODE`.
    #[schema(value_type = BTreeMap<String, KrDoc>)]
    pub key_results: BTreeMap<Text, KrDoc>,
    pub completeness: Completeness,
    pub primers: PrimerCounts,
    /// The latest changes, newest first.
    pub recent: Vec<Recent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Overall {
    pub score: Option<f64>,
    pub members_scored: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusCounts {
    pub achieved: usize,
    pub on_track: usize,
    pub at_risk: usize,
    pub off_track: usize,
    pub no_data: usize,
}

impl StatusCounts {
    fn slot(&mut self, s: Status) -> &mut usize {
        match s {
            Status::Achieved => &mut self.achieved,
            Status::OnTrack => &mut self.on_track,
            Status::AtRisk => &mut self.at_risk,
            Status::OffTrack => &mut self.off_track,
            Status::NoData => &mut self.no_data,
        }
    }
    pub fn add(&mut self, s: Status, n: usize) {
        *self.slot(s) += n;
    }
    pub fn remove(&mut self, s: Status) {
        *self.slot(s) -= 1;
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct BudgetDoc {
    pub planned: f64,
    pub spent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PillarDoc {
    pub name: String,
    pub score: Option<f64>,
    pub members_scored: usize,
    pub krs: usize,
    pub krs_with_data: usize,
    pub status_counts: StatusCounts,
    pub budget: BudgetDoc,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct CellDoc {
    /// `S(m,k)`: weighted mean score of the member's key results in the pillar.
    pub score: Option<f64>,
    /// Key results with progress ÷ key results; `None` when the member has none in the pillar.
    pub coverage: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MemberDoc {
    pub name: String,
    /// none, draft, submitted or endorsed.
    pub primer_status: String,
    pub score: Option<f64>,
    /// Reported ÷ expected for the period; `None` when nothing is expected.
    pub completeness: Option<f64>,
    pub reported: usize,
    pub expected: usize,
    pub krs: usize,
    /// Keyed by pillar "1" to "4", all four present.
    pub pillars: BTreeMap<String, CellDoc>,
    pub status_counts: StatusCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FocusDoc {
    /// `S(f)`: mean over members of their weighted mean score in the area.
    pub score: Option<f64>,
    /// Members with a score in the area.
    pub members: usize,
    /// Members with key results in the area (what the room sees while primers are drafted).
    pub chosen_by: usize,
    pub krs: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KrDoc {
    #[schema(value_type = String)]
    pub iso3: Text,
    #[schema(value_type = String)]
    pub code: Text,
    pub pillar: i64,
    #[schema(value_type = String)]
    pub focus_area: Text,
    #[schema(value_type = String)]
    pub title: Text,
    #[schema(value_type = String)]
    pub unit: Text,
    /// increase or decrease.
    pub direction: &'static str,
    pub weight: f64,
    pub baseline: Option<f64>,
    /// Target for the period.
    pub target: Option<f64>,
    /// Latest report for the period.
    pub actual: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub reported_at: Option<Text>,
    /// Raw progress `p` (above 1 when over-achieved).
    pub progress: Option<f64>,
    pub status: Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Completeness {
    pub reported: usize,
    pub expected: usize,
    /// Σ reported ÷ Σ expected; `None` when nothing is expected.
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PrimerCounts {
    pub none: usize,
    pub draft: usize,
    pub submitted: usize,
    pub endorsed: usize,
}

/// One change to the document: set the value at a path, or remove it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Op {
    Set {
        path: Vec<String>,
        #[schema(value_type = Object)]
        value: Value,
    },
    Remove {
        path: Vec<String>,
    },
}

/// The ops that turn `old` into `new`: objects are compared key by key, anything else
/// (numbers, strings, arrays such as `recent`) is replaced whole when it differs.
pub fn diff(old: &Value, new: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    diff_into(&mut Vec::new(), old, new, &mut ops);
    ops
}

pub fn diff_into(path: &mut Vec<String>, old: &Value, new: &Value, ops: &mut Vec<Op>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                path.push(k.clone());
                match b.get(k) {
                    Some(vb) => diff_into(path, va, vb, ops),
                    None => ops.push(Op::Remove { path: path.clone() }),
                }
                path.pop();
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    path.push(k.clone());
                    ops.push(Op::Set {
                        path: path.clone(),
                        value: vb.clone(),
                    });
                    path.pop();
                }
            }
        }
        (a, b) if a == b => {}
        (_, b) => ops.push(Op::Set {
            path: path.clone(),
            value: b.clone(),
        }),
    }
}

/// Applies ops to a document (what a client does); used to check patches.
pub fn apply(doc: &mut Value, ops: &[Op]) {
    for op in ops {
        let (path, value) = match op {
            Op::Set { path, value } => (path, Some(value)),
            Op::Remove { path } => (path, None),
        };
        let Some((last, parents)) = path.split_last() else {
            if let Some(v) = value {
                *doc = v.clone();
            }
            continue;
        };
        let mut at = &mut *doc;
        for p in parents {
            at = at
                .as_object_mut()
                .expect("patch paths go through objects")
                .entry(p.clone())
                .or_insert_with(|| Value::Object(Default::default()));
        }
        let obj = at.as_object_mut().expect("patch paths go through objects");
        match value {
            Some(v) => {
                obj.insert(last.clone(), v.clone());
            }
            None => {
                obj.remove(last);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_then_apply_gives_the_new_document() {
        let old = json!({"a": 1, "m": {"x": {"s": 0.5}, "y": {"s": null}}, "r": [1, 2]});
        let new = json!({"a": 1, "m": {"x": {"s": 0.6}, "z": {"s": 1}}, "r": [3, 1, 2]});
        let ops = diff(&old, &new);
        assert_eq!(ops.len(), 4, "{ops:?}");
        let mut patched = old.clone();
        apply(&mut patched, &ops);
        assert_eq!(patched, new);
        assert!(diff(&new, &new).is_empty());
    }
}
