//! Every kind of bad input is refused with a 4xx whose JSON body names the problem, and
//! changes nothing: the whole visible state (and the revision) is compared before and after.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, primer, spawn_app};

crate::on_both_backends!(bad_input_is_refused_with_a_named_error_and_changes_nothing);

struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    content_type: &'static str,
    body: String,
    status: u16,
    code: &'static str,
    /// A field the error's details must name (exactly), if any.
    field: Option<&'static str>,
}

fn case(
    name: &'static str,
    method: &'static str,
    path: &'static str,
    body: impl Into<String>,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
) -> Case {
    Case {
        name,
        method,
        path,
        content_type: "application/json",
        body: body.into(),
        status,
        code,
        field,
    }
}

fn actual(iso3: &str, kr: &str, year: i64, value: Value) -> Value {
    json!({"iso3": iso3, "kr_code": kr, "year": year, "value": value})
}

/// VNM's valid draft primer with one change applied to its first key result.
fn primer_with(change: impl FnOnce(&mut Value)) -> String {
    let mut p = primer("VNM", "draft", 2);
    change(&mut p);
    p.to_string()
}

fn cases() -> Vec<Case> {
    let good = actual("VNM", "VNM-KR1", 2026, json!(1.0));
    let big = format!(
        "[{}]",
        vec![good.to_string(); 1024 * 1024 / good.to_string().len() + 10].join(",")
    );
    vec![
        case("unknown member in an actual", "POST", "/actuals",
             actual("XYZ", "XYZ-KR1", 2026, json!(1)).to_string(), 422, "invalid", Some("iso3")),
        case("unknown member in row 1 of a batch", "POST", "/actuals",
             json!([good, actual("XYZ", "VNM-KR1", 2026, json!(1))]).to_string(), 422, "invalid", Some("[1].iso3")),
        case("member code of the wrong shape", "POST", "/actuals",
             actual("vn", "VNM-KR1", 2026, json!(1)).to_string(), 422, "invalid", Some("iso3")),
        case("unknown member in the path", "PUT", "/primers/XYZ",
             primer("XYZ", "draft", 1).to_string(), 404, "not_found", None),
        case("unknown key result", "POST", "/actuals",
             actual("VNM", "VNM-KR99", 2026, json!(1)).to_string(), 422, "invalid", Some("kr_code")),
        case("another member's key result", "POST", "/actuals",
             actual("LAO", "VNM-KR1", 2026, json!(1)).to_string(), 422, "invalid", Some("kr_code")),
        case("pillar 5 in a key result", "PUT", "/primers/VNM",
             primer_with(|p| p["key_results"][0]["pillar"] = json!(5)), 422, "invalid", Some("key_results[0].pillar")),
        case("pillar 0 in a budget", "PUT", "/budgets",
             json!({"pillar": 0, "year": 2026, "planned": 1, "spent": 0}).to_string(), 422, "invalid", Some("pillar")),
        case("actual for a year before the cycle", "POST", "/actuals",
             actual("VNM", "VNM-KR1", 2025, json!(1)).to_string(), 422, "invalid", Some("year")),
        case("target for a year after the cycle", "PUT", "/primers/VNM",
             primer_with(|p| p["key_results"][0]["targets"]["2029"] = json!(1)), 422, "invalid", Some("key_results[0].targets.2029")),
        case("budget for a year outside the cycle", "PUT", "/budgets",
             json!([{"pillar": 1, "year": 2030, "planned": 1, "spent": 0}]).to_string(), 422, "invalid", Some("[0].year")),
        case("non-numeric value", "POST", "/actuals",
             actual("VNM", "VNM-KR1", 2026, json!("abc")).to_string(), 422, "invalid", Some("value")),
        case("NaN written as a string", "POST", "/actuals",
             actual("VNM", "VNM-KR1", 2026, json!("NaN")).to_string(), 422, "invalid", Some("value")),
        case("NaN literal, which JSON does not have", "POST", "/actuals",
             r#"{"iso3":"VNM","kr_code":"VNM-KR1","year":2026,"value":NaN}"#, 400, "malformed_request", None),
        case("infinite value (a literal beyond a double)", "POST", "/actuals",
             r#"{"iso3":"VNM","kr_code":"VNM-KR1","year":2026,"value":1e999}"#, 422, "invalid", Some("value")),
        case("negative infinite target", "PUT", "/primers/VNM",
             primer_with(|p| p["key_results"][0]["targets"]["2026"] = json!(0)).replace("\"2026\":0", "\"2026\":-1e400"),
             422, "invalid", Some("key_results[0].targets.2026")),
        case("direction other than increase or decrease", "PUT", "/primers/VNM",
             primer_with(|p| p["key_results"][0]["direction"] = json!("up")), 422, "invalid", Some("key_results[0].direction")),
        case("duplicate key-result code", "PUT", "/primers/VNM",
             primer_with(|p| p["key_results"][1]["code"] = json!("VNM-KR1")), 422, "invalid", Some("key_results[1].code")),
        case("zero weight", "PUT", "/primers/VNM",
             primer_with(|p| p["key_results"][0]["weight"] = json!(0)), 422, "invalid", Some("key_results[0].weight")),
        case("baseline year without a value", "PUT", "/primers/VNM",
             primer_with(|p| p["key_results"][0]["baseline_value"] = Value::Null), 422, "invalid", Some("key_results[0].baseline_value")),
        case("focus area listed twice, in other case and spacing", "PUT", "/primers/VNM",
             primer_with(|p| p["focus_areas"] = json!(["SMEs", "Green productivity", " green  Productivity"])),
             422, "invalid", Some("focus_areas[2]")),
        case("key result outside the primer's focus areas", "PUT", "/primers/VNM",
             primer_with(|p| p["key_results"][0]["focus_area"] = json!("Tourism")), 422, "invalid", Some("key_results[0].focus_area")),
        case("endorsement date on a draft", "PUT", "/primers/VNM",
             primer_with(|p| p["endorsed_on"] = json!("2026-01-30")), 422, "invalid", Some("endorsed_on")),
        case("unknown field", "POST", "/actuals",
             r#"{"iso3":"VNM","kr_code":"VNM-KR1","year":2026,"value":1,"colour":"red"}"#, 422, "invalid", None),
        case("missing field", "POST", "/actuals",
             r#"{"iso3":"VNM","kr_code":"VNM-KR1","year":2026}"#, 422, "invalid", None),
        case("empty batch", "POST", "/actuals", "[]", 422, "invalid", None),
        case("malformed JSON", "POST", "/actuals", r#"{"iso3": "VNM","#, 400, "malformed_request", None),
        case("trailing garbage after the JSON", "POST", "/actuals",
             format!("{good} x"), 400, "malformed_request", None),
        case("body over 1 MiB", "POST", "/actuals", big, 413, "payload_too_large", None),
        case("draft to endorsed without submitting", "PUT", "/primers/VNM",
             primer_with(|p| p["status"] = json!("endorsed")), 409, "conflict", Some("status")),
        case("content change on an endorsed primer", "PUT", "/primers/LAO",
             { let mut p = primer("LAO", "endorsed", 3); p["endorsed_on"] = json!("2026-02-01"); p.to_string() },
             409, "conflict", Some("status")),
        case("endorsed primer back to draft", "PUT", "/primers/LAO",
             primer("LAO", "draft", 2).to_string(), 409, "conflict", Some("status")),
        case("unknown status", "PUT", "/primers/VNM",
             primer_with(|p| p["status"] = json!("approved")), 422, "invalid", Some("status")),
        case("project code of the wrong shape", "PUT", "/projects/25-SN-03",
             json!({"code": "25-SN-03", "title": "x", "pillar": 1, "status": "active", "host_iso3": "JPN"}).to_string(),
             422, "invalid", Some("code")),
        case("project program contradicting its code", "PUT", "/projects/25-SN-03-GE-BCN-C",
             json!({"code": "25-SN-03-GE-BCN-C", "title": "x", "program": "COE", "pillar": 1, "status": "active", "host_iso3": "JPN"}).to_string(),
             422, "invalid", Some("program")),
        case("project code other than the path's", "PUT", "/projects/25-SN-03-GE-BCN-C",
             json!({"code": "25-SN-03-GE-BCN-D", "title": "x", "pillar": 1, "status": "active", "host_iso3": "JPN"}).to_string(),
             422, "invalid", Some("code")),
        case("project ending before it starts", "PUT", "/projects/25-SN-03-GE-BCN-C",
             json!({"code": "25-SN-03-GE-BCN-C", "title": "x", "pillar": 1, "status": "active", "host_iso3": "JPN",
                    "start_date": "2026-03-02", "end_date": "2026-03-01"}).to_string(),
             422, "invalid", Some("end_date")),
        case("project hosted by an unknown member", "PUT", "/projects/25-SN-03-GE-BCN-C",
             json!({"code": "25-SN-03-GE-BCN-C", "title": "x", "pillar": 1, "status": "active", "host_iso3": "XYZ"}).to_string(),
             422, "invalid", Some("host_iso3")),
        case("negative budget", "PUT", "/budgets",
             json!({"pillar": 1, "year": 2026, "planned": -5, "spent": 0}).to_string(), 422, "invalid", Some("planned")),
        case("query parameter of the wrong type", "GET", "/actuals?year=soon", "", 422, "invalid", Some("year")),
        // Out-of-range query values are refused, naming the parameter (a limit was once clamped).
        case("limit of 0", "GET", "/actuals?limit=0", "", 422, "invalid", Some("limit")),
        case("limit above 10000", "GET", "/actuals?limit=10001", "", 422, "invalid", Some("limit")),
        case("audit limit above 10000", "GET", "/audit?limit=10001", "", 422, "invalid", Some("limit")),
        case("negative revision in the audit filter", "GET", "/audit?to_rev=-1", "", 422, "invalid", Some("to_rev")),
        case("negative first revision in the audit filter", "GET", "/audit?from_rev=-1", "", 422, "invalid", Some("from_rev")),
        case("audit page before entry 0", "GET", "/audit?before_id=0", "", 422, "invalid", Some("before_id")),
        // A body is an object, and so is every row of a batch: serde alone would read a struct
        // from an array, by position.
        case("body that is an array of nulls", "POST", "/workshops", "[null, null]", 422, "invalid", None),
        case("primer body that is an array", "PUT", "/primers/VNM", "[\"draft\"]", 422, "invalid", None),
        case("body that is a string", "PUT", "/projects/25-SN-03-GE-BCN-C", "\"x\"", 422, "invalid", None),
        case("batch row that is an array", "POST", "/actuals",
             r#"[["VNM", "VNM-KR1", 2026, 1]]"#, 422, "invalid", Some("[0]")),
        case("single report that is an array", "POST", "/actuals",
             r#"["VNM", "VNM-KR1", 2026, 1]"#, 422, "invalid", Some("[0]")),
        case("budget row that is null", "PUT", "/budgets", "[null]", 422, "invalid", Some("[0]")),
        case("year with a fraction", "POST", "/actuals",
             actual("VNM", "VNM-KR1", 2026, json!(1)).to_string().replace("2026", "2026.5"), 422, "invalid", Some("year")),
        case("workshop of a fraction of an hour", "POST", "/workshops",
             json!({"hours": 1.5}).to_string(), 422, "invalid", Some("hours")),
        case("budget above the maximum", "PUT", "/budgets",
             json!({"pillar": 1, "year": 2026, "planned": 2e12, "spent": 0}).to_string(), 422, "invalid", Some("planned")),
        // The number is within parse_duration's bound, but as days it is past the years a time
        // can hold (it panicked).
        case("token lasting 5000000 days", "POST", "/tokens",
             json!({"role": "viewer", "expires": "5000000d"}).to_string(), 422, "invalid", Some("expires")),
        case("token lasting over 10 years", "POST", "/tokens",
             json!({"role": "viewer", "expires": "87601h"}).to_string(), 422, "invalid", Some("expires")),
        Case { content_type: "text/plain", ..case("body that is not declared JSON", "POST", "/actuals",
             good.to_string(), 415, "unsupported_media_type", None) },
    ]
}

async fn setup(app: &TestApp) {
    assert_eq!(
        app.put("/primers/VNM", &primer("VNM", "draft", 2))
            .await
            .status,
        200
    );
    app.post("/actuals", &actual("VNM", "VNM-KR1", 2026, json!(3.0)))
        .await;
    app.put("/primers/LAO", &primer("LAO", "submitted", 2))
        .await;
    let mut endorsed = primer("LAO", "endorsed", 2);
    endorsed["endorsed_on"] = json!("2026-02-01");
    assert_eq!(app.put("/primers/LAO", &endorsed).await.status, 200);
}

async fn bad_input_is_refused_with_a_named_error_and_changes_nothing(b: Backend) {
    let app = spawn_app(b).await;
    setup(&app).await;
    let before = app.everything().await;
    let mut failures = Vec::new();
    for c in cases() {
        let r = app
            .send_raw(c.method, c.path, c.content_type, c.body.clone())
            .await;
        let fields = r.error_fields();
        let mut wrong = Vec::new();
        if r.status != c.status {
            wrong.push(format!("status {} (expected {})", r.status, c.status));
        }
        if r.body["error"]["code"] != c.code {
            wrong.push(format!(
                "code {} (expected {})",
                r.body["error"]["code"], c.code
            ));
        }
        if r.body["error"]["message"]
            .as_str()
            .is_none_or(str::is_empty)
        {
            wrong.push("no message".into());
        }
        if let Some(f) = c.field
            && !fields.iter().any(|x| x == f)
        {
            wrong.push(format!("details name {fields:?}, not {f:?}"));
        }
        if app.everything().await != before {
            wrong.push("the data changed".into());
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {} — body {}",
                c.name,
                wrong.join("; "),
                r.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    app.stop().await;
}
