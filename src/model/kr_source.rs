//! Key results fed by data (contract §4): a key result whose actuals are derived from the
//! training database or from the GP 2.0 initiatives' outcomes rather than reported by hand.
//!
//! [`KrSource`] says which rows count (the dataset, the key result's own member, a filter by
//! sector or theme) and what is summed (the measure); with `since`, the value for a year is
//! the sum from `since` to that year, without it the year's own sum. The computation is in
//! `crate::analytics::derived`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Sector, ThemeId};

/// Where a key result's actuals come from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SourceDataset {
    /// The training database (contract §3).
    Trainings,
    /// The GP 2.0 initiatives and their outcomes (contract §2).
    GpInitiatives,
}

impl SourceDataset {
    pub const ALL: [SourceDataset; 2] = [Self::Trainings, Self::GpInitiatives];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trainings => "trainings",
            Self::GpInitiatives => "gp_initiatives",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s.trim())
    }

    /// What a hand-made report on a key result with this source is told (422 on `kr_code`).
    pub fn refusal(self) -> &'static str {
        match self {
            Self::Trainings => "takes its actuals from the training database",
            Self::GpInitiatives => "takes its actuals from GP initiatives",
        }
    }

    /// The measures that may be summed from this dataset.
    pub fn measures(self) -> &'static [SourceMeasure] {
        use SourceMeasure::*;
        match self {
            Self::Trainings => &[
                Participants,
                Smes,
                Female,
                CertifiedSpecialists,
                Courses,
                ParticipantHours,
            ],
            Self::GpInitiatives => &[
                CompaniesReached,
                SpecialistsCertified,
                PeopleTrained,
                EnergySaved,
                EmissionsAvoided,
                WaterSaved,
                Initiatives,
            ],
        }
    }
}

/// What is summed. Training measures: a count of the training's participants (all, SMEs,
/// women, certified specialists), `courses` (1 per training) or `participant_hours`
/// (participants × hours). GP measures: an outcome metric, or `initiatives` (the initiatives
/// active in the years summed, each counted once).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SourceMeasure {
    Participants,
    Smes,
    Female,
    CertifiedSpecialists,
    Courses,
    ParticipantHours,
    CompaniesReached,
    SpecialistsCertified,
    PeopleTrained,
    EnergySaved,
    EmissionsAvoided,
    WaterSaved,
    Initiatives,
}

impl SourceMeasure {
    pub const ALL: [SourceMeasure; 13] = [
        Self::Participants,
        Self::Smes,
        Self::Female,
        Self::CertifiedSpecialists,
        Self::Courses,
        Self::ParticipantHours,
        Self::CompaniesReached,
        Self::SpecialistsCertified,
        Self::PeopleTrained,
        Self::EnergySaved,
        Self::EmissionsAvoided,
        Self::WaterSaved,
        Self::Initiatives,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Participants => "participants",
            Self::Smes => "smes",
            Self::Female => "female",
            Self::CertifiedSpecialists => "certified_specialists",
            Self::Courses => "courses",
            Self::ParticipantHours => "participant_hours",
            Self::CompaniesReached => "companies_reached",
            Self::SpecialistsCertified => "specialists_certified",
            Self::PeopleTrained => "people_trained",
            Self::EnergySaved => "energy_saved",
            Self::EmissionsAvoided => "emissions_avoided",
            Self::WaterSaved => "water_saved",
            Self::Initiatives => "initiatives",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }
}

/// The earliest and latest `since`.
pub const SINCE_FIRST: i64 = 2000;
pub const SINCE_LAST: i64 = crate::domain::CYCLE_LAST_YEAR;

/// The source of a key result's actuals: `{"dataset":"trainings","measure":"participants",
/// "sectors":["food_processing"],"since":2026}`. `sectors` (trainings) or `themes` (GP
/// initiatives) filter the rows; empty, every row of the member counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KrSource {
    pub dataset: SourceDataset,
    /// One of the dataset's measures.
    pub measure: SourceMeasure,
    /// Trainings only: the sectors that count (ids of `GET /trainings/sectors`); empty: all.
    #[serde(default)]
    pub sectors: Vec<Sector>,
    /// GP initiatives only: the themes that count (ids of `GET /gp/themes`); empty: all.
    #[serde(default)]
    pub themes: Vec<ThemeId>,
    /// With a year (2000–2028), the value for a year sums the rows from that year on
    /// (cumulative); without, the year's rows alone.
    #[serde(default, deserialize_with = "crate::domain::whole_option")]
    #[schema(minimum = 2000, maximum = 2028)]
    pub since: Option<i64>,
}

/// Written as the contract shows it: the filter of its dataset only (`sectors` for trainings,
/// `themes` for GP initiatives, even when empty), and `since` always (null: the year alone).
impl Serialize for KrSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("KrSource", 4)?;
        out.serialize_field("dataset", &self.dataset)?;
        out.serialize_field("measure", &self.measure)?;
        match self.dataset {
            SourceDataset::Trainings => out.serialize_field("sectors", &self.sectors)?,
            SourceDataset::GpInitiatives => out.serialize_field("themes", &self.themes)?,
        }
        out.serialize_field("since", &self.since)?;
        out.end()
    }
}

impl KrSource {
    /// Rules within the source, as (field, message) pairs, the field relative to the source.
    /// Whether its themes are in the store's list is the store's check.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if !self.dataset.measures().contains(&self.measure) {
            problems.push((
                "measure".to_owned(),
                format!(
                    "{} is not a measure of {}: one of {}",
                    self.measure.as_str(),
                    self.dataset.as_str(),
                    self.dataset
                        .measures()
                        .iter()
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if self.dataset != SourceDataset::Trainings && !self.sectors.is_empty() {
            problems.push((
                "sectors".to_owned(),
                "only a source in the training database is filtered by sector (GP initiatives: \
                 themes)"
                    .to_owned(),
            ));
        }
        if self.dataset != SourceDataset::GpInitiatives && !self.themes.is_empty() {
            problems.push((
                "themes".to_owned(),
                "only a source in GP initiatives is filtered by theme (trainings: sectors)"
                    .to_owned(),
            ));
        }
        for (i, s) in self.sectors.iter().enumerate() {
            if self.sectors[..i].contains(s) {
                problems.push((format!("sectors[{i}]"), format!("{s} is listed twice")));
            }
        }
        for (i, t) in self.themes.iter().enumerate() {
            if self.themes[..i].contains(t) {
                problems.push((format!("themes[{i}]"), format!("{t} is listed twice")));
            }
        }
        if let Some(y) = self.since
            && !(SINCE_FIRST..=SINCE_LAST).contains(&y)
        {
            problems.push((
                "since".to_owned(),
                format!("{y} is outside {SINCE_FIRST}–{SINCE_LAST}"),
            ));
        }
        problems
    }

    /// Whether a row of `sector` (trainings) or `theme` (GP) passes the filter.
    pub fn admits(&self, sector_or_theme: &str) -> bool {
        match self.dataset {
            SourceDataset::Trainings => {
                self.sectors.is_empty()
                    || self.sectors.iter().any(|s| s.as_str() == sector_or_theme)
            }
            SourceDataset::GpInitiatives => {
                self.themes.is_empty() || self.themes.iter().any(|t| t.as_str() == sector_or_theme)
            }
        }
    }

    /// The filter as the workbook writes it: the sectors or themes joined by `;`.
    pub fn filter_cell(&self) -> String {
        match self.dataset {
            SourceDataset::Trainings => self
                .sectors
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            SourceDataset::GpInitiatives => self
                .themes
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(";"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn source(v: serde_json::Value) -> KrSource {
        serde_json::from_value(v).unwrap()
    }

    fn fields(s: &KrSource) -> Vec<String> {
        s.check().into_iter().map(|(f, _)| f).collect::<Vec<_>>()
    }

    #[test]
    fn the_contracts_examples_read_and_pass() {
        let t = source(json!({"dataset":"trainings","measure":"participants",
                              "sectors":["food_processing","agriculture"],"since":2026}));
        assert!(t.check().is_empty());
        assert!(t.admits("agriculture") && !t.admits("energy"));
        assert_eq!(t.filter_cell(), "food_processing;agriculture");
        let g = source(
            json!({"dataset":"gp_initiatives","measure":"specialists_certified",
                              "themes":[],"since":null}),
        );
        assert!(g.check().is_empty());
        assert!(g.admits("anything"));
        for (s, written) in [
            (
                &t,
                json!({"dataset":"trainings","measure":"participants",
                        "sectors":["food_processing","agriculture"],"since":2026}),
            ),
            (
                &g,
                json!({"dataset":"gp_initiatives","measure":"specialists_certified",
                        "themes":[],"since":null}),
            ),
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), written);
            let back: KrSource = serde_json::from_value(written).unwrap();
            assert_eq!(&back, s);
        }
    }

    #[test]
    fn measures_filters_and_years_are_checked_per_dataset() {
        let bad = source(json!({"dataset":"trainings","measure":"energy_saved",
                                "themes":["energy_efficiency"],"since":1999}));
        assert_eq!(fields(&bad), ["measure", "themes", "since"]);
        let bad = source(json!({"dataset":"gp_initiatives","measure":"courses",
                                "sectors":["energy"],"themes":["x_y","x_y"],"since":2029}));
        assert_eq!(fields(&bad), ["measure", "sectors", "themes[1]", "since"]);
        let twice = source(json!({"dataset":"trainings","measure":"smes",
                                  "sectors":["energy","energy"]}));
        assert_eq!(fields(&twice), ["sectors[1]"]);
        for wrong in [
            json!({"dataset":"courses","measure":"smes"}),
            json!({"dataset":"trainings","measure":"trainees"}),
            json!({"dataset":"trainings","measure":"smes","sectors":["mining"]}),
            json!({"dataset":"trainings","measure":"smes","since":2026.5}),
            json!({"dataset":"trainings","measure":"smes","filter":[]}),
            json!({"dataset":"gp_initiatives","measure":"initiatives","themes":["Bad"]}),
        ] {
            assert!(
                serde_json::from_value::<KrSource>(wrong.clone()).is_err(),
                "{wrong}"
            );
        }
        for d in SourceDataset::ALL {
            assert_eq!(SourceDataset::parse(d.as_str()), Some(d));
        }
        for m in SourceMeasure::ALL {
            assert_eq!(SourceMeasure::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), json!(m.as_str()));
            let owners = SourceDataset::ALL
                .iter()
                .filter(|d| d.measures().contains(&m))
                .count();
            assert_eq!(owners, 1, "{} belongs to one dataset", m.as_str());
        }
    }
}
