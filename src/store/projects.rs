//! Project notifications: written whole (the `projects` row, its child rows, one audit row
//! carrying the whole notification), read back whole, now or as of a past revision (folded
//! from the log), and the pillar budgets beside the parts of them assigned to projects.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, FromRow};

use super::log::logged_edits;
use super::reads::{decoded, format_date, parse_date};
use super::{Store, Val, Write, insert_rows};
use crate::domain::{Finite, Iso3, KrCode, Pillar, ProjectCode};
use crate::error::{Detail, Error, Result};
use crate::model::{
    BudgetPart, ClosingDate, ClosingFor, Count, Limits, MemberOrAll, Modality, PillarBudget,
    Project, ProjectBudget, ProjectKr, ProjectShare,
};
use crate::records::{Edit, Entity};

/// The parts of a notification kept in the `notice` JSON column: its long texts and the lists
/// nothing queries.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Notice {
    venues: Vec<String>,
    implementing: Vec<String>,
    overseas_limit: Limits,
    overseas_note: String,
    local_limit: Limits,
    local_note: String,
    objectives: String,
    rationale: String,
    background: String,
    topics: String,
    outcome: String,
    qualifications: String,
}

#[derive(FromRow)]
struct ProjectRow {
    code: String,
    title: String,
    program: String,
    pillar: i64,
    status: String,
    start_date: Option<String>,
    end_date: Option<String>,
    reference: Option<i64>,
    issued: Option<String>,
    modality: Option<String>,
    open_all_year: String,
    notice: String,
}

impl Write {
    /// Creates or replaces a notification, which must have passed [`Project::check`]; the key
    /// results it names must exist (422 naming each one that does not). Returns whether
    /// anything changed.
    pub async fn put_project(&mut self, p: &Project) -> Result<bool> {
        let mut missing = Vec::new();
        for (i, k) in p.key_results.iter().enumerate() {
            let found: Option<(String,)> =
                sqlx::query_as("SELECT code FROM key_results WHERE iso3 = $1 AND code = $2")
                    .bind(k.iso3.as_str().to_owned())
                    .bind(k.kr_code.as_str().to_owned())
                    .fetch_optional(&mut *self.tx)
                    .await?;
            if found.is_none() {
                missing.push(Detail::field(
                    format!("key_results[{i}].kr_code"),
                    format!("{} has no key result {}", k.iso3, k.kr_code),
                ));
            }
        }
        if !missing.is_empty() {
            return Err(Error::invalid(missing));
        }
        let code = p.code.as_str().to_owned();
        let old = read(&mut self.tx, Some(&code)).await?.pop();
        if old.as_ref() == Some(p) {
            return Ok(false);
        }
        let notice = Notice {
            venues: p.venues.clone(),
            implementing: p.implementing.clone(),
            overseas_limit: p.overseas_limit.clone(),
            overseas_note: p.overseas_note.clone(),
            local_limit: p.local_limit.clone(),
            local_note: p.local_note.clone(),
            objectives: p.objectives.clone(),
            rationale: p.rationale.clone(),
            background: p.background.clone(),
            topics: p.topics.clone(),
            outcome: p.outcome.clone(),
            qualifications: p.qualifications.clone(),
        };
        sqlx::query(
            "INSERT INTO projects (code, title, program, year, pillar, status, host_iso3,
                                   start_date, end_date, reference, issued, modality,
                                   open_all_year, notice)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (code) DO UPDATE SET title = excluded.title,
                 program = excluded.program, year = excluded.year, pillar = excluded.pillar,
                 status = excluded.status, host_iso3 = excluded.host_iso3,
                 start_date = excluded.start_date, end_date = excluded.end_date,
                 reference = excluded.reference, issued = excluded.issued,
                 modality = excluded.modality, open_all_year = excluded.open_all_year,
                 notice = excluded.notice",
        )
        .bind(code.clone())
        .bind(p.title.clone())
        .bind(p.program.clone())
        .bind(p.code.year())
        .bind(p.pillar.get())
        .bind(p.status.as_str())
        .bind(p.single_host().map(|h| h.as_str().to_owned()))
        .bind(p.start_date.map(format_date))
        .bind(p.end_date.map(format_date))
        .bind(p.reference.map(|r| r.0))
        .bind(p.issued.map(format_date))
        .bind(p.modality.map(|m| m.as_str().to_owned()))
        .bind(p.open_all_year.clone())
        .bind(serde_json::to_string(&notice).expect("records serialize"))
        .execute(&mut *self.tx)
        .await?;
        for table in [
            "project_members",
            "project_closing_dates",
            "project_budgets",
            "project_key_results",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE code = $1"
            )))
            .bind(code.clone())
            .execute(&mut *self.tx)
            .await?;
        }
        let text = |s: &str| Val::Text(Some(s.to_owned()));
        let key = code.as_str();
        let members = [("host", &p.hosts), ("participant", &p.participants)]
            .into_iter()
            .flat_map(|(role, list)| {
                list.iter().enumerate().map(move |(i, m)| {
                    vec![
                        text(key),
                        text(role),
                        Val::Int(Some(i as i64)),
                        text(m.as_str()),
                    ]
                })
            })
            .collect();
        insert_rows(
            &mut self.tx,
            "INSERT INTO project_members (code, role, position, iso3)",
            "",
            members,
        )
        .await?;
        let closing = p.closing_dates.iter().enumerate();
        insert_rows(
            &mut self.tx,
            "INSERT INTO project_closing_dates (code, position, date, remark, closes)",
            "",
            closing
                .map(|(i, c)| {
                    vec![
                        text(&code),
                        Val::Int(Some(i as i64)),
                        Val::Text(Some(format_date(c.date))),
                        text(&c.remark),
                        text(c.for_.as_str()),
                    ]
                })
                .collect(),
        )
        .await?;
        insert_rows(
            &mut self.tx,
            "INSERT INTO project_budgets (code, year, scope, amount)",
            "",
            p.budget
                .iter()
                .map(|b| {
                    vec![
                        text(&code),
                        Val::Int(Some(b.year.0)),
                        text(b.iso3.as_ref().map_or("", |m| m.as_str())),
                        Val::Real(Some(b.amount.get())),
                    ]
                })
                .collect(),
        )
        .await?;
        insert_rows(
            &mut self.tx,
            "INSERT INTO project_key_results (code, position, iso3, kr_code)",
            "",
            p.key_results
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    vec![
                        text(&code),
                        Val::Int(Some(i as i64)),
                        text(k.iso3.as_str()),
                        text(k.kr_code.as_str()),
                    ]
                })
                .collect(),
        )
        .await?;
        let edit = Edit::Project {
            created: old.is_none(),
            project: Box::new(p.clone()),
        };
        self.audit(edit, old.as_ref()).await?;
        Ok(true)
    }

    /// The notification `code` as this write sees it.
    pub async fn project(&mut self, code: &str) -> Result<Option<Project>> {
        Ok(read(&mut self.tx, Some(code)).await?.pop())
    }
}

impl Store {
    /// Every notification, by code: now, or as of revision `as_of` (from the log).
    pub async fn projects(&self, as_of: Option<i64>) -> Result<Vec<Project>> {
        let mut conn = self.pool().acquire().await?;
        match as_of {
            None => read(&mut conn, None).await,
            Some(rev) => {
                let mut state: BTreeMap<String, Project> = BTreeMap::new();
                for edit in logged_edits(&mut conn, &[Entity::Project], rev).await? {
                    if let Edit::Project { project, .. } = edit {
                        let mut p = *project;
                        // Logged before notifications had hosts: `host_iso3` gives them.
                        let _ = p.check();
                        state.insert(p.code.as_str().to_owned(), p);
                    }
                }
                Ok(state.into_values().collect())
            }
        }
    }

    /// One notification, now.
    pub async fn project(&self, code: &str) -> Result<Option<Project>> {
        let mut conn = self.pool().acquire().await?;
        Ok(read(&mut conn, Some(code)).await?.pop())
    }

    /// Per pillar, the budgets of `year` (METRICS.md "Budget": regional and member-level
    /// planned and spent) beside the parts of them assigned to projects (Σ project budget
    /// rows of the pillar and year) and the rest. Project budgets break the pillar budgets
    /// down: they are never added to them.
    pub async fn pillar_budgets(&self, year: i64) -> Result<Vec<PillarBudget>> {
        let mut tx = self.begin_tx().await?;
        if self.backend() == super::Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let rows: Vec<(i64, String, f64, f64)> = sqlx::query_as(
            "SELECT pillar, scope, planned, spent FROM budgets WHERE year = $1 ORDER BY pillar",
        )
        .bind(year)
        .fetch_all(&mut *tx)
        .await?;
        let assigned: Vec<(i64, String, String, String, f64)> = sqlx::query_as(
            "SELECT p.pillar, b.code, p.title, b.scope, b.amount
             FROM project_budgets b JOIN projects p ON p.code = b.code
             WHERE b.year = $1 ORDER BY b.code, b.scope",
        )
        .bind(year)
        .fetch_all(&mut *tx)
        .await?;
        tx.rollback().await?;
        let mut out: Vec<PillarBudget> = Pillar::ALL
            .iter()
            .map(|&(id, name)| PillarBudget {
                pillar: id,
                name: name.to_owned(),
                year,
                regional: BudgetPart::default(),
                members: BudgetPart::default(),
                total: BudgetPart::default(),
                projects: Vec::new(),
            })
            .collect();
        let at = |pillar: i64| (pillar - 1).clamp(0, 3) as usize;
        for (pillar, scope, planned, spent) in rows {
            let b = &mut out[at(pillar)];
            let part = if scope.is_empty() {
                &mut b.regional
            } else {
                &mut b.members
            };
            part.planned += planned;
            part.spent += spent;
        }
        for (pillar, code, title, scope, amount) in assigned {
            let b = &mut out[at(pillar)];
            let i = match b.projects.iter().position(|s| s.code == code) {
                Some(i) => i,
                None => {
                    b.projects.push(ProjectShare {
                        code,
                        title,
                        regional: 0.0,
                        members: 0.0,
                    });
                    b.projects.len() - 1
                }
            };
            let share = &mut b.projects[i];
            if scope.is_empty() {
                share.regional += amount;
                b.regional.assigned += amount;
            } else {
                share.members += amount;
                b.members.assigned += amount;
            }
        }
        for b in &mut out {
            for part in [&mut b.regional, &mut b.members] {
                part.unassigned = part.planned - part.assigned;
            }
            b.total = BudgetPart {
                planned: b.regional.planned + b.members.planned,
                spent: b.regional.spent + b.members.spent,
                assigned: b.regional.assigned + b.members.assigned,
                unassigned: b.regional.unassigned + b.members.unassigned,
            };
        }
        Ok(out)
    }
}

/// The notifications stored (all, or the one `code`), whole, by code.
pub(super) async fn read(conn: &mut AnyConnection, code: Option<&str>) -> Result<Vec<Project>> {
    let code = code.map(str::to_owned);
    let rows: Vec<ProjectRow> = sqlx::query_as(
        "SELECT code, title, program, pillar, status, start_date, end_date, reference, issued,
                modality, open_all_year, notice
         FROM projects WHERE ($1 IS NULL OR code = $1) ORDER BY code",
    )
    .bind(code.clone())
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<String, Project> = BTreeMap::new();
    let date = |s: Option<String>| s.map(|s| parse_date(&s)).transpose();
    for r in rows {
        let notice: Notice = serde_json::from_str(&r.notice)
            .map_err(|e| anyhow::anyhow!("stored notice of {}: {e}", r.code))?;
        let mut p = Project::new(
            decoded(ProjectCode::parse(&r.code))?,
            &r.title,
            decoded(Pillar::new(r.pillar))?,
            serde_json::from_value(serde_json::Value::String(r.status))
                .map_err(|e| anyhow::anyhow!("stored project status: {e}"))?,
        );
        p.program = r.program;
        p.start_date = date(r.start_date)?;
        p.end_date = date(r.end_date)?;
        p.reference = r.reference.map(Count);
        p.issued = date(r.issued)?;
        p.modality = r
            .modality
            .as_deref()
            .map(|m| decoded(Modality::parse(m)))
            .transpose()?;
        p.open_all_year = r.open_all_year;
        p.venues = notice.venues;
        p.implementing = notice.implementing;
        p.overseas_limit = notice.overseas_limit;
        p.overseas_note = notice.overseas_note;
        p.local_limit = notice.local_limit;
        p.local_note = notice.local_note;
        p.objectives = notice.objectives;
        p.rationale = notice.rationale;
        p.background = notice.background;
        p.topics = notice.topics;
        p.outcome = notice.outcome;
        p.qualifications = notice.qualifications;
        out.insert(r.code, p);
    }
    let members: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT code, role, iso3 FROM project_members WHERE ($1 IS NULL OR code = $1)
         ORDER BY code, role, position",
    )
    .bind(code.clone())
    .fetch_all(&mut *conn)
    .await?;
    for (c, role, iso3) in members {
        if let Some(p) = out.get_mut(&c) {
            let m = decoded(MemberOrAll::parse(&iso3))?;
            match role.as_str() {
                "host" => p.hosts.push(m),
                _ => p.participants.push(m),
            }
        }
    }
    let closing: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT code, date, remark, closes FROM project_closing_dates
         WHERE ($1 IS NULL OR code = $1) ORDER BY code, position",
    )
    .bind(code.clone())
    .fetch_all(&mut *conn)
    .await?;
    for (c, d, remark, closes) in closing {
        if let Some(p) = out.get_mut(&c) {
            p.closing_dates.push(ClosingDate {
                date: parse_date(&d)?,
                remark,
                for_: decoded(ClosingFor::parse(&closes))?,
            });
        }
    }
    let budget: Vec<(String, i64, String, f64)> = sqlx::query_as(
        "SELECT code, year, scope, amount FROM project_budgets
         WHERE ($1 IS NULL OR code = $1) ORDER BY code, year, scope",
    )
    .bind(code.clone())
    .fetch_all(&mut *conn)
    .await?;
    for (c, year, scope, amount) in budget {
        if let Some(p) = out.get_mut(&c) {
            p.budget.push(ProjectBudget {
                year: Count(year),
                iso3: if scope.is_empty() {
                    None
                } else {
                    Some(decoded(Iso3::parse(&scope))?)
                },
                amount: decoded(Finite::new(amount))?,
            });
        }
    }
    let krs: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT code, iso3, kr_code FROM project_key_results
         WHERE ($1 IS NULL OR code = $1) ORDER BY code, position",
    )
    .bind(code)
    .fetch_all(&mut *conn)
    .await?;
    for (c, iso3, kr) in krs {
        if let Some(p) = out.get_mut(&c) {
            p.key_results.push(ProjectKr {
                iso3: decoded(Iso3::parse(&iso3))?,
                kr_code: decoded(KrCode::parse(&kr))?,
            });
        }
    }
    Ok(out
        .into_values()
        .map(|mut p| {
            p.host_iso3 = p.single_host();
            p
        })
        .collect())
}
