//! What the three platforms of issue 23 (accreditations, GP 2.0 initiatives, trainings) share:
//! their record ids, the closed lists' plumbing, the sectors, whole-number fields.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Invalid, Whole};

/// Declares a closed list: a snake_case enum with `ALL`, `as_str`, `parse` (the workbook's
/// cells) and, for each value, the label people read.
macro_rules! closed_list {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $id:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
                 utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $id,)+
                }
            }

            /// The label people read ("Food processing").
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// One of the list's ids (trimmed), or why not, listing them.
            pub fn parse(s: &str) -> Result<Self, crate::domain::Invalid> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    crate::domain::Invalid(format!(
                        "{s:?} is not one of {}",
                        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use closed_list;

/// The id of an accreditation, a GP initiative or a training: a slug such as `vnm-vnpi` or
/// `vnm-tr-2026-014` (a lower-case letter or digit, then 1 to 62 lower-case letters, digits or
/// `-`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[a-z0-9][a-z0-9-]{1,62}$", example = "vnm-vnpi")]
pub struct RecordId(String);

impl RecordId {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let b = s.as_bytes();
        let ok_byte = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        if (2..=63).contains(&b.len())
            && ok_byte(&b[0])
            && b[1..].iter().all(|c| ok_byte(c) || *c == b'-')
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(Invalid(format!(
                "{s:?} is not an id: a lower-case letter or digit, then 1 to 62 lower-case \
                 letters, digits or '-' (e.g. vnm-tr-2026-014)"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RecordId {
    type Error = Invalid;
    fn try_from(v: String) -> Result<Self, Invalid> {
        Self::parse(&v)
    }
}

impl From<RecordId> for String {
    fn from(v: RecordId) -> String {
        v.0
    }
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

closed_list! {
    /// The sector of a training or a GP initiative (`GET /trainings/sectors` lists them with
    /// their labels).
    Sector {
        ElectronicsIct = "electronics_ict", "Electronics and ICT";
        TextilesGarments = "textiles_garments", "Textiles and garments";
        FoodProcessing = "food_processing", "Food processing";
        Agriculture = "agriculture", "Agriculture";
        Logistics = "logistics", "Logistics";
        Manufacturing = "manufacturing", "Manufacturing";
        Services = "services", "Services";
        PublicSector = "public_sector", "Public sector";
        Healthcare = "healthcare", "Healthcare";
        Tourism = "tourism", "Tourism";
        Energy = "energy", "Energy";
        CrossSector = "cross_sector", "Cross-sector";
    }
}

/// A sector with its label, as `GET /trainings/sectors` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SectorInfo {
    pub id: Sector,
    pub label: String,
}

/// The sectors with their labels, in their order.
pub fn sectors() -> Vec<SectorInfo> {
    Sector::ALL
        .iter()
        .map(|&s| SectorInfo {
            id: s,
            label: s.label().to_owned(),
        })
        .collect()
}

/// Deserializes a whole number (`12` or `12.0`) into an `i64` (a serde `deserialize_with`).
pub fn whole<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(Whole::deserialize(d)?.0)
}

/// Deserializes text that may be null (taken as empty) into a `String` (a serde
/// `deserialize_with`, with `default`).
pub fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// Checks required text: trims it in place, or records the problem under `field`.
pub(crate) fn required_text(
    field: &str,
    value: &mut String,
    max: usize,
    problems: &mut Vec<(String, String)>,
) {
    match crate::domain::text(value, max) {
        Ok(t) => *value = t,
        Err(e) => problems.push((field.to_owned(), e.0)),
    }
}

/// Checks optional text: trimmed in place; empty (after trimming) becomes none.
pub(crate) fn optional_text(
    field: &str,
    value: &mut Option<String>,
    max: usize,
    problems: &mut Vec<(String, String)>,
) {
    if let Some(v) = value {
        if v.trim().is_empty() {
            *value = None;
        } else {
            required_text(field, v, max, problems);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_contract() {
        for ok in ["vnm-vnpi", "vnm-tr-2026-014", "ab", "0a-"] {
            assert!(RecordId::parse(ok).is_ok(), "{ok}");
        }
        let long = format!("a{}", "b".repeat(63));
        for bad in ["a", "-ab", "Vnm", "vnm_x", "vn m", "", long.as_str()] {
            assert!(RecordId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sectors_read_back_from_their_ids() {
        assert_eq!(Sector::ALL.len(), 12);
        for &s in Sector::ALL {
            assert_eq!(Sector::parse(s.as_str()).unwrap(), s);
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        assert!(Sector::parse("mining").is_err());
    }
}
