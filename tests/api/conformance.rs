//! The server keeps what its OpenAPI document says (`scripts/schemathesis` checks it by
//! generating requests from the document): the cases it found where the two differed. The
//! refusals among them are in `bad_input.rs`, with every other kind of bad input.

use serde_json::{Value, json};

use crate::helpers::{Backend, primer, spawn_app};

crate::on_both_backends!(
    a_whole_number_may_be_written_with_a_zero_fraction,
    a_body_that_is_not_an_object_is_refused_saying_so,
    a_primer_answer_has_the_fields_its_schema_lists,
    the_document_states_the_members_and_the_rules_across_fields,
);

/// JSON Schema's `integer` is a number without a fraction, however it is written: `2026.0` is
/// the year 2026 (serde alone reads only `2026` as an i64).
async fn a_whole_number_may_be_written_with_a_zero_fraction(b: Backend) {
    let app = spawn_app(b).await;
    let mut p = primer("VNM", "draft", 2);
    p["key_results"][0]["pillar"] = json!(3.0);
    p["key_results"][0]["baseline_year"] = json!(2020.0);
    let r = app.put("/primers/VNM", &p).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let kr = &r.body["primer"]["key_results"][0];
    assert_eq!(
        (kr["pillar"].clone(), kr["baseline_year"].clone()),
        (json!(3), json!(2020))
    );

    let report = json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2027.0, "value": 1});
    let r = app.post("/actuals", &report).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(app.get("/actuals").await.body[0]["year"], 2027);

    let budget = json!([{"pillar": 2.0, "year": 2028.0, "planned": 10, "spent": 1}]);
    let r = app.put("/budgets", &budget).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let stored = app.get("/budgets").await.body;
    assert_eq!(
        (stored[0]["pillar"].clone(), stored[0]["year"].clone()),
        (json!(2), json!(2028))
    );

    let r = app.post("/workshops", &json!({"hours": 2.0})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.stop().await;
}

async fn a_body_that_is_not_an_object_is_refused_saying_so(b: Backend) {
    let app = spawn_app(b).await;
    for body in ["[null, null]", "[]", "\"open\"", "8", "null"] {
        let r = app
            .send_raw("POST", "/workshops", "application/json", body.into())
            .await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(
            r.body["error"]["message"], "the body must be a JSON object",
            "{body}"
        );
    }
    // Text that is not JSON at all is still a 400.
    let r = app
        .send_raw("POST", "/workshops", "application/json", "[nul".into())
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        app.get("/workshops")
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

/// `Primer` once flattened `PrimerInput` into its schema, whose `additionalProperties: false`
/// then refused the primer's own `iso3`, `cycle`, `updated_rev` and `updated_at`.
async fn a_primer_answer_has_the_fields_its_schema_lists(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.put("/primers/VNM", &primer("VNM", "draft", 1))
            .await
            .status,
        200
    );
    let doc = app.get("/openapi.json").await.body;
    let schemas = &doc["components"]["schemas"];
    let listed = |name: &str| -> Vec<String> {
        let mut keys: Vec<String> = schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} lists its properties"))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    let answer = app.get("/primers/VNM").await.body;
    let mut fields: Vec<String> = answer.as_object().unwrap().keys().cloned().collect();
    fields.sort();
    assert_eq!(fields, listed("Primer"));
    assert!(schemas["Primer"].get("allOf").is_none());
    // The request body stays closed to fields it does not know.
    assert_eq!(schemas["PrimerInput"]["additionalProperties"], false);
    let mut input = listed("PrimerInput");
    input.extend(
        [
            "cycle",
            "iso3",
            "review",
            "updated_at",
            "updated_rev",
            "version",
        ]
        .map(String::from),
    );
    input.sort();
    assert_eq!(input, fields);
    app.stop().await;
}

async fn the_document_states_the_members_and_the_rules_across_fields(b: Backend) {
    let app = spawn_app(b).await;
    let doc = app.get("/openapi.json").await.body;
    let schemas = &doc["components"]["schemas"];
    let members: Vec<String> = app
        .get("/members")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["iso3"].as_str().unwrap().to_owned())
        .collect();
    let pattern = schemas["Iso3"]["pattern"].as_str().unwrap();
    let listed: Vec<&str> = pattern
        .strip_prefix("^(")
        .and_then(|p| p.strip_suffix(")$"))
        .unwrap()
        .split('|')
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    let mut expected = members.clone();
    expected.sort();
    assert_eq!(sorted, expected, "Iso3 is a member's code");

    // An editor's token names its member; no other role has one.
    let token = &schemas["NewToken"];
    assert_eq!(token["if"]["properties"]["role"]["const"], "editor");
    assert_eq!(token["then"]["required"], json!(["member"]));
    assert_eq!(token["else"]["properties"]["member"]["type"], "null");
    // A baseline is a year and a value, or neither.
    assert_eq!(
        schemas["KeyResult"]["then"]["required"],
        json!(["baseline_value"])
    );
    assert_eq!(
        schemas["KeyResult"]["properties"]["targets"]["propertyNames"]["enum"],
        json!(["2026", "2027", "2028"])
    );
    // Every parameter the server checks says its range.
    let param = |path: &str, name: &str| -> Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has {name}"))["schema"]
            .clone()
    };
    assert_eq!(param("/dashboard", "period")["minimum"], 2026);
    assert_eq!(param("/dashboard", "period")["maximum"], 2028);
    assert_eq!(param("/actuals", "limit")["maximum"], 10000);
    assert_eq!(param("/audit", "to_rev")["minimum"], 0);
    app.stop().await;
}
