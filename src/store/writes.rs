//! Writes other than primers: actuals (append-only), budgets, projects, series, and the audit
//! rows that go with every change.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

use super::reads::{budgets, format_date, projects};
use super::{Val, Write, insert_rows, timestamp};
use crate::analytics::facts::ActualFact;
use crate::error::{Detail, Error, Result};
use crate::model::{ActualInput, Budget, Project, SeriesPoint};

/// Most distinct key results of a batch of reports looked up one by one (in one statement);
/// a larger batch reads the whole table.
const KR_LOOKUPS: usize = 64;

/// What to do with a report that is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicates {
    /// Append anyway: a delegate who reports the same value again has reported again.
    Append,
    /// Skip it, so that importing the same file twice changes nothing the second time. A row
    /// with `reported_at` is a duplicate of the identical stored report; a row without one is a
    /// duplicate when the current value for its key result and year already equals it.
    Skip,
}

fn to_json(v: Option<&impl Serialize>) -> Option<String> {
    v.map(|v| serde_json::to_string(v).expect("records serialize"))
}

impl Write {
    /// Records one audited change in this write's transaction.
    pub(crate) async fn audit(
        &mut self,
        action: &str,
        entity: &str,
        key: &str,
        old: Option<&impl Serialize>,
        new: Option<&impl Serialize>,
    ) -> Result<()> {
        let new = to_json(new);
        sqlx::query(
            "INSERT INTO audit_log (rev, at, actor, action, entity, entity_key, old_value, new_value)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.rev)
        .bind(self.at.clone())
        .bind(self.actor.clone())
        .bind(action.to_owned())
        .bind(entity.to_owned())
        .bind(key.to_owned())
        .bind(to_json(old))
        .bind(new.clone())
        .execute(&mut *self.tx)
        .await?;
        self.changes += 1;
        let row = (
            self.rev,
            self.at.clone(),
            self.actor.clone(),
            action.to_owned(),
            entity.to_owned(),
            key.to_owned(),
            new,
        );
        self.remember([row], []);
        Ok(())
    }

    async fn member_codes(&mut self) -> Result<HashSet<String>> {
        Ok(sqlx::query_as::<_, (String,)>("SELECT iso3 FROM members")
            .fetch_all(&mut *self.tx)
            .await?
            .into_iter()
            .map(|(m,)| m)
            .collect())
    }

    /// Appends reports. Every row is checked against the stored members and key results first;
    /// any unknown one fails the whole batch with a 422 listing each bad row (by its index in
    /// `rows`, from 0). Returns how many rows were appended.
    pub async fn append_actuals(&mut self, rows: &[ActualInput], dup: Duplicates) -> Result<usize> {
        let members = self.member_codes().await?;
        let krs = self.key_results_among(rows).await?;
        let mut problems = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let iso3 = r.iso3.as_str();
            if !members.contains(iso3) {
                problems.push(Detail::field("iso3", format!("unknown member {iso3}")).at_row(i));
            } else if !krs.contains(&(iso3.to_owned(), r.kr_code.as_str().to_owned())) {
                problems.push(
                    Detail::field("kr_code", format!("{iso3} has no key result {}", r.kr_code))
                        .at_row(i),
                );
            }
        }
        if !problems.is_empty() {
            return Err(Error::invalid(problems));
        }

        let existing = match dup {
            Duplicates::Append => None,
            Duplicates::Skip => Some(self.stored_reports().await?),
        };
        let mut appended = Vec::new();
        for r in rows {
            let key = (
                r.iso3.as_str().to_owned(),
                r.kr_code.as_str().to_owned(),
                r.year.get(),
            );
            if let Some((reports, latest)) = &existing {
                let duplicate = match r.reported_at {
                    Some(t) => {
                        reports.contains(&(key.clone(), timestamp(t), r.value.get().to_bits()))
                    }
                    None => latest.get(&key).is_some_and(|v| *v == r.value.get()),
                };
                if duplicate {
                    continue;
                }
            }
            appended.push((
                key,
                r.value.get(),
                r.reported_at.map_or(self.at.clone(), timestamp),
            ));
        }
        let (rev, actor, at) = (self.rev, self.actor.clone(), self.at.clone());
        insert_rows(
            &mut self.tx,
            "INSERT INTO actuals (iso3, kr_code, year, value, reported_at, reported_by, rev)",
            "",
            appended
                .iter()
                .map(|((iso3, kr, year), value, reported_at)| {
                    vec![
                        Val::Text(Some(iso3.clone())),
                        Val::Text(Some(kr.clone())),
                        Val::Int(Some(*year)),
                        Val::Real(Some(*value)),
                        Val::Text(Some(reported_at.clone())),
                        Val::Text(Some(actor.clone())),
                        Val::Int(Some(rev)),
                    ]
                })
                .collect(),
        )
        .await?;
        let audit: Vec<super::facts::AuditRow> = appended
            .iter()
            .map(|((iso3, kr, year), value, reported_at)| {
                let new = serde_json::json!({ "value": value, "reported_at": reported_at });
                (
                    rev,
                    at.clone(),
                    actor.clone(),
                    "report".into(),
                    "actual".into(),
                    format!("{iso3}/{kr}/{year}"),
                    Some(new.to_string()),
                )
            })
            .collect();
        insert_rows(
            &mut self.tx,
            "INSERT INTO audit_log (rev, at, actor, action, entity, entity_key, old_value, new_value)",
            "",
            audit
                .iter()
                .map(|(rev, at, actor, action, entity, key, new)| {
                    vec![
                        Val::Int(Some(*rev)),
                        Val::Text(Some(at.clone())),
                        Val::Text(Some(actor.clone())),
                        Val::Text(Some(action.clone())),
                        Val::Text(Some(entity.clone())),
                        Val::Text(Some(key.clone())),
                        Val::Text(None),
                        Val::Text(new.clone()),
                    ]
                })
                .collect(),
        )
        .await?;
        let count = appended.len();
        self.changes += count;
        let reports = appended
            .into_iter()
            .map(|((iso3, code, year), value, reported_at)| {
                ActualFact::unlinked((iso3, code, year, value, reported_at, rev))
            });
        self.remember(audit, reports);
        Ok(count)
    }

    /// Which of the key results that `rows` report on exist. A few are looked up by key (a
    /// POST reports on one or a handful); a larger batch (an import) reads them all. Reading
    /// them all for every report made a POST take 147 ms instead of 1.0 ms with 100,000 key
    /// results (national scale) in the database (BENCHMARKS.md).
    async fn key_results_among(
        &mut self,
        rows: &[ActualInput],
    ) -> Result<HashSet<(String, String)>> {
        let wanted: BTreeSet<(&str, &str)> = rows
            .iter()
            .map(|r| (r.iso3.as_str(), r.kr_code.as_str()))
            .collect();
        if wanted.is_empty() {
            return Ok(HashSet::new());
        }
        let query = if wanted.len() <= KR_LOOKUPS {
            let keys = (0..wanted.len())
                .map(|i| format!("(iso3 = ${} AND code = ${})", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!("SELECT iso3, code FROM key_results WHERE {keys}");
            wanted.iter().fold(
                sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)),
                |q, (iso3, code)| q.bind(*iso3).bind(*code),
            )
        } else {
            sqlx::query_as(sqlx::AssertSqlSafe(
                "SELECT iso3, code FROM key_results".to_owned(),
            ))
        };
        Ok(query.fetch_all(&mut *self.tx).await?.into_iter().collect())
    }

    /// Every stored report, and the current value per (member, key result, year).
    #[allow(clippy::type_complexity)]
    async fn stored_reports(
        &mut self,
    ) -> Result<(
        HashSet<((String, String, i64), String, u64)>,
        HashMap<(String, String, i64), f64>,
    )> {
        let rows: Vec<(String, String, i64, f64, String)> = sqlx::query_as(
            "SELECT iso3, kr_code, year, value, reported_at FROM actuals
             ORDER BY reported_at, rev, id",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        let mut all = HashSet::with_capacity(rows.len());
        let mut latest = HashMap::new();
        for (iso3, kr, year, value, at) in rows {
            let key = (iso3, kr, year);
            latest.insert(key.clone(), value);
            all.insert((key, at, value.to_bits()));
        }
        Ok((all, latest))
    }

    /// Sets the budget of a pillar and year (APO-wide, or for one member). Returns whether it
    /// changed.
    pub async fn put_budget(&mut self, b: &Budget) -> Result<bool> {
        let scope = b.iso3.as_ref().map_or("", |m| m.as_str()).to_owned();
        if !scope.is_empty() && !super::reads::member_exists(&mut self.tx, &scope).await? {
            return Err(Error::invalid(vec![Detail::field(
                "iso3",
                format!("unknown member {scope}"),
            )]));
        }
        let old = budgets(&mut self.tx, Some(b.year.get()))
            .await?
            .into_iter()
            .find(|o| o.pillar == b.pillar && o.iso3 == b.iso3);
        if old.as_ref() == Some(b) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO budgets (pillar, year, scope, planned, spent) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (pillar, year, scope) DO UPDATE SET planned = excluded.planned,
                 spent = excluded.spent",
        )
        .bind(b.pillar.get())
        .bind(b.year.get())
        .bind(scope.clone())
        .bind(b.planned.get())
        .bind(b.spent.get())
        .execute(&mut *self.tx)
        .await?;
        let key = format!(
            "{}/{}/{}",
            b.pillar.get(),
            b.year.get(),
            if scope.is_empty() { "APO" } else { &scope }
        );
        self.audit("set", "budget", &key, old.as_ref(), Some(b))
            .await?;
        Ok(true)
    }

    /// Creates or replaces a project, which must have passed [`Project::check`].
    pub async fn put_project(&mut self, p: &Project) -> Result<bool> {
        if !super::reads::member_exists(&mut self.tx, p.host_iso3.as_str()).await? {
            return Err(Error::invalid(vec![Detail::field(
                "host_iso3",
                format!("unknown member {}", p.host_iso3),
            )]));
        }
        let old = projects(&mut self.tx, Some(p.code.as_str())).await?.pop();
        if old.as_ref() == Some(p) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO projects (code, title, program, year, pillar, status, host_iso3,
                                   start_date, end_date)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (code) DO UPDATE SET title = excluded.title,
                 program = excluded.program, year = excluded.year, pillar = excluded.pillar,
                 status = excluded.status, host_iso3 = excluded.host_iso3,
                 start_date = excluded.start_date, end_date = excluded.end_date",
        )
        .bind(p.code.as_str().to_owned())
        .bind(p.title.clone())
        .bind(p.program.clone())
        .bind(p.code.year())
        .bind(p.pillar.get())
        .bind(p.status.as_str())
        .bind(p.host_iso3.as_str().to_owned())
        .bind(p.start_date.map(format_date))
        .bind(p.end_date.map(format_date))
        .execute(&mut *self.tx)
        .await?;
        let action = if old.is_some() { "update" } else { "create" };
        self.audit(action, "project", p.code.as_str(), old.as_ref(), Some(p))
            .await?;
        Ok(true)
    }

    /// Upserts series values; values equal to the stored ones are left alone. One audit row per
    /// (member, series) touched, with the changed years' old and new values. Returns how many
    /// values changed.
    pub async fn put_series(&mut self, points: &[SeriesPoint]) -> Result<usize> {
        let members = self.member_codes().await?;
        let unknown: Vec<Detail> = points
            .iter()
            .enumerate()
            .filter(|(_, p)| !members.contains(p.iso3.as_str()))
            .map(|(i, p)| Detail::field("iso3", format!("unknown member {}", p.iso3)).at_row(i))
            .collect();
        if !unknown.is_empty() {
            return Err(Error::invalid(unknown));
        }
        let stored: HashMap<(String, String, i64), f64> =
            sqlx::query_as::<_, (String, String, i64, f64)>(
                "SELECT iso3, series, year, value FROM series",
            )
            .fetch_all(&mut *self.tx)
            .await?
            .into_iter()
            .map(|(m, s, y, v)| ((m, s, y), v))
            .collect();
        let mut changed: Vec<(&SeriesPoint, Option<f64>)> = Vec::new();
        for p in points {
            let key = (p.iso3.as_str().to_owned(), p.series.clone(), p.year);
            let old = stored.get(&key).copied();
            if old != Some(p.value.get()) {
                changed.push((p, old));
            }
        }
        insert_rows(
            &mut self.tx,
            "INSERT INTO series (iso3, series, year, value)",
            "ON CONFLICT (iso3, series, year) DO UPDATE SET value = excluded.value",
            changed
                .iter()
                .map(|(p, _)| {
                    vec![
                        Val::Text(Some(p.iso3.as_str().to_owned())),
                        Val::Text(Some(p.series.clone())),
                        Val::Int(Some(p.year)),
                        Val::Real(Some(p.value.get())),
                    ]
                })
                .collect(),
        )
        .await?;
        let mut by_series: std::collections::BTreeMap<(String, String), (Vec<_>, Vec<_>)> =
            Default::default();
        for (p, old) in &changed {
            let entry = by_series
                .entry((p.iso3.as_str().to_owned(), p.series.clone()))
                .or_default();
            if let Some(o) = old {
                entry.0.push((p.year, *o));
            }
            entry.1.push((p.year, p.value.get()));
        }
        for ((iso3, series), (old, new)) in by_series {
            let as_map = |v: Vec<(i64, f64)>| -> serde_json::Map<String, serde_json::Value> {
                v.into_iter()
                    .map(|(y, x)| (y.to_string(), serde_json::json!(x)))
                    .collect()
            };
            let old = (!old.is_empty()).then(|| as_map(old));
            self.audit(
                "set",
                "series",
                &format!("{iso3}/{series}"),
                old.as_ref(),
                Some(&as_map(new)),
            )
            .await?;
        }
        Ok(changed.len())
    }
}
