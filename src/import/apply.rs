//! The database step of an import: the workbook's rows merged into the store in one write, each
//! stage checked against the database and every problem collected, not only the first stage's.
//! (Whether the write commits is [`super::run`]'s decision.)

use std::collections::{BTreeSet, HashMap, HashSet};

use super::tables::{self, Row, Workbook};
use super::{OnProgress, Progress, Report, Stage};
use crate::error::{Detail, Error, Result};
use crate::model::{KeyResult, PrimerInput};
use crate::store::{Duplicates, Workflow, Write};

/// Applies `w` in `write`: what it changed, and the problems it found (the write must then be
/// rolled back). An `Err` is a failure of the database, not of the files.
pub async fn apply(
    write: &mut Write,
    w: &Workbook,
    today: time::Date,
    progress: OnProgress<'_>,
) -> Result<(Report, Vec<Detail>)> {
    let mut report = Report::default();
    let mut problems = Vec::new();
    let total = (w.primers.len()
        + w.key_results.len()
        + w.targets.len()
        + w.actuals.len()
        + w.budgets.len()
        + w.projects.len()
        + w.catalogue.len()
        + w.series.len()
        + w.platforms.len()) as u64;
    let mut done = 0u64;
    let mut step = |n: usize| {
        done += n as u64;
        progress(Progress {
            stage: Stage::Write,
            done,
            total,
        });
    };

    // Primers: merge each touched member's rows into its stored primer. A member whose primer
    // cannot be written is `blocked`: its reports are not checked further.
    let unreadable_member = |iso3: &str| w.unreadable.contains(&(iso3.to_owned(), None));
    let mut members: BTreeSet<String> = BTreeSet::new();
    members.extend(w.primers.iter().map(|r| r.value.iso3.as_str().to_owned()));
    members.extend(
        w.key_results
            .iter()
            .map(|r| r.value.iso3.as_str().to_owned()),
    );
    members.extend(w.targets.iter().map(|r| r.value.iso3.as_str().to_owned()));
    let mut blocked = HashSet::new();
    for iso3 in &members {
        match merge_primer(write, w, iso3).await? {
            Ok(primer) => match write.put_primer(iso3, &primer, Workflow::Bypass).await {
                Ok(changed) => report.primers += usize::from(changed),
                Err(Error::NotFound(m)) => {
                    blocked.insert(iso3.clone());
                    problems.push(first_row_of(w, iso3, "iso3", m));
                }
                Err(Error::Invalid(_, d)) => {
                    blocked.insert(iso3.clone());
                    problems.extend(d.into_iter().map(|d| {
                        first_row_of(w, iso3, d.field.as_deref().unwrap_or(""), d.message)
                    }));
                }
                Err(e) => return Err(e),
            },
            Err(p) => {
                blocked.insert(iso3.clone());
                if !unreadable_member(iso3) {
                    problems.extend(p);
                }
            }
        }
    }
    step(w.primers.len() + w.key_results.len() + w.targets.len());

    // Reports: those on a member or key result whose rows could not be read are left out
    // (their problem is already reported). Those of a member whose primer could not be written
    // are checked, except against the key results its files define (not written, so unknown).
    let unreadable = |r: &tables::ActualRow| {
        let iso3 = r.iso3.as_str();
        unreadable_member(iso3)
            || w.unreadable
                .contains(&(iso3.to_owned(), Some(r.kr_code.as_str().to_owned())))
    };
    let defined: HashSet<(&str, &str)> = w
        .key_results
        .iter()
        .map(|r| (r.value.iso3.as_str(), r.value.kr_code.as_str()))
        .collect();
    let unwritten = |r: &tables::ActualRow| {
        blocked.contains(r.iso3.as_str())
            && defined.contains(&(r.iso3.as_str(), r.kr_code.as_str()))
    };
    let actuals: Vec<&Row<tables::ActualRow>> =
        w.actuals.iter().filter(|r| !unreadable(&r.value)).collect();
    let inputs: Vec<_> = actuals.iter().map(|r| r.value.input()).collect();
    match write.append_actuals(&inputs, Duplicates::Skip).await {
        Ok(n) => {
            report.actuals = n;
            report.withdrawn = history(write, &actuals, n > 0).await?;
        }
        Err(Error::Invalid(_, details)) => {
            let kept = details
                .into_iter()
                .filter(|d| {
                    let on_unwritten = d
                        .row
                        .and_then(|i| actuals.get(i))
                        .is_some_and(|r| unwritten(&r.value));
                    !(on_unwritten && d.field.as_deref() == Some("kr_code"))
                })
                .collect();
            problems.extend(located(Error::Invalid(String::new(), kept), &actuals)?);
        }
        Err(e) => return Err(e),
    }
    step(w.actuals.len());

    for b in &w.budgets {
        let p = b.value.check();
        if !p.is_empty() {
            problems.extend(p.into_iter().map(|(f, m)| b.detail(Some(&f), m)));
            continue;
        }
        match write.put_budget(&b.value).await {
            Ok(changed) => report.budgets += usize::from(changed),
            Err(e) => problems.extend(located(e, &[b])?),
        }
    }
    step(w.budgets.len());
    for p in &w.projects {
        let mut project = p.value.clone();
        let checks = project.check();
        if !checks.is_empty() {
            problems.extend(checks.into_iter().map(|(f, m)| p.detail(Some(&f), m)));
            continue;
        }
        match write.put_project(&project).await {
            Ok(changed) => report.projects += usize::from(changed),
            Err(e) => problems.extend(located(e, &[p])?),
        }
    }
    step(w.projects.len());

    let entries: Vec<_> = w.catalogue.iter().map(|r| r.value.clone()).collect();
    match write.put_series_catalogue(&entries).await {
        Ok(n) => report.catalogue = n,
        Err(e) => problems.extend(located(e, &w.catalogue.iter().collect::<Vec<_>>())?),
    }
    step(w.catalogue.len());

    let points: Vec<_> = w.series.iter().map(|r| r.value.clone()).collect();
    match write.put_series(&points).await {
        Ok(n) => report.series = n,
        Err(e) => problems.extend(located(e, &w.series.iter().collect::<Vec<_>>())?),
    }
    step(w.series.len());

    super::platform_apply::apply(write, &w.platforms, today, &mut report, &mut problems).await?;
    step(w.platforms.len());
    Ok((report, problems))
}

/// An exported history: the reports just appended are credited to whoever the file says made
/// them, and those it marks withdrawn are withdrawn (unless they already are). Returns how many
/// were withdrawn.
/// `appended`: whether this write appended any report (else no reporter needs crediting, and
/// a re-import of a history looks up only its withdrawn rows).
async fn history(
    write: &mut Write,
    rows: &[&Row<tables::ActualRow>],
    appended: bool,
) -> Result<usize> {
    let mut withdrawn = 0;
    for r in rows {
        let a = &r.value;
        let credit = appended && a.reported_by.is_some();
        if !credit && a.withdrawn_reason.is_none() {
            continue;
        }
        let Some(reported_at) = a.reported_at else {
            continue;
        };
        let Some(stored) = write
            .find_report(
                a.iso3.as_str(),
                a.kr_code.as_str(),
                a.year.get(),
                reported_at,
                a.value.get(),
            )
            .await?
        else {
            continue;
        };
        if let Some(by) = a.reported_by.as_deref().filter(|b| !b.is_empty())
            && stored.rev == write.rev()
        {
            write.credit_report(stored.id, by).await?;
        }
        if let Some(reason) = a.withdrawn_reason.as_deref().filter(|r| !r.is_empty())
            && !stored.withdrawn
        {
            write
                .withdraw_report(stored.id, reason, None, |_| Ok(()))
                .await?;
            if let Some(by) = a.withdrawn_by.as_deref().filter(|b| !b.is_empty()) {
                write.credit_withdrawal(stored.id, by).await?;
            }
            withdrawn += 1;
        }
    }
    Ok(withdrawn)
}

/// Builds the primer `iso3` will have after the import: the stored one (or the one its
/// `primers` row starts), with the files' key results and targets upserted by code.
async fn merge_primer(
    write: &mut Write,
    w: &Workbook,
    iso3: &str,
) -> Result<std::result::Result<PrimerInput, Vec<Detail>>> {
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
                format!("{iso3} has no primer: add its row to the primers table"),
            )]));
        }
    };
    if let Some(h) = head {
        primer.status = h.value.status;
        primer.national_context = h.value.national_context.clone();
        primer.endorsed_on = h.value.endorsed_on;
        if let Some(list) = h.value.focus_area_list() {
            primer.focus_areas = list;
        }
    }
    let mut problems = Vec::new();
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
            targets: std::collections::BTreeMap::new(),
            min_value: k.min_value,
            max_value: k.max_value,
            source: match super::kr_source_cells::source(k) {
                Ok(s) => s,
                Err(p) => {
                    problems.extend(p.into_iter().map(|(f, m)| r.detail(Some(&f), m)));
                    None
                }
            },
        };
        origin.insert(k.kr_code.as_str().to_owned(), r);
        match primer.key_results.iter_mut().find(|e| e.code == kr.code) {
            Some(existing) => {
                let targets = std::mem::take(&mut existing.targets);
                // A sheet without the source columns keeps the stored source.
                let source = if k.has_source {
                    kr.source.clone()
                } else {
                    existing.source.take()
                };
                *existing = KeyResult {
                    targets,
                    source,
                    ..kr
                };
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
    for t in w.targets.iter().filter(|r| r.value.iso3.as_str() == iso3) {
        match primer
            .key_results
            .iter_mut()
            .find(|k| k.code == t.value.kr_code)
        {
            Some(k) => {
                k.targets.insert(t.value.year, t.value.target);
            }
            None if w
                .unreadable
                .contains(&(iso3.to_owned(), Some(t.value.kr_code.as_str().to_owned()))) => {}
            None => problems.push(t.detail(
                Some("kr_code"),
                format!(
                    "{iso3} has no key result {}: add it to the key_results table",
                    t.value.kr_code
                ),
            )),
        }
    }
    for d in primer.check() {
        // `key_results[3].title` → the key_results row of that key result.
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
                let f = super::kr_source_cells::column(f);
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

/// The problems of a store error about `rows` (its details' rows index that slice), at the file
/// rows they came from. An error that is not about the rows is returned as it is.
pub(super) fn located<T>(e: Error, rows: &[&Row<T>]) -> Result<Vec<Detail>> {
    match e {
        Error::Invalid(_, details) => Ok(details
            .into_iter()
            .map(|d| match d.row.and_then(|i| rows.get(i)) {
                Some(r) => r.detail(d.field.as_deref(), d.message),
                None => match rows {
                    [only] => only.detail(d.field.as_deref(), d.message),
                    _ => d,
                },
            })
            .collect()),
        other => Err(other),
    }
}
