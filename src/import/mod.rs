//! Imports: primer workbooks (the tables of DESIGN.md, as an `.xlsx`, a folder of CSV files or a
//! `.zip` of them) and productivity series files (long form, or Penn World Table's wide form).
//!
//! An import is all-or-nothing and idempotent, and it names every problem of a file in one pass:
//! 1. [`read`]: files become [`tables::RawTable`]s, each row numbered as Excel shows it;
//! 2. [`tables`]: the tables become a typed [`tables::Workbook`] (columns and values checked);
//!    the rows that cannot be read are set aside with their problems;
//! 3. [`apply`]: the rows that could be read are merged into the store in one write, which
//!    checks them against the database (members, key results, ranges) and collects what it
//!    finds. Primers are upserted member by member (key results and targets not named by the
//!    files are kept), reports appended unless already stored, budgets, projects, series and
//!    their catalogue upserted.
//!
//! The write commits only when no step found a problem; otherwise it is rolled back and every
//! problem of every step is reported, sorted by file, sheet and row. A write that changes
//! nothing is rolled back too, so a second import of the same files leaves no trace.

pub mod apply;
mod cell;
mod kr_source_cells;
mod platform_apply;
pub mod platforms;
pub mod read;
pub mod tables;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::hash::Hash;

use crate::error::{Detail, Error, Result};
use crate::records::{Actor, Change};
use crate::store::{Store, Write};
pub use read::Source;
use tables::{Row, Skipped, Workbook};

/// What an import is doing, for a progress bar: `done` of `total` units of the stage (files
/// for `Read`, rows for `Check` and `Write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Files read into tables.
    Read,
    /// Rows read into records and checked.
    Check,
    /// Rows checked against the database and written (in the one transaction).
    Write,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Check => "check",
            Self::Write => "write",
        }
    }
}

/// Where an import tells its progress (the CLI's bar, the upload's progress events).
pub type OnProgress<'a> = &'a (dyn Fn(Progress) + Send + Sync);

/// For imports that nobody watches.
pub fn quietly(_: Progress) {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Apply,
    /// Validate everything, including against the database, then roll back.
    DryRun,
}

/// What an import changed (or, in a dry run, would change).
#[derive(Debug, Default, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Report {
    /// The revision the import created; `None` when it changed nothing (or was a dry run).
    pub rev: Option<i64>,
    pub dry_run: bool,
    /// Primers created or changed (with their key results and targets).
    pub primers: usize,
    /// Reports appended.
    pub actuals: usize,
    /// Reports withdrawn (rows of an exported history that carry a `withdrawn_reason`).
    pub withdrawn: usize,
    pub budgets: usize,
    pub projects: usize,
    /// Series values changed.
    pub series: usize,
    /// Series catalogue entries changed.
    pub catalogue: usize,
    /// Accreditations created or changed.
    pub accreditations: usize,
    /// GP themes created or relabelled.
    pub gp_themes: usize,
    /// GP initiatives created or changed (with their outcomes).
    pub gp_initiatives: usize,
    /// Trainings created or changed.
    pub trainings: usize,
    /// Tables left alone on purpose (an export's README and views).
    pub skipped: Vec<Skipped>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} primers, {} reports, {} withdrawn, {} budget rows, {} projects, {} series values, {} catalogue entries, \
             {} accreditations, {} GP themes, {} GP initiatives, {} trainings {}",
            self.primers,
            self.actuals,
            self.withdrawn,
            self.budgets,
            self.projects,
            self.series,
            self.catalogue,
            self.accreditations,
            self.gp_themes,
            self.gp_initiatives,
            self.trainings,
            match (self.dry_run, self.rev) {
                (true, _) => "would change (dry run: nothing written)".to_owned(),
                (false, Some(rev)) => format!("changed at revision {rev}"),
                (false, None) => "changed: nothing to do".to_owned(),
            }
        )?;
        for s in &self.skipped {
            write!(f, "\n  {}", s.file)?;
            if let Some(sheet) = &s.sheet {
                write!(f, ", sheet {sheet}")?;
            }
            write!(f, ": {}", s.message)?;
        }
        Ok(())
    }
}

/// Reads `sources` into a workbook: the rows that could be read, and the problems of the others.
pub fn parse(sources: &[Source], progress: OnProgress) -> (Workbook, Vec<Detail>) {
    let total = sources.len() as u64;
    progress(Progress {
        stage: Stage::Read,
        done: 0,
        total,
    });
    let (tables, mut problems) = read::raw_tables(sources);
    // The sheets an import skips are not checked either (an export's README is free-form).
    problems.retain(|d| !informational(d));
    progress(Progress {
        stage: Stage::Read,
        done: total,
        total,
    });
    let rows: u64 = tables.iter().map(|t| t.records.len() as u64).sum();
    let mut done = 0;
    let mut workbook = Workbook::default();
    let mut names = BTreeSet::new();
    for t in &tables {
        workbook
            .order
            .push((t.file.clone(), t.sheet.clone(), t.name.clone()));
        if !names.insert(t.name.clone()) && t.name != "series" {
            problems.push(
                Detail::message(format!(
                    "a second {} table: each table comes once (series may come in several files)",
                    t.name
                ))
                .in_file(&t.file)
                .in_sheet(t.sheet.as_deref()),
            );
            continue;
        }
        problems.extend(workbook.add(t));
        done += t.records.len() as u64;
        progress(Progress {
            stage: Stage::Check,
            done,
            total: rows,
        });
    }
    problems.extend(duplicates(&workbook));
    problems.extend(workbook.platforms.duplicates());
    (workbook, problems)
}

/// Whether a reader's problem lies in a table the import skips ([`tables::INFORMATIONAL`]).
fn informational(d: &Detail) -> bool {
    let table = match (&d.sheet, &d.file) {
        (Some(sheet), _) => read::shape::normalise(sheet),
        (None, Some(file)) => {
            let name = file.rsplit('/').next().unwrap_or(file);
            read::shape::normalise(name.rsplit_once('.').map_or(name, |(stem, _)| stem))
        }
        (None, None) => return false,
    };
    tables::INFORMATIONAL.iter().any(|(n, _)| *n == table)
}

/// Rows that name the same thing twice: the import would be ambiguous.
fn duplicates(w: &Workbook) -> Vec<Detail> {
    fn check<T, K: Hash + Eq + fmt::Debug>(
        rows: &[Row<T>],
        key: impl Fn(&T) -> K,
        show: impl Fn(&K) -> String,
    ) -> Vec<Detail> {
        let mut seen = HashMap::with_capacity(rows.len());
        let mut problems = Vec::new();
        for r in rows {
            if let Some(first) = seen.insert(key(&r.value), r.line) {
                let k = key(&r.value);
                problems.push(r.detail(None, format!("{} is also on row {first}", show(&k))));
            }
        }
        problems
    }
    let mut p = check(&w.primers, |r| r.iso3.clone(), |k| k.to_string());
    p.extend(check(
        &w.key_results,
        |r| (r.iso3.clone(), r.kr_code.clone()),
        |(m, k)| format!("{m} {k}"),
    ));
    p.extend(check(
        &w.targets,
        |r| (r.iso3.clone(), r.kr_code.clone(), r.year),
        |(m, k, y)| format!("the target of {m} {k} for {}", y.get()),
    ));
    p.extend(check(
        &w.budgets,
        |r| (r.pillar, r.year, r.iso3.clone()),
        |(pillar, y, m)| match m {
            Some(m) => format!("{m}'s budget for pillar {} in {}", pillar.get(), y.get()),
            None => format!(
                "the regional budget for pillar {} in {}",
                pillar.get(),
                y.get()
            ),
        },
    ));
    p.extend(check(
        &w.projects,
        |r| r.code.as_str().to_owned(),
        |c| format!("project {c}"),
    ));
    p.extend(check(
        &w.catalogue,
        |r| r.series.clone(),
        |s| format!("series {s}"),
    ));
    p.extend(check(
        &w.series,
        |r| (r.iso3.clone(), r.series.clone(), r.year),
        |(m, s, y)| format!("{m}'s {s} for {y}"),
    ));
    p
}

/// Reads, checks and applies `sources` as one write by `actor`, straight to the store (the
/// command line), today being the real day (UTC). A server imports with [`run`], so that its
/// dashboard hears of the change.
pub async fn import(
    store: &Store,
    sources: &[Source],
    actor: &Actor,
    mode: Mode,
) -> Result<Report> {
    import_on(store, sources, actor, mode, today()).await
}

/// [`import`] on the day `today` (what dates that may not be in the future are judged by).
pub async fn import_on(
    store: &Store,
    sources: &[Source],
    actor: &Actor,
    mode: Mode,
    today: time::Date,
) -> Result<Report> {
    let (workbook, problems) = parse(sources, &quietly);
    let write = store.begin(actor).await?;
    let (report, _) = run(write, workbook, problems, mode, today, &quietly).await?;
    Ok(report)
}

/// The real day (UTC), for imports run outside a server (whose day is its clock's).
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Applies a parsed workbook in `write` and commits it, unless `problems` (from [`parse`]) or
/// the database's checks found anything wrong, or this is a dry run: then it rolls back. Every
/// problem is reported at once, sorted by file, sheet and row. Returns the report and the
/// change committed (for the caller to publish). `today` is the server's day (dates of
/// accreditations, outcomes and trainings may not be after it).
pub async fn run(
    mut write: Write,
    workbook: Workbook,
    mut problems: Vec<Detail>,
    mode: Mode,
    today: time::Date,
    progress: OnProgress<'_>,
) -> Result<(Report, Option<Change>)> {
    let applied = apply::apply(&mut write, &workbook, today, progress).await;
    let mut report = match applied {
        Ok((report, found)) => {
            problems.extend(found);
            report
        }
        Err(e) => {
            write.rollback().await?;
            return Err(e);
        }
    };
    if !problems.is_empty() {
        write.rollback().await?;
        return Err(Error::invalid(sorted(problems, &workbook.order)));
    }
    report.skipped = workbook.skipped;
    match mode {
        Mode::Apply => {
            if write.changed() {
                // The answer a retry with the same Idempotency-Key gets.
                write.answer(
                    200,
                    &Report {
                        rev: Some(write.rev()),
                        ..report.clone()
                    },
                );
            }
            let change = write.commit().await?;
            report.rev = change.as_ref().map(|c| c.rev);
            Ok((report, change))
        }
        Mode::DryRun => {
            report.dry_run = true;
            write.rollback().await?;
            Ok((report, None))
        }
    }
}

/// Problems in reading order: by table (primers, key results, targets, actuals, …; tables of
/// one kind in the order of the files), then row (problems without a row first), each
/// reported once.
fn sorted(problems: Vec<Detail>, order: &[(String, Option<String>, String)]) -> Vec<Detail> {
    let mut seen = BTreeSet::new();
    let mut problems: Vec<Detail> = problems
        .into_iter()
        .filter(|d| seen.insert(d.to_string()))
        .collect();
    let position: HashMap<(&str, Option<&str>), (usize, usize)> = order
        .iter()
        .enumerate()
        .map(|(i, (f, s, name))| ((f.as_str(), s.as_deref()), (tables::reading_rank(name), i)))
        .collect();
    problems.sort_by_key(|d| {
        let table = d
            .file
            .as_deref()
            .and_then(|f| position.get(&(f, d.sheet.as_deref())).copied());
        (
            table.is_none(),
            table,
            d.file.clone(),
            d.sheet.clone(),
            d.row.unwrap_or(0),
        )
    });
    problems
}
