//! The database step of the platforms' sheets: each record checked by the same rules as the
//! API's (on the server's day) and written by the same store writes, in the import's one write.
//! A refused record (a 422's fields, a 409's refused transition) becomes a problem at its row
//! and column; the import then rolls back.
//!
//! Themes come first (initiatives name them), then accreditations, initiatives and trainings.
//! An initiative's `gp_outcomes` rows are upserted by metric and year into its outcomes (the
//! stored ones, for an initiative already recorded): an import adds and corrects outcomes, and
//! leaves those it does not name, as a primer's import leaves key results it does not name.

use std::collections::BTreeSet;

use time::Date;

use super::Report;
use super::platforms::{OutcomeRow, Sheets, training_column};
use super::tables::Row;
use crate::error::{Detail, Error, Result};
use crate::model::{GpInitiativeInput, OutcomeInput};
use crate::store::Write;

/// Applies the platforms' rows in `write`, adding what changed to `report` and what is wrong to
/// `problems`. An `Err` is a failure of the database, not of the files.
pub async fn apply(
    write: &mut Write,
    s: &Sheets,
    today: Date,
    report: &mut Report,
    problems: &mut Vec<Detail>,
) -> Result<()> {
    let same = |f: &str| f.to_owned();
    for r in &s.themes {
        let mut theme = r.value.clone();
        let p = theme.validate();
        if !p.is_empty() {
            problems.extend(at(r, p, same));
            continue;
        }
        match write.put_gp_theme(&theme).await {
            Ok(changed) => report.gp_themes += usize::from(changed),
            Err(e) => problems.extend(refused(e, r, same)?),
        }
    }
    for r in &s.accreditations {
        let mut a = r.value.clone();
        let p = a.validate(today);
        if !p.is_empty() {
            problems.extend(at(r, p, scores_column));
            continue;
        }
        match write.put_accreditation(&a).await {
            Ok(changed) => report.accreditations += usize::from(changed),
            Err(e) => problems.extend(refused(e, r, scores_column)?),
        }
    }
    initiatives(write, s, today, report, problems).await?;
    for r in &s.trainings {
        let mut t = r.value.clone();
        let p = t.validate(today);
        if !p.is_empty() {
            problems.extend(at(r, p, |f| training_column(f).to_owned()));
            continue;
        }
        match write.put_training(&t).await {
            Ok(changed) => report.trainings += usize::from(changed),
            Err(e) => problems.extend(refused(e, r, |f| training_column(f).to_owned())?),
        }
    }
    Ok(())
}

/// `criteria_scores.governance` is a problem of the `criteria_scores` cell.
fn scores_column(field: &str) -> String {
    match field.split_once('.') {
        Some(("criteria_scores", _)) => "criteria_scores".to_owned(),
        _ => field.to_owned(),
    }
}

/// Each initiative named by a `gp_initiatives` or `gp_outcomes` row: its row's fields (or the
/// stored ones) with the file's outcomes upserted into the stored outcomes.
async fn initiatives(
    write: &mut Write,
    s: &Sheets,
    today: Date,
    report: &mut Report,
    problems: &mut Vec<Detail>,
) -> Result<()> {
    let ids: BTreeSet<&str> = s
        .initiatives
        .iter()
        .map(|r| r.value.id.as_str())
        .chain(
            s.outcomes
                .iter()
                .map(|r| r.value.initiative.as_str())
                .filter(|id| !s.unreadable.contains(*id)),
        )
        .collect();
    for id in ids {
        let head = s.initiatives.iter().find(|r| r.value.id.as_str() == id);
        let rows: Vec<&Row<OutcomeRow>> = s
            .outcomes
            .iter()
            .filter(|r| r.value.initiative.as_str() == id)
            .collect();
        let stored = write.gp_initiative(id).await?;
        let mut input = match (head, stored) {
            (Some(h), stored) => {
                let v = &h.value;
                GpInitiativeInput {
                    id: v.id.clone(),
                    iso3: v.iso3.clone(),
                    title: v.title.clone(),
                    theme: v.theme.clone(),
                    type_: v.type_,
                    sector: v.sector,
                    start_year: v.start_year,
                    end_year: v.end_year,
                    status: v.status,
                    outcomes: stored.map(|s| s.outcomes).unwrap_or_default(),
                }
            }
            (None, Some(stored)) => stored,
            (None, None) => {
                problems.extend(rows.iter().map(|r| {
                    r.detail(
                        Some("initiative"),
                        format!("there is no initiative {id}: add it to the gp_initiatives sheet"),
                    )
                }));
                continue;
            }
        };
        // Where each outcome came from, to point problems at the file's row.
        let mut origin: Vec<Option<&Row<OutcomeRow>>> = vec![None; input.outcomes.len()];
        for r in &rows {
            let o = &r.value;
            match input
                .outcomes
                .iter()
                .position(|e| e.metric == o.metric && e.year == o.year)
            {
                Some(i) => {
                    input.outcomes[i].value = o.value;
                    origin[i] = Some(r);
                }
                None => {
                    input.outcomes.push(OutcomeInput {
                        metric: o.metric,
                        year: o.year,
                        value: o.value,
                    });
                    origin.push(Some(r));
                }
            }
        }
        // A problem of `outcomes[i].year` is at that outcome's row; any other at the
        // initiative's row (or, without one, its first outcome's).
        let place = |field: &str, message: String| -> Detail {
            let outcome = field
                .strip_prefix("outcomes[")
                .and_then(|rest| rest.split_once("]."))
                .and_then(|(i, f)| Some((origin.get(i.parse::<usize>().ok()?).copied()??, f)));
            match (outcome, head) {
                (Some((r, f)), _) => r.detail(Some(f), message),
                (None, Some(h)) => h.detail(Some(field), message),
                (None, None) => match rows.first() {
                    Some(r) => r.detail(Some("initiative"), format!("{id}: {field}: {message}")),
                    None => Detail::field(field, message),
                },
            }
        };
        let p = input.validate(today);
        if !p.is_empty() {
            problems.extend(p.into_iter().map(|(f, m)| place(&f, m)));
            continue;
        }
        match write.put_gp_initiative(&input).await {
            Ok(changed) => report.gp_initiatives += usize::from(changed),
            Err(Error::Invalid(_, d) | Error::Conflict(_, d) | Error::InvalidTransition(_, d))
                if !d.is_empty() =>
            {
                problems.extend(d.into_iter().map(|d| {
                    let f = d.field.clone().unwrap_or_default();
                    place(&f, d.message)
                }));
            }
            Err(e) => match head {
                Some(h) => problems.extend(refused(e, h, |f| f.to_owned())?),
                None => return Err(e),
            },
        }
    }
    Ok(())
}

/// The problems of a record's own rules, at its row, each in the column `column` gives.
fn at<T>(r: &Row<T>, p: Vec<(String, String)>, column: impl Fn(&str) -> String) -> Vec<Detail> {
    p.into_iter()
        .map(|(f, m)| r.detail(Some(&column(&f)), m))
        .collect()
}

/// What a store write refused, at the record's row: its 422's fields, its 409 (a refused
/// transition), its 404. Any other error is the database's, returned as it is.
fn refused<T>(e: Error, r: &Row<T>, column: impl Fn(&str) -> String) -> Result<Vec<Detail>> {
    match e {
        Error::Invalid(m, d) | Error::Conflict(m, d) | Error::InvalidTransition(m, d) => {
            Ok(if d.is_empty() {
                vec![r.detail(None, m)]
            } else {
                d.into_iter()
                    .map(|d| r.detail(d.field.as_deref().map(&column).as_deref(), d.message))
                    .collect()
            })
        }
        Error::NotFound(m) => Ok(vec![r.detail(None, m)]),
        other => Err(other),
    }
}
