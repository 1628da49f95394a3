//! The parts of a project notification ([`super::project`]): members or all of them, whole
//! counts, modalities and the participant limits by modality, closing dates and what they
//! close, budget rows, key results, the status.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::domain::{Finite, Invalid, Iso3, KrCode, Whole};

/// A member, or `*`: every member ("All Member Countries" in a notification).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberOrAll(String);

impl MemberOrAll {
    pub const ALL: &'static str = "*";

    /// The shape only (three capitals, or `*`); whether the code names a member is checked
    /// with the rest of a project ([`Project::check`]).
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        if s == Self::ALL {
            return Ok(Self(s.to_owned()));
        }
        Iso3::parse(s)
            .map(|c| Self(c.as_str().to_owned()))
            .map_err(|_| Invalid(format!("{s:?} is neither a member's ISO3 code nor \"*\"")))
    }

    pub fn all() -> Self {
        Self(Self::ALL.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_all(&self) -> bool {
        self.0 == Self::ALL
    }
}

impl TryFrom<String> for MemberOrAll {
    type Error = Invalid;
    fn try_from(v: String) -> Result<Self, Invalid> {
        Self::parse(&v)
    }
}

impl From<Iso3> for MemberOrAll {
    fn from(m: Iso3) -> Self {
        Self(m.as_str().to_owned())
    }
}

impl From<MemberOrAll> for String {
    fn from(v: MemberOrAll) -> String {
        v.0
    }
}

impl utoipa::PartialSchema for MemberOrAll {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(crate::domain::member_pattern(&["\\*"])))
            .description(Some("A member's ISO3 code, or \"*\" for every member."))
            .examples(["VNM"])
            .into()
    }
}
impl ToSchema for MemberOrAll {}

/// Whether a list of [`MemberOrAll`] names `iso3`: it lists it or `*`. An empty list names no
/// one (for participants: the notification does not say).
pub fn covers(list: &[MemberOrAll], iso3: &str) -> bool {
    list.iter().any(|m| m.is_all() || m.as_str() == iso3)
}

/// A whole number as JSON Schema counts one (`10` or `10.0`): a participant limit or count, a
/// reference number, a budget year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "Whole", into = "i64")]
pub struct Count(pub i64);

impl From<Whole> for Count {
    fn from(w: Whole) -> Self {
        Self(w.0)
    }
}

impl From<Count> for i64 {
    fn from(c: Count) -> i64 {
        c.0
    }
}

impl utoipa::PartialSchema for Count {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::Int64,
            )))
            .into()
    }
}
impl ToSchema for Count {}

/// How an activity is held.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    FaceToFace,
    Virtual,
    Hybrid,
}

impl Modality {
    pub const ALL: [Modality; 3] = [Self::FaceToFace, Self::Virtual, Self::Hybrid];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FaceToFace => "face_to_face",
            Self::Virtual => "virtual",
            Self::Hybrid => "hybrid",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid(format!(
                    "{s:?} is not a modality: face_to_face, virtual or hybrid"
                ))
            })
    }
}

/// Participant limits by the activity's modality (reference 520: up to 10 for a virtual
/// activity, 4 face to face); a modality absent has no limit.
pub type Limits = BTreeMap<Modality, Count>;

/// The most participants a limit may say.
pub const MAX_PARTICIPANTS: i64 = 1000;

/// What a closing date closes.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ClosingFor {
    /// Applications (a BCN exchange).
    Applications,
    /// Proposals by existing Centers of Excellence (reference 515's 31 March).
    Proposals,
    /// Whatever the notification takes.
    #[default]
    Any,
}

impl ClosingFor {
    pub const ALL: [ClosingFor; 3] = [Self::Applications, Self::Proposals, Self::Any];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applications => "applications",
            Self::Proposals => "proposals",
            Self::Any => "any",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid(format!(
                    "{s:?} is not what a closing date closes: applications, proposals or any"
                ))
            })
    }

    /// Whether a closing date for `self` closes `what` too (`any` closes everything).
    pub fn closes(self, what: ClosingFor) -> bool {
        self == what || self == Self::Any
    }
}

/// A closing date with its remark, as the notification's Remarks column gives it. A closing
/// date is open through its whole day (UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosingDate {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub remark: String,
    #[serde(rename = "for", default)]
    pub for_: ClosingFor,
}

/// A closing date as `GET /projects` shows it: with the days left (today, UTC; 0 on the day
/// itself, negative once passed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Closing {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub remark: String,
    #[serde(rename = "for")]
    pub for_: ClosingFor,
    /// Days from today (UTC) to the date: 0 on the day itself, negative once passed. (Read as
    /// any whole number when a `GET` answer is sent back, where it is ignored.)
    #[serde(deserialize_with = "whole")]
    pub days_left: i64,
}

/// A whole number as JSON Schema counts one (`-3` or `-3.0`).
fn whole<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Whole::deserialize(d).map(|w| w.0)
}

/// A row of a project's budget: a part of the pillar budget of its year (METRICS.md "Budget"),
/// regional when `iso3` is absent, else of that member's allocation. Never added to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectBudget {
    #[schema(value_type = i64, minimum = 2000, maximum = 2100)]
    pub year: Count,
    #[serde(default)]
    pub iso3: Option<Iso3>,
    /// 0 to 10¹² (`MAX_BUDGET`).
    #[schema(value_type = f64, minimum = 0, maximum = 1e12)]
    pub amount: Finite,
}

/// A key result a project contributes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectKr {
    pub iso3: Iso3,
    pub kr_code: KrCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatus {
    Planned,
    Active,
    Completed,
    Cancelled,
}

impl ProjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Whether `iso3` is one of the 21 members (the list the members table is seeded from).
pub fn is_member(iso3: &str) -> bool {
    crate::domain::member_codes().iter().any(|c| c == iso3)
}
