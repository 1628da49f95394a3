//! The dashboard document (DESIGN.md, "The dashboard document") and the patch between two
//! versions of it. Keyed maps throughout, so that a patch addresses any value by a stable path.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::formulas::Status;
use crate::domain::{Direction, PrimerStatus};
use crate::records::{Action, Entity, Text};

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
    #[schema(required = true)]
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
    #[schema(required = true)]
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
    #[schema(required = true)]
    pub score: Option<f64>,
    /// Key results with progress ÷ key results; `None` when the member has none in the pillar.
    #[schema(required = true)]
    pub coverage: Option<f64>,
    /// The member's key results in the pillar (what a cell shows while primers are drafted).
    pub krs: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MemberDoc {
    pub name: String,
    pub primer_status: PrimerState,
    #[schema(required = true)]
    pub score: Option<f64>,
    /// Reported ÷ expected for the period; `None` when nothing is expected.
    #[schema(required = true)]
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
    #[schema(required = true)]
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
    pub direction: Direction,
    pub weight: f64,
    #[schema(required = true)]
    pub baseline: Option<f64>,
    /// Target for the period.
    #[schema(required = true)]
    pub target: Option<f64>,
    /// Latest report for the period.
    #[schema(required = true)]
    pub actual: Option<f64>,
    #[schema(value_type = Option<String>)]
    #[schema(required = true)]
    pub reported_at: Option<Text>,
    /// Where its actuals come from when they are derived from data (`trainings` or
    /// `gp_initiatives`); null: reported by hand.
    #[schema(required = true)]
    pub source: Option<crate::model::SourceDataset>,
    /// Raw progress `p` (above 1 when over-achieved).
    #[schema(required = true)]
    pub progress: Option<f64>,
    pub status: Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Completeness {
    pub reported: usize,
    pub expected: usize,
    /// Σ reported ÷ Σ expected; `None` when nothing is expected.
    #[schema(required = true)]
    pub ratio: Option<f64>,
}

/// One line of the latest changes, as the room reads it: who did what, when. Made on the
/// server from the typed edit (by the ticker module of analytics), so every screen, and a
/// wall reloaded later, shows the same words.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Recent {
    /// Revision of the change.
    pub rev: i64,
    /// When the change was committed (RFC 3339).
    pub at: String,
    /// Who made it.
    pub actor: String,
    pub action: Action,
    pub entity: Entity,
    /// The key of what it changed, as in the audit log (e.g. `VNM/VNM-KR1/2026`).
    pub key: String,
    /// The member it concerns, if one, and that member's name.
    #[schema(required = true)]
    pub iso3: Option<String>,
    #[schema(required = true)]
    pub member: Option<String>,
    /// The line itself, e.g. "Viet Nam · SMEs trained: 395 companies in 2026, 79 % of target".
    pub summary: String,
    /// For a report: the status it gives its key result for the report's year (METRICS.md §1),
    /// so that a line keeps the status it announced after later reports.
    #[schema(required = true)]
    pub status: Option<super::formulas::Status>,
}

/// Where a member's primer stands: its status, or `none` without a primer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrimerState {
    None,
    Draft,
    Submitted,
    Endorsed,
}

impl From<Option<PrimerStatus>> for PrimerState {
    fn from(s: Option<PrimerStatus>) -> Self {
        match s {
            None => Self::None,
            Some(PrimerStatus::Draft) => Self::Draft,
            Some(PrimerStatus::Submitted) => Self::Submitted,
            Some(PrimerStatus::Endorsed) => Self::Endorsed,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PrimerCounts {
    pub none: usize,
    pub draft: usize,
    pub submitted: usize,
    pub endorsed: usize,
}

/// A step of a path into the document: an object's key, or (for lists) an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl From<&str> for Segment {
    fn from(k: &str) -> Self {
        Self::Key(k.to_owned())
    }
}

impl From<String> for Segment {
    fn from(k: String) -> Self {
        Self::Key(k)
    }
}

/// One change to the document (DESIGN.md, "Live"): set the value at a path, remove it, insert
/// into a list, or keep a list's first `len` items. Lists that grow at one end (the latest
/// changes) change by insert and trim, never by sending them again whole.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Op {
    Set {
        path: Vec<Segment>,
        value: Value,
    },
    Remove {
        path: Vec<Segment>,
    },
    /// Inserts `value` into the list at `path[..-1]`, before the index that ends the path.
    Insert {
        path: Vec<Segment>,
        value: Value,
    },
    /// Keeps the first `len` items of the list at `path`.
    Trim {
        path: Vec<Segment>,
        len: usize,
    },
}

impl Op {
    pub fn path(&self) -> &[Segment] {
        match self {
            Self::Set { path, .. }
            | Self::Remove { path }
            | Self::Insert { path, .. }
            | Self::Trim { path, .. } => path,
        }
    }
}

/// The ops that turn `old` into `new`: objects are compared key by key, lists by
/// [`diff_list`], anything else is replaced when it differs.
pub fn diff(old: &Value, new: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    diff_into(&mut Vec::new(), old, new, &mut ops);
    ops
}

pub fn diff_into(path: &mut Vec<Segment>, old: &Value, new: &Value, ops: &mut Vec<Op>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                path.push(Segment::Key(k.clone()));
                match b.get(k) {
                    Some(vb) => diff_into(path, va, vb, ops),
                    None => ops.push(Op::Remove { path: path.clone() }),
                }
                path.pop();
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    path.push(Segment::Key(k.clone()));
                    ops.push(Op::Set {
                        path: path.clone(),
                        value: vb.clone(),
                    });
                    path.pop();
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => diff_list(path, a, b, ops),
        (a, b) if a == b => {}
        (_, b) => ops.push(Op::Set {
            path: path.clone(),
            value: b.clone(),
        }),
    }
}

/// The ops that turn list `old` into `new`: when `new` is some new items followed by the start
/// of `old` (the latest changes, newest first), an insert of each new item at the front and a
/// trim to the new length; otherwise (nothing of `old` kept, or reordered) the whole list.
pub fn diff_list<T: PartialEq + Serialize>(
    path: &[Segment],
    old: &[T],
    new: &[T],
    ops: &mut Vec<Op>,
) {
    if old == new {
        return;
    }
    let Some(fresh) = (0..=new.len()).find(|&k| {
        let kept = &new[k..];
        let useful = !kept.is_empty() || old.is_empty() || new.is_empty();
        useful && kept.len() <= old.len() && kept == &old[..kept.len()]
    }) else {
        ops.push(Op::Set {
            path: path.to_vec(),
            value: serde_json::to_value(new).expect("document parts serialize"),
        });
        return;
    };
    // Oldest first, each at the front: the newest ends up first.
    for item in new[..fresh].iter().rev() {
        let mut at = path.to_vec();
        at.push(Segment::Index(0));
        ops.push(Op::Insert {
            path: at,
            value: serde_json::to_value(item).expect("document parts serialize"),
        });
    }
    if old.len() + fresh > new.len() {
        ops.push(Op::Trim {
            path: path.to_vec(),
            len: new.len(),
        });
    }
}

/// Applies ops to a document (what a client does); used to check patches.
pub fn apply(doc: &mut Value, ops: &[Op]) {
    for op in ops {
        let Some((last, parents)) = op.path().split_last() else {
            if let Op::Set { value, .. } = op {
                *doc = value.clone();
            }
            continue;
        };
        let mut at = &mut *doc;
        for p in parents {
            at = match (at, p) {
                (Value::Array(items), Segment::Index(i)) => &mut items[*i],
                (at, p) => {
                    let key = match p {
                        Segment::Key(k) => k.clone(),
                        Segment::Index(i) => i.to_string(),
                    };
                    at.as_object_mut()
                        .expect("patch paths go through objects")
                        .entry(key)
                        .or_insert_with(|| Value::Object(Default::default()))
                }
            };
        }
        match (op, last) {
            (Op::Insert { value, .. }, Segment::Index(i)) => {
                let items = at.as_array_mut().expect("inserts go into lists");
                items.insert((*i).min(items.len()), value.clone());
            }
            (Op::Trim { len, .. }, Segment::Key(k)) => {
                if let Some(Value::Array(items)) = at.get_mut(k) {
                    items.truncate(*len);
                }
            }
            (Op::Set { value, .. }, Segment::Key(k)) => {
                at.as_object_mut()
                    .expect("patch paths go through objects")
                    .insert(k.clone(), value.clone());
            }
            (Op::Remove { .. }, Segment::Key(k)) => {
                at.as_object_mut()
                    .expect("patch paths go through objects")
                    .remove(k);
            }
            (op, last) => panic!("op {op:?} cannot end at {last:?}"),
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
        assert!(
            ops.contains(&Op::Insert {
                path: vec!["r".into(), Segment::Index(0)],
                value: json!(3)
            }),
            "a list that grew at the front is inserted into: {ops:?}"
        );
        let mut patched = old.clone();
        apply(&mut patched, &ops);
        assert_eq!(patched, new);
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn lists_that_grow_at_the_front_change_by_insert_and_trim_else_whole() {
        let r = |items: &[i64]| json!({ "r": items });
        struct Case<'a>(&'a [i64], &'a [i64], usize, Option<usize>, bool);
        // (old, new, expected ops: inserts, trimmed to, sent whole)
        let cases = [
            Case(&[3, 2, 1], &[5, 4, 3], 2, Some(3), false),
            Case(&[2, 1], &[3, 2, 1], 1, None, false),
            Case(&[], &[1], 1, None, false),
            Case(&[3, 2, 1], &[3, 2], 0, Some(2), false),
            Case(&[3, 2, 1], &[9, 8, 7], 0, None, true),
            Case(&[3, 2, 1], &[2, 3, 1], 0, None, true),
            Case(&[1], &[], 0, Some(0), false),
        ];
        for Case(old, new, inserts, trim, whole) in cases {
            let ops = diff(&r(old), &r(new));
            let count = |f: fn(&Op) -> bool| ops.iter().filter(|o| f(o)).count();
            assert_eq!(
                count(|o| matches!(o, Op::Insert { .. })),
                inserts,
                "{old:?} → {new:?}: {ops:?}"
            );
            let trimmed = ops.iter().find_map(|o| match o {
                Op::Trim { len, .. } => Some(*len),
                _ => None,
            });
            assert_eq!(trimmed, trim, "{old:?} → {new:?}: {ops:?}");
            assert_eq!(
                count(|o| matches!(o, Op::Set { .. })) == 1,
                whole,
                "{old:?} → {new:?}: {ops:?}"
            );
            let mut patched = r(old);
            apply(&mut patched, &ops);
            assert_eq!(patched, r(new), "{old:?} → {new:?}: {ops:?}");
        }
    }

    #[test]
    fn ops_name_their_kind_and_list_indexes_as_numbers() {
        let insert = Op::Insert {
            path: vec!["recent".into(), Segment::Index(0)],
            value: json!({"rev": 2}),
        };
        assert_eq!(
            serde_json::to_value(&insert).unwrap(),
            json!({"op": "insert", "path": ["recent", 0], "value": {"rev": 2}})
        );
        let trim = Op::Trim {
            path: vec!["recent".into()],
            len: 10,
        };
        assert_eq!(
            serde_json::to_value(&trim).unwrap(),
            json!({"op": "trim", "path": ["recent"], "len": 10})
        );
        for op in [insert, trim] {
            let back: Op = serde_json::from_value(serde_json::to_value(&op).unwrap()).unwrap();
            assert_eq!(back, op);
        }
    }
}
