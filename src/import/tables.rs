//! From files to typed rows: which table a file is, whether its columns are the expected ones,
//! and each row deserialized into the record type it describes, every problem named by file,
//! row and column.
//!
//! A table arrives as a [`RawTable`] (a header and string records), whatever it was read from:
//! see [`super::read`].

use serde::de::DeserializeOwned;

use crate::domain::{Direction, Finite, Iso3, KrCode, Pillar, PrimerStatus, Year};
use crate::error::Detail;
use crate::model::{ActualInput, Budget, Project, SERIES, SeriesPoint};

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
    pub actuals: Vec<Row<ActualInput>>,
    pub budgets: Vec<Row<Budget>>,
    pub projects: Vec<Row<Project>>,
    pub series: Vec<Row<SeriesPoint>>,
}

/// The tables of a primer workbook: (name, required columns, optional columns).
const TABLES: [(&str, &[&str], &[&str]); 6] = [
    (
        "primers",
        &["iso3", "status"],
        &["national_context", "endorsed_on"],
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
        ],
    ),
    ("targets", &["iso3", "kr_code", "year", "target"], &[]),
    (
        "actuals",
        &["iso3", "kr_code", "year", "value"],
        &["reported_at"],
    ),
    (
        "budgets",
        &["pillar", "year", "planned", "spent"],
        &["iso3"],
    ),
    (
        "projects",
        &["code", "title", "pillar", "status", "host_iso3"],
        &["program", "start_date", "end_date"],
    ),
];
const SERIES_LONG: [&str; 4] = ["iso3", "series", "year", "value"];

impl Workbook {
    /// Adds a table, checking its columns and every row; returns every problem found.
    pub fn add(&mut self, t: &RawTable) -> Vec<Detail> {
        let has = |c: &str| t.header.iter().any(|h| h == c);
        if let Some((name, required, optional)) = TABLES.iter().find(|(n, ..)| *n == t.name) {
            if let Err(p) = check_columns(t, required, optional) {
                return p;
            }
            return match *name {
                "primers" => rows(t, &mut self.primers),
                "key_results" => rows(t, &mut self.key_results),
                "targets" => rows(t, &mut self.targets),
                "actuals" => rows(t, &mut self.actuals),
                "budgets" => rows(t, &mut self.budgets),
                _ => rows(t, &mut self.projects),
            };
        }
        if SERIES_LONG.iter().all(|c| has(c)) {
            if let Err(p) = check_columns(t, &SERIES_LONG, &[]) {
                return p;
            }
            let before = self.series.len();
            let mut problems = rows(t, &mut self.series);
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
                "unknown table {:?}: a workbook has primers, key_results, targets, actuals, \
                 budgets and projects; a series file has the columns iso3, series, year, value \
                 or Penn World Table's isocode, year, rgdpo, …",
                t.name
            ))
            .in_file(&t.file),
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
            let at =
                |field: &str, msg: String| Detail::field(field, msg).in_file(&t.file).at_row(*line);
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

fn check_columns(t: &RawTable, required: &[&str], optional: &[&str]) -> Result<(), Vec<Detail>> {
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
            .map(|d| d.in_file(&t.file).at_row(1))
            .collect())
    }
}

/// Deserializes every record of `t` into `out`, naming the column of each failure.
fn rows<T: DeserializeOwned>(t: &RawTable, out: &mut Vec<Row<T>>) -> Vec<Detail> {
    let mut problems = Vec::new();
    for (line, record) in &t.records {
        // Text the API refuses is refused here too, for both backends alike.
        let bad: Vec<Detail> = t
            .header
            .iter()
            .zip(record.iter())
            .filter_map(|(h, v)| {
                crate::domain::control_problem(v)
                    .map(|m| Detail::field(h, m).in_file(&t.file).at_row(*line))
            })
            .collect();
        if !bad.is_empty() {
            problems.extend(bad);
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
                problems.push(d.in_file(&t.file).at_row(*line));
            }
        }
    }
    problems
}

/// One CSV cell as a serde deserializer: text that becomes whatever type the record asks for
/// (numbers are parsed, an empty cell is `None`). Going through serde's own map deserializer
/// lets `serde_path_to_error` name the column of any failure, including validation failures of
/// the domain types, which the `csv` crate's deserializer reports without a column.
struct Cell<'a>(&'a str);

type CellError = serde::de::value::Error;

impl<'a> Cell<'a> {
    fn parse<N: std::str::FromStr>(&self, what: &str) -> Result<N, CellError> {
        self.0
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{:?} is not {what}", self.0)))
    }
}

impl<'de, 'a> serde::de::IntoDeserializer<'de, CellError> for Cell<'a> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! parse_as {
    ($($method:ident => $visit:ident as $ty:ty, $what:literal;)*) => {
        $(fn $method<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
            v.$visit(self.parse::<$ty>($what)?)
        })*
    };
}

impl<'de, 'a> serde::Deserializer<'de> for Cell<'a> {
    type Error = CellError;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
        v.visit_str(self.0)
    }
    fn deserialize_option<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
        if self.0.is_empty() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }
    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, CellError> {
        use serde::de::IntoDeserializer;
        v.visit_enum(self.0.into_deserializer())
    }
    parse_as! {
        deserialize_i64 => visit_i64 as i64, "a whole number";
        deserialize_i32 => visit_i32 as i32, "a whole number";
        deserialize_u64 => visit_u64 as u64, "a whole number";
        deserialize_u32 => visit_u32 as u32, "a whole number";
        deserialize_f64 => visit_f64 as f64, "a number";
        deserialize_f32 => visit_f32 as f32, "a number";
        deserialize_bool => visit_bool as bool, "true or false";
    }
    serde::forward_to_deserialize_any! {
        i8 i16 i128 u8 u16 u128 char str string bytes byte_buf unit unit_struct newtype_struct
        seq tuple tuple_struct map struct identifier ignored_any
    }
}
