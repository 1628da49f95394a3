//! Imports: primer workbooks (the CSV tables of DESIGN.md) and productivity series files (long
//! form, or Penn World Table's wide form).
//!
//! An import is all-or-nothing and idempotent. It runs in three steps, each of which can fail
//! with every problem listed by file, row and column, and none of which writes until the last:
//! 1. [`Source`]s (files read into memory) become [`tables::RawTable`]s;
//! 2. the tables become a typed [`tables::Workbook`] (columns and values checked);
//! 3. [`apply`] merges the workbook into the store in one write: primers are upserted member
//!    by member (key results and targets not named by the files are kept), actuals appended
//!    unless already stored, budgets, projects and series upserted. A write that changes
//!    nothing is rolled back, so a second import of the same files leaves no trace.

pub mod read;
pub mod tables;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::error::{Detail, Error, Result};
use crate::model::{KeyResult, PrimerInput};
use crate::store::{Duplicates, Store, Workflow};
pub use read::Source;
use tables::{RawTable, Row, Workbook};

/// Parses sources into a workbook, or every problem found in them.
pub fn parse(sources: &[Source]) -> Result<Workbook> {
    let mut workbook = Workbook::default();
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    for s in sources {
        match RawTable::from_csv(&s.name, &s.bytes) {
            Ok(t) => {
                if !names.insert(t.name.clone()) && t.name != "series" {
                    problems.push(
                        Detail::message(format!("a second {} table", t.name)).in_file(&s.name),
                    );
                    continue;
                }
                problems.extend(workbook.add(&t));
            }
            Err(p) => problems.extend(p),
        }
    }
    problems.extend(duplicates(&workbook));
    if problems.is_empty() {
        Ok(workbook)
    } else {
        Err(Error::invalid(problems))
    }
}

/// Rows that name the same thing twice: the import would be ambiguous.
fn duplicates(w: &Workbook) -> Vec<Detail> {
    fn check<T, K: Ord + fmt::Debug>(rows: &[Row<T>], key: impl Fn(&T) -> K) -> Vec<Detail> {
        let mut seen = BTreeMap::new();
        let mut problems = Vec::new();
        for r in rows {
            if let Some(first) = seen.insert(key(&r.value), r.line) {
                problems
                    .push(r.detail(None, format!("{:?} is also on row {first}", key(&r.value))));
            }
        }
        problems
    }
    let mut p = check(&w.primers, |r| r.iso3.clone());
    p.extend(check(&w.key_results, |r| {
        (r.iso3.clone(), r.kr_code.clone())
    }));
    p.extend(check(&w.targets, |r| {
        (r.iso3.clone(), r.kr_code.clone(), r.year)
    }));
    p.extend(check(&w.budgets, |r| (r.pillar, r.year, r.iso3.clone())));
    p.extend(check(&w.projects, |r| r.code.as_str().to_owned()));
    p.extend(check(&w.series, |r| {
        (r.iso3.clone(), r.series.clone(), r.year)
    }));
    p
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Apply,
    /// Validate everything, including against the database, then roll back.
    DryRun,
}

/// What an import changed.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    /// The revision the import created; `None` when it changed nothing (or was a dry run).
    pub rev: Option<i64>,
    pub primers: usize,
    pub actuals: usize,
    pub budgets: usize,
    pub projects: usize,
    pub series: usize,
    pub dry_run: bool,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} primers, {} actuals, {} budget rows, {} projects, {} series values {}",
            self.primers,
            self.actuals,
            self.budgets,
            self.projects,
            self.series,
            match (self.dry_run, self.rev) {
                (true, _) => "would change (dry run: nothing written)".to_owned(),
                (false, Some(rev)) => format!("changed at revision {rev}"),
                (false, None) => "changed: nothing to do".to_owned(),
            }
        )
    }
}

/// Reads, checks and applies `sources` as one write by `actor`.
pub async fn import(
    store: &Store,
    sources: &[Source],
    actor: &crate::records::Actor,
    mode: Mode,
) -> Result<Report> {
    let workbook = parse(sources)?;
    apply(store, &workbook, actor, mode).await
}

/// Applies a parsed workbook as one write; nothing is kept unless all of it succeeds.
pub async fn apply(
    store: &Store,
    w: &Workbook,
    actor: &crate::records::Actor,
    mode: Mode,
) -> Result<Report> {
    let mut w_ = store.begin(actor).await?;
    let result = apply_in(&mut w_, w).await;
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            w_.rollback().await?;
            return Err(e);
        }
    };
    match mode {
        Mode::Apply => report.rev = w_.commit().await?.map(|c| c.rev),
        Mode::DryRun => {
            report.dry_run = true;
            w_.rollback().await?;
        }
    }
    Ok(report)
}

async fn apply_in(write: &mut crate::store::Write, w: &Workbook) -> Result<Report> {
    let mut report = Report::default();

    // Primers: merge each touched member's rows into its stored primer.
    let mut members: BTreeSet<String> = BTreeSet::new();
    members.extend(w.primers.iter().map(|r| r.value.iso3.as_str().to_owned()));
    members.extend(
        w.key_results
            .iter()
            .map(|r| r.value.iso3.as_str().to_owned()),
    );
    members.extend(w.targets.iter().map(|r| r.value.iso3.as_str().to_owned()));
    let mut problems = Vec::new();
    for iso3 in &members {
        match merge_primer(write, w, iso3).await? {
            Ok(primer) => match write.put_primer(iso3, &primer, Workflow::Bypass).await {
                Ok(changed) => report.primers += usize::from(changed),
                Err(Error::NotFound(m)) => problems.push(first_row_of(w, iso3, "iso3", m)),
                Err(e) => return Err(e),
            },
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }

    let actuals: Vec<_> = w.actuals.iter().map(|r| r.value.clone()).collect();
    report.actuals = write
        .append_actuals(&actuals, Duplicates::Skip)
        .await
        .map_err(|e| locate(e, &w.actuals))?;

    for (i, b) in w.budgets.iter().enumerate() {
        let p = b.value.check();
        if !p.is_empty() {
            problems.extend(p.into_iter().map(|(f, m)| b.detail(Some(&f), m)));
            continue;
        }
        match write.put_budget(&b.value).await {
            Ok(changed) => report.budgets += usize::from(changed),
            Err(e) => problems.extend(locate(e, &w.budgets[i..=i]).details().to_vec()),
        }
    }
    for p in &w.projects {
        let mut project = p.value.clone();
        let checks = project.check();
        if !checks.is_empty() {
            problems.extend(checks.into_iter().map(|(f, m)| p.detail(Some(&f), m)));
            continue;
        }
        match write.put_project(&project).await {
            Ok(changed) => report.projects += usize::from(changed),
            Err(Error::Invalid(_, d)) => problems.extend(
                d.into_iter()
                    .map(|d| p.detail(d.field.as_deref(), d.message)),
            ),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }

    let points: Vec<_> = w.series.iter().map(|r| r.value.clone()).collect();
    report.series = write
        .put_series(&points)
        .await
        .map_err(|e| locate(e, &w.series))?;
    Ok(report)
}

/// Builds the primer `iso3` will have after the import: the stored one (or the one its
/// `primers` row starts), with the files' key results and targets upserted by code.
async fn merge_primer(
    write: &mut crate::store::Write,
    w: &Workbook,
    iso3: &str,
) -> Result<Result<PrimerInput, Vec<Detail>>> {
    let head = w.primers.iter().find(|r| r.value.iso3.as_str() == iso3);
    let stored = write.primer(iso3).await?;
    let mut primer = match (stored, head) {
        (Some(p), _) => p.input(),
        (None, Some(_)) => PrimerInput {
            status: crate::domain::PrimerStatus::Draft,
            national_context: String::new(),
            endorsed_on: None,
            focus_areas: Vec::new(),
            key_results: Vec::new(),
        },
        (None, None) => {
            return Ok(Err(vec![first_row_of(
                w,
                iso3,
                "iso3",
                format!("{iso3} has no primer: add its row to primers.csv"),
            )]));
        }
    };
    if let Some(h) = head {
        primer.status = h.value.status;
        primer.national_context = h.value.national_context.clone();
        primer.endorsed_on = h.value.endorsed_on;
    }
    // Where each key result came from, to point problems at the file row.
    let mut origin: HashMap<String, &Row<tables::KeyResultRow>> = HashMap::new();
    for r in w
        .key_results
        .iter()
        .filter(|r| r.value.iso3.as_str() == iso3)
    {
        let k = &r.value;
        let kr = KeyResult {
            code: k.kr_code.clone(),
            pillar: k.pillar,
            focus_area: k.focus_area.clone(),
            title: k.title.clone(),
            unit: k.unit.clone(),
            direction: k.direction,
            baseline_year: k.baseline_year,
            baseline_value: k.baseline_value,
            weight: k
                .weight
                .unwrap_or(crate::domain::Finite::new(1.0).expect("finite")),
            targets: BTreeMap::new(),
            min_value: k.min_value,
            max_value: k.max_value,
        };
        origin.insert(k.kr_code.as_str().to_owned(), r);
        match primer.key_results.iter_mut().find(|e| e.code == kr.code) {
            Some(existing) => {
                let targets = std::mem::take(&mut existing.targets);
                *existing = KeyResult { targets, ..kr };
            }
            None => primer.key_results.push(kr),
        }
        let key = crate::domain::focus_area_key(&k.focus_area);
        if !primer
            .focus_areas
            .iter()
            .any(|f| crate::domain::focus_area_key(f) == key)
        {
            primer.focus_areas.push(k.focus_area.trim().to_owned());
        }
    }
    let mut problems = Vec::new();
    for t in w.targets.iter().filter(|r| r.value.iso3.as_str() == iso3) {
        match primer
            .key_results
            .iter_mut()
            .find(|k| k.code == t.value.kr_code)
        {
            Some(k) => {
                k.targets.insert(t.value.year, t.value.target);
            }
            None => problems.push(t.detail(
                Some("kr_code"),
                format!("{iso3} has no key result {}", t.value.kr_code),
            )),
        }
    }
    for d in primer.check() {
        // `key_results[3].title` → the key_results.csv row of that key result.
        let field = d.field.clone().unwrap_or_default();
        let located = field
            .strip_prefix("key_results[")
            .and_then(|rest| rest.split_once("]."))
            .and_then(|(i, f)| {
                let code = primer
                    .key_results
                    .get(i.parse::<usize>().ok()?)?
                    .code
                    .as_str();
                Some(origin.get(code)?.detail(Some(f), d.message.clone()))
            });
        problems
            .push(located.unwrap_or_else(|| {
                first_row_of(w, iso3, &field, format!("{iso3}: {}", d.message))
            }));
    }
    Ok(if problems.is_empty() {
        Ok(primer)
    } else {
        Err(problems)
    })
}

/// A detail at the first row that mentions `iso3` (its primers row, else a key result or
/// target row).
fn first_row_of(w: &Workbook, iso3: &str, field: &str, message: String) -> Detail {
    let field = (!field.is_empty()).then_some(field);
    if let Some(r) = w.primers.iter().find(|r| r.value.iso3.as_str() == iso3) {
        return r.detail(field, message);
    }
    if let Some(r) = w.key_results.iter().find(|r| r.value.iso3.as_str() == iso3) {
        return r.detail(field, message);
    }
    if let Some(r) = w.targets.iter().find(|r| r.value.iso3.as_str() == iso3) {
        return r.detail(field, message);
    }
    Detail::message(message)
}

/// Maps the row indices of a store error (index into the slice it was given) to file rows.
fn locate<T>(e: Error, rows: &[Row<T>]) -> Error {
    match e {
        // The message is made again from the located details (it named the batch's row 0).
        Error::Invalid(_, details) => Error::invalid(
            details
                .into_iter()
                .map(|d| match d.row.and_then(|i| rows.get(i)) {
                    Some(r) => r.detail(d.field.as_deref(), d.message),
                    None => match rows.first() {
                        Some(r) if rows.len() == 1 => r.detail(d.field.as_deref(), d.message),
                        _ => d,
                    },
                })
                .collect(),
        ),
        other => other,
    }
}
