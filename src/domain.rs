//! Domain vocabulary: newtypes that validate on construction, so that a value of one of these
//! types is known to be well-formed wherever it travels (HTTP, import, store).
//!
//! Validation here is about *shape* (an ISO3 code is three capital letters, a pillar is 1–4).
//! Whether a member or key result *exists* is the store's question.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod limits;
pub use limits::{
    EARLIEST_REPORT, FIRST_DATE, LAST_DATE, MAX_MAGNITUDE, MAX_WEIGHT, control_character,
    control_problem, date_problem, magnitude_problem,
};

/// The one Strategic Partnership Program cycle this service runs: 2026–2028.
pub const CYCLE: &str = "2026-2028";
pub const CYCLE_FIRST_YEAR: i64 = 2026;
pub const CYCLE_LAST_YEAR: i64 = 2028;

/// A rejected value, with a message meant for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid(msg.into()))
}

/// Serde plumbing of a validating newtype: it deserializes from its inner value through its
/// constructor (so an invalid value is a deserialization error naming the field) and
/// serializes as the inner value.
macro_rules! serde_via {
    ($ty:ident, String, $ctor:ident) => {
        impl TryFrom<String> for $ty {
            type Error = Invalid;
            fn try_from(v: String) -> Result<Self, Invalid> {
                Self::$ctor(&v)
            }
        }
        impl From<$ty> for String {
            fn from(v: $ty) -> String {
                v.0
            }
        }
    };
    ($ty:ident, $inner:ty, $ctor:ident) => {
        impl TryFrom<$inner> for $ty {
            type Error = Invalid;
            fn try_from(v: $inner) -> Result<Self, Invalid> {
                Self::$ctor(v)
            }
        }
        impl From<$ty> for $inner {
            fn from(v: $ty) -> $inner {
                v.0
            }
        }
    };
}

/// The members (`iso3, iso_num, name, short_name`), embedded so that the binary needs no data
/// folder at run time: the store seeds the members table from it.
pub const MEMBERS_CSV: &str = include_str!("../data/members.csv");

/// The members' ISO3 codes, in the order of [`MEMBERS_CSV`].
pub fn member_codes() -> &'static [String] {
    static CODES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        csv::Reader::from_reader(MEMBERS_CSV.as_bytes())
            .records()
            .map(|r| r.expect("data/members.csv is valid CSV")[0].to_owned())
            .collect()
    });
    &CODES
}

/// A regular expression (for the OpenAPI document) that matches a member's code, or one of
/// `others`, and nothing else.
pub fn member_pattern(others: &[&str]) -> String {
    let codes: Vec<&str> = member_codes().iter().map(String::as_str).collect();
    format!("^({})$", [codes.as_slice(), others].concat().join("|"))
}

/// ISO 3166-1 alpha-3 code of a member economy. The type checks the shape only (three ASCII
/// capitals; surrounding whitespace is trimmed); whether it names a member is the store's
/// question, and the API refuses one that does not, so the document lists the members.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iso3(String);

serde_via!(Iso3, String, parse);

impl utoipa::PartialSchema for Iso3 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(member_pattern(&[])))
            .description(Some("A member economy's ISO 3166-1 alpha-3 code."))
            .examples(["VNM"])
            .into()
    }
}
impl ToSchema for Iso3 {}

impl Iso3 {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s.to_owned()))
        } else {
            invalid(format!(
                "{s:?} is not an ISO 3166-1 alpha-3 code (three capital letters, e.g. VNM)"
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Iso3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A whole number as JSON Schema counts one: `2027`, or `2027.0` (a number without a fraction,
/// within i64), which serde would refuse as an i64. Other formats (CSV) read an i64 as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole(pub i64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Whole;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Whole, E> {
                Ok(Whole(n))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Whole, E> {
                i64::try_from(n)
                    .map(Whole)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<Whole, E> {
                // -2^63 ≤ x < 2^63: exactly the doubles that convert to an i64 unchanged.
                if x.fract() == 0.0
                    && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x)
                {
                    Ok(Whole(x as i64))
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Float(x), &self))
                }
            }
        }
        d.deserialize_i64(Visit)
    }
}

/// Deserializes an optional [`Whole`] number into an `Option<i64>` (a serde
/// `deserialize_with`).
pub fn whole_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<Whole>::deserialize(d)?.map(|w| w.0))
}

/// One of the four Vision 2030 pillars.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(try_from = "Whole", into = "i64")]
#[schema(value_type = i64, minimum = 1, maximum = 4)]
pub struct Pillar(i64);

serde_via!(Pillar, i64, new);

impl TryFrom<Whole> for Pillar {
    type Error = Invalid;
    fn try_from(n: Whole) -> Result<Self, Invalid> {
        Self::new(n.0)
    }
}

impl Pillar {
    pub const ALL: [(i64, &'static str); 4] = [
        (1, "Catalyzing and enabling stakeholder collaboration"),
        (2, "Strategic planning support"),
        (3, "Capacity empowerment"),
        (4, "Knowledge creation and information support"),
    ];
    pub fn new(n: i64) -> Result<Self, Invalid> {
        if (1..=4).contains(&n) {
            Ok(Self(n))
        } else {
            invalid(format!("pillar {n} is outside 1–4"))
        }
    }
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A year of the SPP cycle (2026–2028).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(try_from = "Whole", into = "i64")]
#[schema(value_type = i64, minimum = 2026, maximum = 2028)]
pub struct Year(i64);

serde_via!(Year, i64, new);

impl TryFrom<Whole> for Year {
    type Error = Invalid;
    fn try_from(n: Whole) -> Result<Self, Invalid> {
        Self::new(n.0)
    }
}

impl Year {
    pub fn new(y: i64) -> Result<Self, Invalid> {
        if (CYCLE_FIRST_YEAR..=CYCLE_LAST_YEAR).contains(&y) {
            Ok(Self(y))
        } else {
            invalid(format!(
                "year {y} is outside the {CYCLE_FIRST_YEAR}–{CYCLE_LAST_YEAR} cycle"
            ))
        }
    }
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A finite number: NaN and ±infinity are refused wherever a value is stored (CSV readers
/// happily parse "NaN" and "inf" as floats, so the check lives in the type).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "f64", into = "f64")]
#[schema(value_type = f64)]
pub struct Finite(f64);

impl Finite {
    pub fn new(x: f64) -> Result<Self, Invalid> {
        if x.is_finite() {
            Ok(Self(x))
        } else {
            invalid(format!("{x} is not a finite number"))
        }
    }
    pub fn get(self) -> f64 {
        self.0
    }
}
serde_via!(Finite, f64, new);

/// Parses a number typed by a person (CSV cell): refuses text, NaN and infinities, which
/// `str::parse::<f64>` would happily accept ("NaN", "inf").
pub fn parse_number(s: &str) -> Result<f64, Invalid> {
    let t = s.trim();
    let looks_numeric = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    match t.parse::<f64>() {
        Ok(x) if looks_numeric => Finite::new(x).map(Finite::get),
        _ => invalid(format!("{s:?} is not a number")),
    }
}

/// An optional RFC 3339 time (a serde `with` module): as `time::serde::rfc3339::option`, but a
/// time whose UTC year RFC 3339 cannot write (before 0000 or after 9999, e.g.
/// `0000-01-01T00:00:00+00:01`) is refused here rather than failing where it is stored in UTC.
pub mod rfc3339_option {
    use serde::{Deserializer, Serializer, de::Error};
    use time::{OffsetDateTime, UtcOffset};

    pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::option::serialize(t, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        let t = time::serde::rfc3339::option::deserialize(d)?;
        let in_utc = |t: OffsetDateTime| t.checked_to_offset(UtcOffset::UTC);
        match t {
            Some(t) if !in_utc(t).is_some_and(|u| (0..=9999).contains(&u.year())) => Err(
                D::Error::custom("the time is outside the years 0000–9999 once in UTC"),
            ),
            _ => Ok(t),
        }
    }
}

/// Direction of a key result: whether progress means going up or down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Increase,
    Decrease,
}

impl Direction {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "increase" => Ok(Self::Increase),
            "decrease" => Ok(Self::Decrease),
            other => invalid(format!(
                "direction {other:?} is neither \"increase\" nor \"decrease\""
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Increase => "increase",
            Self::Decrease => "decrease",
        }
    }
}

/// Where a primer is in its workflow: `draft → submitted → endorsed`; the Secretariat may
/// return a submitted primer to `draft`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrimerStatus {
    Draft,
    Submitted,
    Endorsed,
}

impl PrimerStatus {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "draft" => Ok(Self::Draft),
            "submitted" => Ok(Self::Submitted),
            "endorsed" => Ok(Self::Endorsed),
            other => invalid(format!(
                "status {other:?} is not one of draft, submitted, endorsed"
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Endorsed => "endorsed",
        }
    }

    /// Whether an edit through the API may move a primer from `from` (None: no primer yet) to
    /// `self`. Content may change only while the primer is (or stays) a draft, or in the very
    /// edit that submits it.
    pub fn transition_from(self, from: Option<Self>, content_changed: bool) -> Result<(), Invalid> {
        use PrimerStatus::*;
        let allowed = match (from, self) {
            (None, Draft | Submitted) => true,
            (Some(Draft), Draft | Submitted) => true,
            // Returning a submitted primer to draft, or endorsing it, leaves its content alone.
            (Some(Submitted), Draft | Endorsed | Submitted) => !content_changed,
            (Some(Endorsed), Endorsed) => !content_changed,
            _ => false,
        };
        if allowed {
            return Ok(());
        }
        let from_s = from.map_or("none", Self::as_str);
        if content_changed && from == Some(self) {
            invalid(format!(
                "the primer is {from_s}: its content cannot change unless it is returned to draft"
            ))
        } else if content_changed && matches!(from, Some(Submitted)) {
            invalid(format!(
                "the primer is submitted: {} it without changing its content, or return it to draft first",
                if self == Endorsed {
                    "endorse"
                } else {
                    "return"
                }
            ))
        } else {
            invalid(format!(
                "a primer cannot go from {from_s} to {}",
                self.as_str()
            ))
        }
    }
}

/// An APO project code such as `25-SN-03-GE-BCN-C`: opaque, but its shape is checked and the
/// year (first two digits) and program (fifth segment) are derived from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(
    value_type = String,
    pattern = "^[0-9]{2}-[A-Z]{2}-[0-9]{2}-[A-Z]{2}-[A-Z]{3}-[A-Z]$",
    example = "25-SN-03-GE-BCN-C"
)]
pub struct ProjectCode(String);

serde_via!(ProjectCode, String, parse);

impl ProjectCode {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let parts: Vec<&str> = s.split('-').collect();
        let shape = [2usize, 2, 2, 2, 3, 1];
        let ok = parts.len() == shape.len()
            && parts.iter().zip(shape).enumerate().all(|(i, (p, n))| {
                p.len() == n
                    && if i == 0 || i == 2 {
                        p.bytes().all(|b| b.is_ascii_digit())
                    } else {
                        p.bytes().all(|b| b.is_ascii_uppercase())
                    }
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            invalid(format!(
                "{s:?} is not a project code of the form YY-XX-NN-XX-PRG-X (e.g. 25-SN-03-GE-BCN-C)"
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The year the project belongs to, from its first two digits.
    pub fn year(&self) -> i64 {
        2000 + self.0[0..2].parse::<i64>().expect("checked in parse")
    }
    /// The program, e.g. `COE` or `BCN`.
    pub fn program(&self) -> &str {
        self.0.split('-').nth(4).expect("checked in parse")
    }
}

/// A key-result code, unique within its member, e.g. `VNM-KR1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(
    value_type = String,
    pattern = "^[A-Za-z0-9._-]{1,32}$",
    example = "VNM-KR1"
)]
pub struct KrCode(String);

impl KrCode {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let t = s.trim();
        if t.is_empty() || t.len() > 32 {
            return invalid("a key-result code must have 1–32 characters");
        }
        if !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return invalid(format!(
                "key-result code {t:?} may contain only letters, digits, '-', '_' and '.'"
            ));
        }
        Ok(Self(t.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
serde_via!(KrCode, String, parse);
impl fmt::Display for KrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A required piece of text with an upper bound on its length.
pub fn text(s: &str, max: usize) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        invalid("must not be empty")
    } else if let Some(problem) = control_problem(t) {
        invalid(problem)
    } else if t.chars().count() > max {
        invalid(format!("is longer than {max} characters"))
    } else {
        Ok(t.to_owned())
    }
}

/// The key under which focus-area labels are compared: trimmed, inner runs of whitespace
/// collapsed, case-folded (METRICS.md §2).
pub fn focus_area_key(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_codes_derive_year_and_program() {
        let c = ProjectCode::parse("25-SN-03-GE-BCN-C").unwrap();
        assert_eq!(c.year(), 2025);
        assert_eq!(c.program(), "BCN");
        for bad in [
            "25-SN-03-GE-BCN",
            "2X-SN-03-GE-BCN-C",
            "25-sn-03-GE-BCN-C",
            "",
        ] {
            assert!(ProjectCode::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn the_members_pattern_lists_the_21_codes_of_members_csv() {
        assert_eq!(member_codes().len(), 21);
        assert!(member_codes().iter().all(|c| Iso3::parse(c).is_ok()));
        let pattern = member_pattern(&["APO21"]);
        assert!(pattern.starts_with("^(BGD|KHM|") && pattern.ends_with("|VNM|APO21)$"));
    }

    #[test]
    fn a_whole_number_may_be_written_with_a_zero_fraction() {
        let year = |text: &str| serde_json::from_str::<Year>(text).map(Year::get).ok();
        assert_eq!(year("2027"), Some(2027));
        assert_eq!(year("2027.0"), Some(2027));
        assert_eq!(year("2027e0"), Some(2027));
        for bad in ["2027.5", "\"2027\"", "1e300", "2027.000001"] {
            assert_eq!(year(bad), None, "{bad}");
        }
        let whole = |text: &str| serde_json::from_str::<Whole>(text).map(|w| w.0).ok();
        assert_eq!(whole("-9223372036854775808.0"), Some(i64::MIN));
        assert_eq!(whole("9223372036854775808.0"), None);
        assert_eq!(whole("18446744073709551615"), None);
    }

    #[test]
    fn numbers_typed_by_people_refuse_nan_and_infinity() {
        assert_eq!(parse_number(" 12.5 ").unwrap(), 12.5);
        assert_eq!(parse_number("-1e3").unwrap(), -1000.0);
        for bad in ["NaN", "nan", "inf", "-infinity", "1e999", "", "12,5", "abc"] {
            assert!(parse_number(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn primer_workflow_allows_only_the_documented_moves() {
        use PrimerStatus::*;
        assert!(Draft.transition_from(None, true).is_ok());
        assert!(Submitted.transition_from(Some(Draft), true).is_ok());
        assert!(Endorsed.transition_from(Some(Submitted), false).is_ok());
        assert!(Draft.transition_from(Some(Submitted), false).is_ok());
        assert!(Endorsed.transition_from(Some(Draft), false).is_err());
        assert!(Endorsed.transition_from(None, false).is_err());
        assert!(Draft.transition_from(Some(Endorsed), false).is_err());
        assert!(Endorsed.transition_from(Some(Submitted), true).is_err());
        assert!(Endorsed.transition_from(Some(Endorsed), true).is_err());
    }

    #[test]
    fn focus_area_labels_compare_after_trimming_and_case_folding() {
        assert_eq!(
            focus_area_key("  Green   Productivity "),
            "green productivity"
        );
    }
}
