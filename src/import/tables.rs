//! From files to typed rows: which table a file is, whether its columns are the expected ones,
//! and each row deserialized into the record type it describes, every problem named by file,
//! row and column.
//!
//! A table arrives as a [`RawTable`] (a header and string records), whatever it was read from:
//! see [`super::read`].

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;

use super::cell::Cell;

use crate::domain::{Direction, Finite, Iso3, KrCode, Pillar, PrimerStatus, Year};
use crate::error::Detail;
use crate::model::project_sheet::{self, ProjectRow};
use crate::model::{ActualInput, Budget, Project, SERIES, SeriesInfo, SeriesPoint};

pub use super::read::RawTable;

/// A row and where it came from.
pub struct Row<T> {
    pub file: String,
    pub sheet: Option<String>,
    pub line: usize,
    pub value: T,
}

impl<T> Row<T> {
    pub fn detail(&self, field: Option<&str>, message: impl Into<String>) -> Detail {
        let d = match field {
            Some(f) => Detail::field(f, message),
            None => Detail::message(message),
        };
        d.in_file(&self.file)
            .in_sheet(self.sheet.as_deref())
            .at_row(self.line)
    }
}

/// A row of `primers`.
#[derive(Debug, serde::Deserialize)]
pub struct PrimerRow {
    pub iso3: Iso3,
    pub status: PrimerStatus,
    #[serde(default)]
    pub national_context: String,
    #[serde(default)]
    pub endorsed_on: Option<time::Date>,
    /// The primer's focus areas in order, separated by `;` (as exported); when absent they are
    /// taken from the key results.
    #[serde(default)]
    pub focus_areas: Option<String>,
}

impl PrimerRow {
    /// The `focus_areas` cell as a list (empty entries dropped).
    pub fn focus_area_list(&self) -> Option<Vec<String>> {
        self.focus_areas.as_ref().map(|cell| {
            cell.split(';')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }
}

/// A row of `actuals`: a report, and in an exported history who made it and whether it was
/// withdrawn.
#[derive(Debug, serde::Deserialize)]
pub struct ActualRow {
    pub iso3: Iso3,
    pub kr_code: KrCode,
    pub year: Year,
    pub value: Finite,
    #[serde(default, with = "crate::domain::rfc3339_option")]
    pub reported_at: Option<time::OffsetDateTime>,
    /// Who made the report (default: whoever imports the file).
    #[serde(default)]
    pub reported_by: Option<String>,
    /// Set when the report was withdrawn: it is imported, then withdrawn with this reason.
    #[serde(default)]
    pub withdrawn_reason: Option<String>,
    #[serde(default)]
    pub withdrawn_by: Option<String>,
}

impl ActualRow {
    pub fn input(&self) -> ActualInput {
        ActualInput {
            iso3: self.iso3.clone(),
            kr_code: self.kr_code.clone(),
            year: self.year,
            value: self.value,
            reported_at: self.reported_at,
        }
    }
}

/// A row of `key_results`.
#[derive(Debug, serde::Deserialize)]
pub struct KeyResultRow {
    pub iso3: Iso3,
    pub kr_code: KrCode,
    pub pillar: Pillar,
    pub focus_area: String,
    pub title: String,
    pub unit: String,
    pub direction: Direction,
    #[serde(default)]
    pub baseline_year: Option<i64>,
    #[serde(default)]
    pub baseline_value: Option<Finite>,
    #[serde(default)]
    pub weight: Option<Finite>,
    #[serde(default)]
    pub min_value: Option<Finite>,
    #[serde(default)]
    pub max_value: Option<Finite>,
    /// Where its actuals come from (`trainings`, `gp_initiatives`; empty: reported by hand),
    /// with the measure, the filter (sectors or themes, `;`-separated) and `since`.
    #[serde(default)]
    pub source_dataset: Option<String>,
    #[serde(default)]
    pub source_measure: Option<String>,
    #[serde(default)]
    pub source_filter: Option<String>,
    #[serde(default)]
    pub source_since: Option<i64>,
    /// Whether the sheet has the source columns (without them, a stored source is kept).
    #[serde(skip)]
    pub has_source: bool,
}

/// A row of `targets`.
#[derive(Debug, serde::Deserialize)]
pub struct TargetRow {
    pub iso3: Iso3,
    pub kr_code: KrCode,
    pub year: Year,
    pub target: Finite,
}

/// Everything a set of files holds, typed.
#[derive(Default)]
pub struct Workbook {
    pub primers: Vec<Row<PrimerRow>>,
    pub key_results: Vec<Row<KeyResultRow>>,
    pub targets: Vec<Row<TargetRow>>,
    pub actuals: Vec<Row<ActualRow>>,
    pub budgets: Vec<Row<Budget>>,
    pub projects: Vec<Row<Project>>,
    pub series: Vec<Row<SeriesPoint>>,
    pub catalogue: Vec<Row<SeriesInfo>>,
    /// The platforms' sheets (accreditations, GP 2.0, trainings).
    pub platforms: super::platforms::Sheets,
    /// Tables deliberately not imported (an export's README, its views and its audit log).
    pub skipped: Vec<Skipped>,
    /// The members, and key results (`iso3`, `kr_code`), of `primers` and `key_results` rows
    /// that could not be read: rows that depend on them are not checked further, since every
    /// problem found there would only repeat the first.
    pub unreadable: BTreeSet<(String, Option<String>)>,
    /// Every table read, as (file, sheet, table name), in the order of the files.
    pub order: Vec<(String, Option<String>, String)>,
}

/// A table an import leaves alone, and why.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Skipped {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub message: String,
}

/// The tables an export writes for people to read, which an import of that export skips: the
/// README, the dashboard's views and the audit log (history is not rewritten by an import).
pub const INFORMATIONAL: [(&str, &str); 7] = [
    ("readme", "what the workbook holds"),
    ("overview", "a view of the dashboard"),
    ("pillars", "a view of the dashboard"),
    ("members", "a view of the dashboard"),
    ("focus_areas", "a view of the dashboard"),
    ("key_result_progress", "a view of the dashboard"),
    (
        "audit_log",
        "the audit log: history is kept by the database, not imported",
    ),
];

/// The tables of a primer workbook: (name, required columns, optional columns).
const TABLES: [(&str, &[&str], &[&str]); 7] = [
    (
        "primers",
        &["iso3", "status"],
        &["national_context", "endorsed_on", "focus_areas"],
    ),
    (
        "key_results",
        &[
            "iso3",
            "kr_code",
            "pillar",
            "focus_area",
            "title",
            "unit",
            "direction",
        ],
        &[
            "baseline_year",
            "baseline_value",
            "weight",
            "min_value",
            "max_value",
            "source_dataset",
            "source_measure",
            "source_filter",
            "source_since",
        ],
    ),
    ("targets", &["iso3", "kr_code", "year", "target"], &[]),
    (
        "actuals",
        &["iso3", "kr_code", "year", "value"],
        &[
            "reported_at",
            "reported_by",
            "withdrawn_reason",
            "withdrawn_by",
        ],
    ),
    (
        "budgets",
        &["pillar", "year", "planned", "spent"],
        &["iso3"],
    ),
    (
        "projects",
        &project_sheet::REQUIRED,
        &project_sheet::OPTIONAL,
    ),
    (
        "series_catalogue",
        &["series", "label"],
        &["unit", "source"],
    ),
];
/// The order problems are reported in, by table: as a primer is read, whatever the order of
/// the files (a folder's files come sorted by name).
pub fn reading_rank(table: &str) -> usize {
    let platforms = &super::platforms::TABLES;
    TABLES
        .iter()
        .position(|(n, ..)| *n == table)
        .or_else(|| {
            let i = platforms.iter().position(|(n, ..)| *n == table)?;
            Some(TABLES.len() + i)
        })
        .unwrap_or(TABLES.len() + platforms.len())
}

const SERIES_LONG: [&str; 4] = ["iso3", "series", "year", "value"];

impl Workbook {
    /// Adds a table, checking its columns and every row; returns every problem found.
    pub fn add(&mut self, t: &RawTable) -> Vec<Detail> {
        let has = |c: &str| t.header.iter().any(|h| h == c);
        if let Some((_, why)) = INFORMATIONAL.iter().find(|(n, _)| *n == t.name) {
            self.skipped.push(Skipped {
                file: t.file.clone(),
                sheet: t.sheet.clone(),
                message: format!("not imported: {why}"),
            });
            return Vec::new();
        }
        if let Some(problems) = self.platforms.add(t) {
            return problems;
        }
        if let Some((name, required, optional)) = TABLES.iter().find(|(n, ..)| *n == t.name) {
            if let Err(p) = check_columns(t, required, optional) {
                return p;
            }
            let mut failed = Vec::new();
            let problems = match *name {
                "primers" => rows(t, &mut self.primers, &mut failed),
                "key_results" => {
                    let before = self.key_results.len();
                    let p = rows(t, &mut self.key_results, &mut failed);
                    let has = t.header.iter().any(|h| h.starts_with("source_"));
                    for r in &mut self.key_results[before..] {
                        r.value.has_source = has;
                    }
                    p
                }
                "targets" => rows(t, &mut self.targets, &mut failed),
                "actuals" => rows(t, &mut self.actuals, &mut failed),
                "budgets" => rows(t, &mut self.budgets, &mut failed),
                "series_catalogue" => {
                    let before = self.catalogue.len();
                    let mut p = rows(t, &mut self.catalogue, &mut failed);
                    p.extend(self.catalogue[before..].iter().flat_map(|row| {
                        row.value
                            .check()
                            .into_iter()
                            .map(|(f, m)| row.detail(Some(&f), m))
                    }));
                    p
                }
                _ => {
                    let mut read = Vec::new();
                    let mut p = rows::<ProjectRow>(t, &mut read, &mut failed);
                    for row in read {
                        let Row {
                            file,
                            sheet,
                            line,
                            value,
                        } = row;
                        match value.into_project() {
                            Ok(value) => self.projects.push(Row {
                                file,
                                sheet,
                                line,
                                value,
                            }),
                            Err(problems) => p.extend(problems.into_iter().map(|(f, m)| {
                                Detail::field(f, m)
                                    .in_file(&file)
                                    .in_sheet(sheet.as_deref())
                                    .at_row(line)
                            })),
                        }
                    }
                    p
                }
            };
            if matches!(*name, "primers" | "key_results") {
                let cell = |record: &csv::StringRecord, c: &str| {
                    let i = t.header.iter().position(|h| h == c)?;
                    Some(record.get(i)?.to_owned())
                };
                for record in failed {
                    if let Some(iso3) = cell(record, "iso3") {
                        let kr = (*name == "key_results")
                            .then(|| cell(record, "kr_code"))
                            .flatten();
                        self.unreadable.insert((iso3.to_ascii_uppercase(), kr));
                    }
                }
            }
            return problems;
        }
        if SERIES_LONG.iter().all(|c| has(c)) {
            if let Err(p) = check_columns(t, &SERIES_LONG, &[]) {
                return p;
            }
            let before = self.series.len();
            let mut problems = rows(t, &mut self.series, &mut Vec::new());
            for row in &self.series[before..] {
                problems.extend(
                    row.value
                        .check()
                        .into_iter()
                        .map(|(f, m)| row.detail(Some(&f), m)),
                );
            }
            return problems;
        }
        if has("isocode") && has("year") {
            return self.add_wide_series(t);
        }
        vec![
            Detail::message(format!(
                "unknown {} {:?}: a workbook has primers, key_results, targets, actuals, \
                 budgets, projects, series_catalogue, accreditations, gp_themes, gp_initiatives, \
                 gp_outcomes and trainings; a series file has the columns iso3, \
                 series, year, value or Penn World Table's isocode, year, rgdpo, …",
                if t.sheet.is_some() { "sheet" } else { "table" },
                t.sheet.as_deref().unwrap_or(&t.name)
            ))
            .in_file(&t.file)
            .in_sheet(t.sheet.as_deref()),
        ]
    }

    /// Penn World Table's own layout: one row per member and year, one column per variable.
    fn add_wide_series(&mut self, t: &RawTable) -> Vec<Detail> {
        let optional: Vec<&str> = ["country"].into_iter().chain(SERIES).collect();
        if let Err(p) = check_columns(t, &["isocode", "year"], &optional) {
            return p;
        }
        let col = |name: &str| t.header.iter().position(|h| h == name);
        let (iso_col, year_col) = (
            col("isocode").expect("checked"),
            col("year").expect("checked"),
        );
        let mut problems = Vec::new();
        for (line, record) in &t.records {
            let at = |field: &str, msg: String| {
                Detail::field(field, msg)
                    .in_file(&t.file)
                    .in_sheet(t.sheet.as_deref())
                    .at_row(*line)
            };
            let iso3 = match Iso3::parse(&record[iso_col]) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(at("isocode", e.0));
                    continue;
                }
            };
            let Ok(year) = record[year_col].parse::<i64>() else {
                problems.push(at("year", format!("{:?} is not a year", &record[year_col])));
                continue;
            };
            for (i, name) in t.header.iter().enumerate() {
                if !SERIES.contains(&name) || record[i].is_empty() {
                    continue;
                }
                let point = crate::domain::parse_number(&record[i]).and_then(|v| {
                    Ok(SeriesPoint {
                        iso3: iso3.clone(),
                        series: name.to_owned(),
                        year,
                        value: Finite::new(v)?,
                    })
                });
                match point {
                    Ok(p) => {
                        problems.extend(p.check().into_iter().map(|(f, m)| at(&f, m)));
                        self.series.push(Row {
                            file: t.file.clone(),
                            sheet: t.sheet.clone(),
                            line: *line,
                            value: p,
                        });
                    }
                    Err(e) => problems.push(at(name, e.0)),
                }
            }
        }
        problems
    }
}

pub(super) fn check_columns(
    t: &RawTable,
    required: &[&str],
    optional: &[&str],
) -> Result<(), Vec<Detail>> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for h in t.header.iter() {
        if !seen.insert(h) {
            problems.push(Detail::field(h, "this column appears twice"));
        } else if !required.contains(&h) && !optional.contains(&h) {
            problems.push(Detail::field(
                h,
                format!(
                    "unknown column; {} has {}",
                    t.name,
                    required
                        .iter()
                        .chain(optional)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    for r in required {
        if !seen.contains(r) {
            problems.push(Detail::field(*r, "required column is missing"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems
            .into_iter()
            .map(|d| {
                d.in_file(&t.file)
                    .in_sheet(t.sheet.as_deref())
                    .at_row(t.header_row)
            })
            .collect())
    }
}

/// Deserializes every record of `t` into `out`, naming the column of each failure; the records
/// that failed are added to `failed`.
pub(super) fn rows<'t, T: DeserializeOwned>(
    t: &'t RawTable,
    out: &mut Vec<Row<T>>,
    failed: &mut Vec<&'t csv::StringRecord>,
) -> Vec<Detail> {
    let mut problems = Vec::new();
    for (line, record) in &t.records {
        // Text the API refuses is refused here too, for both backends alike.
        let bad: Vec<Detail> = t
            .header
            .iter()
            .zip(record.iter())
            .filter_map(|(h, v)| {
                crate::domain::control_problem(v).map(|m| {
                    Detail::field(h, m)
                        .in_file(&t.file)
                        .in_sheet(t.sheet.as_deref())
                        .at_row(*line)
                })
            })
            .collect();
        if !bad.is_empty() {
            problems.extend(bad);
            failed.push(record);
            continue;
        }
        let cells = t
            .header
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h, Cell(v)));
        let de = serde::de::value::MapDeserializer::new(cells);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(value) => out.push(Row {
                file: t.file.clone(),
                sheet: t.sheet.clone(),
                line: *line,
                value,
            }),
            Err(e) => {
                let field = e.path().to_string();
                let d = if field == "." {
                    Detail::message(e.inner().to_string())
                } else {
                    Detail::field(field, e.inner().to_string())
                };
                problems.push(
                    d.in_file(&t.file)
                        .in_sheet(t.sheet.as_deref())
                        .at_row(*line),
                );
                failed.push(record);
            }
        }
    }
    problems
}
