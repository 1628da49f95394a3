//! The dashboard as people read it: the sheets `Overview`, `Pillars`, `Members`, `Focus areas`
//! and `Key result progress`, made from the dashboard document (DESIGN.md, "The dashboard
//! document") with names instead of codes, fractions as percentages and statuses in words.
//!
//! The document is read from its JSON (the aggregator holds it serialized), into the few fields
//! shown here.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::sheet::{Cell, Column, Kind, Sheet, col};
use crate::store::dump::Dump;

/// The dashboard document, as far as the views show it.
#[derive(Debug, Deserialize)]
pub struct Doc {
    pub rev: i64,
    pub period: i64,
    overall: Overall,
    pillars: BTreeMap<String, PillarDoc>,
    members: BTreeMap<String, MemberDoc>,
    focus_areas: BTreeMap<String, FocusDoc>,
    key_results: BTreeMap<String, KrDoc>,
    completeness: Completeness,
    primers: PrimerCounts,
}

#[derive(Debug, Deserialize)]
struct Overall {
    score: Option<f64>,
    members_scored: usize,
}

#[derive(Debug, Deserialize)]
struct Counts {
    achieved: usize,
    on_track: usize,
    at_risk: usize,
    off_track: usize,
    no_data: usize,
}

#[derive(Debug, Deserialize)]
struct Budget {
    planned: f64,
    spent: f64,
}

#[derive(Debug, Deserialize)]
struct PillarDoc {
    name: String,
    score: Option<f64>,
    members_scored: usize,
    krs: usize,
    krs_with_data: usize,
    status_counts: Counts,
    budget: Budget,
}

#[derive(Debug, Deserialize)]
struct CellDoc {
    score: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct MemberDoc {
    name: String,
    primer_status: String,
    score: Option<f64>,
    completeness: Option<f64>,
    reported: usize,
    expected: usize,
    krs: usize,
    pillars: BTreeMap<String, CellDoc>,
    status_counts: Counts,
}

#[derive(Debug, Deserialize)]
struct FocusDoc {
    score: Option<f64>,
    members: usize,
    chosen_by: usize,
    krs: usize,
}

#[derive(Debug, Deserialize)]
struct KrDoc {
    iso3: String,
    code: String,
    pillar: i64,
    focus_area: String,
    title: String,
    unit: String,
    direction: String,
    weight: f64,
    baseline: Option<f64>,
    target: Option<f64>,
    actual: Option<f64>,
    reported_at: Option<String>,
    progress: Option<f64>,
    status: String,
}

#[derive(Debug, Deserialize)]
struct Completeness {
    reported: usize,
    expected: usize,
    ratio: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct PrimerCounts {
    none: usize,
    draft: usize,
    submitted: usize,
    endorsed: usize,
}

/// A key result's status (METRICS.md §1) in words.
pub fn status_words(status: &str) -> &'static str {
    match status {
        "achieved" => "Achieved",
        "on_track" => "On track",
        "at_risk" => "At risk",
        "off_track" => "Off track",
        _ => "No data",
    }
}

/// Where a member's primer stands, in words.
fn primer_words(status: &str) -> &'static str {
    match status {
        "draft" => "Draft",
        "submitted" => "Submitted",
        "endorsed" => "Endorsed",
        _ => "No primer",
    }
}

/// A focus area's label as the document keys it: case and spacing do not make another area.
fn area_key(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

const STATUS_COLUMNS: [(&str, &str); 5] = [
    ("Achieved", "key results whose progress is 100% or more"),
    ("On track", "key results whose progress is 70% to 100%"),
    ("At risk", "key results whose progress is 40% to 70%"),
    ("Off track", "key results whose progress is below 40%"),
    (
        "No data",
        "key results without a report or a target for the period",
    ),
];

fn status_columns(whose: &str) -> Vec<Column> {
    STATUS_COLUMNS
        .iter()
        .map(|(n, m)| col(*n, format!("{whose}: {m}")))
        .collect()
}

fn status_cells(c: &Counts) -> [Cell<'static>; 5] {
    [
        Cell::count(c.achieved),
        Cell::count(c.on_track),
        Cell::count(c.at_risk),
        Cell::count(c.off_track),
        Cell::count(c.no_data),
    ]
}

impl Doc {
    /// The pillars' names in order ("1" to "4").
    fn pillar_names(&self) -> Vec<(&str, &str)> {
        self.pillars
            .iter()
            .map(|(k, p)| (k.as_str(), p.name.as_str()))
            .collect()
    }

    /// A member's name, if it is one.
    pub fn member(&self, iso3: &str) -> Option<&str> {
        self.members.get(iso3).map(|m| m.name.as_str())
    }

    fn member_name<'a>(&'a self, iso3: &'a str) -> &'a str {
        self.members.get(iso3).map_or(iso3, |m| m.name.as_str())
    }

    /// The five views, narrowed to member `only` where that makes sense.
    pub fn sheets<'a>(&'a self, dump: &'a Dump, only: Option<&'a str>) -> Vec<Sheet<'a>> {
        vec![
            self.overview(only),
            self.pillars_sheet(),
            self.members_sheet(only),
            self.focus_sheet(only),
            self.kr_sheet(dump, only),
        ]
    }

    fn overview<'a>(&'a self, only: Option<&'a str>) -> Sheet<'a> {
        let mut rows: Vec<Vec<Cell<'a>>> = Vec::new();
        let mut line =
            |what: &'static str, value: Cell<'a>| rows.push(vec![Cell::text(what), value]);
        if let Some(m) = only.and_then(|iso3| self.members.get(iso3)) {
            line("Member", Cell::text(&m.name));
            line("Primer", Cell::text(primer_words(&m.primer_status)));
            line("Member score", Cell::opt_percent(m.score));
            line("Member completeness", Cell::opt_percent(m.completeness));
            line("Member reports received", Cell::count(m.reported));
            line("Member reports expected", Cell::count(m.expected));
            line("Member key results", Cell::count(m.krs));
        }
        line("Period", Cell::Int(self.period));
        line(
            "Overall score (all members)",
            Cell::opt_percent(self.overall.score),
        );
        line("Members scored", Cell::count(self.overall.members_scored));
        line(
            "Reports received (all members)",
            Cell::count(self.completeness.reported),
        );
        line(
            "Reports expected (all members)",
            Cell::count(self.completeness.expected),
        );
        line(
            "Completeness (all members)",
            Cell::opt_percent(self.completeness.ratio),
        );
        line("Primers endorsed", Cell::count(self.primers.endorsed));
        line("Primers submitted", Cell::count(self.primers.submitted));
        line("Primers in draft", Cell::count(self.primers.draft));
        line("Members without a primer", Cell::count(self.primers.none));
        Sheet {
            name: "Overview",
            kind: Kind::View,
            preamble: Vec::new(),
            columns: vec![
                col("Measure", "what the line counts or scores"),
                col(
                    "Value",
                    "its value for the period: a score or completeness as a percentage, a \
                     count as a number; empty when there is nothing to score",
                ),
            ],
            rows: Box::new(rows.into_iter()),
        }
    }

    fn pillars_sheet(&self) -> Sheet<'_> {
        let rows: Vec<Vec<Cell<'_>>> = self
            .pillars
            .values()
            .map(|p| {
                let mut r = vec![
                    Cell::text(&p.name),
                    Cell::opt_percent(p.score),
                    Cell::count(p.members_scored),
                    Cell::count(p.krs),
                    Cell::count(p.krs_with_data),
                ];
                r.extend(status_cells(&p.status_counts));
                r.extend([Cell::Number(p.budget.planned), Cell::Number(p.budget.spent)]);
                r
            })
            .collect();
        let mut columns = vec![
            col("Pillar", "the pillar of the APO's strategy"),
            col(
                "Score",
                "mean over members of their weighted score in the pillar (all members)",
            ),
            col("Members scored", "members with a score in the pillar"),
            col("Key results", "key results in the pillar, all members"),
            col(
                "Key results with data",
                "key results in the pillar with progress for the period",
            ),
        ];
        columns.extend(status_columns("in the pillar"));
        columns.extend([
            col(
                "Budget planned",
                "budget planned for the pillar in the period: regional and member rows together",
            ),
            col(
                "Budget spent",
                "budget spent on the pillar in the period: regional and member rows together",
            ),
        ]);
        Sheet {
            name: "Pillars",
            kind: Kind::View,
            preamble: Vec::new(),
            columns,
            rows: Box::new(rows.into_iter()),
        }
    }

    fn members_sheet<'a>(&'a self, only: Option<&'a str>) -> Sheet<'a> {
        let pillars = self.pillar_names();
        let mut members: Vec<(&String, &MemberDoc)> = self
            .members
            .iter()
            .filter(|(iso3, _)| only.is_none_or(|o| o == iso3.as_str()))
            .collect();
        members.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        let rows: Vec<Vec<Cell<'a>>> = members
            .into_iter()
            .map(|(_, m)| {
                let mut r = vec![
                    Cell::text(&m.name),
                    Cell::text(primer_words(&m.primer_status)),
                    Cell::opt_percent(m.score),
                    Cell::opt_percent(m.completeness),
                    Cell::count(m.reported),
                    Cell::count(m.expected),
                    Cell::count(m.krs),
                ];
                r.extend(
                    pillars
                        .iter()
                        .map(|(k, _)| Cell::opt_percent(m.pillars.get(*k).and_then(|c| c.score))),
                );
                r.extend(status_cells(&m.status_counts));
                r
            })
            .collect();
        let mut columns = vec![
            col("Member", "the member economy"),
            col(
                "Primer",
                "where its primer stands: Draft, Submitted, Endorsed or No primer",
            ),
            col("Score", "weighted mean score of its key results"),
            col(
                "Completeness",
                "reports received ÷ reports expected for the period",
            ),
            col("Reports received", "key results reported for the period"),
            col(
                "Reports expected",
                "key results with a target for the period",
            ),
            col("Key results", "key results in its primer"),
        ];
        columns.extend(
            pillars
                .iter()
                .map(|(_, name)| col(*name, format!("its score in the pillar {name}"))),
        );
        columns.extend(status_columns("its"));
        Sheet {
            name: "Members",
            kind: Kind::View,
            preamble: Vec::new(),
            columns,
            rows: Box::new(rows.into_iter()),
        }
    }

    fn focus_sheet<'a>(&'a self, only: Option<&'a str>) -> Sheet<'a> {
        let chosen: Option<Vec<String>> = only.map(|o| {
            self.key_results
                .values()
                .filter(|k| k.iso3 == o)
                .map(|k| area_key(&k.focus_area))
                .collect()
        });
        let rows: Vec<Vec<Cell<'a>>> = self
            .focus_areas
            .iter()
            .filter(|(label, _)| chosen.as_ref().is_none_or(|c| c.contains(&area_key(label))))
            .map(|(label, f)| {
                vec![
                    Cell::text(label),
                    Cell::opt_percent(f.score),
                    Cell::count(f.members),
                    Cell::count(f.chosen_by),
                    Cell::count(f.krs),
                ]
            })
            .collect();
        Sheet {
            name: "Focus areas",
            kind: Kind::View,
            preamble: Vec::new(),
            columns: vec![
                col(
                    "Focus area",
                    "a focus area chosen in the primers (for one member's export, the areas \
                     of its key results, with the figures of all members)",
                ),
                col(
                    "Score",
                    "mean over members of their weighted score in the area",
                ),
                col("Members scored", "members with a score in the area"),
                col("Chosen by", "members with key results in the area"),
                col("Key results", "key results in the area, all members"),
            ],
            rows: Box::new(rows.into_iter()),
        }
    }

    fn kr_sheet<'a>(&'a self, dump: &'a Dump, only: Option<&'a str>) -> Sheet<'a> {
        // In each member's own order (its primer's), members by name.
        let position: HashMap<(&str, &str), usize> = dump
            .key_results
            .iter()
            .enumerate()
            .map(|(i, k)| ((k.iso3.as_str(), k.code.as_str()), i))
            .collect();
        let pillar_name = |n: i64| {
            self.pillars
                .get(&n.to_string())
                .map_or_else(|| n.to_string(), |p| p.name.clone())
        };
        let mut krs: Vec<&KrDoc> = self
            .key_results
            .values()
            .filter(|k| only.is_none_or(|o| o == k.iso3))
            .collect();
        krs.sort_by_cached_key(|k| {
            (
                self.member_name(&k.iso3).to_owned(),
                position
                    .get(&(k.iso3.as_str(), k.code.as_str()))
                    .copied()
                    .unwrap_or(usize::MAX),
                k.code.clone(),
            )
        });
        let rows: Vec<Vec<Cell<'a>>> = krs
            .into_iter()
            .map(|k| {
                vec![
                    Cell::text(self.member_name(&k.iso3)),
                    Cell::text(&k.code),
                    Cell::owned(pillar_name(k.pillar)),
                    Cell::text(&k.focus_area),
                    Cell::text(&k.title),
                    Cell::text(&k.unit),
                    Cell::text(if k.direction == "decrease" {
                        "Decrease"
                    } else {
                        "Increase"
                    }),
                    Cell::Number(k.weight),
                    Cell::opt_number(k.baseline),
                    Cell::opt_number(k.target),
                    Cell::opt_number(k.actual),
                    Cell::opt_text(k.reported_at.as_deref()),
                    Cell::opt_percent(k.progress),
                    Cell::text(status_words(&k.status)),
                ]
            })
            .collect();
        Sheet {
            name: "Key result progress",
            kind: Kind::View,
            preamble: Vec::new(),
            columns: vec![
                col(
                    "Member",
                    "the member economy whose primer holds the key result",
                ),
                col("Key result", "the key result's code"),
                col("Pillar", "the pillar it serves"),
                col("Focus area", "the focus area it serves"),
                col("Title", "what it measures"),
                col("Unit", "the unit of its values"),
                col(
                    "Direction",
                    "Increase: more is better; Decrease: less is better",
                ),
                col("Weight", "its weight in the member's scores"),
                col("Baseline", "its value before the cycle"),
                col("Target", "its target for the period"),
                col("Actual", "its latest report for the period"),
                col("Reported at", "when that report was made (RFC 3339, UTC)"),
                col(
                    "Progress",
                    "how far from baseline to target the actual is (above 100% when \
                     exceeded)",
                ),
                col(
                    "Status",
                    "Achieved (100% or more), On track (70%), At risk (40%), Off track, or \
                     No data",
                ),
            ],
            rows: Box::new(rows.into_iter()),
        }
    }
}
