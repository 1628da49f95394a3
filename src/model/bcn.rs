//! Bilateral Cooperation between NPOs (BCN, reference 520): a sending member applies for an
//! exchange with a hosting member under a BCN notification, within the notification's limits
//! and closing dates; the Secretariat approves or declines it.

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{ClosingFor, Count, MAX_PARTICIPANTS, Modality, Project, covers, is_member};
use super::{MAX_LABEL, MAX_REASON};
use crate::domain::{Iso3, ProjectCode};

/// The body of `POST /bcn/applications`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BcnInput {
    /// The BCN notification it is filed under.
    pub project: ProjectCode,
    /// The sending member (whose NPO's officials travel or connect).
    pub sender: Iso3,
    /// The hosting member.
    pub host: Iso3,
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub topic: String,
    /// `virtual` or `face_to_face`: the notification's limit for it applies.
    pub modality: Modality,
    /// Overseas participants (1 to 1000, and at most the notification's limit).
    #[schema(value_type = i64, minimum = 1, maximum = 1000)]
    pub participants: Count,
    #[schema(value_type = String, format = Date)]
    pub start_date: Date,
    #[schema(value_type = String, format = Date)]
    pub end_date: Date,
    /// The participants' level ("High-level government officials").
    #[serde(default)]
    #[schema(max_length = 200)]
    pub level: String,
}

/// Where an application stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum BcnStatus {
    Pending,
    Approved,
    Declined,
}

impl BcnStatus {
    pub const ALL: [BcnStatus; 3] = [Self::Pending, Self::Approved, Self::Declined];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A stored application: what `GET /bcn/applications` lists and the audit log keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BcnApplication {
    pub id: i64,
    pub project: ProjectCode,
    pub sender: Iso3,
    pub host: Iso3,
    pub topic: String,
    pub modality: Modality,
    pub participants: i64,
    #[schema(value_type = String, format = Date)]
    pub start_date: Date,
    #[schema(value_type = String, format = Date)]
    pub end_date: Date,
    pub level: String,
    /// The closing date it was filed under; none when the notification is open all year and
    /// no closing date was left.
    #[schema(value_type = Option<String>, format = Date)]
    pub closing_date: Option<Date>,
    pub status: BcnStatus,
    /// Why it was declined (or a note with an approval).
    pub reason: Option<String>,
    /// The day it was filed (UTC).
    #[schema(value_type = String, format = Date)]
    pub filed_on: Date,
    pub filed_rev: i64,
    pub decided_rev: Option<i64>,
}

/// The answer to a filed application.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BcnFiled {
    pub id: i64,
    pub rev: i64,
    #[schema(value_type = Option<String>, format = Date)]
    pub closing_date: Option<Date>,
    pub status: BcnStatus,
}

/// A decision's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BcnVerdict {
    Approved,
    Declined,
}

/// The body of `POST /bcn/applications/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BcnDecision {
    pub status: BcnVerdict,
    /// Required when declining.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: String,
}

impl BcnDecision {
    /// A declined application says why; returns the (trimmed) reason, if any.
    pub fn check(&mut self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        self.reason = self.reason.trim().to_owned();
        if self.status == BcnVerdict::Declined && self.reason.is_empty() {
            problems.push((
                "reason".into(),
                "a declined application says why: give a reason".into(),
            ));
        }
        if self.reason.chars().count() > MAX_REASON {
            problems.push((
                "reason".into(),
                format!("is longer than {MAX_REASON} characters"),
            ));
        }
        problems
    }
}

impl BcnInput {
    /// The rules within the application: text, counts, dates, members, and sender ≠ host.
    pub fn check(&mut self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut bad = |f: &str, m: String| problems.push((f.to_owned(), m));
        match crate::domain::text(&self.topic, MAX_LABEL) {
            Ok(t) => self.topic = t,
            Err(e) => bad("topic", e.0),
        }
        self.level = self.level.trim().to_owned();
        if self.level.chars().count() > MAX_LABEL {
            bad("level", format!("is longer than {MAX_LABEL} characters"));
        }
        if self.modality == Modality::Hybrid {
            bad(
                "modality",
                "an exchange is virtual or face_to_face: the notification's limit depends on which"
                    .into(),
            );
        }
        if !(1..=MAX_PARTICIPANTS).contains(&self.participants.0) {
            bad(
                "participants",
                format!(
                    "{} participants is outside 1–{MAX_PARTICIPANTS}",
                    self.participants.0
                ),
            );
        }
        for (field, d) in [("start_date", self.start_date), ("end_date", self.end_date)] {
            if let Some(why) = crate::domain::date_problem(d) {
                bad(field, why);
            }
        }
        if self.end_date < self.start_date {
            bad("end_date", "end_date is before start_date".into());
        }
        for (field, m) in [("sender", &self.sender), ("host", &self.host)] {
            if !is_member(m.as_str()) {
                bad(field, format!("unknown member {m}"));
            }
        }
        if self.sender == self.host {
            bad(
                "host",
                format!(
                    "an exchange is between two members: {} cannot host its own exchange",
                    self.sender
                ),
            );
        }
        problems
    }

    /// The rules of the notification `p` it is filed under, on `today` (UTC): a BCN
    /// notification, its hosts and participants, its limit for the modality, its timing, and
    /// an open closing date. Returns the closing date it is filed under (none: open all year),
    /// or every problem.
    pub fn against(&self, p: &Project, today: Date) -> Result<Option<Date>, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut bad = |f: &str, m: String| problems.push((f.to_owned(), m));
        let code = p.code.as_str();
        if p.program != "BCN" {
            bad(
                "project",
                format!(
                    "{code} is a {} notification: exchanges are applied for under a BCN notification",
                    p.program
                ),
            );
        }
        if !p.hosts.is_empty() && !covers(&p.hosts, self.host.as_str()) {
            bad(
                "host",
                format!("{} is not among the hosting members of {code}", self.host),
            );
        }
        if !p.participants.is_empty() && !covers(&p.participants, self.sender.as_str()) {
            bad(
                "sender",
                format!(
                    "{} is not among the participating members of {code}",
                    self.sender
                ),
            );
        }
        if let Some(limit) = p.overseas_limit.get(&self.modality)
            && self.participants.0 > limit.0
        {
            bad(
                "participants",
                format!(
                    "{} overseas participants exceed the limit of {} for a {} activity under {code}",
                    self.participants.0,
                    limit.0,
                    self.modality.as_str()
                ),
            );
        }
        if let Some(s) = p.start_date
            && self.start_date < s
        {
            bad(
                "start_date",
                format!("{} is before {code} starts ({s})", self.start_date),
            );
        }
        if let Some(e) = p.end_date
            && self.end_date > e
        {
            bad(
                "end_date",
                format!("{} is after {code} ends ({e})", self.end_date),
            );
        }
        let closing = p
            .next_closing(ClosingFor::Applications, today)
            .map(|c| c.date);
        if closing.is_none() && !p.open_all_year_on(today) {
            let last = p
                .closing_dates
                .iter()
                .filter(|c| c.for_.closes(ClosingFor::Applications))
                .map(|c| c.date)
                .max();
            bad(
                "project",
                match last {
                    Some(last) => format!(
                        "every closing date for applications under {code} has passed: the last was {last} (today is {today})"
                    ),
                    None => format!(
                        "{code} takes no applications: it has no closing date for them and is not open all year"
                    ),
                },
            );
        }
        if problems.is_empty() {
            Ok(closing)
        } else {
            Err(problems)
        }
    }
}
