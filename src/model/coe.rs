//! Centers of Excellence (COE, reference 515): a registry of designated institutions, each
//! followed through the "1-3-1" life cycle (designation: year 1; delivery: years 2–4;
//! replication: year 5; then an assessment decides the next stage), and the proposals and
//! applications filed under a COE notification.
//!
//! The phase is computed from the designation date unless the Secretariat records an
//! assessment: from its date the phase is held (the phase of that day starts again, for its
//! full length) or advanced (the next phase starts that day), and the cycle runs on from there.

use serde::{Deserialize, Serialize};
use time::{Date, Month};
use utoipa::ToSchema;

use super::{ClosingFor, Project, is_member};
use super::{MAX_COMMENT, MAX_LABEL};
use crate::domain::{Invalid, Iso3, ProjectCode};

/// A COE's id: a slug such as `twn-green-productivity` (lower-case letters and digits in
/// words joined by `-`, at most 64 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(
    value_type = String,
    pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
    max_length = 64,
    example = "twn-green-productivity"
)]
pub struct CoeId(String);

impl CoeId {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let words_ok = s.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if s.len() <= 64 && words_ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(Invalid(format!(
                "{s:?} is not a COE id: lower-case words of letters and digits joined by '-' \
                 (e.g. twn-green-productivity), at most 64 characters"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CoeId {
    type Error = Invalid;
    fn try_from(v: String) -> Result<Self, Invalid> {
        Self::parse(&v)
    }
}

impl From<CoeId> for String {
    fn from(v: CoeId) -> String {
        v.0
    }
}

/// The body of `PUT /coes/{id}`: a registry entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoeInput {
    pub id: CoeId,
    pub iso3: Iso3,
    /// The host institution.
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub institution: String,
    /// The area of excellence ("Green productivity").
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub area: String,
    /// The designation date: the life cycle counts from it.
    #[schema(value_type = String, format = Date)]
    pub designated: Date,
}

impl CoeInput {
    pub fn check(&mut self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        for (field, value) in [
            ("institution", &mut self.institution),
            ("area", &mut self.area),
        ] {
            match crate::domain::text(value, MAX_LABEL) {
                Ok(t) => *value = t,
                Err(e) => problems.push((field.to_owned(), e.0)),
            }
        }
        if !is_member(self.iso3.as_str()) {
            problems.push(("iso3".into(), format!("unknown member {}", self.iso3)));
        }
        if let Some(why) = crate::domain::date_problem(self.designated) {
            problems.push(("designated".into(), why));
        }
        problems
    }
}

/// A phase of the 1-3-1 life cycle.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Year 1.
    Designation,
    /// Years 2–4.
    Delivery,
    /// Year 5.
    Replication,
    /// After year 5: an assessment decides the next stage.
    AssessmentDue,
}

impl Phase {
    /// How many years it lasts (none: until an assessment).
    pub fn years(self) -> Option<i32> {
        match self {
            Self::Designation => Some(1),
            Self::Delivery => Some(3),
            Self::Replication => Some(1),
            Self::AssessmentDue => None,
        }
    }

    pub fn next(self) -> Option<Self> {
        match self {
            Self::Designation => Some(Self::Delivery),
            Self::Delivery => Some(Self::Replication),
            Self::Replication => Some(Self::AssessmentDue),
            Self::AssessmentDue => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Designation => "designation",
            Self::Delivery => "delivery",
            Self::Replication => "replication",
            Self::AssessmentDue => "assessment_due",
        }
    }
}

/// Where a phase comes from: the dates alone, or an assessment that held or advanced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PhaseSource {
    Computed,
    Assessment,
}

/// A phase with its dates (both days included; `to` none: it lasts until an assessment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PhaseSpan {
    pub phase: Phase,
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
    pub source: PhaseSource,
}

/// An assessment's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The phase of the assessment's day starts again.
    Hold,
    /// The next phase starts on the assessment's day.
    Advance,
}

/// The body of `POST /coes/{id}/assessments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub decision: Decision,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// An assessment as recorded, with the revision that recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Assessment {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub decision: Decision,
    pub note: String,
    pub rev: i64,
}

/// A registry entry as stored and logged: the entry and its assessments, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoeRecord {
    pub id: CoeId,
    pub iso3: Iso3,
    pub institution: String,
    pub area: String,
    pub designated: Date,
    #[serde(default)]
    pub assessments: Vec<Assessment>,
}

/// A COE as `GET /coes` shows it: the entry, its phase today (UTC) and where it comes from,
/// its phases with their dates, and its assessments.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Coe {
    pub id: CoeId,
    pub iso3: Iso3,
    pub institution: String,
    pub area: String,
    #[schema(value_type = String, format = Date)]
    pub designated: Date,
    pub phase: Phase,
    pub phase_source: PhaseSource,
    pub phases: Vec<PhaseSpan>,
    pub assessments: Vec<Assessment>,
}

/// `d` moved by `years` (29 February to 1 March when the year has none: a full year has
/// passed only then).
pub fn add_years(d: Date, years: i32) -> Date {
    let y = d.year() + years;
    d.replace_year(y)
        .unwrap_or_else(|_| Date::from_calendar_date(y, Month::March, 1).expect("a valid date"))
}

/// The phases from `start` on, beginning with `first` (from `source`, the rest computed).
fn cycle_from(start: Date, first: Phase, source: PhaseSource) -> Vec<PhaseSpan> {
    let mut out = Vec::new();
    let (mut phase, mut from, mut source) = (Some(first), start, source);
    while let Some(p) = phase {
        let end = p.years().map(|y| add_years(from, y));
        out.push(PhaseSpan {
            phase: p,
            from,
            to: end.map(|e| e.previous_day().expect("a valid date")),
            source,
        });
        match end {
            Some(e) => from = e,
            None => break,
        }
        phase = p.next();
        source = PhaseSource::Computed;
    }
    out
}

/// The span `timeline` has on `day` (the first one before the cycle starts).
pub fn span_on(timeline: &[PhaseSpan], day: Date) -> &PhaseSpan {
    timeline
        .iter()
        .rev()
        .find(|s| s.from <= day)
        .unwrap_or(&timeline[0])
}

impl CoeRecord {
    /// Every phase with its dates: the cycle from the designation date, each assessment
    /// (oldest first) starting it again from its own date.
    pub fn timeline(&self) -> Vec<PhaseSpan> {
        let mut spans = cycle_from(self.designated, Phase::Designation, PhaseSource::Computed);
        for a in self
            .assessments
            .iter()
            .filter(|a| a.date >= self.designated)
        {
            let Some(first) = assessed(&spans, a) else {
                continue;
            };
            spans.retain(|s| s.from < a.date);
            if let Some(last) = spans.last_mut()
                && last.to.is_none_or(|t| t >= a.date)
            {
                last.to = a.date.previous_day();
            }
            spans.extend(cycle_from(a.date, first, PhaseSource::Assessment));
        }
        spans
    }

    /// The entry as `GET /coes` shows it on `today`.
    pub fn view(&self, today: Date) -> Coe {
        let phases = self.timeline();
        let now = span_on(&phases, today);
        Coe {
            id: self.id.clone(),
            iso3: self.iso3.clone(),
            institution: self.institution.clone(),
            area: self.area.clone(),
            designated: self.designated,
            phase: now.phase,
            phase_source: now.source,
            assessments: self.assessments.clone(),
            phases: phases.clone(),
        }
    }

    /// Why `a` cannot be recorded on `today`, each problem with its field: its date (from the
    /// designation date to today, not before the latest assessment), an advance beyond the
    /// last phase, its note.
    pub fn assessment_problems(&self, a: &AssessmentInput, today: Date) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut bad = |f: &str, m: String| problems.push((f.to_owned(), m));
        if a.date < self.designated {
            bad(
                "date",
                format!(
                    "{} is before {} was designated ({})",
                    a.date,
                    self.id.as_str(),
                    self.designated
                ),
            );
        } else if a.date > today {
            bad(
                "date",
                format!(
                    "{} is in the future: an assessment is recorded once made (today is {today})",
                    a.date
                ),
            );
        } else if let Some(last) = self.assessments.last().filter(|l| a.date < l.date) {
            bad(
                "date",
                format!(
                    "{} is before the latest assessment ({}): assessments are recorded in order",
                    a.date, last.date
                ),
            );
        } else if a.decision == Decision::Advance {
            let on = span_on(&self.timeline(), a.date).phase;
            if on.next().is_none() {
                bad(
                    "decision",
                    format!(
                        "on {} the phase is {}, the last of the 1-3-1 life cycle: there is \
                         nothing to advance to (hold it, or designate again with PUT /coes/{})",
                        a.date,
                        on.as_str(),
                        self.id.as_str()
                    ),
                );
            }
        }
        if a.note.chars().count() > MAX_COMMENT {
            bad("note", format!("is longer than {MAX_COMMENT} characters"));
        }
        problems
    }
}

/// The phase an assessment starts: the phase of its day held, or the next one.
fn assessed(spans: &[PhaseSpan], a: &Assessment) -> Option<Phase> {
    let on = span_on(spans, a.date).phase;
    match a.decision {
        Decision::Hold => Some(on),
        Decision::Advance => on.next(),
    }
}

/// The body of `POST /coes/proposals`: a proposal by an existing COE (`coe` set), or an
/// application for a new COE (`coe` null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoeProposalInput {
    #[serde(default)]
    pub coe: Option<CoeId>,
    pub iso3: Iso3,
    /// The COE notification it is filed under.
    pub project: ProjectCode,
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub title: String,
}

/// A stored proposal or application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoeProposal {
    pub id: i64,
    pub coe: Option<CoeId>,
    pub iso3: Iso3,
    pub project: ProjectCode,
    pub title: String,
    /// The closing date it was filed under; none for an application for a new COE (open all
    /// year).
    #[schema(value_type = Option<String>, format = Date)]
    pub closing_date: Option<Date>,
    #[schema(value_type = String, format = Date)]
    pub filed_on: Date,
    pub rev: i64,
}

impl CoeProposalInput {
    pub fn check(&mut self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        match crate::domain::text(&self.title, MAX_LABEL) {
            Ok(t) => self.title = t,
            Err(e) => problems.push(("title".into(), e.0)),
        }
        if !is_member(self.iso3.as_str()) {
            problems.push(("iso3".into(), format!("unknown member {}", self.iso3)));
        }
        problems
    }

    /// The rules of the notification `p` on `today`, given the COE it names (if any): a COE
    /// notification; a proposal by an existing COE before the closing date for proposals; an
    /// application for a new COE throughout the year. Returns the closing date it is filed
    /// under.
    pub fn against(
        &self,
        p: &Project,
        coe: Option<&CoeRecord>,
        today: Date,
    ) -> Result<Option<Date>, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut bad = |f: &str, m: String| problems.push((f.to_owned(), m));
        let code = p.code.as_str();
        if p.program != "COE" {
            bad(
                "project",
                format!(
                    "{code} is a {} notification: COE proposals are filed under a COE notification",
                    p.program
                ),
            );
        }
        let mut closing = None;
        match (&self.coe, coe) {
            (Some(id), None) => bad("coe", format!("no COE {} in the registry", id.as_str())),
            (Some(_), Some(c)) => {
                if c.iso3 != self.iso3 {
                    bad(
                        "iso3",
                        format!(
                            "{} is a COE of {}, not of {}",
                            c.id.as_str(),
                            c.iso3,
                            self.iso3
                        ),
                    );
                }
                closing = p.next_closing(ClosingFor::Proposals, today).map(|d| d.date);
                if closing.is_none() {
                    let last = p
                        .closing_dates
                        .iter()
                        .filter(|c| c.for_.closes(ClosingFor::Proposals))
                        .map(|c| c.date)
                        .max();
                    bad(
                        "project",
                        match last {
                            Some(last) => format!(
                                "the closing date for proposals by existing COEs under {code} was {last} (today is {today})"
                            ),
                            None => {
                                format!("{code} has no closing date for proposals by existing COEs")
                            }
                        },
                    );
                }
            }
            (None, _) => {
                if !p.open_all_year_on(today) {
                    bad(
                        "project",
                        if p.open_all_year.is_empty() {
                            format!("{code} takes no applications for new COEs")
                        } else {
                            format!(
                                "{code} ended on {}: apply under the current notification",
                                p.end_date.map_or_else(String::new, |d| d.to_string())
                            )
                        },
                    );
                }
            }
        }
        if problems.is_empty() {
            Ok(closing)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn record(designated: Date, assessments: &[(Date, Decision)]) -> CoeRecord {
        CoeRecord {
            id: CoeId::parse("twn-green-productivity").unwrap(),
            iso3: Iso3::parse("TWN").unwrap(),
            institution: "China Productivity Center".into(),
            area: "Green productivity".into(),
            designated,
            assessments: assessments
                .iter()
                .map(|&(date, decision)| Assessment {
                    date,
                    decision,
                    note: String::new(),
                    rev: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn the_cycle_turns_on_each_anniversary() {
        let c = record(date!(2020 - 04 - 01), &[]);
        let on = |d| c.view(d).phase;
        assert_eq!(on(date!(2020 - 04 - 01)), Phase::Designation);
        assert_eq!(on(date!(2021 - 03 - 31)), Phase::Designation);
        assert_eq!(on(date!(2021 - 04 - 01)), Phase::Delivery);
        assert_eq!(on(date!(2024 - 03 - 31)), Phase::Delivery);
        assert_eq!(on(date!(2024 - 04 - 01)), Phase::Replication);
        assert_eq!(on(date!(2025 - 03 - 31)), Phase::Replication);
        assert_eq!(on(date!(2025 - 04 - 01)), Phase::AssessmentDue);
        assert_eq!(c.timeline().len(), 4);
        // 29 February: a year has passed on 1 March.
        assert_eq!(add_years(date!(2024 - 02 - 29), 1), date!(2025 - 03 - 01));
    }

    #[test]
    fn an_assessment_holds_or_advances_from_its_date() {
        let held = record(
            date!(2020 - 01 - 01),
            &[(date!(2024 - 06 - 01), Decision::Hold)],
        );
        let v = held.view(date!(2025 - 01 - 01));
        assert_eq!(
            (v.phase, v.phase_source),
            (Phase::Replication, PhaseSource::Assessment)
        );
        assert_eq!(held.view(date!(2025 - 06 - 01)).phase, Phase::AssessmentDue);
        let advanced = record(
            date!(2020 - 01 - 01),
            &[(date!(2021 - 06 - 01), Decision::Advance)],
        );
        let v = advanced.view(date!(2021 - 06 - 01));
        assert_eq!(
            (v.phase, v.phase_source),
            (Phase::Replication, PhaseSource::Assessment)
        );
        assert_eq!(advanced.view(date!(2021 - 05 - 31)).phase, Phase::Delivery);
        assert_eq!(
            advanced.view(date!(2022 - 06 - 01)).phase,
            Phase::AssessmentDue
        );
    }
}
