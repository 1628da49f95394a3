//! The demo data set, embedded in the binary so that `serve --demo` works from any directory:
//! a primer workbook for all 21 members (`data/demo/`, made by `data/demo/generate.py`),
//! Penn World Table 9.1 for them (`data/pwt91_apo21.csv`, CC BY 4.0, see `data/SOURCES.md`),
//! and a few national series of Viet Nam with their catalogue entries (sector labour
//! productivity indexes, as its primer promises: `data/demo/series_vnm.csv`), whose figures are
//! illustrative and say so in their source. Beside the workbook, the programmes under its
//! project notifications: the COE registry, BCN applications and COE proposals
//! (`data/demo/programmes/`, loaded by [`programmes`] through the API's own rules).

use crate::error::Result;
use crate::import::{self, Mode, Report, Source};
use crate::store::Store;

mod programmes;

/// (file name, contents) of the demo files, in import order.
pub const FILES: [(&str, &str); 9] = [
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
/// `None` when the database already holds data (which is never touched).
pub async fn load_if_empty(store: &Store) -> Result<Option<Report>> {
    if store.current_rev().await? > 0 {
        return Ok(None);
    }
    let report = import::import(
        store,
        &sources(),
        &crate::records::Actor::service(ACTOR),
        Mode::Apply,
    )
    .await?;
    programmes::load(store).await?;
    Ok(Some(report))
}
