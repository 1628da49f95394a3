//! Reading the facts the dashboard is computed from, now or as of a past revision.
//!
//! The past is rebuilt from the append-only log: actuals carry their revision, and every other
//! change (primers with their key results and targets, budgets) is in the audit log with its
//! full new value. Both paths return rows in the same order, so `facts(None)` and
//! `facts(Some(current revision))` are equal (a test checks it).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use sqlx::AnyConnection;

use super::{Backend, Store};
use crate::analytics::facts::{ActualFact, BudgetFact, Facts, KrFact, MemberFact, RECENT, Recent};
use crate::error::Result;
use crate::model::{Budget, PrimerInput};

impl Store {
    /// The facts as of revision `as_of` (now when `None`), read in one snapshot.
    pub async fn facts(&self, as_of: Option<i64>) -> Result<Facts> {
        let mut tx = self.pool().begin().await?;
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
            facts.budgets = sqlx::query_as::<_, (i64, i64, f64, f64)>(
                "SELECT pillar, year, planned, spent FROM budgets ORDER BY pillar, year, scope",
            )
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(pillar, year, planned, spent)| BudgetFact {
                pillar,
                year,
                planned,
                spent,
            })
            .collect();
        } else {
            logged_state(conn, rev, &mut facts).await?;
        }
        facts.actuals = reports(conn, -1, rev).await?;
        facts.link();
        facts.recent = recent(conn, rev, RECENT as i64).await?;
        tx.rollback().await?;
        Ok(facts)
    }

    /// The changes committed after revision `after`, as the ticker shows them (oldest first),
    /// and the reports among them (in report order).
    pub async fn changes_since(&self, after: i64) -> Result<(Vec<Recent>, Vec<ActualFact>)> {
        if let Some(found) = self.committed_since(after) {
            self.inner.change_reads[0].fetch_add(1, Ordering::Relaxed);
            return Ok(found);
        }
        let mut conn = self.pool().acquire().await?;
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT rev, at, actor, action, entity, entity_key, new_value FROM audit_log
             WHERE rev > $1 ORDER BY id",
        )
        .bind(after)
        .fetch_all(&mut *conn)
        .await?;
        let changes: Vec<Recent> = rows.into_iter().map(to_recent).collect();
        let actuals = reports(&mut conn, after, i64::MAX).await?;
        if !changes.is_empty() {
            self.inner.change_reads[1].fetch_add(1, Ordering::Relaxed);
        }
        Ok((changes, actuals))
    }

    /// What [`Store::changes_since`] would read, from this process's own recent writes, when
    /// they hold every revision after `after` up to the latest they know (revisions are
    /// consecutive, so nothing can hide between them); `None` when they do not start right
    /// after it (another process wrote it, or it is older than they keep). Later revisions
    /// that only the database holds are read at the next update.
    fn committed_since(&self, after: i64) -> Option<(Vec<Recent>, Vec<ActualFact>)> {
        let mut committed = self.inner.committed.lock().expect("not poisoned");
        // The aggregator is past these: it will not ask for them again.
        *committed = committed.split_off(&(after + 1));
        let mut changes = Vec::new();
        let mut actuals = Vec::new();
        let mut next = after + 1;
        for (&rev, c) in committed.iter() {
            if rev != next {
                break;
            }
            changes.extend(c.audit.iter().cloned().map(to_recent));
            actuals.extend(c.reports.iter().cloned());
            next += 1;
        }
        if next == after + 1 {
            return None;
        }
        // Report order, as the database gives it: a stable sort keeps each write's insertion
        // order among equal keys.
        actuals.sort_by(|a, b| (&a.reported_at, a.rev).cmp(&(&b.reported_at, b.rev)));
        Some((changes, actuals))
    }

    /// How many reads of committed changes (by the aggregator) came from this process's own
    /// writes in memory, and how many from the database (counting those that found any).
    pub fn change_reads(&self) -> (u64, u64) {
        (
            self.inner.change_reads[0].load(Ordering::Relaxed),
            self.inner.change_reads[1].load(Ordering::Relaxed),
        )
    }
}

/// The reports with a revision in (`after`, `upto`], in report order.
async fn reports(conn: &mut AnyConnection, after: i64, upto: i64) -> Result<Vec<ActualFact>> {
    Ok(
        sqlx::query_as::<_, (String, String, i64, f64, String, i64)>(
            "SELECT iso3, kr_code, year, value, reported_at, rev FROM actuals
         WHERE rev > $1 AND rev <= $2 ORDER BY reported_at, rev, id",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(ActualFact::unlinked)
        .collect(),
    )
}

pub(crate) type AuditRow = (i64, String, String, String, String, String, Option<String>);

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
        facts.primers.insert(iso3, (status, Vec::new()));
    }
    for (iso3, label) in areas {
        if let Some(p) = facts.primers.get_mut(&iso3) {
            p.1.push(label);
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
    #[allow(clippy::type_complexity)]
    let krs: Vec<(
        String,
        String,
        i64,
        String,
        String,
        String,
        String,
        Option<f64>,
        f64,
    )> = sqlx::query_as(
        "SELECT iso3, code, pillar, focus_area, title, unit, direction, baseline_value, weight
             FROM key_results ORDER BY iso3, position",
    )
    .fetch_all(&mut *conn)
    .await?;
    facts.key_results = krs
        .into_iter()
        .map(
            |(iso3, code, pillar, focus_area, title, unit, direction, baseline, weight)| KrFact {
                targets: targets
                    .remove(&(iso3.clone(), code.clone()))
                    .unwrap_or_default(),
                iso3: iso3.into(),
                code: code.into(),
                pillar,
                focus_area: focus_area.into(),
                title: title.into(),
                unit: unit.into(),
                increase: direction == "increase",
                baseline,
                weight,
            },
        )
        .collect();
    Ok(())
}

/// Primers and budgets as they were at `rev`: the latest logged value of each, up to `rev`.
async fn logged_state(conn: &mut AnyConnection, rev: i64, facts: &mut Facts) -> Result<()> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT entity, entity_key, new_value FROM audit_log
         WHERE rev <= $1 AND entity IN ('primer', 'budget') ORDER BY id",
    )
    .bind(rev)
    .fetch_all(conn)
    .await?;
    let mut primers: BTreeMap<String, PrimerInput> = BTreeMap::new();
    let mut budgets: BTreeMap<String, Budget> = BTreeMap::new();
    for (entity, key, new) in rows {
        let Some(new) = new else { continue };
        let bad = |e: serde_json::Error| anyhow::anyhow!("audit row {entity} {key}: {e}");
        if entity == "primer" {
            primers.insert(key.clone(), serde_json::from_str(&new).map_err(bad)?);
        } else {
            budgets.insert(key.clone(), serde_json::from_str(&new).map_err(bad)?);
        }
    }
    for (iso3, p) in primers {
        facts
            .primers
            .insert(iso3.clone(), (p.status.as_str().to_owned(), p.focus_areas));
        for k in p.key_results {
            facts.key_results.push(KrFact {
                iso3: iso3.as_str().into(),
                code: k.code.as_str().into(),
                pillar: k.pillar.get(),
                focus_area: k.focus_area.into(),
                title: k.title.into(),
                unit: k.unit.into(),
                increase: k.direction == crate::domain::Direction::Increase,
                baseline: k.baseline_value.map(|b| b.get()),
                weight: k.weight.get(),
                targets: k.targets.iter().map(|(y, t)| (y.get(), t.get())).collect(),
            });
        }
    }
    // Same order as the budgets table's query: pillar, year, scope.
    let mut rows: Vec<(i64, i64, String, BudgetFact)> = budgets
        .into_values()
        .map(|b| {
            let scope = b
                .iso3
                .as_ref()
                .map_or(String::new(), |m| m.as_str().to_owned());
            (
                b.pillar.get(),
                b.year.get(),
                scope,
                BudgetFact {
                    pillar: b.pillar.get(),
                    year: b.year.get(),
                    planned: b.planned.get(),
                    spent: b.spent.get(),
                },
            )
        })
        .collect();
    rows.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    facts.budgets = rows.into_iter().map(|r| r.3).collect();
    Ok(())
}

/// The latest `limit` changes up to `rev`, newest first: what the room watches (primers, key
/// results, reports, budgets, projects). Productivity series are left out: one Penn World Table
/// import writes thousands of rows and would push everything else off the ticker (the audit
/// log keeps them, and patches still carry them as events).
async fn recent(conn: &mut AnyConnection, rev: i64, limit: i64) -> Result<Vec<Recent>> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT rev, at, actor, action, entity, entity_key, new_value FROM audit_log
         WHERE rev <= $1 AND entity <> 'series' ORDER BY id DESC LIMIT $2",
    )
    .bind(rev)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(to_recent).collect())
}

fn to_recent((rev, at, actor, action, entity, key, new): AuditRow) -> Recent {
    let new: Option<serde_json::Value> = new.and_then(|s| serde_json::from_str(&s).ok());
    let summary = match entity.as_str() {
        "actual" => {
            let mut parts = key.splitn(3, '/');
            let (_, code, year) = (parts.next(), parts.next(), parts.next());
            format!(
                "{} {}: {}",
                code.unwrap_or(&key),
                year.unwrap_or(""),
                new.as_ref()
                    .and_then(|v| v.get("value"))
                    .map_or("?".into(), |v| v.to_string())
            )
        }
        "primer" => {
            let krs = new
                .as_ref()
                .and_then(|v| v.get("key_results")?.as_array().map(Vec::len));
            let what = match action.as_str() {
                "create" => "drafted",
                "submit" => "submitted",
                "endorse" => "endorsed",
                "return" => "returned to draft",
                _ => "updated",
            };
            match krs {
                Some(n) => format!("{key} primer {what} ({n} key results)"),
                None => format!("{key} primer {what}"),
            }
        }
        "budget" => format!("budget {key}: {action}"),
        other => format!("{other} {key}: {action}"),
    };
    Recent {
        rev,
        at,
        actor,
        action,
        entity,
        key,
        summary,
    }
}
