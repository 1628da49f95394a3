//! The reads of an export ([`crate::export`]): every stored row of the tables a primer workbook
//! holds, as stored (text as text, dates and times as their ISO text), all read in one
//! transaction so that the tables agree with each other and with the revision they are of.

use sqlx::{AnyConnection, FromRow};

use super::{Backend, KeyResultRow, Store};
use crate::error::Result;

/// Everything an export holds, as of one revision.
#[derive(Debug, Default)]
pub struct Dump {
    /// The revision every table below is of.
    pub rev: i64,
    pub primers: Vec<PrimerDump>,
    /// In each member's order (its primer's positions).
    pub key_results: Vec<KeyResultRow>,
    pub targets: Vec<TargetDump>,
    /// Every report, withdrawn ones too, oldest first (by report time, then revision).
    pub actuals: Vec<ActualDump>,
    pub budgets: Vec<BudgetDump>,
    /// Whole notifications, by code.
    pub projects: Vec<crate::model::Project>,
    pub series: Vec<SeriesDump>,
    /// Empty on a database without the catalogue table (before migration 0005).
    pub catalogue: Vec<CatalogueDump>,
    /// `None` when not asked for (only the Secretariat reads the audit log).
    pub audit: Option<Vec<AuditDump>>,
    /// The platforms' records (issue 23), by id (trainings by member and end date); empty on a
    /// database before migration 0008.
    pub accreditations: Vec<crate::model::AccreditationInput>,
    /// Every theme (a member's export too), in their order.
    pub gp_themes: Vec<crate::model::GpTheme>,
    /// With their outcomes, by metric and year.
    pub gp_initiatives: Vec<crate::model::GpInitiativeInput>,
    pub trainings: Vec<crate::model::TrainingInput>,
    /// The sources of key results fed by data, by (member, key result code).
    pub kr_sources: std::collections::BTreeMap<(String, String), crate::model::KrSource>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrimerDump {
    pub iso3: String,
    pub status: String,
    pub national_context: String,
    pub endorsed_on: Option<String>,
    /// In the primer's order.
    pub focus_areas: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct TargetDump {
    pub iso3: String,
    pub kr_code: String,
    pub year: i64,
    pub target: f64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ActualDump {
    pub iso3: String,
    pub kr_code: String,
    pub year: i64,
    pub value: f64,
    pub reported_at: String,
    pub reported_by: String,
    /// The revision that withdrew it (or replaced it by a correction); `None`: it counts.
    pub withdrawn_rev: Option<i64>,
    pub withdrawn_reason: Option<String>,
    pub withdrawn_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct BudgetDump {
    pub pillar: i64,
    pub year: i64,
    /// The member, or empty for an APO-wide row.
    pub scope: String,
    pub planned: f64,
    pub spent: f64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SeriesDump {
    pub iso3: String,
    pub series: String,
    pub year: i64,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CatalogueDump {
    pub series: String,
    pub label: String,
    pub unit: Option<String>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AuditDump {
    pub rev: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

impl Store {
    /// Every stored row an export holds, read in one transaction (on PostgreSQL a repeatable
    /// read, on SQLite one read of the write-ahead log), so that a write committed meanwhile
    /// cannot make the tables disagree. With `only`, that member's rows only: its primer, key
    /// results, targets, reports, its own budget rows (not the APO-wide ones), the projects
    /// naming it among their hosts (not those hosted by every member: like APO-wide budgets),
    /// its series and their catalogue entries, and the audit rows about it. With `audit_log`,
    /// the audit log too.
    pub async fn dump(&self, only: Option<&str>, audit_log: bool) -> Result<Dump> {
        let mut tx = self.begin_tx().await.map_err(|e| self.failed(e))?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let conn: &mut AnyConnection = &mut tx;
        let only = only.map(str::to_owned);
        let (rev,): (i64,) = sqlx::query_as("SELECT rev FROM revision WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
        let mut dump = Dump {
            rev,
            ..Dump::default()
        };
        let primers: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT iso3, status, national_context, endorsed_on FROM primers
             WHERE ($1 IS NULL OR iso3 = $1) ORDER BY iso3",
        )
        .bind(only.clone())
        .fetch_all(&mut *conn)
        .await?;
        let areas: Vec<(String, String)> = sqlx::query_as(
            "SELECT iso3, label FROM focus_areas WHERE ($1 IS NULL OR iso3 = $1)
             ORDER BY iso3, position",
        )
        .bind(only.clone())
        .fetch_all(&mut *conn)
        .await?;
        dump.primers = primers
            .into_iter()
            .map(|(iso3, status, national_context, endorsed_on)| PrimerDump {
                focus_areas: areas
                    .iter()
                    .filter(|(i, _)| *i == iso3)
                    .map(|(_, l)| l.clone())
                    .collect(),
                iso3,
                status,
                national_context,
                endorsed_on,
            })
            .collect();
        dump.key_results = sqlx::query_as(
            "SELECT iso3, code, pillar, focus_area, title, unit, direction, baseline_year,
                    baseline_value, weight, min_value, max_value
             FROM key_results WHERE ($1 IS NULL OR iso3 = $1) ORDER BY iso3, position",
        )
        .bind(only.clone())
        .fetch_all(&mut *conn)
        .await?;
        dump.targets = sqlx::query_as(
            "SELECT t.iso3, t.kr_code, t.year, t.target
             FROM targets t JOIN key_results k ON k.iso3 = t.iso3 AND k.code = t.kr_code
             WHERE ($1 IS NULL OR t.iso3 = $1) ORDER BY t.iso3, k.position, t.year",
        )
        .bind(only.clone())
        .fetch_all(&mut *conn)
        .await?;
        dump.actuals = sqlx::query_as(
            "SELECT iso3, kr_code, year, value, reported_at, reported_by, withdrawn_rev,
                    withdrawn_reason, withdrawn_by
             FROM actuals WHERE ($1 IS NULL OR iso3 = $1) ORDER BY reported_at, rev, id",
        )
        .bind(only.clone())
        .fetch_all(&mut *conn)
        .await?;
        dump.budgets = sqlx::query_as(
            "SELECT pillar, year, scope, planned, spent FROM budgets
             WHERE ($1 IS NULL OR scope = $1) ORDER BY year, pillar, scope",
        )
        .bind(only.clone())
        .fetch_all(&mut *conn)
        .await?;
        dump.projects = super::projects::read(conn, None)
            .await?
            .into_iter()
            .filter(|p| {
                only.as_deref()
                    .is_none_or(|m| p.hosts.iter().any(|h| h.as_str() == m))
            })
            .collect();
        dump.series = sqlx::query_as(
            "SELECT iso3, series, year, value FROM series
             WHERE ($1 IS NULL OR iso3 = $1) ORDER BY iso3, series, year",
        )
        .bind(only.clone())
        .fetch_all(&mut *conn)
        .await?;
        if has_table(conn, self.backend(), "series_catalogue").await? {
            dump.catalogue = sqlx::query_as(
                "SELECT series, label, unit, source FROM series_catalogue c
                 WHERE $1 IS NULL
                    OR EXISTS (SELECT 1 FROM series s WHERE s.series = c.series AND s.iso3 = $1)
                 ORDER BY series",
            )
            .bind(only.clone())
            .fetch_all(&mut *conn)
            .await?;
        }
        if has_table(conn, self.backend(), "accreditations").await? {
            super::dump_platforms::read(conn, only.as_deref(), &mut dump).await?;
        }
        if audit_log {
            dump.audit = Some(
                sqlx::query_as(
                    "SELECT rev, at, actor, action, entity, entity_key, old_value, new_value
                     FROM audit_log WHERE ($1 IS NULL OR member = $1) ORDER BY id",
                )
                .bind(only.clone())
                .fetch_all(&mut *conn)
                .await?,
            );
        }
        tx.rollback().await?;
        Ok(dump)
    }
}

/// Whether `table` exists: the catalogue of series comes with a later migration, and an export
/// works on a database from before it.
async fn has_table(conn: &mut AnyConnection, backend: Backend, table: &str) -> Result<bool> {
    let sql = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let (n,): (i64,) = sqlx::query_as(sql)
        .bind(table.to_owned())
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}
