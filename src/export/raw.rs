//! The raw data in the import format (DESIGN.md, "Files"): one sheet per table, with the
//! columns the importer takes, every stored row, numbers as numbers and dates and times as the
//! ISO text they are stored as, so that a re-import gives back the same values, bit for bit.

use super::sheet::{Cell, Column, Kind, Rows, Sheet, col};
use crate::model::project_sheet::{self, SheetCell};
use crate::store::dump::Dump;

/// A raw sheet: the columns the importer takes, and the rows.
pub(super) fn sheet<'a>(name: &'static str, columns: Vec<Column>, rows: Rows<'a>) -> Sheet<'a> {
    Sheet {
        name,
        kind: Kind::Raw,
        preamble: Vec::new(),
        columns,
        rows,
    }
}

pub(super) const ISO3: &str = "the member's ISO 3166-1 alpha-3 code";
const KR_CODE: &str = "the key result's code, unique within the member's primer";

/// The raw sheets, in the order of the import format (the platforms' after the series
/// catalogue), `audit_log` last when the dump holds it.
pub fn sheets(d: &Dump) -> Vec<Sheet<'_>> {
    let mut out = vec![
        sheet(
            "primers",
            vec![
                col("iso3", ISO3),
                col("status", "draft, submitted or endorsed"),
                col(
                    "national_context",
                    "the primer's national context, as written",
                ),
                col(
                    "endorsed_on",
                    "the day it was endorsed (YYYY-MM-DD); empty if not",
                ),
                col(
                    "focus_areas",
                    "its focus areas in the primer's order, separated by \"; \"",
                ),
            ],
            Box::new(d.primers.iter().map(|p| {
                vec![
                    Cell::text(&p.iso3),
                    Cell::text(&p.status),
                    Cell::text(&p.national_context),
                    Cell::opt_text(p.endorsed_on.as_deref()),
                    Cell::owned(p.focus_areas.join("; ")),
                ]
            })),
        ),
        sheet(
            "key_results",
            vec![
                col("iso3", ISO3),
                col("kr_code", KR_CODE),
                col("pillar", "the pillar's number, 1 to 4"),
                col("focus_area", "the focus area it serves"),
                col("title", "what it measures"),
                col("unit", "the unit of its values"),
                col("direction", "increase or decrease: which way is better"),
                col("baseline_year", "the year of the baseline; empty if none"),
                col(
                    "baseline_value",
                    "the value before the cycle; empty if none",
                ),
                col("weight", "its weight in the member's scores"),
                col(
                    "min_value",
                    "the least value a report may take; empty: no bound",
                ),
                col(
                    "max_value",
                    "the greatest value a report may take; empty: no bound",
                ),
                col(
                    "source_dataset",
                    "where its actuals come from: trainings or gp_initiatives; empty: reported",
                ),
                col(
                    "source_measure",
                    "what is summed (participants, smes, female, certified_specialists, courses, \
                     participant_hours; an outcome metric or initiatives)",
                ),
                col(
                    "source_filter",
                    "the sectors (trainings) or themes (GP) that count, separated by ';'; empty: all",
                ),
                col(
                    "source_since",
                    "with a year, the value sums the years from it on; empty: the year alone",
                ),
            ],
            Box::new(d.key_results.iter().map(|k| {
                let source = d.kr_sources.get(&(k.iso3.clone(), k.code.clone()));
                vec![
                    Cell::text(&k.iso3),
                    Cell::text(&k.code),
                    Cell::Int(k.pillar),
                    Cell::text(&k.focus_area),
                    Cell::text(&k.title),
                    Cell::text(&k.unit),
                    Cell::text(&k.direction),
                    Cell::opt_int(k.baseline_year),
                    Cell::opt_number(k.baseline_value),
                    Cell::Number(k.weight),
                    Cell::opt_number(k.min_value),
                    Cell::opt_number(k.max_value),
                    source.map_or(Cell::Empty, |s| Cell::text(s.dataset.as_str())),
                    source.map_or(Cell::Empty, |s| Cell::text(s.measure.as_str())),
                    source.map_or(Cell::Empty, |s| Cell::owned(s.filter_cell())),
                    Cell::opt_int(source.and_then(|s| s.since)),
                ]
            })),
        ),
        sheet(
            "targets",
            vec![
                col("iso3", ISO3),
                col("kr_code", KR_CODE),
                col("year", "the cycle year"),
                col("target", "the key result's target for that year"),
            ],
            Box::new(d.targets.iter().map(|t| {
                vec![
                    Cell::text(&t.iso3),
                    Cell::text(&t.kr_code),
                    Cell::Int(t.year),
                    Cell::Number(t.target),
                ]
            })),
        ),
        sheet(
            "actuals",
            vec![
                col("iso3", ISO3),
                col("kr_code", KR_CODE),
                col("year", "the year the report is for"),
                col("value", "the value reported"),
                col("reported_at", "when it was reported (RFC 3339, UTC)"),
                col("reported_by", "who reported it"),
                col(
                    "withdrawn_reason",
                    "why it was withdrawn or corrected; empty while it counts",
                ),
                col("withdrawn_by", "who withdrew it; empty while it counts"),
            ],
            Box::new(d.actuals.iter().map(|a| {
                let withdrawn = a.withdrawn_rev.is_some();
                vec![
                    Cell::text(&a.iso3),
                    Cell::text(&a.kr_code),
                    Cell::Int(a.year),
                    Cell::Number(a.value),
                    Cell::text(&a.reported_at),
                    Cell::text(&a.reported_by),
                    if withdrawn {
                        Cell::text(a.withdrawn_reason.as_deref().unwrap_or(""))
                    } else {
                        Cell::Empty
                    },
                    if withdrawn {
                        Cell::text(a.withdrawn_by.as_deref().unwrap_or(""))
                    } else {
                        Cell::Empty
                    },
                ]
            })),
        ),
        sheet(
            "budgets",
            vec![
                col("pillar", "the pillar's number, 1 to 4"),
                col("year", "the budget year"),
                col("planned", "the amount planned"),
                col("spent", "the amount spent"),
                col(
                    "iso3",
                    "the member the row is for; empty for the APO-wide budget",
                ),
            ],
            Box::new(d.budgets.iter().map(|b| {
                vec![
                    Cell::Int(b.pillar),
                    Cell::Int(b.year),
                    Cell::Number(b.planned),
                    Cell::Number(b.spent),
                    Cell::text(&b.scope),
                ]
            })),
        ),
        sheet(
            "projects",
            project_sheet::COLUMNS
                .iter()
                .map(|(name, what)| col(*name, *what))
                .collect(),
            Box::new(d.projects.iter().map(|p| {
                project_sheet::cells(p)
                    .into_iter()
                    .map(|c| match c {
                        SheetCell::Text(t) if t.is_empty() => Cell::Empty,
                        SheetCell::Text(t) => Cell::owned(t),
                        SheetCell::Int(i) => Cell::Int(i),
                    })
                    .collect()
            })),
        ),
        sheet(
            "series",
            vec![
                col("iso3", ISO3),
                col(
                    "series",
                    "the series' name (Penn World Table's, or a member's own)",
                ),
                col("year", "the year of the value"),
                col("value", "the value"),
            ],
            Box::new(d.series.iter().map(|s| {
                vec![
                    Cell::text(&s.iso3),
                    Cell::text(&s.series),
                    Cell::Int(s.year),
                    Cell::Number(s.value),
                ]
            })),
        ),
        sheet(
            "series_catalogue",
            vec![
                col("series", "the series' name, as in the series sheet"),
                col("label", "what it is, in words"),
                col("unit", "the unit of its values"),
                col("source", "where its values come from"),
            ],
            Box::new(d.catalogue.iter().map(|c| {
                vec![
                    Cell::text(&c.series),
                    Cell::text(&c.label),
                    Cell::opt_text(c.unit.as_deref()),
                    Cell::opt_text(c.source.as_deref()),
                ]
            })),
        ),
    ];
    out.extend(super::platforms::sheets(d));
    if let Some(audit) = &d.audit {
        out.push(sheet(
            "audit_log",
            vec![
                col("rev", "the revision the change made"),
                col("at", "when it was committed (RFC 3339, UTC)"),
                col("actor", "who made it"),
                col("action", "what was done"),
                col("entity", "the kind of thing changed"),
                col("entity_key", "which one (e.g. VNM/VNM-KR1/2026)"),
                col("old_value", "its value before (JSON); empty when new"),
                col("new_value", "its value after (JSON); empty when removed"),
            ],
            Box::new(audit.iter().map(|a| {
                vec![
                    Cell::Int(a.rev),
                    Cell::text(&a.at),
                    Cell::text(&a.actor),
                    Cell::text(&a.action),
                    Cell::text(&a.entity),
                    Cell::text(&a.entity_key),
                    Cell::opt_text(a.old_value.as_deref()),
                    Cell::opt_text(a.new_value.as_deref()),
                ]
            })),
        ));
    }
    out
}
