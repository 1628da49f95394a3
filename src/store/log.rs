//! The log: how an edit is written as an audit row and read back as the same typed value
//! ([`logged_value`] and [`edit_of`] side by side, the one place that knows the audit log's
//! JSON), the changes committed after a revision, and the facts the dashboard is computed
//! from, now or as of a past revision.
//!
//! The past is rebuilt from the append-only log: actuals carry their revision, and every other
//! change (primers with their key results and targets, budgets) is in the audit log with its
//! full new value. Both paths return rows in the same order, so `facts(None)` and
//! `facts(Some(current revision))` are equal (a test checks it).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, FromRow};

use super::reads::KeyResultRow;
use super::{Backend, Store};
use crate::domain::{Direction, PrimerStatus};
use crate::error::Result;
use crate::model::{Budget, PrimerInput};
use crate::records::{
    Action, ActualFact, BudgetFact, Change, Edit, Entity, Facts, KrFact, Logged, MemberFact,
    PrimerEdit, PrimerFact, RECENT, SeriesEdit, Stamp, UNLINKED, Withdrawal, source_stamp,
};

/// A row of the audit log, as the log is read back from it (`GET /audit` reads more columns).
#[derive(Debug, FromRow)]
pub(super) struct LogRow {
    pub(super) rev: i64,
    pub(super) at: String,
    pub(super) actor: String,
    pub(super) action: String,
    pub(super) entity: String,
    pub(super) entity_key: String,
    pub(super) old_value: Option<String>,
    pub(super) new_value: Option<String>,
    pub(super) note: Option<String>,
}

/// The columns of a [`LogRow`].
pub(super) const LOG_COLUMNS: &str =
    "rev, at, actor, action, entity, entity_key, old_value, new_value, note";

/// A report's new value in the audit log.
#[derive(Serialize, Deserialize)]
struct LoggedReport<'a> {
    value: f64,
    reported_at: &'a str,
}

/// A withdrawal's new value in the audit log: the report withdrawn, with the revision that
/// appended it (the reason is the row's note).
#[derive(Serialize, Deserialize)]
struct LoggedWithdrawal<'a> {
    value: f64,
    reported_at: &'a str,
    reported_rev: i64,
    withdrawn: bool,
}

/// The audit log's `new_value` of an edit: the value as stored after it.
pub(super) fn logged_value(edit: &Edit) -> String {
    let json = match edit {
        Edit::Report(a) => serde_json::to_string(&LoggedReport {
            value: a.value,
            reported_at: &a.reported_at,
        }),
        Edit::Withdraw(w) => serde_json::to_string(&LoggedWithdrawal {
            value: w.report.value,
            reported_at: &w.report.reported_at,
            reported_rev: w.report.rev,
            withdrawn: true,
        }),
        Edit::Primer(p) => serde_json::to_string(&*p.primer),
        Edit::Budget(b) => serde_json::to_string(b),
        Edit::Project { project, .. } => serde_json::to_string(project),
        Edit::Series(s) => serde_json::to_string(&s.values),
        Edit::SeriesInfo(i) => serde_json::to_string(i),
        Edit::Bcn { application, .. } => serde_json::to_string(application),
        Edit::Coe { coe, .. } => serde_json::to_string(coe),
        Edit::CoeProposal(p) => serde_json::to_string(p),
        // A deletion's new value is null; the record as it was is the row's old value.
        Edit::GpInitiative {
            action: Action::Delete,
            ..
        }
        | Edit::Training {
            action: Action::Delete,
            ..
        } => Ok("null".to_owned()),
        Edit::Accreditation { accreditation, .. } => serde_json::to_string(accreditation),
        Edit::GpTheme { theme, .. } => serde_json::to_string(theme),
        Edit::GpInitiative { initiative, .. } => serde_json::to_string(initiative),
        Edit::Training { training, .. } => serde_json::to_string(training),
    };
    json.expect("records serialize")
}

/// The edit an audit row records: the inverse of [`logged_value`].
fn edit_of(row: &LogRow) -> Result<Edit> {
    let bad = |what: &dyn std::fmt::Display| -> crate::error::Error {
        anyhow::anyhow!(
            "audit row of revision {} ({} {}): {what}",
            row.rev,
            row.entity,
            row.entity_key
        )
        .into()
    };
    fn json(
        text: &Option<String>,
        bad: impl Fn(&dyn std::fmt::Display) -> crate::error::Error,
    ) -> Result<&str> {
        text.as_deref().ok_or_else(|| bad(&"no new value"))
    }
    let entity = Entity::parse(&row.entity).ok_or_else(|| bad(&"unknown entity"))?;
    let action = Action::parse(&row.action).ok_or_else(|| bad(&"unknown action"))?;
    let key = row.entity_key.as_str();
    Ok(match entity {
        Entity::Actual => {
            let mut parts = key.splitn(3, '/');
            let (Some(iso3), Some(code), Some(year)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad(&"key is not ISO3/KR/YEAR"));
            };
            let year = year.parse().map_err(|e| bad(&e))?;
            let report = |value, reported_at: &str, rev| ActualFact {
                iso3: iso3.to_owned(),
                code: code.to_owned(),
                year,
                value,
                reported_at: reported_at.into(),
                rev,
                kr: UNLINKED,
                derived: false,
            };
            let text = json(&row.new_value, bad)?;
            if action == Action::Withdraw {
                let w: LoggedWithdrawal = serde_json::from_str(text).map_err(|e| bad(&e))?;
                Edit::Withdraw(Withdrawal {
                    report: report(w.value, w.reported_at, w.reported_rev),
                    reason: row.note.as_deref().unwrap_or_default().into(),
                })
            } else {
                let r: LoggedReport = serde_json::from_str(text).map_err(|e| bad(&e))?;
                Edit::Report(report(r.value, r.reported_at, row.rev))
            }
        }
        Entity::Primer => {
            let primer: PrimerInput =
                serde_json::from_str(json(&row.new_value, bad)?).map_err(|e| bad(&e))?;
            let old: Option<PrimerInput> = row
                .old_value
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| bad(&e))?;
            Edit::Primer(PrimerEdit {
                iso3: key.into(),
                action,
                added: added_key_results(old.as_ref(), &primer),
                primer: Arc::new(primer),
                note: row.note.as_deref().map(Into::into),
            })
        }
        Entity::Budget => {
            Edit::Budget(serde_json::from_str(json(&row.new_value, bad)?).map_err(|e| bad(&e))?)
        }
        Entity::Project => Edit::Project {
            created: action == Action::Create,
            project: Box::new(
                serde_json::from_str(json(&row.new_value, bad)?).map_err(|e| bad(&e))?,
            ),
        },
        Entity::Series => {
            let (iso3, series) = key
                .split_once('/')
                .ok_or_else(|| bad(&"key is not ISO3/SERIES"))?;
            Edit::Series(SeriesEdit {
                iso3: iso3.into(),
                series: series.into(),
                values: serde_json::from_str(json(&row.new_value, bad)?).map_err(|e| bad(&e))?,
            })
        }
        Entity::SeriesInfo => {
            Edit::SeriesInfo(serde_json::from_str(json(&row.new_value, bad)?).map_err(|e| bad(&e))?)
        }
        Entity::BcnApplication => Edit::Bcn {
            action,
            application: serde_json::from_str(json(&row.new_value, bad)?).map_err(|e| bad(&e))?,
        },
        Entity::Coe => Edit::Coe {
            action,
            coe: serde_json::from_str(json(&row.new_value, bad)?).map_err(|e| bad(&e))?,
        },
        Entity::CoeProposal => Edit::CoeProposal(
            serde_json::from_str(json(&row.new_value, bad)?).map_err(|e| bad(&e))?,
        ),
        Entity::Accreditation => Edit::Accreditation {
            action,
            accreditation: serde_json::from_str(json(&row.new_value, bad)?).map_err(|e| bad(&e))?,
        },
        Entity::GpTheme => Edit::GpTheme {
            action,
            theme: serde_json::from_str(json(&row.new_value, bad)?).map_err(|e| bad(&e))?,
        },
        Entity::GpInitiative => Edit::GpInitiative {
            action,
            initiative: serde_json::from_str(record(action, row, &bad)?).map_err(|e| bad(&e))?,
        },
        Entity::Training => Edit::Training {
            action,
            training: serde_json::from_str(record(action, row, &bad)?).map_err(|e| bad(&e))?,
        },
    })
}

/// The JSON of the record an audit row of a deletable record is about: the new value, or for a
/// deletion the old one (the record as it was).
fn record<'a>(
    action: Action,
    row: &'a LogRow,
    bad: &dyn Fn(&dyn std::fmt::Display) -> crate::error::Error,
) -> Result<&'a str> {
    let text = if action == Action::Delete {
        &row.old_value
    } else {
        &row.new_value
    };
    text.as_deref()
        .ok_or_else(|| bad(&"no record in the row (its old value for a deletion)"))
}

/// The edits of `entities` logged up to revision `upto`, oldest first: what the programmes'
/// past states (`GET /projects?rev=N`, …) are folded from.
pub(super) async fn logged_edits(
    conn: &mut AnyConnection,
    entities: &[Entity],
    upto: i64,
) -> Result<Vec<Edit>> {
    let names: Vec<String> = entities
        .iter()
        .map(|e| format!("'{}'", e.as_str()))
        .collect();
    let rows: Vec<LogRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOG_COLUMNS} FROM audit_log WHERE rev <= $1 AND entity IN ({}) ORDER BY id",
        names.join(", ")
    )))
    .bind(upto)
    .fetch_all(conn)
    .await?;
    rows.iter().map(edit_of).collect()
}

/// The codes of the key results `new` has and `old` had not (none for a new primer).
pub(super) fn added_key_results(
    old: Option<&PrimerInput>,
    new: &PrimerInput,
) -> Vec<crate::records::Text> {
    let Some(old) = old else {
        return Vec::new();
    };
    new.key_results
        .iter()
        .filter(|k| !old.key_results.iter().any(|o| o.code == k.code))
        .map(|k| k.code.as_str().into())
        .collect()
}

impl Store {
    /// The facts as of revision `as_of` (now when `None`), read in one snapshot.
    pub async fn facts(&self, as_of: Option<i64>) -> Result<Facts> {
        let mut tx = self.begin_tx().await?;
        if self.backend() == Backend::Postgres {
            // One snapshot for all the reads below, so the revision matches the rows.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let current: (i64,) = sqlx::query_as("SELECT rev FROM revision WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let rev = as_of.map_or(current.0, |n| n.clamp(0, current.0));
        let conn: &mut AnyConnection = &mut tx;
        let mut facts = Facts {
            rev,
            members: members(conn).await?,
            ..Facts::default()
        };
        if as_of.is_none() {
            current_primers(conn, &mut facts).await?;
            facts.budgets = sqlx::query_as::<_, BudgetRow>(
                "SELECT pillar, year, scope, planned, spent FROM budgets
                 ORDER BY pillar, year, scope",
            )
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(BudgetRow::fact)
            .collect();
        } else {
            logged_state(conn, rev, &mut facts).await?;
        }
        facts.sources = sources::source_facts(conn, rev).await?;
        facts.actuals = reports(conn, rev).await?;
        facts.link();
        facts.recent = recent(conn, rev).await?;
        tx.rollback().await?;
        Ok(facts)
    }

    /// Every change to `iso3`'s primer, oldest first, each with the primer as it was after it
    /// and the version it belongs to (an amendment starts the next).
    pub async fn primer_history(&self, iso3: &str) -> Result<Vec<crate::model::PrimerStep>> {
        let rows: Vec<LogRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LOG_COLUMNS} FROM audit_log WHERE entity = 'primer' AND entity_key = $1
             ORDER BY id"
        )))
        .bind(iso3.to_owned())
        .fetch_all(self.pool())
        .await?;
        let mut version = 1;
        let mut steps = Vec::with_capacity(rows.len());
        for row in rows {
            let Edit::Primer(p) = edit_of(&row)? else {
                continue;
            };
            if p.action == Action::Amend {
                version += 1;
            }
            steps.push(crate::model::PrimerStep {
                rev: row.rev,
                at: row.at,
                actor: row.actor,
                action: p.action,
                note: row.note,
                version,
                primer: Arc::unwrap_or_clone(p.primer),
            });
        }
        Ok(steps)
    }

    /// The changes committed after revision `after`, oldest first, as they were committed.
    pub async fn changes_since(&self, after: i64) -> Result<Vec<Change>> {
        self.changes_in(after, i64::MAX).await
    }

    /// The changes committed after revision `after` up to revision `upto`, oldest first, as
    /// they were committed: applied to the facts as of `after` ([`Facts::apply`], then
    /// [`Facts::settle`]), they give the facts as of `upto`.
    pub async fn changes_in(&self, after: i64, upto: i64) -> Result<Vec<Change>> {
        let rows: Vec<LogRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LOG_COLUMNS} FROM audit_log WHERE rev > $1 AND rev <= $2 ORDER BY id"
        )))
        .bind(after)
        .bind(upto)
        .fetch_all(self.pool())
        .await?;
        let mut changes: Vec<Change> = Vec::new();
        for row in rows {
            let edit = edit_of(&row)?;
            match changes.last_mut() {
                Some(c) if c.rev == row.rev => c.edits.push(edit),
                _ => changes.push(Change {
                    rev: row.rev,
                    at: row.at.into(),
                    actor: row.actor.into(),
                    edits: vec![edit],
                }),
            }
        }
        Ok(changes)
    }
}

/// A stored report.
#[derive(FromRow)]
struct ReportRow {
    iso3: String,
    kr_code: String,
    year: i64,
    value: f64,
    reported_at: String,
    rev: i64,
}

/// The reports up to revision `upto`, in report order.
async fn reports(conn: &mut AnyConnection, upto: i64) -> Result<Vec<ActualFact>> {
    Ok(sqlx::query_as::<_, ReportRow>(
        "SELECT iso3, kr_code, year, value, reported_at, rev FROM actuals
         WHERE rev <= $1 AND (withdrawn_rev IS NULL OR withdrawn_rev > $1)
         ORDER BY reported_at, rev, id",
    )
    .bind(upto)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| ActualFact {
        iso3: r.iso3,
        code: r.kr_code,
        year: r.year,
        value: r.value,
        reported_at: r.reported_at.into(),
        rev: r.rev,
        kr: UNLINKED,
        derived: false,
    })
    .collect())
}

#[derive(FromRow)]
struct BudgetRow {
    pillar: i64,
    year: i64,
    /// The member, or empty for the APO-wide budget.
    scope: String,
    planned: f64,
    spent: f64,
}

impl BudgetRow {
    fn fact(self) -> BudgetFact {
        BudgetFact {
            pillar: self.pillar,
            year: self.year,
            iso3: (!self.scope.is_empty()).then_some(self.scope),
            planned: self.planned,
            spent: self.spent,
        }
    }
}

async fn members(conn: &mut AnyConnection) -> Result<Vec<MemberFact>> {
    Ok(
        sqlx::query_as::<_, (String, String)>("SELECT iso3, name FROM members ORDER BY iso3")
            .fetch_all(conn)
            .await?
            .into_iter()
            .map(|(iso3, name)| MemberFact { iso3, name })
            .collect(),
    )
}

async fn current_primers(conn: &mut AnyConnection, facts: &mut Facts) -> Result<()> {
    let statuses: Vec<(String, String)> =
        sqlx::query_as("SELECT iso3, status FROM primers ORDER BY iso3")
            .fetch_all(&mut *conn)
            .await?;
    let areas: Vec<(String, String)> =
        sqlx::query_as("SELECT iso3, label FROM focus_areas ORDER BY iso3, position")
            .fetch_all(&mut *conn)
            .await?;
    for (iso3, status) in statuses {
        let status = super::reads::decoded(PrimerStatus::parse(&status))?;
        facts.primers.insert(
            iso3,
            PrimerFact {
                status,
                focus_areas: Vec::new(),
            },
        );
    }
    for (iso3, label) in areas {
        if let Some(p) = facts.primers.get_mut(&iso3) {
            p.focus_areas.push(label);
        }
    }
    let mut targets: BTreeMap<(String, String), BTreeMap<i64, f64>> = BTreeMap::new();
    for (iso3, code, year, target) in sqlx::query_as::<_, (String, String, i64, f64)>(
        "SELECT iso3, kr_code, year, target FROM targets",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        targets
            .entry((iso3, code))
            .or_default()
            .insert(year, target);
    }
    let krs: Vec<KeyResultRow> = sqlx::query_as(
        "SELECT iso3, code, pillar, focus_area, title, unit, direction, baseline_year,
                baseline_value, weight, min_value, max_value
         FROM key_results ORDER BY iso3, position",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut sources = super::kr_sources::sources(&mut *conn, None).await?;
    facts.key_results = krs
        .into_iter()
        .map(|k| {
            let source = sources.remove(&(k.iso3.clone(), k.code.clone()));
            Ok(KrFact {
                source: source.as_ref().map(|s| Arc::new(s.source.clone())),
                source_stamp: source.and_then(|s| s.stamp),
                targets: targets
                    .remove(&(k.iso3.clone(), k.code.clone()))
                    .unwrap_or_default(),
                increase: super::reads::decoded(Direction::parse(&k.direction))?
                    == Direction::Increase,
                iso3: k.iso3.into(),
                code: k.code.into(),
                pillar: k.pillar,
                focus_area: k.focus_area.into(),
                title: k.title.into(),
                unit: k.unit.into(),
                baseline: k.baseline_value,
                weight: k.weight,
            })
        })
        .collect::<Result<_>>()?;
    Ok(())
}

/// Primers and budgets as they were at `rev`: the latest logged value of each, up to `rev`.
async fn logged_state(conn: &mut AnyConnection, rev: i64, facts: &mut Facts) -> Result<()> {
    let rows: Vec<LogRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOG_COLUMNS} FROM audit_log
         WHERE rev <= $1 AND entity IN ('primer', 'budget') ORDER BY id"
    )))
    .bind(rev)
    .fetch_all(conn)
    .await?;
    let mut primers: BTreeMap<String, Arc<PrimerInput>> = BTreeMap::new();
    // Per member, the stamp of each key result's source, as the primer writes left them.
    let mut stamps: BTreeMap<String, BTreeMap<String, Stamp>> = BTreeMap::new();
    let mut budgets: BTreeMap<String, Budget> = BTreeMap::new();
    for row in &rows {
        match edit_of(row)? {
            Edit::Primer(p) => {
                let now = Stamp {
                    rev: row.rev,
                    at: row.at.as_str().into(),
                };
                let old = primers.get(&*p.iso3);
                let kept = stamps.remove(&*p.iso3).unwrap_or_default();
                let new_stamps = p
                    .primer
                    .key_results
                    .iter()
                    .filter_map(|k| {
                        let before =
                            old.and_then(|o| o.key_results.iter().find(|b| b.code == k.code));
                        let stamp = source_stamp(
                            before.map(|b| (b.source.as_ref(), kept.get(b.code.as_str()))),
                            k.source.as_ref(),
                            &now,
                        )?;
                        Some((k.code.as_str().to_owned(), stamp))
                    })
                    .collect();
                stamps.insert(p.iso3.to_string(), new_stamps);
                primers.insert(p.iso3.to_string(), p.primer);
            }
            Edit::Budget(b) => {
                budgets.insert(row.entity_key.clone(), b);
            }
            _ => {}
        }
    }
    for (iso3, p) in primers {
        facts.primers.insert(iso3.clone(), PrimerFact::new(&p));
        let stamped = stamps.get(&iso3);
        facts
            .key_results
            .extend(p.key_results.iter().map(|k| KrFact {
                source_stamp: stamped.and_then(|s| s.get(k.code.as_str())).cloned(),
                ..KrFact::new(&iso3, k)
            }));
    }
    // In the order of the budgets table's query: pillar, year, member.
    facts.budgets = budgets.values().map(BudgetFact::new).collect();
    facts.budgets.sort_by(|a, b| a.order().cmp(&b.order()));
    Ok(())
}

/// The latest [`RECENT`] edits the ticker shows, up to `rev`, newest first (see
/// [`Edit::on_ticker`]).
async fn recent(conn: &mut AnyConnection, rev: i64) -> Result<Vec<Logged>> {
    let rows: Vec<LogRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOG_COLUMNS} FROM audit_log
         WHERE rev <= $1 AND entity NOT IN ('{}', '{}') ORDER BY id DESC LIMIT $2",
        Entity::Series.as_str(),
        Entity::SeriesInfo.as_str()
    )))
    .bind(rev)
    .bind(RECENT as i64)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Logged {
                rev: row.rev,
                at: row.at.as_str().into(),
                actor: row.actor.as_str().into(),
                edit: edit_of(row)?,
            })
        })
        .collect()
}

mod sources;
#[cfg(test)]
mod tests;
