//! The platforms' raw sheets (contract §5): accreditations, GP themes, GP initiatives and their
//! outcomes, trainings, with the columns the import takes, so that an export imported into an
//! empty database gives back the same records.

use super::raw::{ISO3, sheet};
use super::sheet::{Cell, Sheet, col};
use crate::import::platforms::scores_cell;
use crate::store::dump::Dump;

const ID: &str = "the record's id: lower-case letters, digits and '-' (e.g. vnm-vnpi)";
const SECTOR: &str = "the sector: electronics_ict, textiles_garments, food_processing, agriculture, \
                      logistics, manufacturing, services, public_sector, healthcare, tourism, energy \
                      or cross_sector";

fn date(d: Option<time::Date>) -> Cell<'static> {
    d.map_or(Cell::Empty, |d| Cell::owned(d.to_string()))
}

fn opt<'a>(s: &'a Option<String>) -> Cell<'a> {
    Cell::opt_text(s.as_deref())
}

/// The platforms' sheets, in the order of the import format.
pub fn sheets(d: &Dump) -> Vec<Sheet<'_>> {
    vec![
        sheet(
            "accreditations",
            vec![
                col("id", ID),
                col("iso3", ISO3),
                col("body", "the body accredited"),
                col("body_kind", "npo or other"),
                col("scheme", "the scheme it is accredited under"),
                col(
                    "status",
                    "applied, under_assessment, accredited, renewal_due, expired or withdrawn",
                ),
                col("applied_on", "the day it applied (YYYY-MM-DD)"),
                col("assessment_date", "the day it was assessed"),
                col(
                    "criteria_scores",
                    "its scores, criterion=score separated by ';' (scores 0 to 100)",
                ),
                col("certificate", "the certificate's number, once conferred"),
                col("conferred_on", "the day it was conferred"),
                col("occasion", "where it was conferred"),
                col("valid_until", "the last day it is valid"),
                col("note", "a note"),
            ],
            Box::new(d.accreditations.iter().map(|a| {
                vec![
                    Cell::text(a.id.as_str()),
                    Cell::text(a.iso3.as_str()),
                    Cell::text(&a.body),
                    Cell::text(a.body_kind.as_str()),
                    Cell::text(&a.scheme),
                    Cell::text(a.status.as_str()),
                    date(a.applied_on),
                    date(a.assessment_date),
                    Cell::owned(scores_cell(
                        a.criteria_scores.iter().map(|(k, v)| (k, v.get())),
                    )),
                    opt(&a.certificate),
                    date(a.conferred_on),
                    opt(&a.occasion),
                    date(a.valid_until),
                    Cell::text(&a.note),
                ]
            })),
        ),
        sheet(
            "gp_themes",
            vec![
                col("id", "the theme's id (e.g. water_stewardship)"),
                col("label", "its name, as people read it"),
            ],
            Box::new(
                d.gp_themes
                    .iter()
                    .map(|t| vec![Cell::text(t.id.as_str()), Cell::text(&t.label)]),
            ),
        ),
        sheet(
            "gp_initiatives",
            vec![
                col("id", ID),
                col("iso3", ISO3),
                col("title", "what the initiative is"),
                col("theme", "its GP theme's id (sheet gp_themes)"),
                col(
                    "type",
                    "demonstration_project, training, specialist_certification, \
                     policy_or_standard or database",
                ),
                col("sector", SECTOR),
                col("start_year", "the year it starts"),
                col("end_year", "the year it ends"),
                col("status", "planned, ongoing, completed or cancelled"),
            ],
            Box::new(d.gp_initiatives.iter().map(|i| {
                vec![
                    Cell::text(i.id.as_str()),
                    Cell::text(i.iso3.as_str()),
                    Cell::text(&i.title),
                    Cell::text(i.theme.as_str()),
                    Cell::text(i.type_.as_str()),
                    Cell::text(i.sector.as_str()),
                    Cell::Int(i.start_year),
                    Cell::Int(i.end_year),
                    Cell::text(i.status.as_str()),
                ]
            })),
        ),
        sheet(
            "gp_outcomes",
            vec![
                col("initiative", "the initiative's id (sheet gp_initiatives)"),
                col(
                    "metric",
                    "companies_reached (companies), specialists_certified (specialists), \
                     people_trained (people), energy_saved (MWh), emissions_avoided (tCO2e) or \
                     water_saved (m³)",
                ),
                col("year", "the year it was reached"),
                col("value", "how much, in the metric's unit"),
            ],
            Box::new(d.gp_initiatives.iter().flat_map(|i| {
                i.outcomes.iter().map(move |o| {
                    vec![
                        Cell::text(i.id.as_str()),
                        Cell::text(o.metric.as_str()),
                        Cell::Int(o.year),
                        Cell::Number(o.value.get()),
                    ]
                })
            })),
        ),
        sheet(
            "trainings",
            vec![
                col("id", ID),
                col("iso3", ISO3),
                col("title", "the course's title"),
                col("provider", "who delivered it"),
                col("sector", SECTOR),
                col("topic", "what it taught"),
                col("start_date", "its first day (YYYY-MM-DD)"),
                col("end_date", "its last day; its year is the training's year"),
                col("mode", "in_person, online or blended"),
                col("hours", "its length in hours"),
                col("government", "participants from government"),
                col("enterprises", "participants from enterprises"),
                col(
                    "universities",
                    "participants from universities and training institutions",
                ),
                col("female", "participants who are women"),
                col("male", "participants who are men"),
                col("unspecified", "participants whose sex is not given"),
                col("smes", "participants from SMEs, among the enterprises'"),
                col(
                    "certified_specialists",
                    "participants certified as specialists",
                ),
            ],
            Box::new(d.trainings.iter().map(|t| {
                vec![
                    Cell::text(t.id.as_str()),
                    Cell::text(t.iso3.as_str()),
                    Cell::text(&t.title),
                    Cell::text(&t.provider),
                    Cell::text(t.sector.as_str()),
                    Cell::text(&t.topic),
                    Cell::owned(t.start_date.to_string()),
                    Cell::owned(t.end_date.to_string()),
                    Cell::text(t.mode.as_str()),
                    Cell::Number(t.hours.get()),
                    Cell::Int(t.participants.government),
                    Cell::Int(t.participants.enterprises),
                    Cell::Int(t.participants.universities),
                    Cell::Int(t.by_sex.female),
                    Cell::Int(t.by_sex.male),
                    Cell::Int(t.by_sex.unspecified),
                    Cell::Int(t.smes),
                    Cell::Int(t.certified_specialists),
                ]
            })),
        ),
    ]
}
