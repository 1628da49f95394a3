//! What the OpenAPI document states beyond the derived schemas of the model.

/// The rules across fields of [`super::KeyResult`] and [`super::PrimerInput`] that their derived schemas
/// cannot state, as JSON Schema keywords for their components: a baseline is a year and a value
/// or neither; targets are keyed by the cycle's years; only an endorsed primer has an
/// endorsement date; a focus area is listed once; key-result values and weights lie within
/// their magnitudes; a project lists members once and `*` alone, keeps `;` (the projects
/// sheet's separator) out of its list items and remarks, and keys its participant limits by
/// modality; an exchange is virtual or face to face.
pub fn schema_rules() -> Vec<(&'static str, serde_json::Value)> {
    use crate::domain::{CYCLE_FIRST_YEAR, CYCLE_LAST_YEAR};
    use crate::domain::{MAX_MAGNITUDE, MAX_WEIGHT};
    use serde_json::json;
    let magnitude = json!({"minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE});
    // Members listed once, `*` (every member) alone; list items that the projects sheet can
    // hold (1–200 characters once trimmed, no `;`).
    let members =
        json!({"uniqueItems": true, "if": {"contains": {"const": "*"}}, "then": {"maxItems": 1}});
    let items =
        json!({"items": {"type": "string", "pattern": r"^\s*[^\s;](?:[^;]{0,198}[^\s;])?\s*$"}});
    let limits = json!({
        "propertyNames": {"enum": ["face_to_face", "virtual", "hybrid"]},
        "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 1000},
    });
    let years: Vec<String> = (CYCLE_FIRST_YEAR..=CYCLE_LAST_YEAR)
        .map(|y| y.to_string())
        .collect();
    vec![
        (
            "KeyResult",
            json!({
                "if": {"properties": {"baseline_year": {"type": "integer"}},
                       "required": ["baseline_year"]},
                "then": {"properties": {"baseline_value": {"type": "number"}},
                         "required": ["baseline_value"]},
                "else": {"properties": {"baseline_value": {"type": "null"}}},
            }),
        ),
        (
            "KeyResult/properties/targets",
            json!({"propertyNames": {"enum": years},
                   "additionalProperties": {"type": "number", "minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE}}),
        ),
        ("KeyResult/properties/baseline_value", magnitude.clone()),
        ("KeyResult/properties/min_value", magnitude.clone()),
        ("KeyResult/properties/max_value", magnitude.clone()),
        (
            "KeyResult/properties/weight",
            json!({"maximum": MAX_WEIGHT}),
        ),
        ("ActualInput/properties/value", magnitude.clone()),
        ("CorrectInput/properties/value", magnitude),
        (
            "PrimerInput",
            json!({
                "if": {"properties": {"status": {"const": "endorsed"}}},
                "else": {"properties": {"endorsed_on": {"type": "null"}}},
            }),
        ),
        (
            "PrimerInput/properties/focus_areas",
            json!({"uniqueItems": true}),
        ),
        ("Project/properties/hosts", members.clone()),
        ("Project/properties/participants", members),
        ("Project/properties/venues", items.clone()),
        ("Project/properties/implementing", items),
        (
            "ClosingDate/properties/remark",
            json!({"pattern": "^[^;]*$"}),
        ),
        ("Project/properties/overseas_limit", limits.clone()),
        ("Project/properties/local_limit", limits),
        (
            "BcnInput/properties/modality",
            json!({"enum": ["face_to_face", "virtual"]}),
        ),
        (
            "ReviewInput",
            json!({
                "if": {"properties": {"decision": {"const": "return"}}},
                "then": {
                    "required": ["comment"],
                    "properties": {
                        "comment": {"type": "string", "pattern": r"\S"},
                        "endorsed_on": {"type": "null"},
                    },
                },
            }),
        ),
    ]
}
