//! The `key_results` sheet's source columns (contract §5): `source_dataset`, `source_measure`,
//! `source_filter` (sectors or themes, `;`-separated) and `source_since`, read into the key
//! result's [`KrSource`], and the source's problems named by those columns.

use super::tables::KeyResultRow;
use crate::model::{KrSource, Sector, SourceDataset, SourceMeasure, ThemeId};

/// The source the row's cells give: `None` when `source_dataset` is empty (the actuals are
/// reported by hand), or every problem with its column.
pub fn source(k: &KeyResultRow) -> Result<Option<KrSource>, Vec<(String, String)>> {
    let text = |c: &Option<String>| c.as_deref().map(str::trim).unwrap_or("").to_owned();
    let (dataset, measure, filter) = (
        text(&k.source_dataset),
        text(&k.source_measure),
        text(&k.source_filter),
    );
    if dataset.is_empty() {
        let mut p = Vec::new();
        for (column, set) in [
            ("source_measure", !measure.is_empty()),
            ("source_filter", !filter.is_empty()),
            ("source_since", k.source_since.is_some()),
        ] {
            if set {
                p.push((
                    column.to_owned(),
                    "is given without a source_dataset (trainings or gp_initiatives)".to_owned(),
                ));
            }
        }
        return if p.is_empty() { Ok(None) } else { Err(p) };
    }
    let mut p = Vec::new();
    let Some(dataset) = SourceDataset::parse(&dataset) else {
        return Err(vec![(
            "source_dataset".to_owned(),
            format!("{dataset:?} is not trainings or gp_initiatives"),
        )]);
    };
    let measure = match SourceMeasure::parse(&measure) {
        Some(m) => Some(m),
        None => {
            p.push((
                "source_measure".to_owned(),
                format!(
                    "{measure:?} is not a measure of {}: one of {}",
                    dataset.as_str(),
                    dataset
                        .measures()
                        .iter()
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            None
        }
    };
    let (mut sectors, mut themes) = (Vec::new(), Vec::new());
    for part in filter.split(';').map(str::trim).filter(|f| !f.is_empty()) {
        let read = match dataset {
            SourceDataset::Trainings => Sector::parse(part).map(|s| sectors.push(s)),
            SourceDataset::GpInitiatives => ThemeId::parse(part).map(|t| themes.push(t)),
        };
        if let Err(e) = read {
            p.push(("source_filter".to_owned(), e.0));
        }
    }
    let Some(measure) = measure else {
        return Err(p);
    };
    let s = KrSource {
        dataset,
        measure,
        sectors,
        themes,
        since: k.source_since,
    };
    p.extend(s.check().into_iter().map(|(f, m)| {
        let f = column(&format!("source.{f}")).to_owned();
        (f, m)
    }));
    if p.is_empty() { Ok(Some(s)) } else { Err(p) }
}

/// The column of a key result's field: `source.measure` is `source_measure`, the sectors and
/// themes `source_filter`; any other field is its own column.
pub fn column(field: &str) -> &str {
    match field.strip_prefix("source") {
        Some("") | Some(".dataset") => "source_dataset",
        Some(".measure") => "source_measure",
        Some(".since") => "source_since",
        Some(rest) if rest.starts_with(".sectors") || rest.starts_with(".themes") => {
            "source_filter"
        }
        _ => field,
    }
}
