//! The records the service stores and serves. Field types are the validating newtypes of
//! [`crate::domain`], so a record that deserialized (from JSON or from a CSV row) is well-formed;
//! rules that span several fields or records live in the `check` functions below.
//!
//! The same structs are the wire format of the REST API and the rows of the import files, so
//! the two cannot drift apart.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::domain::{Direction, Finite, Iso3, KrCode, Pillar, PrimerStatus, Year, focus_area_key};
use crate::error::Detail;

mod accreditation;
mod bcn;
mod coe;
mod gp;
mod kr_source;
mod platform;
mod programmes;
mod project;
mod project_parts;
pub mod project_sheet;
mod room;
mod rules;
mod series;
mod training;
pub use accreditation::*;
pub use bcn::*;
pub use coe::*;
pub use gp::*;
pub use kr_source::{KrSource, SourceDataset, SourceMeasure};
pub use platform::{RecordId, Sector, SectorInfo, sectors};
pub use programmes::*;
pub use project::*;
pub use project_parts::*;
pub use room::{
    AmendInput, CorrectInput, LastReview, MAX_COMMENT, MAX_REASON, PrimerStep, ReviewDecision,
    ReviewInput, WithdrawInput, Withdrawn,
};
pub use rules::schema_rules;
pub use series::*;
pub use training::*;

/// A member economy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub iso3: String,
    /// ISO 3166-1 numeric code: the feature id in the world-atlas maps.
    pub iso_num: String,
    /// The name APO uses (e.g. "Republic of China", "I.R. Iran").
    pub name: String,
    pub short_name: String,
    /// Status of the member's primer for the current cycle; `none` when there is none.
    pub primer_status: String,
}

/// A Vision 2030 pillar.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PillarInfo {
    pub id: i64,
    pub name: String,
}

/// A key result of a primer, with its targets per cycle year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyResult {
    pub code: KrCode,
    pub pillar: Pillar,
    /// One of the primer's focus areas (compared trimmed, case-folded).
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub focus_area: String,
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub title: String,
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub unit: String,
    pub direction: Direction,
    /// 1950–2028; given with `baseline_value` or not at all.
    #[serde(default, deserialize_with = "crate::domain::whole_option")]
    #[schema(minimum = 1950, maximum = 2028)]
    pub baseline_year: Option<i64>,
    /// Given with `baseline_year` or not at all.
    #[serde(default)]
    pub baseline_value: Option<Finite>,
    /// Relative weight within its member and pillar (default 1), greater than 0.
    #[serde(default = "default_weight")]
    #[schema(value_type = f64, exclusive_minimum = 0)]
    pub weight: Finite,
    /// Target per cycle year, keyed by year: `{"2026": 10, "2027": 12, "2028": 15}`.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, f64>)]
    pub targets: BTreeMap<Year, Finite>,
    /// The least value a report may give (0 for a count); none: no lower bound. The baseline
    /// and the targets lie in the range too.
    #[serde(default)]
    pub min_value: Option<Finite>,
    /// The greatest value a report may give (100 for a percentage); none: no upper bound.
    #[serde(default)]
    pub max_value: Option<Finite>,
    /// Where its actuals come from when they are not reported by hand: the training database
    /// or the GP initiatives' outcomes (its member's rows). Absent or null: reported by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<KrSource>,
}

fn default_weight() -> Finite {
    Finite::new(1.0).expect("1 is finite")
}

/// A primer as written by a delegate: the body of `PUT /primers/{iso3}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrimerInput {
    pub status: PrimerStatus,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub national_context: String,
    /// Date the primer was signed; only for an endorsed primer.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub endorsed_on: Option<Date>,
    /// Strategic focus areas, in the primer's order, each listed once (compared trimmed,
    /// case-folded). Key results name one of them; when this list is omitted it is taken from
    /// the key results.
    #[serde(default)]
    #[schema(inline, value_type = Vec<Label>)]
    pub focus_areas: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub key_results: Vec<KeyResult>,
}

/// A short piece of text: 1–200 characters once trimmed (it is stored trimmed).
#[derive(ToSchema)]
#[schema(value_type = String, pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
#[allow(dead_code)]
struct Label(String);

/// A stored primer: what `GET /primers/{iso3}` answers. The fields of [`PrimerInput`], listed
/// rather than flattened (whose schema is closed to other fields), with its member, its cycle
/// and its last change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Primer {
    pub iso3: String,
    pub cycle: String,
    pub status: PrimerStatus,
    pub national_context: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub endorsed_on: Option<Date>,
    pub focus_areas: Vec<String>,
    pub key_results: Vec<KeyResult>,
    /// Revision of the last change to this primer.
    pub updated_rev: i64,
    pub updated_at: String,
    /// 1, and one more for each amendment of an endorsed primer.
    pub version: i64,
    /// The latest return, endorsement or amendment, with its comment: what the delegation
    /// sees on its phone after a return.
    pub review: Option<LastReview>,
}

impl Primer {
    /// What a delegate wrote: the primer without whose and when.
    pub fn input(&self) -> PrimerInput {
        PrimerInput {
            status: self.status,
            national_context: self.national_context.clone(),
            endorsed_on: self.endorsed_on,
            focus_areas: self.focus_areas.clone(),
            key_results: self.key_results.clone(),
        }
    }
}

/// Limits on free text, so that one field cannot fill a projector or a database page.
pub const MAX_CONTEXT: usize = 20_000;
pub const MAX_LABEL: usize = 200;
pub const MAX_KEY_RESULTS: usize = 100;

impl PrimerInput {
    /// Cross-field rules of a primer; returns every problem at once, each naming its field.
    /// Normalises as it goes: trims text, derives the focus-area list when it was omitted.
    pub fn check(&mut self) -> Vec<Detail> {
        let mut problems = Vec::new();
        let mut bad = |field: String, msg: String| problems.push(Detail::field(field, msg));

        self.national_context = self.national_context.trim().to_owned();
        if self.national_context.chars().count() > MAX_CONTEXT {
            bad(
                "national_context".into(),
                format!("is longer than {MAX_CONTEXT} characters"),
            );
        }
        if let Some(why) = self.endorsed_on.and_then(crate::domain::date_problem) {
            bad("endorsed_on".into(), why);
        }
        match (self.status, self.endorsed_on) {
            (PrimerStatus::Endorsed, _) | (_, None) => {}
            (_, Some(_)) => bad(
                "endorsed_on".into(),
                "only an endorsed primer has an endorsement date".into(),
            ),
        }
        if self.key_results.len() > MAX_KEY_RESULTS {
            bad(
                "key_results".into(),
                format!("a primer has at most {MAX_KEY_RESULTS} key results"),
            );
        }

        if self.focus_areas.is_empty() {
            for kr in &self.key_results {
                let key = focus_area_key(&kr.focus_area);
                if !key.is_empty() && !self.focus_areas.iter().any(|f| focus_area_key(f) == key) {
                    self.focus_areas.push(kr.focus_area.trim().to_owned());
                }
            }
        }
        let mut seen = HashSet::new();
        for (i, label) in self.focus_areas.iter_mut().enumerate() {
            *label = label.trim().to_owned();
            if let Err(e) = crate::domain::text(label, MAX_LABEL) {
                bad(format!("focus_areas[{i}]"), e.0);
            } else if !seen.insert(focus_area_key(label)) {
                bad(
                    format!("focus_areas[{i}]"),
                    format!("focus area {label:?} is listed twice"),
                );
            }
        }

        let mut codes = HashSet::new();
        for (i, kr) in self.key_results.iter_mut().enumerate() {
            let at = |f: &str| format!("key_results[{i}].{f}");
            for problem in kr.check() {
                bad(at(&problem.0), problem.1);
            }
            if !codes.insert(kr.code.clone()) {
                bad(at("code"), format!("duplicate key-result code {}", kr.code));
            }
            if !kr.focus_area.is_empty() && !seen.contains(&focus_area_key(&kr.focus_area)) {
                bad(
                    at("focus_area"),
                    format!("{:?} is not one of the primer's focus areas", kr.focus_area),
                );
            }
        }
        problems
    }
}

impl KeyResult {
    /// Rules within one key result, as (field, message) pairs.
    pub fn check(&mut self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        for (field, value) in [
            ("focus_area", &mut self.focus_area),
            ("title", &mut self.title),
            ("unit", &mut self.unit),
        ] {
            match crate::domain::text(value, MAX_LABEL) {
                Ok(t) => *value = t,
                Err(e) => problems.push((field.to_owned(), e.0)),
            }
        }
        match (self.baseline_year, self.baseline_value) {
            (Some(y), Some(_)) if !(1950..=crate::domain::CYCLE_LAST_YEAR).contains(&y) => problems
                .push((
                    "baseline_year".into(),
                    format!("baseline year {y} is outside 1950–2028"),
                )),
            (Some(_), None) => problems.push((
                "baseline_value".into(),
                "a baseline year needs a baseline value".into(),
            )),
            (None, Some(_)) => problems.push((
                "baseline_year".into(),
                "a baseline value needs a baseline year".into(),
            )),
            _ => {}
        }
        if self.weight.get() <= 0.0 {
            problems.push(("weight".into(), "weight must be greater than 0".into()));
        } else if self.weight.get() > crate::domain::MAX_WEIGHT {
            problems.push((
                "weight".into(),
                format!("weight must be at most {:e}", crate::domain::MAX_WEIGHT),
            ));
        }
        let values = [
            ("baseline_value".to_owned(), self.baseline_value),
            ("min_value".to_owned(), self.min_value),
            ("max_value".to_owned(), self.max_value),
        ]
        .into_iter()
        .chain(
            self.targets
                .iter()
                .map(|(y, t)| (format!("targets.{}", y.get()), Some(*t))),
        );
        for (field, v) in values {
            if let Some(why) = v.and_then(|v| crate::domain::magnitude_problem(v.get())) {
                problems.push((field, why));
            }
        }
        if let Some(source) = &self.source {
            for (field, why) in source.check() {
                problems.push((format!("source.{field}"), why));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_value, self.max_value)
            && lo.get() > hi.get()
        {
            problems.push((
                "max_value".into(),
                format!(
                    "the greatest value ({}) is less than the least value ({})",
                    hi.get(),
                    lo.get()
                ),
            ));
        } else {
            if let Some(v) = self.baseline_value
                && let Some(why) = self.out_of_range(v.get())
            {
                problems.push(("baseline_value".into(), format!("the baseline {why}")));
            }
            for (year, t) in &self.targets {
                if let Some(why) = self.out_of_range(t.get()) {
                    problems.push((
                        format!("targets.{}", year.get()),
                        format!("the {} target {why}", year.get()),
                    ));
                }
            }
        }
        problems
    }

    /// Why `value` lies outside the key result's range, in words ("is below the least value
    /// this key result takes, 0"); none when it lies inside.
    pub fn out_of_range(&self, value: f64) -> Option<String> {
        range_problem(
            value,
            self.min_value.map(Finite::get),
            self.max_value.map(Finite::get),
        )
    }
}

/// Why `value` lies outside `[min, max]`, in words; none when it lies inside.
pub fn range_problem(value: f64, min: Option<f64>, max: Option<f64>) -> Option<String> {
    // Huge or tiny values in scientific notation, not a hundred and fifty digits.
    let shown = |v: f64| {
        if v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
            format!("{v:e}")
        } else {
            format!("{v}")
        }
    };
    let range = match (min, max) {
        (Some(lo), Some(hi)) => format!("from {} to {}", shown(lo), shown(hi)),
        (Some(lo), None) => format!("{} or more", shown(lo)),
        (None, Some(hi)) => format!("{} or less", shown(hi)),
        (None, None) => return None,
    };
    let below = min.is_some_and(|lo| value < lo);
    let above = max.is_some_and(|hi| value > hi);
    (below || above).then(|| {
        format!(
            "{} is {} the range of this key result ({range})",
            shown(value),
            if below { "below" } else { "above" }
        )
    })
}

/// One reported value: a row of `POST /actuals` and of `actuals.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualInput {
    pub iso3: Iso3,
    pub kr_code: KrCode,
    pub year: Year,
    pub value: Finite,
    /// When the value was reported (RFC 3339); defaults to now. Not in the future: at most 5
    /// minutes ahead of the server's clock (the latest report is the current value).
    #[serde(default, with = "crate::domain::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reported_at: Option<OffsetDateTime>,
}

/// A stored report, as history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Actual {
    /// What `POST /actuals/{id}/withdraw` and `…/correct` name.
    pub id: i64,
    pub iso3: String,
    pub kr_code: String,
    pub year: i64,
    pub value: f64,
    pub reported_at: String,
    pub reported_by: String,
    pub rev: i64,
    /// Set when the report was withdrawn or corrected: it no longer counts.
    pub withdrawn: Option<Withdrawn>,
}

/// Budget planned and spent for a pillar and year; APO-wide when `iso3` is absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub pillar: Pillar,
    pub year: Year,
    /// 0 to 10¹² (`MAX_BUDGET`).
    #[schema(value_type = f64, minimum = 0, maximum = 1e12)]
    pub planned: Finite,
    /// 0 to 10¹² (`MAX_BUDGET`).
    #[schema(value_type = f64, minimum = 0, maximum = 1e12)]
    pub spent: Finite,
    #[serde(default)]
    pub iso3: Option<Iso3>,
}

/// The largest budget amount: far above any real one, and low enough that the dashboard's sums
/// of a pillar's rows stay finite (amounts near `f64::MAX` added up to infinity, which JSON
/// writes as null).
pub const MAX_BUDGET: f64 = 1e12;

impl Budget {
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        for (field, v) in [("planned", self.planned), ("spent", self.spent)] {
            if v.get() < 0.0 {
                problems.push((field.to_owned(), format!("{field} must not be negative")));
            } else if v.get() > MAX_BUDGET {
                problems.push((
                    field.to_owned(),
                    format!("{field} must be at most {MAX_BUDGET:e}"),
                ));
            }
        }
        problems
    }
}

/// A row of the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub rev: i64,
    pub at: String,
    /// Who: the credential's label (a token's, a card's), or `cli:USER`.
    pub actor: String,
    /// The credential's role when it wrote (empty for changes made before access control).
    pub role: String,
    /// An editor's member.
    pub scope: Option<String>,
    /// The credential's id (none for the command line).
    pub credential: Option<String>,
    /// The request it came in (its `x-request-id`).
    pub request_id: Option<String>,
    /// The member whose data changed (none for APO-wide rows).
    pub member: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    #[schema(value_type = Option<Object>)]
    pub old_value: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub new_value: Option<serde_json::Value>,
    /// The comment of a review, the reason for an amendment, a withdrawal or a correction.
    #[schema(required = true)]
    pub note: Option<String>,
}
