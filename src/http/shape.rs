//! Every problem with a body at once, in words a delegate understands.
//!
//! serde stops at the first field it cannot read, so a primer with a pillar 5, a direction "up"
//! and a negative weight was refused for the pillar alone. When a body does not deserialize,
//! it is checked against its schema in the API's own OpenAPI document (the contract
//! Schemathesis holds the server to), which reports every field that breaks it; each problem
//! is then said in plain words with its field path (`key_results[2].pillar: must be one of 1,
//! 2, 3, 4`). Rules across fields that the schema cannot state are checked after
//! deserializing, all at once too (`PrimerInput::check`).

use std::collections::HashMap;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use serde_json::Value;

use crate::error::Detail;

/// A validator per component schema of the OpenAPI document.
struct Shapes(HashMap<String, jsonschema::Validator>);

static SHAPES: OnceLock<Shapes> = OnceLock::new();

/// Compiles a validator for every component schema of `doc` (the OpenAPI document as JSON).
/// The document is the binary's own, the same for every router built, so the first call wins.
pub fn install(doc: &Value) {
    SHAPES.get_or_init(|| {
        let components = doc.get("components").cloned().unwrap_or(Value::Null);
        let names = components
            .get("schemas")
            .and_then(Value::as_object)
            .map(|s| s.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        let validators = names
            .into_iter()
            .map(|name| {
                let root = serde_json::json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "$ref": format!("#/components/schemas/{name}"),
                    "components": components,
                });
                let v = jsonschema::options()
                    .should_validate_formats(true)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("the schema {name} does not compile: {e}"));
                (name, v)
            })
            .collect();
        Shapes(validators)
    });
}

/// Every way `body` breaks the schema named `schema`, each with its field (under `prefix`,
/// e.g. `[3].` for a row of a batch). Empty when it keeps to it, or when there is no such
/// schema.
pub fn problems(schema: &str, body: &Value, prefix: &str) -> Vec<Detail> {
    let Some(v) = SHAPES.get().and_then(|s| s.0.get(schema)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in v.iter_errors(body) {
        let at = field_path(prefix, e.instance_path(), body);
        describe(&at, e.kind(), e.instance(), (prefix, body), &mut out);
    }
    out.dedup();
    out
}

/// `/key_results/2/pillar` as `key_results[2].pillar`, read along `body`: a segment is an index
/// only where the body has an array (a target's year, `targets/2027`, is a name: `targets.2027`).
fn field_path(prefix: &str, at: &jsonschema::paths::Location, body: &Value) -> String {
    let mut path = prefix.trim_end_matches('.').to_owned();
    let mut here = Some(body);
    for seg in at {
        let name = match seg {
            LocationSegment::Property(p) => p.into_owned(),
            LocationSegment::Index(i) => i.to_string(),
        };
        match here {
            Some(Value::Array(items)) => {
                path.push_str(&format!("[{name}]"));
                here = name.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            other => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&name);
                here = other.and_then(|v| v.get(&name));
            }
        }
    }
    path
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}.{child}")
    }
}

/// A JSON value as a person reads it in a message: text in quotes, numbers as written.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "nothing".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a group of fields".into(),
        other => other.to_string(),
    }
}

fn kind_words(t: &str) -> &'static str {
    match t {
        "number" => "a number",
        "integer" => "a whole number",
        "string" => "text",
        "boolean" => "true or false",
        "array" => "a list",
        "object" => "a group of fields",
        "null" => "left out",
        _ => "of another kind",
    }
}

/// What a pattern of the document asks for, in words.
fn pattern_words(pattern: &str) -> String {
    if pattern.starts_with(r"^\s*\S(?:[\s\S]{0,198}") {
        "must be 1 to 200 characters of text, not blank".into()
    } else if pattern.starts_with(r"^\s*\S(?:[\s\S]{0,498}") {
        "must be 1 to 500 characters of text, not blank".into()
    } else if pattern == "^[A-Z]{3}$" {
        "must be a member's three-letter code, e.g. VNM".into()
    } else {
        format!("does not have the expected form ({pattern})")
    }
}

fn describe(
    at: &str,
    kind: &ValidationErrorKind,
    instance: &Value,
    // The row's prefix and the row, for the paths of errors nested in a `oneOf`.
    (prefix, body): (&str, &Value),
    out: &mut Vec<Detail>,
) {
    use ValidationErrorKind as K;
    let mut say = |field: String, message: String| {
        out.push(if field.is_empty() {
            Detail::message(message)
        } else {
            Detail::field(field, message)
        })
    };
    let value = shown(instance);
    match kind {
        K::Type { kind } => {
            let wanted = match kind {
                TypeKind::Single(t) => kind_words(&t.to_string()).to_owned(),
                TypeKind::Multiple(ts) => ts
                    .iter()
                    .map(|t| kind_words(&t.to_string()))
                    .filter(|w| *w != "left out")
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            say(at.into(), format!("must be {wanted}, not {value}"));
        }
        K::Enum { options } => {
            let options = options
                .as_array()
                .map(|o| o.iter().map(shown).collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            say(at.into(), format!("must be one of {options}, not {value}"));
        }
        K::Constant { expected_value } => {
            say(at.into(), format!("must be {}", shown(expected_value)))
        }
        K::Minimum { limit } => say(at.into(), format!("must be at least {limit}, not {value}")),
        K::Maximum { limit } => say(at.into(), format!("must be at most {limit}, not {value}")),
        K::ExclusiveMinimum { limit } => say(
            at.into(),
            format!("must be greater than {limit}, not {value}"),
        ),
        K::ExclusiveMaximum { limit } => {
            say(at.into(), format!("must be less than {limit}, not {value}"))
        }
        K::MinLength { .. } => say(at.into(), "must not be empty".into()),
        K::MaxLength { limit } => say(at.into(), format!("is longer than {limit} characters")),
        K::Pattern { pattern } => say(at.into(), pattern_words(pattern)),
        K::MinItems { limit } => say(at.into(), format!("needs at least {limit}")),
        K::MaxItems { limit } => say(at.into(), format!("holds at most {limit}")),
        K::UniqueItems => say(at.into(), "lists the same entry twice".into()),
        K::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            say(join(at, name), "is missing: it is required".into());
        }
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            for name in unexpected {
                say(join(at, name), "is not a field of this form".into());
            }
        }
        K::PropertyNames { error } => {
            let name = shown(error.instance());
            let field = join(at, error.instance().as_str().unwrap_or_default());
            let mut inner = Vec::new();
            describe(
                &field,
                error.kind(),
                error.instance(),
                (prefix, body),
                &mut inner,
            );
            match inner.into_iter().next() {
                Some(d) => say(field, d.message.replace(&format!(", not {name}"), "")),
                None => say(field, "is not a name allowed here".into()),
            }
        }
        K::Format { format } => {
            let wanted = match format.as_str() {
                "date" => "a date written as YYYY-MM-DD (e.g. 2026-03-02)",
                "date-time" => "a date and time in RFC 3339 (e.g. 2026-03-02T09:30:00Z)",
                _ => "in the expected format",
            };
            say(at.into(), format!("must be {wanted}, not {value}"));
        }
        K::OneOfNotValid { context } | K::AnyOf { context } => {
            // A nullable field is `oneOf [null, the type]`: the problem is the branch that is
            // not the null.
            let branch = context.iter().find(|errors| {
                !errors
                    .iter()
                    .all(|e| matches!(e.kind(), K::Type { kind: TypeKind::Single(t) } if t.to_string() == "null"))
            });
            match branch {
                Some(errors) if !errors.is_empty() => {
                    for e in errors {
                        let field = field_path(prefix, e.instance_path(), body);
                        describe(&field, e.kind(), e.instance(), (prefix, body), out);
                    }
                }
                _ => say(
                    at.into(),
                    format!("{value} is not one of the forms allowed here"),
                ),
            }
        }
        K::FalseSchema | K::Not { .. } => say(at.into(), "is not allowed here".into()),
        other => say(at.into(), format!("{value}: {other:?}")),
    }
}

/// serde's message for the first field it could not read, said in plain words:
/// `invalid type: string "abc", expected f64` becomes `must be a number, not "abc"`.
pub fn plain_serde(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        let wanted = match expected {
            e if e.contains("f64") || e.contains("finite number") => "a number",
            e if e.contains("i64") || e.contains("u64") || e.contains("integer") => {
                "a whole number"
            }
            e if e.contains("string") => "text",
            e if e.contains("bool") => "true or false",
            e if e.contains("sequence") => "a list",
            e if e.contains("map") || e.contains("struct") => "a group of fields",
            e => e,
        };
        let got = got
            .strip_prefix("string ")
            .or_else(|| got.strip_prefix("integer "))
            .or_else(|| got.strip_prefix("floating point "))
            .unwrap_or(got);
        return format!("must be {wanted}, not {got}");
    }
    if let Some(rest) = message.strip_prefix("unknown variant ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        let expected = expected.trim_start_matches("one of ").replace('`', "\"");
        return format!("must be one of {expected}, not {}", got.replace('`', "\""));
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("{} is missing: it is required", rest.trim_matches('`'));
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = rest.split(',').next().unwrap_or(rest).trim_matches('`');
        return format!("{name} is not a field of this form");
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::plain_serde;

    #[test]
    fn serde_messages_are_said_in_plain_words() {
        assert_eq!(
            plain_serde(r#"invalid type: string "abc", expected f64"#),
            r#"must be a number, not "abc""#
        );
        assert_eq!(
            plain_serde("unknown variant `up`, expected one of `increase`, `decrease`"),
            r#"must be one of "increase", "decrease", not "up""#
        );
        assert_eq!(
            plain_serde("missing field `pillar`"),
            "pillar is missing: it is required"
        );
        assert_eq!(plain_serde("something else"), "something else");
    }
}
