//! BCN applications: filed against the stored notification (its limits and closing dates are
//! read from it, never assumed), decided once by the Secretariat, each step one audited edit
//! carrying the application as it stands; read now or as of a past revision (from the log).

use std::collections::BTreeMap;

use sqlx::{AnyConnection, FromRow};
use time::Date;

use super::log::logged_edits;
use super::reads::{decoded, format_date, parse_date};
use super::{Store, Write};
use crate::domain::{Iso3, ProjectCode};
use crate::error::{Detail, Error, Result};
use crate::model::{BcnApplication, BcnDecision, BcnInput, BcnStatus, BcnVerdict, Modality};
use crate::records::{Action, Edit, Entity};

/// Which applications a list holds.
#[derive(Debug, Clone, Default)]
pub struct BcnFilter {
    pub project: Option<String>,
    pub status: Option<BcnStatus>,
    pub closing_date: Option<Date>,
    /// The notification's year (from its code).
    pub year: Option<i64>,
    /// Sent or hosted by this member.
    pub member: Option<String>,
}

impl BcnFilter {
    pub fn keeps(&self, a: &BcnApplication) -> bool {
        self.project
            .as_deref()
            .is_none_or(|p| a.project.as_str() == p)
            && self.status.is_none_or(|s| a.status == s)
            && self.closing_date.is_none_or(|d| a.closing_date == Some(d))
            && self.year.is_none_or(|y| a.project.year() == y)
            && self
                .member
                .as_deref()
                .is_none_or(|m| a.sender.as_str() == m || a.host.as_str() == m)
    }
}

#[derive(FromRow)]
struct ApplicationRow {
    id: i64,
    project: String,
    sender: String,
    host: String,
    topic: String,
    modality: String,
    participants: i64,
    start_date: String,
    end_date: String,
    level: String,
    closing_date: Option<String>,
    status: String,
    reason: Option<String>,
    filed_on: String,
    filed_rev: i64,
    decided_rev: Option<i64>,
}

impl ApplicationRow {
    fn application(self) -> Result<BcnApplication> {
        Ok(BcnApplication {
            id: self.id,
            project: decoded(ProjectCode::parse(&self.project))?,
            sender: decoded(Iso3::parse(&self.sender))?,
            host: decoded(Iso3::parse(&self.host))?,
            topic: self.topic,
            modality: decoded(Modality::parse(&self.modality))?,
            participants: self.participants,
            start_date: parse_date(&self.start_date)?,
            end_date: parse_date(&self.end_date)?,
            level: self.level,
            closing_date: self.closing_date.as_deref().map(parse_date).transpose()?,
            status: BcnStatus::parse(&self.status)
                .ok_or_else(|| anyhow::anyhow!("stored BCN status {:?}", self.status))?,
            reason: self.reason,
            filed_on: parse_date(&self.filed_on)?,
            filed_rev: self.filed_rev,
            decided_rev: self.decided_rev,
        })
    }
}

const COLUMNS: &str = "id, project, sender, host, topic, modality, participants, start_date, \
     end_date, level, closing_date, status, reason, filed_on, filed_rev, decided_rev";

async fn read(conn: &mut AnyConnection, id: Option<i64>) -> Result<Vec<BcnApplication>> {
    let rows: Vec<ApplicationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bcn_applications WHERE ($1 IS NULL OR id = $1) ORDER BY id"
    )))
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(ApplicationRow::application).collect()
}

impl Write {
    /// Files an application under its notification as it is stored now, on `today` (UTC):
    /// every rule of [`BcnInput::against`] (a 422 naming each field), then filed under the next
    /// closing date not passed. The input must have passed [`BcnInput::check`].
    pub async fn file_application(
        &mut self,
        input: &BcnInput,
        today: Date,
    ) -> Result<BcnApplication> {
        let code = input.project.as_str();
        let Some(project) = self.project(code).await? else {
            return Err(Error::invalid(vec![Detail::field(
                "project",
                format!("there is no notification {code}"),
            )]));
        };
        let closing_date = input.against(&project, today).map_err(|problems| {
            Error::invalid(
                problems
                    .into_iter()
                    .map(|(f, m)| Detail::field(f, m))
                    .collect(),
            )
        })?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO bcn_applications (project, sender, host, topic, modality, participants,
                 start_date, end_date, level, closing_date, status, filed_on, filed_rev)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12)
             RETURNING id",
        )
        .bind(code.to_owned())
        .bind(input.sender.as_str().to_owned())
        .bind(input.host.as_str().to_owned())
        .bind(input.topic.clone())
        .bind(input.modality.as_str())
        .bind(input.participants.0)
        .bind(format_date(input.start_date))
        .bind(format_date(input.end_date))
        .bind(input.level.clone())
        .bind(closing_date.map(format_date))
        .bind(format_date(today))
        .bind(self.rev)
        .fetch_one(&mut *self.tx)
        .await?;
        let application = BcnApplication {
            id,
            project: input.project.clone(),
            sender: input.sender.clone(),
            host: input.host.clone(),
            topic: input.topic.clone(),
            modality: input.modality,
            participants: input.participants.0,
            start_date: input.start_date,
            end_date: input.end_date,
            level: input.level.clone(),
            closing_date,
            status: BcnStatus::Pending,
            reason: None,
            filed_on: today,
            filed_rev: self.rev,
            decided_rev: None,
        };
        let edit = Edit::Bcn {
            action: Action::Create,
            application: Box::new(application.clone()),
        };
        self.audit(edit, None::<&BcnApplication>).await?;
        Ok(application)
    }

    /// Approves or declines application `id` (which must have passed [`BcnDecision::check`]):
    /// 404 if there is none, 409 if it was decided already.
    pub async fn decide_application(
        &mut self,
        id: i64,
        decision: &BcnDecision,
    ) -> Result<BcnApplication> {
        let Some(old) = read(&mut self.tx, Some(id)).await?.pop() else {
            return Err(Error::NotFound(format!("no BCN application {id}")));
        };
        if old.status != BcnStatus::Pending {
            return Err(Error::Conflict(
                format!(
                    "application {id} was already {} (revision {}): a decision is taken once",
                    old.status.as_str(),
                    old.decided_rev.unwrap_or(old.filed_rev)
                ),
                Vec::new(),
            ));
        }
        let (status, action) = match decision.status {
            BcnVerdict::Approved => (BcnStatus::Approved, Action::Approve),
            BcnVerdict::Declined => (BcnStatus::Declined, Action::Decline),
        };
        let reason = (!decision.reason.is_empty()).then(|| decision.reason.clone());
        sqlx::query(
            "UPDATE bcn_applications SET status = $1, reason = $2, decided_rev = $3 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(reason.clone())
        .bind(self.rev)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        let new = BcnApplication {
            status,
            reason,
            decided_rev: Some(self.rev),
            ..old.clone()
        };
        let edit = Edit::Bcn {
            action,
            application: Box::new(new.clone()),
        };
        self.audit(edit, Some(&old)).await?;
        Ok(new)
    }
}

impl Store {
    /// The applications `filter` keeps, oldest first: now, or as of revision `as_of`.
    pub async fn bcn_applications(
        &self,
        filter: &BcnFilter,
        as_of: Option<i64>,
    ) -> Result<Vec<BcnApplication>> {
        let mut conn = self.pool().acquire().await?;
        let all = match as_of {
            None => read(&mut conn, None).await?,
            Some(rev) => {
                let mut state: BTreeMap<i64, BcnApplication> = BTreeMap::new();
                for edit in logged_edits(&mut conn, &[Entity::BcnApplication], rev).await? {
                    if let Edit::Bcn { application, .. } = edit {
                        state.insert(application.id, *application);
                    }
                }
                state.into_values().collect()
            }
        };
        Ok(all.into_iter().filter(|a| filter.keeps(a)).collect())
    }
}
