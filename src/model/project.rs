//! A project notification (issue 22): every field the Secretariat publishes for a project
//! (references 515 and 520 in `../shared/seeds/` are the source), with the rules across its
//! fields. The same struct is the body of `PUT /projects/{code}` and what `GET` answers (with
//! its closing dates' days left added), and a row of the workbook's `projects` sheet
//! ([`super::project_sheet`]). Its parts are in [`super::project_parts`].

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::project_parts::{
    Closing, ClosingDate, ClosingFor, Count, Limits, MAX_PARTICIPANTS, MemberOrAll, Modality,
    ProjectBudget, ProjectKr, ProjectStatus, covers, is_member,
};
use super::{MAX_BUDGET, MAX_CONTEXT, MAX_LABEL};
use crate::domain::{Iso3, Pillar, ProjectCode};

/// A project notification. `year` and `program` are derived from the code. What `GET` answers
/// may be `PUT` back as it is: `closing` is computed and ignored on input, `host_iso3` is the
/// single host (older clients and files give it instead of `hosts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub code: ProjectCode,
    /// The notification's reference number (e.g. 520).
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 99999)]
    pub reference: Option<Count>,
    /// Date of issue.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub issued: Option<Date>,
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub title: String,
    /// Program as written in the code's fifth segment (e.g. COE, BCN); derived when omitted
    /// or blank.
    #[serde(default)]
    pub program: String,
    pub pillar: Pillar,
    pub status: ProjectStatus,
    /// Timing: the first day.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<Date>,
    /// Timing: the last day.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub end_date: Option<Date>,
    /// Hosting members, or `["*"]` for all members.
    #[serde(default)]
    #[schema(max_items = 21)]
    pub hosts: Vec<MemberOrAll>,
    /// The single hosting member; absent when it hosts several or all. On input, instead of
    /// `hosts` (or equal to them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_iso3: Option<Iso3>,
    /// Venue cities, as written ("All member countries").
    #[serde(default)]
    #[schema(max_items = 50)]
    pub venues: Vec<String>,
    #[serde(default)]
    pub modality: Option<Modality>,
    /// Implementing organizations.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub implementing: Vec<String>,
    /// Participating members, or `["*"]`; empty when the notification does not say.
    #[serde(default)]
    #[schema(max_items = 21)]
    pub participants: Vec<MemberOrAll>,
    /// Most overseas participants by the activity's modality (1 to 1000); a modality absent:
    /// no limit.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, i64>)]
    pub overseas_limit: Limits,
    /// The notification's own words on overseas participants.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub overseas_note: String,
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, i64>)]
    pub local_limit: Limits,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub local_note: String,
    /// Closing dates, each with its remark and what it closes (kept in date order).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub closing_dates: Vec<ClosingDate>,
    /// Set when something is taken throughout the year, in the notification's words
    /// (reference 515: "Application for the establishment of new COE: throughout the year").
    #[serde(default)]
    #[schema(max_length = 500)]
    pub open_all_year: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub objectives: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub rationale: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub background: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub topics: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub outcome: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub qualifications: String,
    /// The project's part of the pillar budgets, by year and member (kept in that order).
    #[serde(default)]
    #[schema(max_items = 200)]
    pub budget: Vec<ProjectBudget>,
    /// Key results it contributes to.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub key_results: Vec<ProjectKr>,
    /// Computed on reading (ignored on input): the closing dates with the days left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub closing: Option<Vec<Closing>>,
}

/// Limits on a notification's lists and short texts.
pub const MAX_NOTE: usize = 500;
pub const MAX_ITEMS: usize = 50;
pub const MAX_CLOSING_DATES: usize = 20;
pub const MAX_BUDGET_ROWS: usize = 200;
pub const MAX_PROJECT_KRS: usize = 100;
/// How long before a project starts its closing dates may lie (applications are taken ahead).
pub const CLOSING_AHEAD_DAYS: i64 = 366;
/// The separator of list items in the workbook's `projects` sheet: no item may hold it.
pub const LIST_SEPARATOR: char = ';';

impl Project {
    /// A project with the fields a notification must have, and every other one empty.
    pub fn new(code: ProjectCode, title: &str, pillar: Pillar, status: ProjectStatus) -> Self {
        Self {
            code,
            reference: None,
            issued: None,
            title: title.to_owned(),
            program: String::new(),
            pillar,
            status,
            start_date: None,
            end_date: None,
            hosts: Vec::new(),
            host_iso3: None,
            venues: Vec::new(),
            modality: None,
            implementing: Vec::new(),
            participants: Vec::new(),
            overseas_limit: Limits::new(),
            overseas_note: String::new(),
            local_limit: Limits::new(),
            local_note: String::new(),
            closing_dates: Vec::new(),
            open_all_year: String::new(),
            objectives: String::new(),
            rationale: String::new(),
            background: String::new(),
            topics: String::new(),
            outcome: String::new(),
            qualifications: String::new(),
            budget: Vec::new(),
            key_results: Vec::new(),
            closing: None,
        }
    }

    /// The single hosting member, if it has one.
    pub fn single_host(&self) -> Option<Iso3> {
        match self.hosts.as_slice() {
            [h] if !h.is_all() => Iso3::parse(h.as_str()).ok(),
            _ => None,
        }
    }

    /// Whether `iso3` hosts or takes part (`*` covers every member).
    pub fn involves(&self, iso3: &str) -> bool {
        covers(&self.hosts, iso3) || covers(&self.participants, iso3)
    }

    /// The closing dates as `GET` shows them, `today` being the server's day (UTC).
    pub fn with_closing(mut self, today: Date) -> Self {
        self.closing = Some(
            self.closing_dates
                .iter()
                .map(|c| Closing {
                    date: c.date,
                    remark: c.remark.clone(),
                    for_: c.for_,
                    days_left: (c.date - today).whole_days(),
                })
                .collect(),
        );
        self
    }

    /// The first closing date for `what` not passed on `today` (a closing date is open through
    /// its day).
    pub fn next_closing(&self, what: ClosingFor, today: Date) -> Option<&ClosingDate> {
        self.closing_dates
            .iter()
            .filter(|c| c.for_.closes(what) && c.date >= today)
            .min_by_key(|c| c.date)
    }

    /// Whether it takes something throughout the year and the year has not ended on `today`.
    pub fn open_all_year_on(&self, today: Date) -> bool {
        !self.open_all_year.is_empty() && self.end_date.is_none_or(|e| today <= e)
    }

    /// Open for applications (`GET /projects?open=true`): some closing date not yet passed,
    /// or open all year.
    pub fn open_on(&self, today: Date) -> bool {
        self.closing_dates.iter().any(|c| c.date >= today) || self.open_all_year_on(today)
    }

    /// Cross-field rules of a notification; returns every problem at once, each naming its
    /// field. Normalises as it goes: trims text, derives the program and `hosts` from
    /// `host_iso3` (and `host_iso3` from `hosts`), puts closing dates and budget rows in
    /// order, drops `closing`. Whether key results exist is the store's question.
    pub fn check(&mut self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut bad = |f: String, m: String| problems.push((f, m));
        self.closing = None;
        match crate::domain::text(&self.title, MAX_LABEL) {
            Ok(t) => self.title = t,
            Err(e) => bad("title".into(), e.0),
        }
        let derived = self.code.program().to_owned();
        if self.program.trim().is_empty() {
            self.program = derived;
        } else if self.program.trim() != derived {
            bad(
                "program".into(),
                format!(
                    "program {:?} does not match the code {}, whose program is {derived}",
                    self.program.trim(),
                    self.code.as_str()
                ),
            );
        } else {
            self.program = derived;
        }
        if let Some(r) = self.reference
            && !(1..=99_999).contains(&r.0)
        {
            bad(
                "reference".into(),
                format!("reference number {} is outside 1–99999", r.0),
            );
        }
        for (field, d) in [
            ("issued", self.issued),
            ("start_date", self.start_date),
            ("end_date", self.end_date),
        ] {
            if let Some(why) = d.and_then(crate::domain::date_problem) {
                bad(field.into(), why);
            }
        }
        if let (Some(s), Some(e)) = (self.start_date, self.end_date)
            && e < s
        {
            bad("end_date".into(), "end_date is before start_date".into());
        }
        self.check_members(&mut bad);
        for (field, list) in [
            ("venues", &mut self.venues),
            ("implementing", &mut self.implementing),
        ] {
            texts(field, list, &mut bad);
        }
        for (field, limits) in [
            ("overseas_limit", &self.overseas_limit),
            ("local_limit", &self.local_limit),
        ] {
            for (m, n) in limits {
                if !(1..=MAX_PARTICIPANTS).contains(&n.0) {
                    bad(
                        format!("{field}.{}", m.as_str()),
                        format!(
                            "a limit of {} participants is outside 1–{MAX_PARTICIPANTS}",
                            n.0
                        ),
                    );
                }
            }
        }
        for (field, value, max) in [
            ("overseas_note", &mut self.overseas_note, MAX_NOTE),
            ("local_note", &mut self.local_note, MAX_NOTE),
            ("open_all_year", &mut self.open_all_year, MAX_NOTE),
            ("objectives", &mut self.objectives, MAX_CONTEXT),
            ("rationale", &mut self.rationale, MAX_CONTEXT),
            ("background", &mut self.background, MAX_CONTEXT),
            ("topics", &mut self.topics, MAX_CONTEXT),
            ("outcome", &mut self.outcome, MAX_CONTEXT),
            ("qualifications", &mut self.qualifications, MAX_CONTEXT),
        ] {
            *value = value.trim().to_owned();
            if value.chars().count() > max {
                bad(field.into(), format!("is longer than {max} characters"));
            }
        }
        self.check_closing_dates(&mut bad);
        self.check_budget(&mut bad);
        if self.key_results.len() > MAX_PROJECT_KRS {
            bad(
                "key_results".into(),
                format!("a project lists at most {MAX_PROJECT_KRS} key results"),
            );
        }
        let mut seen = HashSet::new();
        for (i, k) in self.key_results.iter().enumerate() {
            if !is_member(k.iso3.as_str()) {
                bad(
                    format!("key_results[{i}].iso3"),
                    format!("unknown member {}", k.iso3),
                );
            }
            if !seen.insert(k) {
                bad(
                    format!("key_results[{i}]"),
                    format!("{} {} is listed twice", k.iso3, k.kr_code),
                );
            }
        }
        problems
    }

    /// `hosts` (or the older `host_iso3`) and `participants`: members that exist, each once,
    /// `*` alone.
    fn check_members(&mut self, bad: &mut impl FnMut(String, String)) {
        let from_host_iso3 = self.hosts.is_empty();
        match (&self.host_iso3, from_host_iso3) {
            (Some(h), true) => self.hosts = vec![MemberOrAll::from(h.clone())],
            (None, true) => bad(
                "hosts".into(),
                "a project has at least one hosting member: list them, or [\"*\"] for all \
                 members"
                    .into(),
            ),
            (Some(h), false) if self.single_host().as_ref() != Some(h) => bad(
                "host_iso3".into(),
                format!(
                    "host_iso3 {h} differs from hosts [{}]: give hosts alone",
                    self.hosts
                        .iter()
                        .map(MemberOrAll::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            _ => {}
        }
        for (field, list) in [("hosts", &self.hosts), ("participants", &self.participants)] {
            let mut seen = HashSet::new();
            for (i, m) in list.iter().enumerate() {
                let at = if field == "hosts" && from_host_iso3 {
                    "host_iso3".to_owned()
                } else {
                    format!("{field}[{i}]")
                };
                if m.is_all() && list.len() > 1 {
                    bad(at, "\"*\" (every member) stands alone in the list".into());
                } else if !m.is_all() && !is_member(m.as_str()) {
                    bad(at, format!("unknown member {}", m.as_str()));
                } else if !seen.insert(m) {
                    bad(at, format!("{} is listed twice", m.as_str()));
                }
            }
        }
        self.host_iso3 = self.single_host();
    }

    fn check_closing_dates(&mut self, bad: &mut impl FnMut(String, String)) {
        if self.closing_dates.len() > MAX_CLOSING_DATES {
            bad(
                "closing_dates".into(),
                format!("a notification has at most {MAX_CLOSING_DATES} closing dates"),
            );
        }
        let mut seen = HashSet::new();
        for (i, c) in self.closing_dates.iter_mut().enumerate() {
            let at = |f: &str| format!("closing_dates[{i}].{f}");
            c.remark = c.remark.trim().to_owned();
            if let Some(why) = item_problem(&c.remark, MAX_LABEL) {
                bad(at("remark"), why);
            }
            if let Some(why) = crate::domain::date_problem(c.date) {
                bad(at("date"), why);
                continue;
            }
            if let Some(s) = self.start_date
                && (s - c.date).whole_days() > CLOSING_AHEAD_DAYS
            {
                bad(
                    at("date"),
                    format!(
                        "closing date {} is more than a year before the project starts ({s})",
                        c.date
                    ),
                );
            }
            if let Some(e) = self.end_date
                && c.date > e
            {
                bad(
                    at("date"),
                    format!("closing date {} is after the project ends ({e})", c.date),
                );
            }
            if !seen.insert((c.date, c.for_)) {
                bad(
                    at("date"),
                    format!(
                        "{} is listed twice as a closing date for {}",
                        c.date,
                        c.for_.as_str()
                    ),
                );
            }
        }
        self.closing_dates.sort_by_key(|c| (c.date, c.for_));
    }

    fn check_budget(&mut self, bad: &mut impl FnMut(String, String)) {
        if self.budget.len() > MAX_BUDGET_ROWS {
            bad(
                "budget".into(),
                format!("a project has at most {MAX_BUDGET_ROWS} budget rows"),
            );
        }
        let years = match (self.start_date, self.end_date) {
            (Some(s), Some(e)) => Some((i64::from(s.year()), i64::from(e.year()))),
            _ => None,
        };
        let mut seen = HashSet::new();
        for (i, b) in self.budget.iter().enumerate() {
            let at = |f: &str| format!("budget[{i}].{f}");
            let y = b.year.0;
            if !(2000..=2100).contains(&y) {
                bad(at("year"), format!("year {y} is outside 2000–2100"));
            } else if let Some((first, last)) = years
                && !(first..=last).contains(&y)
            {
                bad(
                    at("year"),
                    format!("year {y} is outside the project's timing ({first}–{last})"),
                );
            }
            if let Some(m) = &b.iso3
                && !is_member(m.as_str())
            {
                bad(at("iso3"), format!("unknown member {m}"));
            }
            let amount = b.amount.get();
            if !(0.0..=MAX_BUDGET).contains(&amount) {
                bad(
                    at("amount"),
                    format!("amount {amount} is outside 0 to {MAX_BUDGET:e}"),
                );
            }
            if !seen.insert((y, b.iso3.clone())) {
                bad(
                    at("year"),
                    format!(
                        "the {} part of {y} is listed twice",
                        b.iso3.as_ref().map_or("regional", |m| m.as_str())
                    ),
                );
            }
        }
        self.budget
            .sort_by(|a, b| (a.year, a.iso3.as_ref()).cmp(&(b.year, b.iso3.as_ref())));
    }
}

/// Trims the items of a list of short texts, checking each (and the list's length).
fn texts(field: &str, list: &mut [String], bad: &mut impl FnMut(String, String)) {
    if list.len() > MAX_ITEMS {
        bad(field.into(), format!("a list of at most {MAX_ITEMS} items"));
    }
    for (i, item) in list.iter_mut().enumerate() {
        *item = item.trim().to_owned();
        let why = match crate::domain::text(item, MAX_LABEL) {
            Err(e) => Some(e.0),
            Ok(_) => item_problem(item, MAX_LABEL),
        };
        if let Some(why) = why {
            bad(format!("{field}[{i}]"), why);
        }
    }
}

/// Why a list item is refused: too long, or holding the workbook's list separator (it could
/// not be read back from the `projects` sheet).
fn item_problem(s: &str, max: usize) -> Option<String> {
    if s.chars().count() > max {
        Some(format!("is longer than {max} characters"))
    } else if s.contains(LIST_SEPARATOR) {
        Some(format!(
            "may not hold {LIST_SEPARATOR:?}, which separates the items of a list in the \
             workbook's projects sheet"
        ))
    } else {
        None
    }
}
