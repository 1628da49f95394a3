//! The sheets of issue 23's platforms (contract §5): `accreditations`, `gp_themes`,
//! `gp_initiatives`, `gp_outcomes` and `trainings`, read into the records the API takes, every
//! problem named by file, sheet, row and column. (The database step is [`super::platform_apply`].)

use std::collections::{BTreeMap, BTreeSet};

use time::Date;

use super::tables::{RawTable, Row, check_columns, rows};
use crate::domain::{Finite, Iso3};
use crate::error::Detail;
use crate::model::{
    AccreditationInput, AccreditationStatus, BodyKind, BySex, GpTheme, InitiativeStatus,
    InitiativeType, OutcomeMetric, Participants, RecordId, Sector, ThemeId, TrainingInput,
    TrainingMode,
};

/// The platforms' tables: (name, required columns, optional columns), in reading order.
pub const TABLES: [(&str, &[&str], &[&str]); 5] = [
    (
        "accreditations",
        &["id", "iso3", "body", "body_kind", "scheme", "status"],
        &[
            "applied_on",
            "assessment_date",
            "criteria_scores",
            "certificate",
            "conferred_on",
            "occasion",
            "valid_until",
            "note",
        ],
    ),
    ("gp_themes", &["id", "label"], &[]),
    (
        "gp_initiatives",
        &[
            "id",
            "iso3",
            "title",
            "theme",
            "type",
            "sector",
            "start_year",
            "end_year",
            "status",
        ],
        &[],
    ),
    (
        "gp_outcomes",
        &["initiative", "metric", "year", "value"],
        &[],
    ),
    ("trainings", &TRAINING_COLUMNS, &[]),
];

pub const TRAINING_COLUMNS: [&str; 18] = [
    "id",
    "iso3",
    "title",
    "provider",
    "sector",
    "topic",
    "start_date",
    "end_date",
    "mode",
    "hours",
    "government",
    "enterprises",
    "universities",
    "female",
    "male",
    "unspecified",
    "smes",
    "certified_specialists",
];

/// A row of `accreditations`: the record, with its scores in one cell (`criterion=score;…`).
#[derive(Debug, serde::Deserialize)]
struct AccreditationRow {
    id: RecordId,
    iso3: Iso3,
    body: String,
    body_kind: BodyKind,
    scheme: String,
    status: AccreditationStatus,
    #[serde(default)]
    applied_on: Option<Date>,
    #[serde(default)]
    assessment_date: Option<Date>,
    #[serde(default)]
    criteria_scores: Option<String>,
    #[serde(default)]
    certificate: Option<String>,
    #[serde(default)]
    conferred_on: Option<Date>,
    #[serde(default)]
    occasion: Option<String>,
    #[serde(default)]
    valid_until: Option<Date>,
    #[serde(default)]
    note: Option<String>,
}

/// A `criteria_scores` cell (`governance=82;services=77`) as a map, or why not.
pub fn parse_scores(cell: &str) -> Result<BTreeMap<String, Finite>, String> {
    let mut out = BTreeMap::new();
    for part in cell.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, score)) = part.rsplit_once('=') else {
            return Err(format!(
                "{part:?} is not criterion=score (e.g. governance=82;services=77)"
            ));
        };
        let name = name.trim();
        let score = crate::domain::parse_number(score.trim())
            .and_then(Finite::new)
            .map_err(|e| format!("the score of {name:?}: {}", e.0))?;
        if out.insert(name.to_owned(), score).is_some() {
            return Err(format!("criterion {name:?} is scored twice"));
        }
    }
    Ok(out)
}

/// A scores map as its cell: `criterion=score;…` in the map's order.
pub fn scores_cell<'a>(scores: impl IntoIterator<Item = (&'a String, f64)>) -> String {
    scores
        .into_iter()
        .map(|(k, v)| format!("{k}={}", crate::export::sheet::number(v)))
        .collect::<Vec<_>>()
        .join(";")
}

impl AccreditationRow {
    fn into_input(self) -> Result<AccreditationInput, (String, String)> {
        let criteria_scores = parse_scores(self.criteria_scores.as_deref().unwrap_or(""))
            .map_err(|m| ("criteria_scores".to_owned(), m))?;
        Ok(AccreditationInput {
            id: self.id,
            iso3: self.iso3,
            body: self.body,
            body_kind: self.body_kind,
            scheme: self.scheme,
            status: self.status,
            applied_on: self.applied_on,
            assessment_date: self.assessment_date,
            criteria_scores,
            certificate: self.certificate,
            conferred_on: self.conferred_on,
            occasion: self.occasion,
            valid_until: self.valid_until,
            note: self.note.unwrap_or_default(),
        })
    }
}

/// A row of `gp_initiatives`: an initiative without its outcomes (they are `gp_outcomes` rows).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct InitiativeRow {
    pub id: RecordId,
    pub iso3: Iso3,
    pub title: String,
    pub theme: ThemeId,
    #[serde(rename = "type")]
    pub type_: InitiativeType,
    pub sector: Sector,
    pub start_year: i64,
    pub end_year: i64,
    pub status: InitiativeStatus,
}

/// A row of `gp_outcomes`: an outcome of the initiative `initiative`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct OutcomeRow {
    pub initiative: RecordId,
    pub metric: OutcomeMetric,
    pub year: i64,
    pub value: Finite,
}

/// A row of `trainings`: the record, its groups and sexes flat.
#[derive(Debug, serde::Deserialize)]
struct TrainingRow {
    id: RecordId,
    iso3: Iso3,
    title: String,
    provider: String,
    sector: Sector,
    topic: String,
    start_date: Date,
    end_date: Date,
    mode: TrainingMode,
    hours: Finite,
    government: i64,
    enterprises: i64,
    universities: i64,
    female: i64,
    male: i64,
    unspecified: i64,
    smes: i64,
    certified_specialists: i64,
}

impl TrainingRow {
    fn into_input(self) -> TrainingInput {
        TrainingInput {
            id: self.id,
            iso3: self.iso3,
            title: self.title,
            provider: self.provider,
            sector: self.sector,
            topic: self.topic,
            start_date: self.start_date,
            end_date: self.end_date,
            mode: self.mode,
            hours: self.hours,
            participants: Participants {
                government: self.government,
                enterprises: self.enterprises,
                universities: self.universities,
            },
            by_sex: BySex {
                female: self.female,
                male: self.male,
                unspecified: self.unspecified,
            },
            smes: self.smes,
            certified_specialists: self.certified_specialists,
        }
    }
}

/// The column of a `trainings` row that a problem of [`TrainingInput`]'s field names.
pub fn training_column(field: &str) -> &str {
    match field {
        "by_sex" => "female",
        f => f
            .strip_prefix("participants.")
            .or_else(|| f.strip_prefix("by_sex."))
            .unwrap_or(f),
    }
}

/// The platforms' rows of a set of files.
#[derive(Default)]
pub struct Sheets {
    pub accreditations: Vec<Row<AccreditationInput>>,
    pub themes: Vec<Row<GpTheme>>,
    pub initiatives: Vec<Row<InitiativeRow>>,
    pub outcomes: Vec<Row<OutcomeRow>>,
    pub trainings: Vec<Row<TrainingInput>>,
    /// The ids of `gp_initiatives` rows that could not be read: their outcomes are not checked
    /// further (every problem found there would only repeat the first).
    pub unreadable: BTreeSet<String>,
}

impl Sheets {
    /// How many rows there are.
    pub fn len(&self) -> usize {
        self.accreditations.len()
            + self.themes.len()
            + self.initiatives.len()
            + self.outcomes.len()
            + self.trainings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds the table `t`, a platform's table (one of [`TABLES`]); returns every problem found.
    /// `None` when `t` is none of them.
    pub fn add(&mut self, t: &RawTable) -> Option<Vec<Detail>> {
        let (name, required, optional) = TABLES.iter().find(|(n, ..)| *n == t.name)?;
        if let Err(p) = check_columns(t, required, optional) {
            return Some(p);
        }
        let mut failed = Vec::new();
        let problems = match *name {
            "accreditations" => {
                let mut read = Vec::new();
                let mut p = rows::<AccreditationRow>(t, &mut read, &mut failed);
                for r in read {
                    let (file, sheet, line) = (r.file, r.sheet, r.line);
                    match r.value.into_input() {
                        Ok(value) => self.accreditations.push(Row {
                            file,
                            sheet,
                            line,
                            value,
                        }),
                        Err((f, m)) => p.push(
                            Detail::field(f, m)
                                .in_file(&file)
                                .in_sheet(sheet.as_deref())
                                .at_row(line),
                        ),
                    }
                }
                p
            }
            "gp_themes" => rows(t, &mut self.themes, &mut failed),
            "gp_initiatives" => {
                let p = rows(t, &mut self.initiatives, &mut failed);
                let id = t.header.iter().position(|h| h == "id");
                for record in failed {
                    if let Some(cell) = id.and_then(|i| record.get(i)) {
                        self.unreadable.insert(cell.trim().to_owned());
                    }
                }
                p
            }
            "gp_outcomes" => rows(t, &mut self.outcomes, &mut failed),
            _ => {
                let mut read = Vec::new();
                let p = rows::<TrainingRow>(t, &mut read, &mut failed);
                self.trainings.extend(read.into_iter().map(|r| Row {
                    file: r.file,
                    sheet: r.sheet,
                    line: r.line,
                    value: r.value.into_input(),
                }));
                p
            }
        };
        Some(problems)
    }

    /// Rows that name the same record twice.
    pub fn duplicates(&self) -> Vec<Detail> {
        let mut p = dupes(&self.accreditations, |a| a.id.to_string(), "accreditation");
        p.extend(dupes(&self.themes, |t| t.id.to_string(), "theme"));
        p.extend(dupes(&self.initiatives, |i| i.id.to_string(), "initiative"));
        p.extend(dupes(
            &self.outcomes,
            |o| format!("{}'s {} in {}", o.initiative, o.metric, o.year),
            "outcome",
        ));
        p.extend(dupes(&self.trainings, |t| t.id.to_string(), "training"));
        p
    }
}

fn dupes<T>(rows: &[Row<T>], key: impl Fn(&T) -> String, what: &str) -> Vec<Detail> {
    let mut seen = std::collections::HashMap::with_capacity(rows.len());
    let mut problems = Vec::new();
    for r in rows {
        let k = key(&r.value);
        if let Some(first) = seen.insert(k.clone(), r.line) {
            problems.push(r.detail(None, format!("{what} {k} is also on row {first}")));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_read_back_from_their_cell() {
        let s = parse_scores(" governance = 82; services=77.5;").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s["governance"].get(), 82.0);
        let cell = scores_cell(s.iter().map(|(k, v)| (k, v.get())));
        assert_eq!(cell, "governance=82;services=77.5");
        assert_eq!(parse_scores(&cell).unwrap(), s);
        assert!(parse_scores("").unwrap().is_empty());
        assert!(parse_scores("governance").is_err());
        assert!(parse_scores("governance=high").is_err());
        assert!(parse_scores("a=1;a=2").is_err());
    }

    /// The demo's platform sheets read, and each record passes the API's rules on the day the
    /// demo is tested on (its outcomes' initiatives being in the sheet).
    #[test]
    fn the_demo_sheets_pass_the_apis_rules() {
        let sources: Vec<_> = crate::demo::sources()
            .into_iter()
            .filter(|s| {
                TABLES
                    .iter()
                    .any(|(n, ..)| s.name.strip_suffix(".csv") == Some(*n))
            })
            .collect();
        assert_eq!(sources.len(), 4);
        let (w, problems) = crate::import::parse(&sources, &crate::import::quietly);
        assert!(problems.is_empty(), "{problems:#?}");
        let today = time::macros::date!(2026 - 12 - 07);
        let p = &w.platforms;
        assert_eq!(p.accreditations.len(), 13);
        for r in &p.accreditations {
            assert_eq!(r.value.clone().validate(today), vec![], "{}", r.value.id);
        }
        for r in &p.trainings {
            assert_eq!(r.value.clone().validate(today), vec![], "{}", r.value.id);
        }
        let members: BTreeSet<&str> = p.trainings.iter().map(|r| r.value.iso3.as_str()).collect();
        assert_eq!(members.len(), 21);
        for r in &p.initiatives {
            let v = &r.value;
            let mut i = crate::model::GpInitiativeInput {
                id: v.id.clone(),
                iso3: v.iso3.clone(),
                title: v.title.clone(),
                theme: v.theme.clone(),
                type_: v.type_,
                sector: v.sector,
                start_year: v.start_year,
                end_year: v.end_year,
                status: v.status,
                outcomes: p
                    .outcomes
                    .iter()
                    .filter(|o| o.value.initiative == v.id)
                    .map(|o| crate::model::OutcomeInput {
                        metric: o.value.metric,
                        year: o.value.year,
                        value: o.value.value,
                    })
                    .collect(),
            };
            assert_eq!(i.validate(today), vec![], "{}", v.id);
            assert!(
                crate::model::BUILT_IN_THEMES
                    .iter()
                    .any(|(t, _)| *t == v.theme.as_str())
            );
        }
        assert!(p.outcomes.iter().all(|o| {
            p.initiatives
                .iter()
                .any(|i| i.value.id == o.value.initiative)
        }));
    }

    #[test]
    fn training_problems_name_their_column() {
        assert_eq!(training_column("participants.government"), "government");
        assert_eq!(training_column("by_sex.male"), "male");
        assert_eq!(training_column("by_sex"), "female");
        assert_eq!(training_column("smes"), "smes");
    }
}
