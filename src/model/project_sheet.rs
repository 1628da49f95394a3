//! The workbook's `projects` sheet: a notification as one row, its lists `;`-separated (as a
//! primer's focus areas are), read by the import and written by the export from the same
//! column list, so that an export imports back unchanged. The older sheet (`code, title,
//! program, pillar, status, host_iso3, start_date, end_date`) still imports: every new column
//! is optional.
//!
//! Cell formats: members `*` or `VNM; JPN`; limits `virtual=10; face_to_face=4`; closing dates
//! `2025-03-31 applications: First closing date for application; …`; budget
//! `2025 APO: 120000; 2025 VNM: 5000` (`APO` for the regional part); key results
//! `VNM/VNM-KR1; JPN/JPN-KR2`.

use serde::Deserialize;
use time::Date;

use super::{
    ClosingDate, ClosingFor, Count, Limits, MemberOrAll, Modality, Project, ProjectBudget,
    ProjectKr, ProjectStatus,
};
use crate::domain::{Finite, Iso3, KrCode, Pillar, ProjectCode};

/// The columns: (name, what it holds), in the export's order. The first four are required.
pub const COLUMNS: [(&str, &str); 29] = [
    ("code", "the project's code, e.g. 25-SN-03-GE-BCN-C"),
    ("title", "its title"),
    ("pillar", "the pillar it serves, 1 to 4"),
    ("status", "planned, active, completed or cancelled"),
    ("program", "its programme (COE, BCN, …), as in the code"),
    ("reference", "the notification's reference number"),
    ("issued", "its date of issue (YYYY-MM-DD)"),
    ("start_date", "the first day of its timing (YYYY-MM-DD)"),
    ("end_date", "the last day of its timing (YYYY-MM-DD)"),
    (
        "host_iso3",
        "the single hosting member (empty when several or all host)",
    ),
    (
        "hosts",
        "the hosting members, \"; \"-separated, or * for all",
    ),
    ("venues", "venue cities, \"; \"-separated"),
    ("modality", "face_to_face, virtual or hybrid"),
    (
        "implementing",
        "implementing organizations, \"; \"-separated",
    ),
    (
        "participants",
        "participating members, \"; \"-separated, or * for all",
    ),
    (
        "overseas_limit",
        "most overseas participants by modality, e.g. virtual=10; face_to_face=4",
    ),
    (
        "overseas_note",
        "the notification's words on overseas participants",
    ),
    ("local_limit", "most local participants by modality"),
    (
        "local_note",
        "the notification's words on local participants",
    ),
    (
        "closing_dates",
        "closing dates, each DATE FOR: REMARK (FOR: applications, proposals or any), \"; \"-separated",
    ),
    (
        "open_all_year",
        "what is taken throughout the year, if anything",
    ),
    ("objectives", "objectives"),
    ("rationale", "rationale"),
    ("background", "background"),
    ("topics", "topics"),
    ("outcome", "outcome"),
    ("qualifications", "qualifications"),
    (
        "budget",
        "its part of the pillar budgets, each YEAR ISO3: AMOUNT (APO: regional), \"; \"-separated",
    ),
    (
        "key_results",
        "key results it contributes to, each ISO3/KR_CODE, \"; \"-separated",
    ),
];

/// The names of the required columns, then of the optional ones: [`COLUMNS`]' names.
pub const REQUIRED: [&str; 4] = ["code", "title", "pillar", "status"];
pub const OPTIONAL: [&str; 25] = [
    "program",
    "reference",
    "issued",
    "start_date",
    "end_date",
    "host_iso3",
    "hosts",
    "venues",
    "modality",
    "implementing",
    "participants",
    "overseas_limit",
    "overseas_note",
    "local_limit",
    "local_note",
    "closing_dates",
    "open_all_year",
    "objectives",
    "rationale",
    "background",
    "topics",
    "outcome",
    "qualifications",
    "budget",
    "key_results",
];

/// A row as read: typed scalars, list cells as text.
#[derive(Debug, Deserialize)]
pub struct ProjectRow {
    pub code: ProjectCode,
    pub title: String,
    pub pillar: Pillar,
    pub status: ProjectStatus,
    #[serde(default)]
    pub program: Option<String>,
    #[serde(default)]
    pub reference: Option<Count>,
    #[serde(default)]
    pub issued: Option<Date>,
    #[serde(default)]
    pub start_date: Option<Date>,
    #[serde(default)]
    pub end_date: Option<Date>,
    #[serde(default)]
    pub host_iso3: Option<Iso3>,
    #[serde(default)]
    pub hosts: Option<String>,
    #[serde(default)]
    pub venues: Option<String>,
    #[serde(default)]
    pub modality: Option<String>,
    #[serde(default)]
    pub implementing: Option<String>,
    #[serde(default)]
    pub participants: Option<String>,
    #[serde(default)]
    pub overseas_limit: Option<String>,
    #[serde(default)]
    pub overseas_note: Option<String>,
    #[serde(default)]
    pub local_limit: Option<String>,
    #[serde(default)]
    pub local_note: Option<String>,
    #[serde(default)]
    pub closing_dates: Option<String>,
    #[serde(default)]
    pub open_all_year: Option<String>,
    #[serde(default)]
    pub objectives: Option<String>,
    #[serde(default)]
    pub rationale: Option<String>,
    #[serde(default)]
    pub background: Option<String>,
    #[serde(default)]
    pub topics: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub qualifications: Option<String>,
    #[serde(default)]
    pub budget: Option<String>,
    #[serde(default)]
    pub key_results: Option<String>,
}

/// The items of a list cell (empty ones dropped).
fn items(cell: &Option<String>) -> Vec<&str> {
    cell.as_deref()
        .unwrap_or("")
        .split(super::LIST_SEPARATOR)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

impl ProjectRow {
    /// The project this row describes, or every cell it could not read as (column, message).
    /// Rules across fields are [`Project::check`]'s.
    pub fn into_project(self) -> Result<Project, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut p = Project::new(self.code.clone(), &self.title, self.pillar, self.status);
        p.program = self.program.clone().unwrap_or_default();
        p.reference = self.reference;
        p.issued = self.issued;
        p.start_date = self.start_date;
        p.end_date = self.end_date;
        p.host_iso3 = self.host_iso3.clone();
        let text = |c: &Option<String>| c.clone().unwrap_or_default();
        for (field, cell, out) in [
            ("hosts", &self.hosts, &mut p.hosts),
            ("participants", &self.participants, &mut p.participants),
        ] {
            for item in items(cell) {
                match MemberOrAll::parse(item) {
                    Ok(m) => out.push(m),
                    Err(e) => problems.push((field.to_owned(), e.0)),
                }
            }
        }
        p.venues = items(&self.venues).into_iter().map(str::to_owned).collect();
        p.implementing = items(&self.implementing)
            .into_iter()
            .map(str::to_owned)
            .collect();
        if let Some(m) = self.modality.as_deref().filter(|m| !m.trim().is_empty()) {
            match Modality::parse(m) {
                Ok(m) => p.modality = Some(m),
                Err(e) => problems.push(("modality".into(), e.0)),
            }
        }
        for (field, cell, out) in [
            (
                "overseas_limit",
                &self.overseas_limit,
                &mut p.overseas_limit,
            ),
            ("local_limit", &self.local_limit, &mut p.local_limit),
        ] {
            match limits(cell) {
                Ok(l) => *out = l,
                Err(e) => problems.push((field.to_owned(), e)),
            }
        }
        p.overseas_note = text(&self.overseas_note);
        p.local_note = text(&self.local_note);
        for item in items(&self.closing_dates) {
            match closing_date(item) {
                Ok(c) => p.closing_dates.push(c),
                Err(e) => problems.push(("closing_dates".into(), e)),
            }
        }
        p.open_all_year = text(&self.open_all_year);
        p.objectives = text(&self.objectives);
        p.rationale = text(&self.rationale);
        p.background = text(&self.background);
        p.topics = text(&self.topics);
        p.outcome = text(&self.outcome);
        p.qualifications = text(&self.qualifications);
        for item in items(&self.budget) {
            match budget_row(item) {
                Ok(b) => p.budget.push(b),
                Err(e) => problems.push(("budget".into(), e)),
            }
        }
        for item in items(&self.key_results) {
            match key_result(item) {
                Ok(k) => p.key_results.push(k),
                Err(e) => problems.push(("key_results".into(), e)),
            }
        }
        if problems.is_empty() {
            Ok(p)
        } else {
            Err(problems)
        }
    }
}

fn limits(cell: &Option<String>) -> Result<Limits, String> {
    let mut out = Limits::new();
    for item in items(cell) {
        let (m, n) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?} is not MODALITY=NUMBER (e.g. virtual=10)"))?;
        let m = Modality::parse(m).map_err(|e| e.0)?;
        let n: i64 = n
            .trim()
            .parse()
            .map_err(|_| format!("{:?} is not a whole number", n.trim()))?;
        out.insert(m, Count(n));
    }
    Ok(out)
}

fn closing_date(item: &str) -> Result<ClosingDate, String> {
    let shape = || {
        format!(
            "{item:?} is not DATE FOR: REMARK (e.g. 2025-03-31 applications: First closing date)"
        )
    };
    let (head, remark) = item.split_once(':').unwrap_or((item, ""));
    let mut words = head.split_whitespace();
    let date = words.next().ok_or_else(shape)?;
    let date =
        Date::parse(date, DATE).map_err(|_| format!("{date:?} is not a date (YYYY-MM-DD)"))?;
    let for_ = match words.next() {
        Some(w) => ClosingFor::parse(w).map_err(|e| e.0)?,
        None => ClosingFor::Any,
    };
    if words.next().is_some() {
        return Err(shape());
    }
    Ok(ClosingDate {
        date,
        remark: remark.trim().to_owned(),
        for_,
    })
}

fn budget_row(item: &str) -> Result<ProjectBudget, String> {
    let shape = || format!("{item:?} is not YEAR ISO3: AMOUNT (e.g. 2025 APO: 120000)");
    let (head, amount) = item.split_once(':').ok_or_else(shape)?;
    let mut words = head.split_whitespace();
    let (Some(year), Some(scope), None) = (words.next(), words.next(), words.next()) else {
        return Err(shape());
    };
    let year: i64 = year
        .parse()
        .map_err(|_| format!("{year:?} is not a year"))?;
    let iso3 = match scope {
        "APO" => None,
        m => Some(Iso3::parse(m).map_err(|e| e.0)?),
    };
    let amount = crate::domain::parse_number(amount)
        .and_then(Finite::new)
        .map_err(|e| e.0)?;
    Ok(ProjectBudget {
        year: Count(year),
        iso3,
        amount,
    })
}

fn key_result(item: &str) -> Result<ProjectKr, String> {
    let (iso3, code) = item
        .split_once('/')
        .ok_or_else(|| format!("{item:?} is not ISO3/KR_CODE (e.g. VNM/VNM-KR1)"))?;
    Ok(ProjectKr {
        iso3: Iso3::parse(iso3).map_err(|e| e.0)?,
        kr_code: KrCode::parse(code).map_err(|e| e.0)?,
    })
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn date_text(d: Date) -> String {
    d.format(DATE).expect("formattable")
}

/// A cell of the sheet, as the export writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetCell {
    Text(String),
    Int(i64),
}

/// The cells of `p`, in the order of [`COLUMNS`].
pub fn cells(p: &Project) -> Vec<SheetCell> {
    use SheetCell::{Int, Text};
    let join = |items: Vec<String>| Text(items.join("; "));
    let members = |l: &[MemberOrAll]| join(l.iter().map(|m| m.as_str().to_owned()).collect());
    let limits = |l: &Limits| {
        join(
            l.iter()
                .map(|(m, n)| format!("{}={}", m.as_str(), n.0))
                .collect(),
        )
    };
    let date = |d: Option<Date>| Text(d.map(date_text).unwrap_or_default());
    vec![
        Text(p.code.as_str().to_owned()),
        Text(p.title.clone()),
        Int(p.pillar.get()),
        Text(p.status.as_str().to_owned()),
        Text(p.program.clone()),
        p.reference.map_or(Text(String::new()), |r| Int(r.0)),
        date(p.issued),
        date(p.start_date),
        date(p.end_date),
        Text(
            p.single_host()
                .map(|h| h.as_str().to_owned())
                .unwrap_or_default(),
        ),
        members(&p.hosts),
        join(p.venues.clone()),
        Text(
            p.modality
                .map(|m| m.as_str().to_owned())
                .unwrap_or_default(),
        ),
        join(p.implementing.clone()),
        members(&p.participants),
        limits(&p.overseas_limit),
        Text(p.overseas_note.clone()),
        limits(&p.local_limit),
        Text(p.local_note.clone()),
        join(
            p.closing_dates
                .iter()
                .map(|c| {
                    format!("{} {}: {}", date_text(c.date), c.for_.as_str(), c.remark)
                        .trim_end()
                        .to_owned()
                })
                .collect(),
        ),
        Text(p.open_all_year.clone()),
        Text(p.objectives.clone()),
        Text(p.rationale.clone()),
        Text(p.background.clone()),
        Text(p.topics.clone()),
        Text(p.outcome.clone()),
        Text(p.qualifications.clone()),
        join(
            p.budget
                .iter()
                .map(|b| {
                    format!(
                        "{} {}: {}",
                        b.year.0,
                        b.iso3.as_ref().map_or("APO", |m| m.as_str()),
                        b.amount.get()
                    )
                })
                .collect(),
        ),
        join(
            p.key_results
                .iter()
                .map(|k| format!("{}/{}", k.iso3, k.kr_code))
                .collect(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_are_the_required_then_the_optional_ones() {
        let names: Vec<&str> = COLUMNS.iter().map(|c| c.0).collect();
        assert_eq!(names, [REQUIRED.as_slice(), OPTIONAL.as_slice()].concat());
    }

    /// A notification written as a row reads back as the same notification.
    #[test]
    fn a_notification_round_trips_through_its_row() {
        let mut p: Project = serde_json::from_value(serde_json::json!({
            "code": "25-SN-03-GE-BCN-C", "reference": 520, "issued": "2025-01-27",
            "title": "Bilateral Cooperation between NPOs (BCN)", "pillar": 1, "status": "active",
            "start_date": "2025-01-01", "end_date": "2025-12-31", "hosts": ["*"],
            "venues": ["All member countries"], "modality": "hybrid",
            "implementing": ["National Productivity Organizations", "APO Secretariat"],
            "participants": ["VNM", "JPN"],
            "overseas_limit": {"virtual": 10, "face_to_face": 4},
            "overseas_note": "Up to 10 for a virtual activity", "local_limit": {},
            "local_note": "Not applicable",
            "closing_dates": [
                {"date": "2025-03-31", "remark": "First closing date for application", "for": "applications"},
                {"date": "2025-06-30", "remark": "", "for": "any"}],
            "open_all_year": "", "objectives": "Facilitate, with a comma, bilateral meetings",
            "budget": [{"year": 2025, "iso3": null, "amount": 120000.5}, {"year": 2025, "iso3": "VNM", "amount": 0.1}],
            "key_results": [{"iso3": "VNM", "kr_code": "VNM-KR1"}]
        }))
        .unwrap();
        assert!(p.check().is_empty());
        let names: Vec<&str> = COLUMNS.iter().map(|c| c.0).collect();
        let cells: Vec<(String, String)> = names
            .iter()
            .zip(cells(&p))
            .map(|(n, c)| {
                let text = match c {
                    SheetCell::Text(t) => t,
                    SheetCell::Int(i) => i.to_string(),
                };
                ((*n).to_owned(), text)
            })
            .filter(|(_, t)| !t.is_empty())
            .collect();
        let row: ProjectRow = serde_json::from_value(serde_json::Value::Object(
            cells
                .into_iter()
                .map(|(n, t)| {
                    let v = match n.as_str() {
                        "pillar" | "reference" => serde_json::json!(t.parse::<i64>().unwrap()),
                        _ => serde_json::json!(t),
                    };
                    (n, v)
                })
                .collect(),
        ))
        .unwrap();
        let mut back = row.into_project().unwrap();
        assert!(back.check().is_empty());
        assert_eq!(back, p);
    }
}
