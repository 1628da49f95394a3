//! Yearly series per member, and their catalogue.
//!
//! A series is named by its importer: the Penn World Table columns the productivity measures
//! read ([`SERIES`]; METRICS.md), or a member's own index ("VNM.lp_agri", "mfg_index"). The
//! catalogue says what a name means (label, unit, source); the Penn World Table series have
//! built-in entries ([`pwt_catalogue`]), which a stored row may override.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Finite, Iso3};

/// The productivity series the METRICS.md measures read, named as in Penn World Table 9.1
/// (the columns of its wide form).
pub const SERIES: [&str; 17] = [
    "rgdpo", "rgdpe", "rgdpna", "pop", "emp", "avh", "hc", "ck", "rnna", "ctfp", "cwtfp", "rtfpna",
    "rwtfpna", "labsh", "delta", "csh_i", "xr",
];

/// The longest series name.
pub const MAX_SERIES_NAME: usize = 64;
/// The longest catalogue label.
pub const MAX_SERIES_LABEL: usize = 200;
/// The longest unit or source of a catalogue entry.
pub const MAX_SERIES_NOTE: usize = 200;

/// The source of the built-in catalogue entries.
pub const PWT_SOURCE: &str = "Penn World Table 9.1";

/// One yearly value of a series: a row of a long-form series file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesPoint {
    pub iso3: Iso3,
    /// 1–64 characters: letters, digits, `_`, `.` and `-`, starting with a letter.
    #[schema(pattern = r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")]
    pub series: String,
    /// 1950–2100.
    #[schema(minimum = 1950, maximum = 2100)]
    pub year: i64,
    pub value: Finite,
}

impl SeriesPoint {
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if let Some(why) = name_problem(&self.series) {
            problems.push(("series".into(), why));
        }
        if !(1950..=2100).contains(&self.year) {
            problems.push((
                "year".into(),
                format!("year {} is outside 1950–2100", self.year),
            ));
        }
        problems
    }
}

/// Why `name` cannot name a series, in words; none when it can. Any name of 1–64 characters
/// made of letters, digits, `_`, `.` and `-` and starting with a letter: a member's own index
/// is as welcome as a Penn World Table column.
pub fn name_problem(name: &str) -> Option<String> {
    let rule = "a series name is 1–64 characters: letters, digits, '_', '.' and '-', \
                starting with a letter";
    let mut chars = name.chars();
    match chars.next() {
        None => Some(format!("the series name is empty; {rule}")),
        Some(c) if !c.is_ascii_alphabetic() => {
            Some(format!("{name:?} does not start with a letter; {rule}"))
        }
        _ if name.chars().count() > MAX_SERIES_NAME => Some(format!(
            "{name:?} is {} characters long; {rule}",
            name.chars().count()
        )),
        _ => chars
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
            .map(|c| format!("{name:?} contains {c:?}; {rule}")),
    }
}

/// What a series is: its catalogue entry, a row of a `series_catalogue` sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesInfo {
    /// The series it describes (the rule of [`SeriesPoint::series`]).
    #[schema(pattern = r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")]
    pub series: String,
    /// What people read in a selector and under a chart: 1–200 characters once trimmed.
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub label: String,
    /// E.g. "index, 2015 = 100", "mil. 2011 US$"; may be empty.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub unit: String,
    /// Where the figures come from; may be empty.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub source: String,
}

impl SeriesInfo {
    /// Rules of a catalogue entry, as (field, message) pairs: the name rule, a label of 1–200
    /// characters, a unit and a source of at most 200 (all once trimmed; see [`Self::trimmed`]).
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if let Some(why) = name_problem(&self.series) {
            problems.push(("series".into(), why));
        }
        if let Err(e) = crate::domain::text(&self.label, MAX_SERIES_LABEL) {
            problems.push(("label".into(), format!("the label {}", e.0)));
        }
        for (field, value) in [("unit", &self.unit), ("source", &self.source)] {
            if !value.trim().is_empty()
                && let Err(e) = crate::domain::text(value, MAX_SERIES_NOTE)
            {
                problems.push((field.into(), format!("the {field} {}", e.0)));
            }
        }
        problems
    }

    /// The entry as it is stored: label, unit and source trimmed.
    pub fn trimmed(&self) -> Self {
        Self {
            series: self.series.clone(),
            label: self.label.trim().to_owned(),
            unit: self.unit.trim().to_owned(),
            source: self.source.trim().to_owned(),
        }
    }
}

/// A series as `GET /series/catalogue` lists it: its catalogue entry, and which members have
/// values of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeriesEntry {
    pub series: String,
    /// The catalogue's label; the series name itself when it has no catalogue entry.
    pub label: String,
    pub unit: String,
    pub source: String,
    /// Whether it has a catalogue entry (built in or imported).
    pub catalogued: bool,
    /// Whether it is a Penn World Table series ([`SERIES`]), which the productivity measures
    /// read; a member's own series are not.
    pub pwt: bool,
    /// How many values it has, over the members listed.
    pub values: i64,
    /// The first and last year with a value; none without values.
    pub first_year: Option<i64>,
    pub last_year: Option<i64>,
    /// The members with values of it, by ISO3 code.
    pub members: Vec<SeriesCoverage>,
}

/// How much of a series one member has.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeriesCoverage {
    pub iso3: String,
    pub values: i64,
    pub first_year: i64,
    pub last_year: i64,
}

impl SeriesEntry {
    /// The listing of `series`, described by `info` when it has a catalogue entry.
    pub fn new(series: String, info: Option<&SeriesInfo>, members: Vec<SeriesCoverage>) -> Self {
        Self {
            label: info.map_or_else(|| series.clone(), |i| i.label.clone()),
            unit: info.map(|i| i.unit.clone()).unwrap_or_default(),
            source: info.map(|i| i.source.clone()).unwrap_or_default(),
            catalogued: info.is_some(),
            pwt: SERIES.contains(&series.as_str()),
            values: members.iter().map(|m| m.values).sum(),
            first_year: members.iter().map(|m| m.first_year).min(),
            last_year: members.iter().map(|m| m.last_year).max(),
            series,
            members,
        }
    }
}

/// The built-in catalogue entries of the Penn World Table series ([`SERIES`]): their labels and
/// units as Penn World Table 9.1 defines them.
pub fn pwt_catalogue() -> Vec<SeriesInfo> {
    const ENTRIES: [(&str, &str, &str); 17] = [
        (
            "rgdpo",
            "Output-side real GDP at chained PPPs",
            "mil. 2011 US$",
        ),
        (
            "rgdpe",
            "Expenditure-side real GDP at chained PPPs",
            "mil. 2011 US$",
        ),
        (
            "rgdpna",
            "Real GDP at constant 2011 national prices",
            "mil. 2011 US$",
        ),
        ("pop", "Population", "millions"),
        ("emp", "Number of persons engaged", "millions"),
        (
            "avh",
            "Average annual hours worked by persons engaged",
            "hours",
        ),
        (
            "hc",
            "Human capital index, based on years of schooling and returns to education",
            "index",
        ),
        ("ck", "Capital stock at current PPPs", "mil. 2011 US$"),
        (
            "rnna",
            "Capital stock at constant 2011 national prices",
            "mil. 2011 US$",
        ),
        ("ctfp", "TFP level at current PPPs", "USA = 1"),
        (
            "cwtfp",
            "Welfare-relevant TFP level at current PPPs",
            "USA = 1",
        ),
        ("rtfpna", "TFP at constant national prices", "2011 = 1"),
        (
            "rwtfpna",
            "Welfare-relevant TFP at constant national prices",
            "2011 = 1",
        ),
        (
            "labsh",
            "Share of labour compensation in GDP at current national prices",
            "share",
        ),
        (
            "delta",
            "Average depreciation rate of the capital stock",
            "rate",
        ),
        (
            "csh_i",
            "Share of gross capital formation at current PPPs",
            "share",
        ),
        (
            "xr",
            "Exchange rate, national currency per US$ (market and estimated)",
            "national currency per US$",
        ),
    ];
    ENTRIES
        .iter()
        .map(|(series, label, unit)| SeriesInfo {
            series: (*series).to_owned(),
            label: (*label).to_owned(),
            unit: (*unit).to_owned(),
            source: PWT_SOURCE.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_well_formed_name_is_a_series() {
        for ok in ["rgdpo", "VNM.lp_agri", "mfg-index", "a", &"x".repeat(64)] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in ["", "1abc", "_x", "lp agri", "lp/agri", "é", &"x".repeat(65)] {
            let why = name_problem(bad).expect(bad);
            assert!(why.contains("starting with a letter"), "{why}");
        }
    }

    #[test]
    fn the_built_in_catalogue_names_every_pwt_series_once_and_passes_its_checks() {
        let entries = pwt_catalogue();
        let names: Vec<&str> = entries.iter().map(|e| e.series.as_str()).collect();
        assert_eq!(names, SERIES);
        for e in entries {
            assert_eq!(e.check(), Vec::<(String, String)>::new(), "{e:?}");
            assert_eq!(e.trimmed(), e);
        }
    }

    #[test]
    fn a_catalogue_entry_needs_a_label_and_is_trimmed() {
        let mut e = SeriesInfo {
            series: "9x".into(),
            label: "  ".into(),
            unit: " index ".into(),
            source: "   ".into(),
        };
        let fields: Vec<String> = e.check().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["series", "label"]);
        let t = e.trimmed();
        assert_eq!((t.unit.as_str(), t.source.as_str()), ("index", ""));
        e.label = "y".repeat(201);
        e.series = "ok".into();
        let problems = e.check();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].1.contains("200"), "{problems:?}");
    }
}
