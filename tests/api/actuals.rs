use serde_json::json;

use crate::helpers::{Backend, primer, spawn_app};

crate::on_both_backends!(
    one_actual_is_appended_with_a_new_revision_and_an_audit_row,
    a_batch_of_actuals_takes_one_revision,
    reports_are_appended_never_overwritten,
    a_key_result_with_reports_cannot_be_removed,
    a_batch_is_checked_against_its_key_results_small_or_large,
    a_report_dated_in_the_future_is_refused_by_the_api_and_the_import,
);

async fn one_actual_is_appended_with_a_new_revision_and_an_audit_row(b: Backend) {
    let app = spawn_app(b).await;
    app.put("/primers/VNM", &primer("VNM", "draft", 2)).await;
    let r = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 12.5}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["rev"], 2);
    assert_eq!(r.body["accepted"], 1);
    let actuals = app.get("/actuals?iso3=VNM").await.body;
    assert_eq!(actuals[0]["value"], 12.5);
    assert_eq!(actuals[0]["rev"], 2);
    assert_eq!(actuals[0]["reported_by"], "tester");
    let audit = app.get("/audit?from_rev=2").await.body;
    assert_eq!(audit.as_array().unwrap().len(), 1);
    assert_eq!(audit[0]["entity"], "actual");
    assert_eq!(audit[0]["entity_key"], "VNM/VNM-KR1/2026");
    assert_eq!(audit[0]["new_value"]["value"], 12.5);
    app.stop().await;
}

async fn a_batch_of_actuals_takes_one_revision(b: Backend) {
    let app = spawn_app(b).await;
    app.put("/primers/VNM", &primer("VNM", "draft", 3)).await;
    let batch: Vec<_> = (1..=3)
        .map(|i| {
            json!({"iso3": "VNM", "kr_code": format!("VNM-KR{i}"), "year": 2026, "value": i * 10,
                        "reported_at": "2026-06-30T09:15:00Z"})
        })
        .collect();
    let r = app.post("/actuals", &json!(batch)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["accepted"], 3);
    let actuals = app.get("/actuals?iso3=VNM").await.body;
    assert_eq!(actuals.as_array().unwrap().len(), 3);
    assert!(
        actuals
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["rev"] == r.body["rev"])
    );
    assert_eq!(actuals[0]["reported_at"], "2026-06-30T09:15:00.000000Z");
    app.stop().await;
}

async fn reports_are_appended_never_overwritten(b: Backend) {
    let app = spawn_app(b).await;
    app.put("/primers/KOR", &primer("KOR", "draft", 1)).await;
    for (v, at) in [
        (5, "2026-05-01T00:00:00Z"),
        (7, "2026-04-01T00:00:00Z"),
        (9, "2026-06-01T00:00:00Z"),
    ] {
        let r = app
            .post("/actuals", &json!({"iso3": "KOR", "kr_code": "KOR-KR1", "year": 2026, "value": v, "reported_at": at}))
            .await;
        assert_eq!(r.status, 201);
    }
    let history = app
        .get("/actuals?iso3=KOR&kr_code=KOR-KR1&year=2026")
        .await
        .body;
    let values: Vec<f64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["value"].as_f64().unwrap())
        .collect();
    assert_eq!(
        values,
        [9.0, 5.0, 7.0],
        "newest reported_at first, all kept"
    );
    app.stop().await;
}

async fn a_key_result_with_reports_cannot_be_removed(b: Backend) {
    let app = spawn_app(b).await;
    app.put("/primers/IDN", &primer("IDN", "draft", 2)).await;
    app.post(
        "/actuals",
        &json!({"iso3": "IDN", "kr_code": "IDN-KR2", "year": 2026, "value": 1}),
    )
    .await;
    let before = app.everything().await;
    let r = app.put("/primers/IDN", &primer("IDN", "draft", 1)).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("IDN-KR2")
    );
    assert_eq!(app.everything().await, before);
    // Removing one without reports is fine.
    let mut p = primer("IDN", "draft", 2);
    p["key_results"].as_array_mut().unwrap().remove(0);
    let r = app.put("/primers/IDN", &p).await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.stop().await;
}

/// The key results a batch reports on are checked whether the batch is small (looked up one
/// by one) or large (the table read whole): unknown ones refuse the whole batch, naming each
/// row, and nothing is written; known ones are appended.
async fn a_batch_is_checked_against_its_key_results_small_or_large(b: Backend) {
    let app = spawn_app(b).await;
    let members = ["VNM", "LAO", "THA", "IDN", "MYS"];
    for m in members {
        let r = app
            .put(&format!("/primers/{m}"), &primer(m, "draft", 14))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let rev = app.store.current_rev().await.unwrap();
    let report = |m: &str, kr: &str| json!({"iso3": m, "kr_code": kr, "year": 2026, "value": 1});
    // 70 distinct key results: the large path.
    let mut large: Vec<_> = members
        .iter()
        .flat_map(|m| (1..=14).map(move |i| report(m, &format!("{m}-KR{i}"))))
        .collect();
    let small = vec![
        report("VNM", "VNM-KR1"),
        report("VNM", "VNM-KR99"),
        report("LAO", "VNM-KR2"),
    ];
    let r = app.post("/actuals", &json!(small)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.error_fields(),
        ["[1].kr_code", "[2].kr_code"],
        "{}",
        r.body
    );
    large[40] = report("THA", "THA-KR15");
    let r = app.post("/actuals", &json!(large)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["[40].kr_code"], "{}", r.body);
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        rev,
        "nothing written"
    );
    large[40] = report("THA", "THA-KR12");
    let r = app.post("/actuals", &json!(large)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["accepted"], 70);
    let small = vec![report("VNM", "VNM-KR1"), report("LAO", "LAO-KR2")];
    assert_eq!(app.post("/actuals", &json!(small)).await.status, 201);
    app.stop().await;
}

/// The latest report by `reported_at` is the current value, so a report dated ahead would pin
/// its key result until that date: refused beyond a few minutes of clock skew, by the API and
/// the import alike, and nothing is written.
async fn a_report_dated_in_the_future_is_refused_by_the_api_and_the_import(b: Backend) {
    use time::format_description::well_known::Rfc3339;
    let app = spawn_app(b).await;
    app.put("/primers/VNM", &primer("VNM", "draft", 2)).await;
    let now = time::OffsetDateTime::now_utc();
    let at = |d: time::Duration| (now + d).format(&Rfc3339).unwrap();
    let before = app.everything().await;
    let r = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 1.0,
                    "reported_at": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["reported_at"]);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("in the future"),
        "{}",
        r.body
    );
    let batch = json!([
        {"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 1.0},
        {"iso3": "VNM", "kr_code": "VNM-KR2", "year": 2026, "value": 2.0,
         "reported_at": at(time::Duration::hours(1))},
    ]);
    let r = app.post("/actuals", &batch).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["[1].reported_at"]);
    let csv = format!(
        "iso3,kr_code,year,value,reported_at\nVNM,VNM-KR1,2026,1,{}\n",
        at(time::Duration::days(2))
    );
    let source = apo_dashboard::import::Source {
        name: "actuals.csv".into(),
        bytes: csv.into_bytes(),
    };
    let err = apo_dashboard::import::import(
        &app.store,
        &[source],
        &apo_dashboard::records::Actor::service("import"),
        apo_dashboard::import::Mode::Apply,
    )
    .await
    .expect_err("refused");
    assert!(err.to_string().contains("in the future"), "{err}");
    assert_eq!(app.everything().await, before, "nothing written");
    // A phone whose clock is a minute ahead is not refused.
    let r = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 3.0,
                    "reported_at": at(time::Duration::minutes(1))}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.stop().await;
}
