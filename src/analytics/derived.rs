//! Key results fed by data (contract §4): their actuals derived with polars from the trainings
//! and GP initiatives held in the facts ([`crate::records::SourceFacts`]), so that a replay at
//! revision N derives from the rows as of N.
//!
//! For a key result with a source, the value for cycle year Y sums the measure over its own
//! member's rows that pass the filter (sectors or themes; empty: all) and whose year lies in
//! `since..=Y` (or is Y without `since`); `initiatives` counts the initiatives active in those
//! years, each once. Cancelled initiatives count nothing. A year without any such row has no
//! derived actual ("no data", not 0).
//!
//! Derived actuals enter the computation as reports do: [`ActualFact`]s marked `derived`, in
//! [`Facts::actuals`], stamped with the revision and time of the change that made them (the
//! later of the change that gave the key result its source and the latest change to its
//! member's rows of the dataset). [`refresh`] replaces them whenever the facts may have
//! changed them; it does nothing to facts without sources, so documents without sources cost
//! what they did.

use polars::prelude::*;

use crate::domain::{CYCLE_FIRST_YEAR, CYCLE_LAST_YEAR};
use crate::model::SourceMeasure;
use crate::records::{ActualFact, Facts, Stamp};

/// Replaces the derived actuals of `facts` with ones derived afresh from its rows, and
/// settles the facts when anything was derived before or now.
pub fn refresh(facts: &mut Facts) -> PolarsResult<()> {
    let any_source = facts.key_results.iter().any(|k| k.source.is_some());
    if !any_source && !facts.actuals.iter().any(|a| a.derived) {
        return Ok(());
    }
    let fresh = if any_source {
        derive(facts)?
    } else {
        Vec::new()
    };
    facts.actuals.retain(|a| !a.derived);
    let kept: Vec<ActualFact> = fresh.into_iter().filter(|a| facts.keeps(a)).collect();
    facts.actuals.extend(kept);
    facts.settle();
    Ok(())
}

/// Whether the facts hold a key result fed by data: then changes to its source rows
/// recompute the document.
pub fn has_sources(facts: &Facts) -> bool {
    facts.key_results.iter().any(|k| k.source.is_some())
}

/// The rows of every dataset in one long frame: member, measure, filter key (sector or
/// theme), year, value, and the row's record (for counting initiatives once).
fn rows_frame(facts: &Facts) -> PolarsResult<DataFrame> {
    let mut iso3: Vec<&str> = Vec::new();
    let mut measure: Vec<&str> = Vec::new();
    let mut key: Vec<&str> = Vec::new();
    let mut year: Vec<i64> = Vec::new();
    let mut value: Vec<f64> = Vec::new();
    let mut item: Vec<&str> = Vec::new();
    let s = &facts.sources;
    for (id, t) in &s.trainings {
        for (m, v) in [
            (SourceMeasure::Participants, t.participants as f64),
            (SourceMeasure::Smes, t.smes as f64),
            (SourceMeasure::Female, t.female as f64),
            (
                SourceMeasure::CertifiedSpecialists,
                t.certified_specialists as f64,
            ),
            (SourceMeasure::Courses, 1.0),
            (SourceMeasure::ParticipantHours, t.participant_hours),
        ] {
            iso3.push(&t.iso3);
            measure.push(m.as_str());
            key.push(t.sector.as_str());
            year.push(t.year);
            value.push(v);
            item.push(id);
        }
    }
    for (id, g) in s.gp.iter().filter(|(_, g)| !g.cancelled) {
        let outcomes = g.outcomes.iter().map(|(m, y, v)| (m.as_str(), *y, *v));
        let active =
            (g.start_year..=g.end_year).map(|y| (SourceMeasure::Initiatives.as_str(), y, 1.0));
        for (m, y, v) in outcomes.chain(active) {
            iso3.push(&g.iso3);
            measure.push(m);
            key.push(&g.theme);
            year.push(y);
            value.push(v);
            item.push(id);
        }
    }
    let n = iso3.len();
    DataFrame::new(
        n,
        vec![
            Column::new("iso3".into(), iso3),
            Column::new("measure".into(), measure),
            Column::new("key".into(), key),
            Column::new("year".into(), year),
            Column::new("value".into(), value),
            Column::new("item".into(), item),
        ],
    )
}

/// One row per key result with a source, filter key (none: every key) and cycle year: what
/// to sum for it, from which year to which.
fn specs_frame(facts: &Facts) -> PolarsResult<DataFrame> {
    let years: Vec<i64> = (CYCLE_FIRST_YEAR..=CYCLE_LAST_YEAR)
        .filter(|y| facts.year.is_none_or(|only| only == *y))
        .collect();
    let mut kr: Vec<u32> = Vec::new();
    let mut iso3: Vec<&str> = Vec::new();
    let mut measure: Vec<&str> = Vec::new();
    let mut key: Vec<Option<&str>> = Vec::new();
    let mut to: Vec<i64> = Vec::new();
    let mut from: Vec<i64> = Vec::new();
    for (i, k) in facts.key_results.iter().enumerate() {
        let Some(s) = &k.source else {
            continue;
        };
        let keys: Vec<Option<&str>> = if s.sectors.is_empty() && s.themes.is_empty() {
            vec![None]
        } else {
            s.sectors
                .iter()
                .map(|x| Some(x.as_str()))
                .chain(s.themes.iter().map(|t| Some(t.as_str())))
                .collect()
        };
        for &y in &years {
            for &f in &keys {
                kr.push(i as u32);
                iso3.push(&k.iso3);
                measure.push(s.measure.as_str());
                key.push(f);
                to.push(y);
                from.push(s.since.unwrap_or(y));
            }
        }
    }
    let n = kr.len();
    DataFrame::new(
        n,
        vec![
            Column::new("kr".into(), kr),
            Column::new("iso3".into(), iso3),
            Column::new("measure".into(), measure),
            Column::new("filter".into(), key),
            Column::new("to".into(), to),
            Column::new("from".into(), from),
        ],
    )
}

/// The derived actual of every key result with a source, per cycle year that has a counted
/// row (only the facts' year when they hold one year's reports).
pub fn derive(facts: &Facts) -> PolarsResult<Vec<ActualFact>> {
    let specs = specs_frame(facts)?;
    if specs.height() == 0 {
        return Ok(Vec::new());
    }
    let rows = rows_frame(facts)?;
    let initiatives = lit(SourceMeasure::Initiatives.as_str());
    let sums = specs
        .lazy()
        .join(
            rows.lazy(),
            [col("iso3"), col("measure")],
            [col("iso3"), col("measure")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            col("filter")
                .is_null()
                .or(col("filter").eq(col("key")))
                .and(col("year").gt_eq(col("from")))
                .and(col("year").lt_eq(col("to"))),
        )
        .group_by([col("kr"), col("to")])
        .agg([
            col("value").sum().alias("sum"),
            col("item")
                .n_unique()
                .cast(DataType::Float64)
                .alias("items"),
            col("measure").first().alias("measure"),
        ])
        .select([
            col("kr"),
            col("to").alias("year"),
            when(col("measure").eq(initiatives))
                .then(col("items"))
                .otherwise(col("sum"))
                .alias("value"),
        ])
        .sort(["kr", "year"], SortMultipleOptions::default())
        .collect()?;

    let (kr, year, value) = (
        sums.column("kr")?.u32()?,
        sums.column("year")?.i64()?,
        sums.column("value")?.f64()?,
    );
    let mut out = Vec::with_capacity(sums.height());
    for i in 0..sums.height() {
        let (Some(k), Some(y), Some(v)) = (kr.get(i), year.get(i), value.get(i)) else {
            continue;
        };
        let krf = &facts.key_results[k as usize];
        let Some(source) = &krf.source else {
            continue;
        };
        let stamp = krf
            .source_stamp
            .as_ref()
            .max(facts.sources.changed(&krf.iso3, source.dataset))
            .cloned()
            .unwrap_or(Stamp {
                rev: 0,
                at: "".into(),
            });
        out.push(ActualFact {
            iso3: krf.iso3.to_string(),
            code: krf.code.to_string(),
            year: y,
            value: v,
            reported_at: stamp.at,
            rev: stamp.rev,
            kr: k,
            derived: true,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Documents without sources pay nothing: the facts are left exactly as they were (not even
    /// re-sorted or re-linked).
    #[test]
    fn facts_without_sources_are_left_as_they_are() {
        let facts = crate::analytics::synthetic::generate(5, 10, |_| 2);
        let mut refreshed = facts.clone();
        refresh(&mut refreshed).unwrap();
        assert_eq!(refreshed, facts);
        assert!(derive(&facts).unwrap().is_empty());
    }
}
