//! The demo data set, embedded in the binary so that `serve --demo` works from any directory:
//! a primer workbook for all 21 members (`data/demo/`, made by `data/demo/generate.py`),
//! Penn World Table 9.1 for them (`data/pwt91_apo21.csv`, CC BY 4.0, see `data/SOURCES.md`),
//! and a few national series of Viet Nam with their catalogue entries (sector labour
//! productivity indexes, as its primer promises: `data/demo/series_vnm.csv`), whose figures are
//! illustrative and say so in their source. Beside the workbook, the programmes under its
//! project notifications: the COE registry, BCN applications and COE proposals
//! (`data/demo/programmes/`, loaded by [`programmes`] through the API's own rules). And the
//! platforms of issue 23 as sheets of the same workbook (`data/demo/platforms/`, made by
//! `data/demo/generate_platforms.py`): accreditations, GP 2.0 initiatives with their outcomes,
//! trainings, imported with the rest, on the server's day.

use crate::error::Result;
use crate::import::{self, Mode, Report, Source};
use crate::store::Store;

mod programmes;

/// (file name, contents) of the demo files, in import order.
pub const FILES: [(&str, &str); 13] = [
    ("primers.csv", include_str!("../data/demo/primers.csv")),
    (
        "key_results.csv",
        include_str!("../data/demo/key_results.csv"),
    ),
    ("targets.csv", include_str!("../data/demo/targets.csv")),
    ("actuals.csv", include_str!("../data/demo/actuals.csv")),
    ("budgets.csv", include_str!("../data/demo/budgets.csv")),
    ("projects.csv", include_str!("../data/demo/projects.csv")),
    ("pwt91_apo21.csv", include_str!("../data/pwt91_apo21.csv")),
    (
        "series_vnm.csv",
        include_str!("../data/demo/series_vnm.csv"),
    ),
    (
        "series_catalogue.csv",
        include_str!("../data/demo/series_catalogue.csv"),
    ),
    (
        "accreditations.csv",
        include_str!("../data/demo/platforms/accreditations.csv"),
    ),
    (
        "gp_initiatives.csv",
        include_str!("../data/demo/platforms/gp_initiatives.csv"),
    ),
    (
        "gp_outcomes.csv",
        include_str!("../data/demo/platforms/gp_outcomes.csv"),
    ),
    (
        "trainings.csv",
        include_str!("../data/demo/platforms/trainings.csv"),
    ),
];

/// Who the demo's changes are attributed to in the audit log.
pub const ACTOR: &str = "demo";

pub fn sources() -> Vec<Source> {
    FILES
        .iter()
        .map(|(name, text)| Source {
            name: (*name).to_owned(),
            bytes: text.as_bytes().to_vec(),
        })
        .collect()
}

/// Loads the demo data when the database has never been written to; returns what it did, or
/// `None` when the database already holds data (which is never touched). `today` is the
/// server's day (the demo's dates are all before 7 December 2026).
pub async fn load_if_empty(store: &Store, today: time::Date) -> Result<Option<Report>> {
    if store.current_rev().await? > 0 {
        return Ok(None);
    }
    let report = import::import_on(
        store,
        &sources(),
        &crate::records::Actor::service(ACTOR),
        Mode::Apply,
        today,
    )
    .await?;
    programmes::load(store).await?;
    Ok(Some(report))
}
