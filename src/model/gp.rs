//! Green Productivity 2.0 (contract §2): the themes, the members' initiatives with their
//! outcomes by metric and year, and the mapping of who does what.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::platform::{RecordId, Sector, closed_list, required_text, whole};
use super::{MAX_LABEL, is_member};
use crate::domain::{Finite, Invalid, Iso3};

/// The earliest and latest year of an initiative.
pub const GP_FIRST_YEAR: i64 = 2000;
pub const GP_LAST_YEAR: i64 = 2035;

/// The themes written by the migration (`0008_platforms.sql`), with their labels.
pub const BUILT_IN_THEMES: [(&str, &str); 5] = [
    ("energy_efficiency", "Energy efficiency"),
    ("circular_economy", "Circular economy"),
    ("green_supply_chains", "Green supply chains"),
    ("eco_products", "Eco-products"),
    ("sustainable_agriculture", "Sustainable agriculture"),
];

/// A GP theme's id: `^[a-z][a-z0-9_]{1,40}$` (`water_stewardship`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[a-z][a-z0-9_]{1,40}$", example = "energy_efficiency")]
pub struct ThemeId(String);

impl ThemeId {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let b = s.as_bytes();
        if (2..=41).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b[1..]
                .iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(Invalid(format!(
                "{s:?} is not a theme id: a lower-case letter, then 1 to 40 lower-case letters, \
                 digits or '_' (e.g. water_stewardship)"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ThemeId {
    type Error = Invalid;
    fn try_from(v: String) -> Result<Self, Invalid> {
        Self::parse(&v)
    }
}

impl From<ThemeId> for String {
    fn from(v: ThemeId) -> String {
        v.0
    }
}

impl std::fmt::Display for ThemeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GP theme: the body of `PUT /gp/themes/{id}`, and an entry of `GET /gp/themes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GpTheme {
    pub id: ThemeId,
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub label: String,
}

impl GpTheme {
    /// Trims the label in place; returns its problem, if any.
    pub fn validate(&mut self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        required_text("label", &mut self.label, MAX_LABEL, &mut problems);
        problems
    }
}

/// The built-in themes, in their order.
pub fn built_in_themes() -> Vec<GpTheme> {
    BUILT_IN_THEMES
        .iter()
        .map(|(id, label)| GpTheme {
            id: ThemeId::parse(id).expect("built-in theme ids are valid"),
            label: (*label).to_owned(),
        })
        .collect()
}

closed_list! {
    /// What kind of initiative it is.
    InitiativeType {
        DemonstrationProject = "demonstration_project", "Demonstration project";
        Training = "training", "Training";
        SpecialistCertification = "specialist_certification", "Specialist certification";
        PolicyOrStandard = "policy_or_standard", "Policy or standard";
        Database = "database", "Database";
    }
}

closed_list! {
    /// Where an initiative stands.
    InitiativeStatus {
        Planned = "planned", "Planned";
        Ongoing = "ongoing", "Ongoing";
        Completed = "completed", "Completed";
        Cancelled = "cancelled", "Cancelled";
    }
}

closed_list! {
    /// What an outcome measures; its unit is [`OutcomeMetric::unit`].
    OutcomeMetric {
        CompaniesReached = "companies_reached", "Companies reached";
        SpecialistsCertified = "specialists_certified", "Specialists certified";
        PeopleTrained = "people_trained", "People trained";
        EnergySaved = "energy_saved", "Energy saved";
        EmissionsAvoided = "emissions_avoided", "Emissions avoided";
        WaterSaved = "water_saved", "Water saved";
    }
}

impl OutcomeMetric {
    /// The unit, fixed by the server.
    pub fn unit(self) -> &'static str {
        match self {
            Self::CompaniesReached => "companies",
            Self::SpecialistsCertified => "specialists",
            Self::PeopleTrained => "people",
            Self::EnergySaved => "MWh",
            Self::EmissionsAvoided => "tCO2e",
            Self::WaterSaved => "m³",
        }
    }
}

/// An outcome of an initiative in a year, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeInput {
    pub metric: OutcomeMetric,
    /// Within the initiative's years, not after this year.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 2000, maximum = 2035)]
    pub year: i64,
    /// 0 or more, in the metric's unit.
    #[schema(value_type = f64, minimum = 0, maximum = 1e15)]
    pub value: Finite,
}

/// The body of `PUT /gp/initiatives/{id}`, and an initiative as stored and logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GpInitiativeInput {
    pub id: RecordId,
    pub iso3: Iso3,
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub title: String,
    /// One of `GET /gp/themes`.
    pub theme: ThemeId,
    #[serde(rename = "type")]
    pub type_: InitiativeType,
    pub sector: Sector,
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 2000, maximum = 2035)]
    pub start_year: i64,
    /// Not before `start_year`.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 2000, maximum = 2035)]
    pub end_year: i64,
    pub status: InitiativeStatus,
    /// One per metric and year.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub outcomes: Vec<OutcomeInput>,
}

/// The most outcomes an initiative may list (six metrics over its years, with room).
pub const MAX_OUTCOMES: usize = 500;

impl GpInitiativeInput {
    /// The rules of one initiative on `today` (whether its theme is in the list is
    /// [`GpInitiativeInput::theme_problem`]'s): trims text in place, returns every problem
    /// with its field. Outcomes are put in metric and year order.
    pub fn validate(&mut self, today: Date) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        required_text("title", &mut self.title, MAX_LABEL, &mut problems);
        let mut bad = |f: &str, m: String| problems.push((f.to_owned(), m));
        if !is_member(self.iso3.as_str()) {
            bad("iso3", format!("unknown member {}", self.iso3));
        }
        for (field, y) in [("start_year", self.start_year), ("end_year", self.end_year)] {
            if !(GP_FIRST_YEAR..=GP_LAST_YEAR).contains(&y) {
                bad(
                    field,
                    format!("{y} is outside {GP_FIRST_YEAR}–{GP_LAST_YEAR}"),
                );
            }
        }
        if self.end_year < self.start_year {
            bad(
                "end_year",
                format!(
                    "{} is before start_year ({})",
                    self.end_year, self.start_year
                ),
            );
        }
        if self.outcomes.len() > MAX_OUTCOMES {
            bad(
                "outcomes",
                format!("lists more than {MAX_OUTCOMES} outcomes"),
            );
        }
        let this_year = i64::from(today.year());
        let mut seen = BTreeSet::new();
        for (i, o) in self.outcomes.iter().enumerate() {
            let at = |f: &str| format!("outcomes[{i}].{f}");
            if o.year < self.start_year || o.year > self.end_year {
                bad(
                    &at("year"),
                    format!(
                        "{} is outside the initiative's years {}–{}",
                        o.year, self.start_year, self.end_year
                    ),
                );
            } else if o.year > this_year {
                bad(
                    &at("year"),
                    format!(
                        "{} is in the future: outcomes are recorded once reached (this is {this_year})",
                        o.year
                    ),
                );
            }
            if o.value.get() < 0.0 {
                bad(&at("value"), format!("{} is below 0", o.value.get()));
            } else if let Some(p) = crate::domain::magnitude_problem(o.value.get()) {
                bad(&at("value"), p);
            }
            if !seen.insert((o.metric, o.year)) {
                bad(
                    &at("metric"),
                    format!(
                        "{} in {} is listed twice: one outcome per metric and year",
                        o.metric, o.year
                    ),
                );
            }
        }
        self.outcomes.sort_by_key(|o| (o.metric, o.year));
        problems
    }

    /// Why the theme is refused, given the theme ids in the list (none if it is one of them).
    pub fn theme_problem<'a>(
        &self,
        mut themes: impl Iterator<Item = &'a ThemeId>,
    ) -> Option<(String, String)> {
        (!themes.any(|t| *t == self.theme)).then(|| {
            (
                "theme".into(),
                format!(
                    "{} is not a GP theme: see GET /gp/themes (the Secretariat adds themes)",
                    self.theme
                ),
            )
        })
    }

    /// The initiative as `GET /gp/initiatives` shows it: each outcome with its unit.
    pub fn view(&self) -> GpInitiative {
        GpInitiative {
            id: self.id.clone(),
            iso3: self.iso3.clone(),
            title: self.title.clone(),
            theme: self.theme.clone(),
            type_: self.type_,
            sector: self.sector,
            start_year: self.start_year,
            end_year: self.end_year,
            status: self.status,
            outcomes: self
                .outcomes
                .iter()
                .map(|o| GpOutcome {
                    metric: o.metric,
                    unit: o.metric.unit().to_owned(),
                    year: o.year,
                    value: o.value.get(),
                })
                .collect(),
        }
    }
}

/// An outcome with its unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GpOutcome {
    pub metric: OutcomeMetric,
    pub unit: String,
    pub year: i64,
    pub value: f64,
}

/// An initiative as `GET /gp/initiatives` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GpInitiative {
    pub id: RecordId,
    pub iso3: Iso3,
    pub title: String,
    pub theme: ThemeId,
    #[serde(rename = "type")]
    pub type_: InitiativeType,
    pub sector: Sector,
    pub start_year: i64,
    pub end_year: i64,
    pub status: InitiativeStatus,
    pub outcomes: Vec<GpOutcome>,
}

/// A member's place on the GP map.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct GpMemberMapping {
    pub initiatives: i64,
    /// Theme → how many of its initiatives.
    pub themes: BTreeMap<String, i64>,
}

/// An outcome metric summed over the initiatives mapped, with its coverage: how many
/// initiatives and members the figure rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GpTotal {
    pub metric: OutcomeMetric,
    pub unit: String,
    pub value: f64,
    pub initiatives: i64,
    pub members: i64,
}

/// `GET /gp/mapping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GpMapping {
    pub themes: Vec<GpTheme>,
    /// By member, those with at least one initiative mapped.
    pub members: BTreeMap<String, GpMemberMapping>,
    /// One per outcome metric, in the metrics' order (0 where nothing is reported).
    pub totals: Vec<GpTotal>,
    pub members_with_initiatives: i64,
    pub members_total: i64,
}

/// The mapping of `initiatives` (cancelled ones left out) among `members_total` members,
/// filtered by theme and type.
pub fn gp_mapping(
    themes: Vec<GpTheme>,
    initiatives: &[GpInitiativeInput],
    theme: Option<&ThemeId>,
    type_: Option<InitiativeType>,
    members_total: usize,
) -> GpMapping {
    let mapped: Vec<&GpInitiativeInput> = initiatives
        .iter()
        .filter(|i| i.status != InitiativeStatus::Cancelled)
        .filter(|i| theme.is_none_or(|t| *t == i.theme))
        .filter(|i| type_.is_none_or(|t| t == i.type_))
        .collect();
    let mut members: BTreeMap<String, GpMemberMapping> = BTreeMap::new();
    for i in &mapped {
        let m = members.entry(i.iso3.as_str().to_owned()).or_default();
        m.initiatives += 1;
        *m.themes.entry(i.theme.as_str().to_owned()).or_default() += 1;
    }
    let totals = OutcomeMetric::ALL
        .iter()
        .map(|&metric| {
            let mut value = 0.0;
            let mut ids = BTreeSet::new();
            let mut who = BTreeSet::new();
            for i in &mapped {
                for o in i.outcomes.iter().filter(|o| o.metric == metric) {
                    value += o.value.get();
                    ids.insert(i.id.as_str());
                    who.insert(i.iso3.as_str());
                }
            }
            GpTotal {
                metric,
                unit: metric.unit().to_owned(),
                value,
                initiatives: ids.len() as i64,
                members: who.len() as i64,
            }
        })
        .collect();
    let themes = match theme {
        Some(t) => themes.into_iter().filter(|x| x.id == *t).collect(),
        None => themes,
    };
    GpMapping {
        themes,
        members_with_initiatives: members.len() as i64,
        members,
        totals,
        members_total: members_total as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 07);

    fn example() -> GpInitiativeInput {
        serde_json::from_value(serde_json::json!({
            "id": "vnm-gp-demo-2026", "iso3": "VNM",
            "title": "GP demonstration in food processing SMEs", "theme": "energy_efficiency",
            "type": "demonstration_project", "sector": "food_processing",
            "start_year": 2026, "end_year": 2027.0, "status": "ongoing",
            "outcomes": [{"metric": "energy_saved", "year": 2026, "value": 340.5},
                         {"metric": "companies_reached", "year": 2026, "value": 12}]}))
        .unwrap()
    }

    fn fields(p: &[(String, String)]) -> Vec<&str> {
        p.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn the_contract_example_is_valid() {
        let mut i = example();
        assert_eq!(i.validate(TODAY), vec![]);
        assert_eq!(i.outcomes[0].metric, OutcomeMetric::CompaniesReached);
        let themes = built_in_themes();
        assert_eq!(i.theme_problem(themes.iter().map(|t| &t.id)), None);
        let v = serde_json::to_value(i.view()).unwrap();
        assert_eq!(v["type"], "demonstration_project");
        assert_eq!(v["outcomes"][1]["unit"], "MWh");
        let mut unknown = example();
        unknown.theme = ThemeId::parse("water_stewardship").unwrap();
        assert_eq!(
            unknown
                .theme_problem(themes.iter().map(|t| &t.id))
                .unwrap()
                .0,
            "theme"
        );
    }

    #[test]
    fn years_and_outcomes_are_checked() {
        let mut i = example();
        i.start_year = 2028;
        i.end_year = 2027;
        assert_eq!(fields(&i.validate(TODAY)).first(), Some(&"end_year"));
        let mut i = example();
        i.end_year = 2036;
        let y = |year, metric: &str, value: f64| {
            serde_json::from_value::<OutcomeInput>(
                serde_json::json!({"metric": metric, "year": year, "value": value}),
            )
            .unwrap()
        };
        i.outcomes = vec![
            y(2027, "water_saved", 1.0),
            y(2025, "water_saved", 1.0),
            y(2026, "energy_saved", -1.0),
            y(2026, "people_trained", 3.0),
            y(2026, "people_trained", 4.0),
        ];
        let p = i.validate(TODAY);
        assert_eq!(
            fields(&p),
            [
                "end_year",
                "outcomes[0].year",
                "outcomes[1].year",
                "outcomes[2].value",
                "outcomes[4].metric"
            ],
            "{p:?}"
        );
        assert!(
            serde_json::from_value::<OutcomeInput>(
                serde_json::json!({"metric": "trees", "year": 2026, "value": 1})
            )
            .is_err()
        );
    }

    #[test]
    fn unknown_fields_and_theme_ids() {
        let mut v = serde_json::to_value(example()).unwrap();
        v["budget"] = 5.into();
        assert!(serde_json::from_value::<GpInitiativeInput>(v).is_err());
        assert!(ThemeId::parse("water_stewardship").is_ok());
        for bad in ["w", "1water", "Water", "water-x", &"a".repeat(42)] {
            assert!(ThemeId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_mapping_counts_initiatives_and_coverage() {
        let a = example();
        let mut b = example();
        b.id = RecordId::parse("jpn-gp-1").unwrap();
        b.iso3 = Iso3::parse("JPN").unwrap();
        b.theme = ThemeId::parse("circular_economy").unwrap();
        b.outcomes
            .retain(|o| o.metric == OutcomeMetric::CompaniesReached);
        let mut c = example();
        c.id = RecordId::parse("jpn-gp-2").unwrap();
        c.iso3 = Iso3::parse("JPN").unwrap();
        c.status = InitiativeStatus::Cancelled;
        let all = [a, b, c];
        let m = gp_mapping(built_in_themes(), &all, None, None, 21);
        assert_eq!(m.members_with_initiatives, 2);
        assert_eq!(m.members_total, 21);
        assert_eq!(m.members["JPN"].initiatives, 1);
        assert_eq!(m.members["VNM"].themes["energy_efficiency"], 1);
        let energy = m
            .totals
            .iter()
            .find(|t| t.metric == OutcomeMetric::EnergySaved)
            .unwrap();
        assert_eq!(
            (energy.value, energy.initiatives, energy.members),
            (340.5, 1, 1)
        );
        let companies = &m.totals[0];
        assert_eq!(
            (companies.value, companies.initiatives, companies.members),
            (24.0, 2, 2)
        );
        let theme = ThemeId::parse("circular_economy").unwrap();
        let m = gp_mapping(built_in_themes(), &all, Some(&theme), None, 21);
        assert_eq!(m.members_with_initiatives, 1);
        assert_eq!(m.themes.len(), 1);
        assert_eq!(m.totals[0].value, 12.0);
    }
}
