//! Queries that read. Each takes the pool; the ones a write also needs take a connection, so
//! that they can run inside the write's transaction.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, FromRow};
use utoipa::{IntoParams, ToSchema};

use super::Store;
use crate::error::{Detail, Result};
use crate::model::{Actual, AuditEntry, Budget, Member, PillarInfo, SeriesPoint};

/// A key result as listed by `GET /key_results`: flat, with its member.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct KeyResultRow {
    pub iso3: String,
    pub code: String,
    pub pillar: i64,
    pub focus_area: String,
    pub title: String,
    pub unit: String,
    pub direction: String,
    pub baseline_year: Option<i64>,
    pub baseline_value: Option<f64>,
    pub weight: f64,
    /// The range reports may take; none: unbounded on that side.
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
}

/// A stored report, as `GET /actuals` reads it.
#[derive(FromRow)]
struct ActualRow {
    id: i64,
    iso3: String,
    kr_code: String,
    year: i64,
    value: f64,
    reported_at: String,
    reported_by: String,
    rev: i64,
    withdrawn_rev: Option<i64>,
    withdrawn_reason: Option<String>,
    withdrawn_by: Option<String>,
}

/// Filters of `GET /actuals`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActualFilter {
    pub iso3: Option<String>,
    pub kr_code: Option<String>,
    pub year: Option<i64>,
    /// Only reports written after this revision.
    pub since_rev: Option<i64>,
    /// At most this many rows (1–10000; default 1000), newest first.
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<i64>,
}

impl ActualFilter {
    /// Values out of their range, each named (a 422, rather than a quietly different answer).
    pub fn problems(&self) -> Vec<Detail> {
        let mut problems = Vec::new();
        out_of_range("limit", self.limit, 1..=10_000, &mut problems);
        problems
    }
}

/// A query value outside `range`, as a problem naming `field`.
fn out_of_range(
    field: &str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
    problems: &mut Vec<Detail>,
) {
    if let Some(v) = value
        && !range.contains(&v)
    {
        let bounds = if *range.end() == i64::MAX {
            format!("{} or more", range.start())
        } else {
            format!("{}–{}", range.start(), range.end())
        };
        problems.push(Detail::field(field, format!("{v} is outside {bounds}")));
    }
}

impl Store {
    pub async fn members(&self) -> Result<Vec<Member>> {
        let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT m.iso3, m.iso_num, m.name, m.short_name, p.status
             FROM members m LEFT JOIN primers p ON p.iso3 = m.iso3 ORDER BY m.name",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(iso3, iso_num, name, short_name, status)| Member {
                iso3,
                iso_num,
                name,
                short_name,
                primer_status: status.unwrap_or_else(|| "none".into()),
            })
            .collect())
    }

    pub async fn member_exists(&self, iso3: &str) -> Result<bool> {
        let mut conn = self.pool().acquire().await?;
        member_exists(&mut conn, iso3).await
    }

    pub async fn pillars(&self) -> Result<Vec<PillarInfo>> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM pillars ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| PillarInfo { id, name })
            .collect())
    }

    pub async fn key_results(
        &self,
        iso3: Option<&str>,
        pillar: Option<i64>,
    ) -> Result<Vec<KeyResultRow>> {
        Ok(sqlx::query_as(
            "SELECT iso3, code, pillar, focus_area, title, unit, direction, baseline_year,
                    baseline_value, weight, min_value, max_value
             FROM key_results
             WHERE ($1 IS NULL OR iso3 = $1) AND ($2 IS NULL OR pillar = $2)
             ORDER BY iso3, position",
        )
        .bind(iso3.map(str::to_owned))
        .bind(pillar)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn actuals(&self, f: &ActualFilter) -> Result<Vec<Actual>> {
        let rows: Vec<ActualRow> = sqlx::query_as(
            "SELECT id, iso3, kr_code, year, value, reported_at, reported_by, rev,
                    withdrawn_rev, withdrawn_reason, withdrawn_by
             FROM actuals
             WHERE ($1 IS NULL OR iso3 = $1) AND ($2 IS NULL OR kr_code = $2)
               AND ($3 IS NULL OR year = $3) AND ($4 IS NULL OR rev > $4)
             ORDER BY reported_at DESC, rev DESC, id DESC LIMIT $5",
        )
        .bind(f.iso3.clone())
        .bind(f.kr_code.clone())
        .bind(f.year)
        .bind(f.since_rev)
        .bind(f.limit.unwrap_or(1000))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Actual {
                id: r.id,
                iso3: r.iso3,
                kr_code: r.kr_code,
                year: r.year,
                value: r.value,
                reported_at: r.reported_at,
                reported_by: r.reported_by,
                rev: r.rev,
                withdrawn: r.withdrawn_rev.map(|rev| crate::model::Withdrawn {
                    rev,
                    reason: r.withdrawn_reason.unwrap_or_default(),
                    by: r.withdrawn_by.unwrap_or_default(),
                }),
            })
            .collect())
    }

    pub async fn budgets(&self, year: Option<i64>) -> Result<Vec<Budget>> {
        let mut conn = self.pool().acquire().await?;
        budgets(&mut conn, year).await
    }

    pub async fn series(
        &self,
        iso3: Option<&str>,
        series: Option<&str>,
    ) -> Result<Vec<SeriesPoint>> {
        let rows: Vec<(String, String, i64, f64)> = sqlx::query_as(
            "SELECT iso3, series, year, value FROM series
             WHERE ($1 IS NULL OR iso3 = $1) AND ($2 IS NULL OR series = $2)
             ORDER BY iso3, series, year",
        )
        .bind(iso3.map(str::to_owned))
        .bind(series.map(str::to_owned))
        .fetch_all(self.pool())
        .await?;
        series_points(rows)
    }

    /// Every value of the named series, by member, series and year.
    pub async fn series_named(&self, names: &[&str]) -> Result<Vec<SeriesPoint>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT iso3, series, year, value FROM series WHERE series IN ({})
             ORDER BY iso3, series, year",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_as::<_, (String, String, i64, f64)>(sqlx::AssertSqlSafe(sql));
        for n in names {
            query = query.bind((*n).to_owned());
        }
        series_points(query.fetch_all(self.pool()).await?)
    }

    /// The audit log, newest first, filtered and a page at a time.
    pub async fn audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, rev, at, actor, action, entity, entity_key, old_value, new_value,
                    role, scope, credential, request_id, member, note
             FROM audit_log
             WHERE ($1 IS NULL OR member = $1) AND ($2 IS NULL OR entity = $2)
               AND ($3 IS NULL OR rev >= $3) AND ($4 IS NULL OR rev <= $4)
               AND ($5 IS NULL OR id < $5)
             ORDER BY id DESC LIMIT $6",
        )
        .bind(f.member.clone())
        .bind(f.entity.map(|e| e.as_str().to_owned()))
        .bind(match (f.from_rev, f.since_rev) {
            (Some(from), Some(after)) => Some(from.max(after.saturating_add(1))),
            (from, after) => from.or(after.map(|a| a.saturating_add(1))),
        })
        .bind(f.to_rev)
        .bind(f.before_id)
        .bind(f.limit.unwrap_or(100))
        .fetch_all(self.pool())
        .await?;
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                rev: r.rev,
                at: r.at,
                actor: r.actor,
                role: r.role,
                scope: r.scope,
                credential: r.credential,
                request_id: r.request_id,
                member: r.member,
                action: r.action,
                entity: r.entity,
                entity_key: r.entity_key,
                old_value: json(r.old_value),
                new_value: json(r.new_value),
                note: r.note,
            })
            .collect())
    }
}

/// A filter of the audit log (`GET /audit`'s query).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// Only changes to this member's data (ISO3).
    #[param(pattern = "^[A-Z]{3}$")]
    pub member: Option<String>,
    /// Only changes to this kind of entity.
    pub entity: Option<crate::records::Entity>,
    /// Only revisions from this one on.
    #[param(minimum = 0)]
    pub from_rev: Option<i64>,
    /// Only revisions up to this one.
    #[param(minimum = 0)]
    pub to_rev: Option<i64>,
    /// Only revisions after this one: the older name of `from_rev` minus one, kept working
    /// for the scripts that use it.
    #[param(minimum = 0)]
    pub since_rev: Option<i64>,
    /// The next page: entries older than this entry id.
    #[param(minimum = 1)]
    pub before_id: Option<i64>,
    /// At most this many entries (1–10000; default 100).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<i64>,
}

impl AuditFilter {
    /// Values out of their range or of the wrong shape, each named; normalises `member`.
    pub fn check(&mut self) -> Vec<Detail> {
        let mut problems = Vec::new();
        if let Some(m) = &self.member {
            match crate::domain::Iso3::parse(m) {
                Ok(code) => self.member = Some(code.as_str().to_owned()),
                Err(e) => problems.push(Detail::field("member", e.0)),
            }
        }
        out_of_range("from_rev", self.from_rev, 0..=i64::MAX, &mut problems);
        out_of_range("to_rev", self.to_rev, 0..=i64::MAX, &mut problems);
        out_of_range("since_rev", self.since_rev, 0..=i64::MAX, &mut problems);
        out_of_range("before_id", self.before_id, 1..=i64::MAX, &mut problems);
        out_of_range("limit", self.limit, 1..=10_000, &mut problems);
        problems
    }
}

#[derive(FromRow)]
struct AuditRow {
    id: i64,
    rev: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_key: String,
    old_value: Option<String>,
    new_value: Option<String>,
    role: String,
    scope: Option<String>,
    credential: Option<String>,
    request_id: Option<String>,
    member: Option<String>,
    note: Option<String>,
}

fn series_points(rows: Vec<(String, String, i64, f64)>) -> Result<Vec<SeriesPoint>> {
    rows.into_iter()
        .map(|(iso3, series, year, value)| {
            Ok(SeriesPoint {
                iso3: decoded(crate::domain::Iso3::parse(&iso3))?,
                series,
                year,
                value: decoded(crate::domain::Finite::new(value))?,
            })
        })
        .collect()
}

/// A stored value that no longer passes validation means the database was edited by hand.
pub(super) fn decoded<T>(r: Result<T, crate::domain::Invalid>) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("stored value fails validation: {e}").into())
}

pub(super) async fn member_exists(conn: &mut AnyConnection, iso3: &str) -> Result<bool> {
    let row: Option<(String,)> = sqlx::query_as("SELECT iso3 FROM members WHERE iso3 = $1")
        .bind(iso3.to_owned())
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

pub(super) async fn budgets(conn: &mut AnyConnection, year: Option<i64>) -> Result<Vec<Budget>> {
    let rows: Vec<(i64, i64, String, f64, f64)> = sqlx::query_as(
        "SELECT pillar, year, scope, planned, spent FROM budgets
         WHERE ($1 IS NULL OR year = $1) ORDER BY year, pillar, scope",
    )
    .bind(year)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(pillar, year, scope, planned, spent)| {
            Ok(Budget {
                pillar: decoded(crate::domain::Pillar::new(pillar))?,
                year: decoded(crate::domain::Year::new(year))?,
                planned: decoded(crate::domain::Finite::new(planned))?,
                spent: decoded(crate::domain::Finite::new(spent))?,
                iso3: if scope.is_empty() {
                    None
                } else {
                    Some(decoded(crate::domain::Iso3::parse(&scope))?)
                },
            })
        })
        .collect()
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

pub(super) fn parse_date(s: &str) -> Result<time::Date> {
    time::Date::parse(s, DATE).map_err(|e| anyhow::anyhow!("stored date {s:?}: {e}").into())
}

pub(super) fn format_date(d: time::Date) -> String {
    d.format(DATE).expect("formattable")
}
