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
    let mut cases = vec![
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
    ];
    cases.extend(control_characters());
    cases.extend(dates_and_numbers());
    cases.extend(methods_paths_and_queries());
    cases.extend(room_and_access());
    cases
}

/// Control characters, which PostgreSQL cannot store (NUL) or a screen cannot show, in every
/// kind of text the API takes: refused alike on both backends, naming the field.
fn control_characters() -> Vec<Case> {
    let mut out = Vec::new();
    // NUL, bell, escape, DEL, next line (C1), control sequence introducer (C1).
    let chars = [
        "\\u0000", "\\u0007", "\\u001b", "\\u007f", "\\u0085", "\\u009b",
    ];
    let names = ["NUL", "BEL", "ESC", "DEL", "NEL", "CSI"];
    for (c, n) in chars.iter().zip(names) {
        let text = format!("Text {c}here");
        let with = |v: &mut Value, path: &[&str]| {
            let mut at = v;
            for p in &path[..path.len() - 1] {
                at = match p.parse::<usize>() {
                    Ok(i) => &mut at[i],
                    Err(_) => &mut at[*p],
                };
            }
            at[path[path.len() - 1]] = json!("@@");
        };
        // JSON escapes are written into the body as they are: `\u0000` in the text.
        let put = |mut v: Value, path: &[&str]| {
            with(&mut v, path);
            v.to_string().replace("@@", &text)
        };
        let p = || primer("VNM", "draft", 2);
        out.extend([
            case(leak(format!("{n} in a primer's national context")), "PUT", "/primers/VNM",
                 put(p(), &["national_context"]), 422, "invalid", Some("national_context")),
            case(leak(format!("{n} in a key result's title")), "PUT", "/primers/VNM",
                 put(p(), &["key_results", "0", "title"]), 422, "invalid", Some("key_results[0].title")),
            case(leak(format!("{n} in a key result's unit")), "PUT", "/primers/VNM",
                 put(p(), &["key_results", "1", "unit"]), 422, "invalid", Some("key_results[1].unit")),
            case(leak(format!("{n} in a project's title")), "PUT", "/projects/25-SN-03-GE-BCN-C",
                 put(json!({"code": "25-SN-03-GE-BCN-C", "title": "x", "pillar": 1, "status": "active", "host_iso3": "JPN"}), &["title"]),
                 422, "invalid", Some("title")),
            case(leak(format!("{n} in a review's comment")), "POST", "/primers/LAO/review",
                 put(json!({"decision": "endorse", "comment": "x"}), &["comment"]), 422, "invalid", Some("comment")),
            case(leak(format!("{n} in a withdrawal's reason")), "POST", "/actuals/1/withdraw",
                 put(json!({"reason": "x"}), &["reason"]), 422, "invalid", Some("reason")),
            case(leak(format!("{n} in a token's label")), "POST", "/tokens",
                 put(json!({"role": "viewer", "label": "x"}), &["label"]), 422, "invalid", Some("label")),
        ]);
    }
    out.extend([
        case(
            "NUL in a focus area",
            "PUT",
            "/primers/VNM",
            primer_with(|p| p["focus_areas"][0] = json!("@@")).replace("@@", "SM\\u0000Es"),
            422,
            "invalid",
            Some("focus_areas[0]"),
        ),
        case(
            "NUL in a member code",
            "POST",
            "/actuals",
            actual("@@", "VNM-KR1", 2026, json!(1))
                .to_string()
                .replace("@@", "VN\\u0000"),
            422,
            "invalid",
            Some("iso3"),
        ),
        case(
            "NUL in a key-result code of a report",
            "POST",
            "/actuals",
            actual("VNM", "@@", 2026, json!(1))
                .to_string()
                .replace("@@", "VNM-KR1\\u0000"),
            422,
            "invalid",
            Some("kr_code"),
        ),
        case(
            "NUL in row 1 of a batch",
            "POST",
            "/actuals",
            json!([
                actual("VNM", "VNM-KR1", 2026, json!(1)),
                actual("VNM", "@@", 2026, json!(1))
            ])
            .to_string()
            .replace("@@", "\\u0000"),
            422,
            "invalid",
            Some("[1].kr_code"),
        ),
        case(
            "NUL in a field's name",
            "POST",
            "/actuals",
            r#"{"iso3\u0000":"VNM","kr_code":"VNM-KR1","year":2026,"value":1}"#,
            422,
            "invalid",
            Some("iso3\u{0}"),
        ),
        case(
            "NUL in an amendment's reason",
            "POST",
            "/primers/LAO/amend",
            json!({"reason": "@@"})
                .to_string()
                .replace("@@", "new \\u0000 targets"),
            422,
            "invalid",
            Some("reason"),
        ),
        case(
            "NUL in a correction's reason",
            "POST",
            "/actuals/1/correct",
            json!({"value": 2, "reason": "@@"})
                .to_string()
                .replace("@@", "typo\\u0000"),
            422,
            "invalid",
            Some("reason"),
        ),
        case(
            "NUL in a workshop's title",
            "POST",
            "/workshops",
            json!({"title": "@@", "hours": 8})
                .to_string()
                .replace("@@", "SPP\\u0000"),
            422,
            "invalid",
            Some("title"),
        ),
        case(
            "NUL in a token to sign in with",
            "POST",
            "/session",
            json!({"token": "@@"})
                .to_string()
                .replace("@@", "apo_\\u0000"),
            422,
            "invalid",
            Some("token"),
        ),
        case(
            "NUL in a card's code",
            "POST",
            "/session/join",
            json!({"code": "@@"})
                .to_string()
                .replace("@@", "ABCD\\u0000"),
            422,
            "invalid",
            Some("code"),
        ),
        case(
            "a lone surrogate in a title",
            "PUT",
            "/primers/VNM",
            primer_with(|p| p["key_results"][0]["title"] = json!("@@")).replace("@@", "\\ud800"),
            400,
            "malformed_request",
            None,
        ),
    ]);
    out
}

/// Dates outside the windows the README states, and numbers beyond the magnitudes it states;
/// the first two panicked the server (issue 19).
fn dates_and_numbers() -> Vec<Case> {
    let at = |t: &str| {
        let mut a = actual("VNM", "VNM-KR1", 2026, json!(1));
        a["reported_at"] = json!(t);
        a.to_string()
    };
    let project = |start: &str, end: &str| {
        json!({"code": "25-SN-03-GE-BCN-C", "title": "x", "pillar": 1, "status": "active", "host_iso3": "JPN",
               "start_date": start, "end_date": end}).to_string()
    };
    let kr = |field: &str, v: Value| primer_with(|p| p["key_results"][0][field] = v);
    let mut out = vec![
        case(
            "a report dated 0000-01-01T00:00:00+01:00 (it panicked)",
            "POST",
            "/actuals",
            at("0000-01-01T00:00:00+01:00"),
            422,
            "invalid",
            Some("reported_at"),
        ),
        case(
            "a report dated 9999-12-31T23:59:59-01:00 (it panicked)",
            "POST",
            "/actuals",
            at("9999-12-31T23:59:59-01:00"),
            422,
            "invalid",
            Some("reported_at"),
        ),
        case(
            "a report dated in 1999",
            "POST",
            "/actuals",
            at("1999-12-31T23:59:59Z"),
            422,
            "invalid",
            Some("reported_at"),
        ),
        case(
            "a report dated in the year 1",
            "POST",
            "/actuals",
            at("0001-01-01T00:00:00Z"),
            422,
            "invalid",
            Some("reported_at"),
        ),
        case(
            "a report dated in 9999",
            "POST",
            "/actuals",
            at("9999-12-31T00:00:00Z"),
            422,
            "invalid",
            Some("reported_at"),
        ),
        case(
            "a report dated in year -1",
            "POST",
            "/actuals",
            at("-0001-01-01T00:00:00Z"),
            422,
            "invalid",
            Some("reported_at"),
        ),
        case(
            "a report dated on 30 February",
            "POST",
            "/actuals",
            at("2026-02-30T00:00:00Z"),
            422,
            "invalid",
            Some("reported_at"),
        ),
        case(
            "a report dated without a zone",
            "POST",
            "/actuals",
            at("2026-02-01T00:00:00"),
            422,
            "invalid",
            Some("reported_at"),
        ),
        case(
            "a project starting in 1900",
            "PUT",
            "/projects/25-SN-03-GE-BCN-C",
            project("1900-01-01", "2026-01-01"),
            422,
            "invalid",
            Some("start_date"),
        ),
        case(
            "a project ending in 9999",
            "PUT",
            "/projects/25-SN-03-GE-BCN-C",
            project("2026-01-01", "9999-12-31"),
            422,
            "invalid",
            Some("end_date"),
        ),
        case(
            "a project ending in 2101",
            "PUT",
            "/projects/25-SN-03-GE-BCN-C",
            project("2026-01-01", "2101-01-01"),
            422,
            "invalid",
            Some("end_date"),
        ),
        case(
            "a project starting in year -1",
            "PUT",
            "/projects/25-SN-03-GE-BCN-C",
            project("-0001-01-01", "2026-01-01"),
            422,
            "invalid",
            Some("start_date"),
        ),
        case(
            "a primer endorsed in 1900",
            "PUT",
            "/primers/VNM",
            primer_with(|p| {
                p["status"] = json!("endorsed");
                p["endorsed_on"] = json!("1900-01-01");
            }),
            422,
            "invalid",
            Some("endorsed_on"),
        ),
        case(
            "an endorsement dated 2101",
            "POST",
            "/primers/LAO/review",
            json!({"decision": "endorse", "endorsed_on": "2101-01-01"}).to_string(),
            422,
            "invalid",
            Some("endorsed_on"),
        ),
        case(
            "an endorsement dated in year 0",
            "POST",
            "/primers/LAO/review",
            json!({"decision": "endorse", "endorsed_on": "0000-06-01"}).to_string(),
            422,
            "invalid",
            Some("endorsed_on"),
        ),
        case(
            "a report of 1e16",
            "POST",
            "/actuals",
            actual("VNM", "VNM-KR1", 2026, json!(1e16)).to_string(),
            422,
            "invalid",
            Some("value"),
        ),
        case(
            "a report of -1e300",
            "POST",
            "/actuals",
            actual("VNM", "VNM-KR1", 2026, json!(-1e300)).to_string(),
            422,
            "invalid",
            Some("value"),
        ),
        case(
            "a report of the largest double",
            "POST",
            "/actuals",
            actual("VNM", "VNM-KR1", 2026, json!(f64::MAX)).to_string(),
            422,
            "invalid",
            Some("value"),
        ),
        case(
            "a target of 1e300",
            "PUT",
            "/primers/VNM",
            primer_with(|p| p["key_results"][0]["targets"]["2027"] = json!(1e300)),
            422,
            "invalid",
            Some("key_results[0].targets.2027"),
        ),
        case(
            "a baseline of -1e300",
            "PUT",
            "/primers/VNM",
            kr("baseline_value", json!(-1e300)),
            422,
            "invalid",
            Some("key_results[0].baseline_value"),
        ),
        case(
            "a weight of 1e7",
            "PUT",
            "/primers/VNM",
            kr("weight", json!(1e7)),
            422,
            "invalid",
            Some("key_results[0].weight"),
        ),
        case(
            "a weight of the largest double",
            "PUT",
            "/primers/VNM",
            kr("weight", json!(f64::MAX)),
            422,
            "invalid",
            Some("key_results[0].weight"),
        ),
        case(
            "a range's least value of -1e300",
            "PUT",
            "/primers/VNM",
            kr("min_value", json!(-1e300)),
            422,
            "invalid",
            Some("key_results[0].min_value"),
        ),
        case(
            "a range's greatest value of 1e300",
            "PUT",
            "/primers/VNM",
            kr("max_value", json!(1e300)),
            422,
            "invalid",
            Some("key_results[0].max_value"),
        ),
        case(
            "a correction to 1e300",
            "POST",
            "/actuals/1/correct",
            json!({"value": 1e300, "reason": "typo"}).to_string(),
            422,
            "invalid",
            Some("value"),
        ),
        case(
            "a baseline year of 1949",
            "PUT",
            "/primers/VNM",
            kr("baseline_year", json!(1949)),
            422,
            "invalid",
            Some("key_results[0].baseline_year"),
        ),
        case(
            "a baseline year of 2029",
            "PUT",
            "/primers/VNM",
            kr("baseline_year", json!(2029)),
            422,
            "invalid",
            Some("key_results[0].baseline_year"),
        ),
        case(
            "a year beyond 64 bits",
            "POST",
            "/actuals",
            actual("VNM", "VNM-KR1", 2026, json!(1))
                .to_string()
                .replace("2026", "99999999999999999999"),
            422,
            "invalid",
            Some("year"),
        ),
        case(
            "a negative year",
            "POST",
            "/actuals",
            actual("VNM", "VNM-KR1", -2026, json!(1)).to_string(),
            422,
            "invalid",
            Some("year"),
        ),
        case(
            "a budget spent of 1e300",
            "PUT",
            "/budgets",
            json!({"pillar": 1, "year": 2026, "planned": 1, "spent": 1e300}).to_string(),
            422,
            "invalid",
            Some("spent"),
        ),
    ];
    out.push(case(
        "a pillar beyond 64 bits",
        "PUT",
        "/budgets",
        r#"{"pillar":18446744073709551617,"year":2026,"planned":1,"spent":0}"#,
        422,
        "invalid",
        Some("pillar"),
    ));
    out
}

/// Methods an endpoint does not take, paths that name nothing (control characters included),
/// and query parameters holding control characters: JSON errors, like every other.
fn methods_paths_and_queries() -> Vec<Case> {
    let mut out = Vec::new();
    for (method, path) in [
        ("DELETE", "/actuals"),
        ("PATCH", "/actuals"),
        ("PUT", "/members"),
        ("POST", "/members"),
        ("DELETE", "/primers/VNM"),
        ("PATCH", "/primers/VNM"),
        ("POST", "/dashboard"),
        ("DELETE", "/budgets"),
        ("GET", "/actuals/1/withdraw"),
        ("PUT", "/audit"),
        ("POST", "/openapi.json"),
        ("DELETE", "/workshops"),
    ] {
        out.push(case(
            leak(format!("{method} {path}, which it does not take")),
            method,
            path,
            "",
            405,
            "method_not_allowed",
            None,
        ));
    }
    for (name, method, path) in [
        ("an endpoint that does not exist", "GET", "/nothing"),
        (
            "a write to an endpoint that does not exist",
            "POST",
            "/nothing",
        ),
        ("an unknown member's primer", "GET", "/primers/XYZ"),
        (
            "a member code with a NUL in the path",
            "GET",
            "/primers/VN%00",
        ),
        ("a NUL for a primer to write", "PUT", "/primers/%00"),
        ("a NUL for a project to write", "PUT", "/projects/%00"),
        ("a NUL for a token to revoke", "DELETE", "/tokens/%00"),
        (
            "a NUL for a workshop to close",
            "POST",
            "/workshops/%00/close",
        ),
        (
            "a NUL for a report to withdraw",
            "POST",
            "/actuals/%00/withdraw",
        ),
        (
            "an escape character in a history's path",
            "GET",
            "/primers/VNM%1b/history",
        ),
        (
            "a report that does not exist, withdrawn",
            "POST",
            "/actuals/999999/withdraw",
        ),
        (
            "a report id beyond 64 bits",
            "POST",
            "/actuals/99999999999999999999/withdraw",
        ),
    ] {
        let body = if method == "GET" || method == "DELETE" {
            ""
        } else {
            r#"{"reason":"x"}"#
        };
        let mut c = case(name, method, path, body, 404, "not_found", None);
        if method == "PUT" {
            c.body = primer("VNM", "draft", 1).to_string();
        }
        out.push(c);
    }
    for (name, path, field) in [
        ("a NUL in a member filter", "/actuals?iso3=%00", "iso3"),
        (
            "a NUL in the audit's actor filter",
            "/audit?actor=%00",
            "actor",
        ),
        (
            "a NUL in a key-result filter",
            "/key_results?iso3=VN%00",
            "iso3",
        ),
        (
            "a DEL in the series filter",
            "/series?series=rgdpo%7f",
            "series",
        ),
        (
            "a NUL in a parameter's name",
            "/actuals?iso%003=VNM",
            "iso\u{0}3",
        ),
        (
            "a C1 control in a period",
            "/dashboard?period=2026%C2%85",
            "period",
        ),
    ] {
        out.push(case(name, "GET", path, "", 422, "invalid", Some(field)));
    }
    out
}

/// The workshop room's and access's bodies, broken one way each.
fn room_and_access() -> Vec<Case> {
    vec![
        case(
            "a review with an unknown decision",
            "POST",
            "/primers/LAO/review",
            json!({"decision": "approve"}).to_string(),
            422,
            "invalid",
            Some("decision"),
        ),
        case(
            "a return without a comment",
            "POST",
            "/primers/LAO/review",
            json!({"decision": "return"}).to_string(),
            422,
            "invalid",
            Some("comment"),
        ),
        case(
            "a return with a blank comment",
            "POST",
            "/primers/LAO/review",
            json!({"decision": "return", "comment": "   "}).to_string(),
            422,
            "invalid",
            Some("comment"),
        ),
        case(
            "a review's comment over 2000 characters",
            "POST",
            "/primers/LAO/review",
            json!({"decision": "endorse", "comment": "x".repeat(2001)}).to_string(),
            422,
            "invalid",
            Some("comment"),
        ),
        case(
            "a return with a signing date",
            "POST",
            "/primers/LAO/review",
            json!({"decision": "return", "comment": "fix", "endorsed_on": "2026-03-01"})
                .to_string(),
            422,
            "invalid",
            Some("endorsed_on"),
        ),
        case(
            "a review of a primer that is not submitted",
            "POST",
            "/primers/VNM/review",
            json!({"decision": "endorse"}).to_string(),
            409,
            "conflict",
            None,
        ),
        case(
            "an amendment without a reason",
            "POST",
            "/primers/LAO/amend",
            json!({"reason": ""}).to_string(),
            422,
            "invalid",
            Some("reason"),
        ),
        case(
            "an amendment of a draft",
            "POST",
            "/primers/VNM/amend",
            json!({"reason": "new targets"}).to_string(),
            409,
            "conflict",
            None,
        ),
        case(
            "a withdrawal's reason over 500 characters",
            "POST",
            "/actuals/1/withdraw",
            json!({"reason": "x".repeat(501)}).to_string(),
            422,
            "invalid",
            Some("reason"),
        ),
        case(
            "a withdrawal without a reason",
            "POST",
            "/actuals/1/withdraw",
            "{}",
            422,
            "invalid",
            Some("reason"),
        ),
        case(
            "a correction without a value",
            "POST",
            "/actuals/1/correct",
            json!({"reason": "typo"}).to_string(),
            422,
            "invalid",
            Some("value"),
        ),
        case(
            "a correction to text",
            "POST",
            "/actuals/1/correct",
            json!({"value": "two", "reason": "typo"}).to_string(),
            422,
            "invalid",
            Some("value"),
        ),
        case(
            "a token of an unknown role",
            "POST",
            "/tokens",
            json!({"role": "admin"}).to_string(),
            422,
            "invalid",
            Some("role"),
        ),
        case(
            "an editor's token without a member",
            "POST",
            "/tokens",
            json!({"role": "editor"}).to_string(),
            422,
            "invalid",
            Some("member"),
        ),
        case(
            "an editor's token for an unknown member",
            "POST",
            "/tokens",
            json!({"role": "editor", "member": "XYZ"}).to_string(),
            422,
            "invalid",
            Some("member"),
        ),
        case(
            "a token's label over 100 characters",
            "POST",
            "/tokens",
            json!({"role": "viewer", "label": "x".repeat(101)}).to_string(),
            422,
            "invalid",
            Some("label"),
        ),
        case(
            "a token expiring in 0 days",
            "POST",
            "/tokens",
            json!({"role": "viewer", "expires": "0d"}).to_string(),
            422,
            "invalid",
            Some("expires"),
        ),
        case(
            "a workshop of 0 hours",
            "POST",
            "/workshops",
            json!({"hours": 0}).to_string(),
            422,
            "invalid",
            Some("hours"),
        ),
        case(
            "a workshop of 10000 hours",
            "POST",
            "/workshops",
            json!({"hours": 10000}).to_string(),
            422,
            "invalid",
            Some("hours"),
        ),
        case(
            "cards for a workshop that does not exist",
            "POST",
            "/workshops/999999/cards",
            "{}",
            404,
            "not_found",
            None,
        ),
    ]
}

/// A case's name made at run time (names are `&'static str`; the table is built once a test).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
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
    let cases = cases();
    let count = cases.len();
    for c in cases {
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
        if r.request_id.is_none()
            || r.body["error"]["request_id"].as_str() != r.request_id.as_deref()
        {
            wrong.push(format!(
                "request_id {} in the body, {:?} in x-request-id",
                r.body["error"]["request_id"], r.request_id
            ));
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
    assert!(count >= 150, "the table has {count} cases");
    eprintln!(
        "{b:?}: {count} bad requests, {} refused as expected",
        count - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    app.stop().await;
}
