//! Full recomputation of the dashboard document with polars (METRICS.md §1–2): used at start,
//! for replay (`?rev=N`) and whenever a change is not a plain report.
//!
//! One lazy chain builds the key-result level (latest actual, progress, score, status); the
//! roll-ups are small group-bys over it, run together with `collect_all`. Each rule is a small
//! named function returning an `Expr`, mirroring [`super::formulas`] for the single-value path.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::document::{
    BudgetDoc, CellDoc, Completeness, Dashboard, FocusDoc, KrDoc, MemberDoc, Overall, PillarDoc,
    PrimerCounts, PrimerState, StatusCounts,
};
use super::formulas::Status;
use super::ticker;
use crate::domain::{Direction, Pillar};
use crate::records::Facts;
use crate::records::facts::YearReports;

// ---- the rules of METRICS.md §1 as expressions ----

/// `p`: null without an actual or a target; `(A−B)/(T−B)` with a baseline other than the
/// target; otherwise the increase/decrease rules.
fn progress() -> Expr {
    let (a, t, b) = (col("actual"), col("target"), col("baseline"));
    let increase = when(a.clone().gt_eq(t.clone()))
        .then(lit(1.0))
        .when(t.clone().gt(lit(0.0)))
        .then(a.clone() / t.clone())
        .otherwise(lit(0.0));
    let decrease = when(a.clone().lt_eq(t.clone()))
        .then(lit(1.0))
        .when(a.clone().gt(lit(0.0)))
        .then(t.clone() / a.clone())
        .otherwise(lit(0.0));
    when(a.clone().is_null().or(t.clone().is_null()))
        .then(lit(NULL).cast(DataType::Float64))
        .when(b.clone().is_not_null().and(t.clone().neq(b.clone())))
        .then((a - b.clone()) / (t - b))
        .when(col("increase"))
        .then(increase)
        .otherwise(decrease)
}

/// `s = clamp(p, 0, 1)`.
fn score() -> Expr {
    let p = col("p");
    when(p.clone().gt(lit(1.0)))
        .then(lit(1.0))
        .when(p.clone().lt(lit(0.0)))
        .then(lit(0.0))
        .otherwise(p)
}

/// Status as its index in [`Status::ALL`].
fn status() -> Expr {
    let p = col("p");
    let code = |s: Status| lit(s.index() as i32);
    when(p.clone().is_null())
        .then(code(Status::NoData))
        .when(p.clone().gt_eq(lit(1.0)))
        .then(code(Status::Achieved))
        .when(p.clone().gt_eq(lit(0.7)))
        .then(code(Status::OnTrack))
        .when(p.gt_eq(lit(0.4)))
        .then(code(Status::AtRisk))
        .otherwise(code(Status::OffTrack))
}

// ---- the roll-ups of METRICS.md §2 ----

/// `Σ wᵢ·sᵢ / Σ wᵢ` over the key results that have a progress; null when none has.
fn weighted_score() -> Expr {
    let has = col("p").is_not_null();
    let num = when(has.clone())
        .then(col("weight") * col("s"))
        .otherwise(lit(0.0))
        .sum();
    let den = when(has.clone())
        .then(col("weight"))
        .otherwise(lit(0.0))
        .sum();
    when(has.sum().gt(lit(0)))
        .then(num / den)
        .otherwise(lit(NULL).cast(DataType::Float64))
}

fn with_data() -> Expr {
    col("p").is_not_null().sum().cast(DataType::Int64)
}

fn expected() -> Expr {
    col("target").is_not_null().sum().cast(DataType::Int64)
}

fn reported() -> Expr {
    col("target")
        .is_not_null()
        .and(col("actual").is_not_null())
        .sum()
        .cast(DataType::Int64)
}

fn status_counts() -> Vec<Expr> {
    Status::ALL
        .iter()
        .map(|s| {
            col("status")
                .eq(lit(s.index() as i32))
                .sum()
                .cast(DataType::Int64)
                .alias(format!("status_{}", s.index()))
        })
        .collect()
}

fn count() -> Expr {
    len().cast(DataType::Int64)
}

/// The document for `period`, computed from scratch. Reports count through their `kr` link
/// ([`Facts::link`]; the store's facts are linked).
pub fn compute(facts: &Facts, period: i64, generated_at: String) -> PolarsResult<Dashboard> {
    let krs = kr_frame(facts, period)?;
    let latest = latest_actuals(facts, period)?;
    // Row i of the result must stay key result i (the document is assembled by position).
    let mut keep_left = JoinArgs::new(JoinType::Left);
    keep_left.maintain_order = MaintainOrderJoin::Left;
    let level = krs
        .lazy()
        .join(latest, [col("kr")], [col("kr")], keep_left)
        .with_column(progress().alias("p"))
        .with_columns([score().alias("s"), status().alias("status")])
        .collect()?;

    let by = |keys: &[&str], aggs: Vec<Expr>| {
        level
            .clone()
            .lazy()
            .group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
            .agg(aggs)
    };
    let cells = by(
        &["member", "pillar"],
        vec![
            weighted_score().alias("score"),
            with_data().alias("with_data"),
            count().alias("krs"),
        ],
    )
    .collect()?;
    let mut member_aggs = status_counts();
    member_aggs.extend([
        count().alias("krs"),
        expected().alias("expected"),
        reported().alias("reported"),
    ]);
    let mut pillar_aggs = status_counts();
    pillar_aggs.extend([count().alias("krs"), with_data().alias("with_data")]);
    let member_focus = by(
        &["member", "focus"],
        vec![weighted_score().alias("score"), count().alias("krs")],
    );
    let focus = member_focus.group_by([col("focus")]).agg([
        col("score").mean().alias("score"),
        col("score")
            .is_not_null()
            .sum()
            .cast(DataType::Int64)
            .alias("members"),
        len().cast(DataType::Int64).alias("chosen_by"),
        col("krs").sum().alias("krs"),
    ]);
    let cell_scores = cells.clone().lazy();
    let plans = vec![
        by(&["member"], member_aggs),
        by(&["pillar"], pillar_aggs),
        focus,
        cell_scores
            .clone()
            .group_by([col("member")])
            .agg([col("score").mean().alias("score")]),
        cell_scores.group_by([col("pillar")]).agg([
            col("score").mean().alias("score"),
            col("score")
                .is_not_null()
                .sum()
                .cast(DataType::Int64)
                .alias("members_scored"),
        ]),
    ];
    let [members, pillars, focus, member_scores, pillar_scores]: [DataFrame; 5] =
        collect_all(plans)?
            .try_into()
            .map_err(|_| polars_err!(ComputeError: "collect_all returned the wrong count"))?;

    assemble(
        facts,
        period,
        generated_at,
        Frames {
            level,
            cells,
            members,
            pillars,
            focus,
            member_scores,
            pillar_scores,
        },
    )
}

fn collect_all(plans: Vec<LazyFrame>) -> PolarsResult<Vec<DataFrame>> {
    // Small frames: running the plans one after another costs less than scheduling them.
    plans.into_iter().map(LazyFrame::collect).collect()
}

/// One row per key result, with its target for the period; members and focus areas as the
/// integer indexes of [`Facts::link`], so that the group-bys compare integers.
fn kr_frame(facts: &Facts, period: i64) -> PolarsResult<DataFrame> {
    let (k, l) = (&facts.key_results, &facts.links);
    let n = k.len();
    if l.kr_member.len() != n {
        polars_bail!(ComputeError: "facts are not linked (Facts::link)");
    }
    DataFrame::new(
        n,
        vec![
            Column::new("kr".into(), (0..n as u32).collect::<Vec<_>>()),
            Column::new("member".into(), l.kr_member.clone()),
            Column::new(
                "pillar".into(),
                k.iter().map(|r| r.pillar).collect::<Vec<_>>(),
            ),
            Column::new("focus".into(), l.kr_focus.clone()),
            Column::new(
                "weight".into(),
                k.iter().map(|r| r.weight).collect::<Vec<_>>(),
            ),
            Column::new(
                "increase".into(),
                k.iter().map(|r| r.increase).collect::<Vec<_>>(),
            ),
            Column::new(
                "baseline".into(),
                k.iter().map(|r| r.baseline).collect::<Vec<_>>(),
            ),
            Column::new(
                "target".into(),
                k.iter()
                    .map(|r| r.targets.get(&period).copied())
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

/// The current actual of each key result for the period: the last report in report order
/// (`Facts::actuals` is sorted by `reported_at`, then revision, and group-by keeps row order
/// within a group).
fn latest_actuals(facts: &Facts, period: i64) -> PolarsResult<LazyFrame> {
    let empty = YearReports::default();
    let reports = facts.links.year_reports.get(&period).unwrap_or(&empty);
    let (kr, value, at) = (
        reports.kr.clone(),
        reports.value.clone(),
        reports.row.clone(),
    );
    let n = kr.len();
    Ok(DataFrame::new(
        n,
        vec![
            Column::new("kr".into(), kr),
            Column::new("value".into(), value),
            Column::new("row".into(), at),
        ],
    )?
    .lazy()
    .group_by([col("kr")])
    .agg([
        col("value").last().alias("actual"),
        col("row").last().alias("row"),
    ]))
}

struct Frames {
    level: DataFrame,
    cells: DataFrame,
    members: DataFrame,
    pillars: DataFrame,
    focus: DataFrame,
    member_scores: DataFrame,
    pillar_scores: DataFrame,
}

fn counts_of(df: &DataFrame, i: usize) -> PolarsResult<StatusCounts> {
    let mut c = StatusCounts::default();
    for s in Status::ALL {
        let v = df
            .column(&format!("status_{}", s.index()))?
            .i64()?
            .get(i)
            .unwrap_or(0);
        c.add(s, v as usize);
    }
    Ok(c)
}

fn assemble(
    facts: &Facts,
    period: i64,
    generated_at: String,
    f: Frames,
) -> PolarsResult<Dashboard> {
    let usize_at = |df: &DataFrame, name: &str, i: usize| -> PolarsResult<usize> {
        Ok(df.column(name)?.i64()?.get(i).unwrap_or(0) as usize)
    };
    let idx = |c: &Column, i: usize| -> PolarsResult<Option<usize>> {
        Ok(c.u32()?.get(i).map(|v| v as usize))
    };

    // Members: every member, scored or not; the frames name them by index.
    let mut members: Vec<MemberDoc> = facts
        .members
        .iter()
        .map(|m| {
            let status = PrimerState::from(facts.primers.get(&m.iso3).map(|p| p.status));
            MemberDoc::empty(&m.name, status)
        })
        .collect();
    let member = f.members.column("member")?;
    for i in 0..f.members.height() {
        if let Some(m) = idx(member, i)?.and_then(|m| members.get_mut(m)) {
            m.status_counts = counts_of(&f.members, i)?;
            m.krs = usize_at(&f.members, "krs", i)?;
            m.expected = usize_at(&f.members, "expected", i)?;
            m.reported = usize_at(&f.members, "reported", i)?;
            m.completeness = (m.expected > 0).then(|| m.reported as f64 / m.expected as f64);
        }
    }
    let (member, score) = (
        f.member_scores.column("member")?,
        f.member_scores.column("score")?.f64()?,
    );
    for i in 0..f.member_scores.height() {
        if let Some(m) = idx(member, i)?.and_then(|m| members.get_mut(m)) {
            m.score = score.get(i);
        }
    }
    let (member, pillar, score, with, krs) = (
        f.cells.column("member")?,
        f.cells.column("pillar")?.i64()?,
        f.cells.column("score")?.f64()?,
        f.cells.column("with_data")?.i64()?,
        f.cells.column("krs")?.i64()?,
    );
    for i in 0..f.cells.height() {
        let (Some(m), Some(k)) = (
            idx(member, i)?.and_then(|m| members.get_mut(m)),
            pillar.get(i),
        ) else {
            continue;
        };
        let n = krs.get(i).unwrap_or(0);
        m.pillars.insert(
            k.to_string(),
            CellDoc {
                score: score.get(i),
                coverage: (n > 0).then(|| with.get(i).unwrap_or(0) as f64 / n as f64),
                krs: n as usize,
            },
        );
    }
    let members: BTreeMap<String, MemberDoc> = facts
        .members
        .iter()
        .map(|m| m.iso3.clone())
        .zip(members)
        .collect();

    // Pillars.
    let mut pillars: BTreeMap<String, PillarDoc> = Pillar::ALL
        .iter()
        .map(|(k, name)| (k.to_string(), PillarDoc::empty(name)))
        .collect();
    let key = f.pillars.column("pillar")?.i64()?;
    for i in 0..f.pillars.height() {
        if let Some(p) = key.get(i).and_then(|k| pillars.get_mut(&k.to_string())) {
            p.status_counts = counts_of(&f.pillars, i)?;
            p.krs = usize_at(&f.pillars, "krs", i)?;
            p.krs_with_data = usize_at(&f.pillars, "with_data", i)?;
        }
    }
    let (key, score) = (
        f.pillar_scores.column("pillar")?.i64()?,
        f.pillar_scores.column("score")?.f64()?,
    );
    for i in 0..f.pillar_scores.height() {
        if let Some(p) = key.get(i).and_then(|k| pillars.get_mut(&k.to_string())) {
            p.score = score.get(i);
            p.members_scored = usize_at(&f.pillar_scores, "members_scored", i)?;
        }
    }
    for b in facts.budgets.iter().filter(|b| b.year == period) {
        if let Some(p) = pillars.get_mut(&b.pillar.to_string()) {
            p.budget.planned += b.planned;
            p.budget.spent += b.spent;
        }
    }

    // Focus areas, shown under one label per key.
    let mut focus_areas = BTreeMap::new();
    let (focus, score) = (f.focus.column("focus")?, f.focus.column("score")?.f64()?);
    for i in 0..f.focus.height() {
        let Some(label) = idx(focus, i)?.and_then(|k| facts.links.focus_labels.get(k)) else {
            continue;
        };
        focus_areas.insert(
            label.to_string(),
            FocusDoc {
                score: score.get(i),
                members: usize_at(&f.focus, "members", i)?,
                chosen_by: usize_at(&f.focus, "chosen_by", i)?,
                krs: usize_at(&f.focus, "krs", i)?,
            },
        );
    }

    // Key results: the frame keeps the facts' order, so row i is key result i.
    let (p, status, actual, row) = (
        f.level.column("p")?.f64()?,
        f.level.column("status")?.i32()?,
        f.level.column("actual")?.f64()?,
        f.level.column("row")?.u32()?,
    );
    // Entries are produced in key order (Links::kr_sorted), so that building the map does
    // not sort 100,000 large entries by moving them.
    let p: Vec<Option<f64>> = p.iter().collect();
    let status: Vec<Option<i32>> = status.iter().collect();
    let actual: Vec<Option<f64>> = actual.iter().collect();
    let row: Vec<Option<u32>> = row.iter().collect();
    let key_results = facts
        .links
        .kr_sorted
        .iter()
        .map(|&i| {
            let (i, k) = (i as usize, &facts.key_results[i as usize]);
            let doc = KrDoc {
                iso3: k.iso3.clone(),
                code: k.code.clone(),
                pillar: k.pillar,
                focus_area: k.focus_area.clone(),
                title: k.title.clone(),
                unit: k.unit.clone(),
                direction: if k.increase {
                    Direction::Increase
                } else {
                    Direction::Decrease
                },
                weight: k.weight,
                baseline: k.baseline,
                target: k.targets.get(&period).copied(),
                actual: actual[i],
                reported_at: row[i].map(|r| facts.actuals[r as usize].reported_at.clone()),
                source: k.source.as_ref().map(|s| s.dataset),
                progress: p[i],
                status: Status::ALL[status[i].unwrap_or(4) as usize],
            };
            (facts.links.kr_keys[i].clone(), doc)
        })
        .collect();

    let (overall_score, _) = super::formulas::mean(pillars.values().map(|p| p.score));
    let (reported, expected) = members
        .values()
        .fold((0, 0), |(r, e), m| (r + m.reported, e + m.expected));
    let mut primers = PrimerCounts::default();
    for m in members.values() {
        primers.add(m.primer_status);
    }
    Ok(Dashboard {
        rev: facts.rev,
        period,
        generated_at,
        overall: Overall {
            score: overall_score,
            members_scored: members.values().filter(|m| m.score.is_some()).count(),
        },
        pillars,
        members,
        focus_areas,
        key_results,
        completeness: Completeness::new(reported, expected),
        primers,
        recent: facts
            .recent
            .iter()
            .map(|l| ticker::line(l, facts))
            .collect(),
    })
}

impl MemberDoc {
    pub fn empty(name: &str, primer_status: PrimerState) -> Self {
        Self {
            name: name.to_owned(),
            primer_status,
            score: None,
            completeness: None,
            reported: 0,
            expected: 0,
            krs: 0,
            pillars: (1..=4)
                .map(|k| {
                    (
                        k.to_string(),
                        CellDoc {
                            score: None,
                            coverage: None,
                            krs: 0,
                        },
                    )
                })
                .collect(),
            status_counts: StatusCounts::default(),
        }
    }
}

impl PillarDoc {
    pub fn empty(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            score: None,
            members_scored: 0,
            krs: 0,
            krs_with_data: 0,
            status_counts: StatusCounts::default(),
            budget: BudgetDoc::default(),
        }
    }
}

impl Completeness {
    pub fn new(reported: usize, expected: usize) -> Self {
        Self {
            reported,
            expected,
            ratio: (expected > 0).then(|| reported as f64 / expected as f64),
        }
    }
}

impl PrimerCounts {
    pub fn add(&mut self, status: PrimerState) {
        match status {
            PrimerState::Draft => self.draft += 1,
            PrimerState::Submitted => self.submitted += 1,
            PrimerState::Endorsed => self.endorsed += 1,
            PrimerState::None => self.none += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::formulas::progress;

    /// At scale polars runs joins and group-bys in parallel; the document is assembled by
    /// position, so every key result must still get its own numbers.
    #[test]
    fn every_key_result_gets_its_own_progress_at_scale() {
        let facts = crate::analytics::synthetic::generate(200, 100, |_| 2);
        let doc = compute(&facts, 2026, String::new()).unwrap();
        let mut latest = vec![None; facts.key_results.len()];
        for a in facts.actuals.iter().filter(|a| a.year == 2026) {
            latest[a.kr as usize] = Some(a.value);
        }
        for (i, k) in facts.key_results.iter().enumerate() {
            let d = &doc.key_results[&facts.links.kr_keys[i]];
            assert_eq!((&*d.iso3, &*d.code), (&*k.iso3, &*k.code));
            assert_eq!(d.actual, latest[i], "{}", facts.links.kr_keys[i]);
            let p = progress(
                k.increase,
                k.baseline,
                k.targets.get(&2026).copied(),
                latest[i],
            );
            assert_eq!(d.progress, p, "{}", facts.links.kr_keys[i]);
        }
    }
}
