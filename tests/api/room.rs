//! The workshop room (issue 18): the review desk's returns, endorsements and amendments;
//! corrections of reports (withdrawn, corrected, out of range) and their replay; every problem
//! of a body at once, in plain words; a change sent twice with one Idempotency-Key made once.

use apo_dashboard::access::Role;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, bearer_client, primer, spawn_app};

crate::on_both_backends!(
    a_primer_is_returned_with_a_comment_resubmitted_endorsed_and_amended,
    review_moves_from_the_wrong_status_or_role_are_refused_and_change_nothing,
    a_withdrawn_report_stops_counting_and_a_replay_before_it_still_counts_it,
    a_corrected_report_replaces_the_value_in_one_revision,
    a_key_result_declares_its_range_and_reports_outside_it_are_refused,
    every_problem_of_a_primer_is_named_at_once_in_plain_words,
    a_change_sent_twice_with_one_idempotency_key_is_made_once,
    kept_answers_are_pruned_by_their_age_through_an_index,
);

/// Every keyed write prunes the answers kept longer than a day: through an index on their age,
/// not a scan of the whole table (which grows with every keyed write of the day).
async fn kept_answers_are_pruned_by_their_age_through_an_index(b: Backend) {
    let app = spawn_app(b).await;
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url)
        .await
        .unwrap();
    let plan: Vec<String> = match b {
        Backend::Sqlite => {
            let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
                "EXPLAIN QUERY PLAN DELETE FROM idempotency WHERE created_at < '2026-01-01'",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            rows.into_iter().map(|r| r.3).collect()
        }
        Backend::Postgres => {
            // A small table is scanned whatever its indexes: ask what the plan would be
            // without scans.
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut conn)
                .await
                .unwrap();
            let rows: Vec<(String,)> =
                sqlx::query_as("EXPLAIN DELETE FROM idempotency WHERE created_at < '2026-01-01'")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            rows.into_iter().map(|r| r.0).collect()
        }
    };
    assert!(
        plan.iter().any(|l| l.contains("idempotency_created_at")),
        "the prune does not use the index: {plan:?}"
    );
    app.stop().await;
}

async fn token(app: &TestApp, role: Role, member: Option<&str>) -> String {
    app.access
        .create_token(role, member.map(str::to_owned), None, None, "tests")
        .await
        .expect("token")
        .0
}

async fn a_primer_is_returned_with_a_comment_resubmitted_endorsed_and_amended(b: Backend) {
    let app = spawn_app(b).await;
    let editor = bearer_client(&token(&app, Role::Editor, Some("VNM")).await);
    let submitted = primer("VNM", "submitted", 2);
    let r = app
        .send_as(&editor, "PUT", "/primers/VNM", Some(&submitted))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = app
        .post("/primers/VNM/review", &json!({"decision": "return"}))
        .await;
    assert_eq!(r.status, 422, "a return needs a comment: {}", r.body);
    assert_eq!(r.error_fields(), ["comment"]);

    let comment = "Add a 2027 target to KR2 and name the agency in charge.";
    let r = app
        .post(
            "/primers/VNM/review",
            &json!({"decision": "return", "comment": comment}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["primer"]["status"], "draft");
    // What the delegation's phone reads.
    let seen = app.send_as(&editor, "GET", "/primers/VNM", None).await.body;
    assert_eq!(seen["review"]["action"], "return");
    assert_eq!(seen["review"]["note"], comment);
    assert_eq!(seen["version"], 1);

    let mut changed = submitted.clone();
    changed["national_context"] = json!("The agency in charge is the VNPI.");
    let r = app
        .send_as(&editor, "PUT", "/primers/VNM", Some(&changed))
        .await;
    assert_eq!(r.status, 200, "resubmitted with changes: {}", r.body);

    let r = app
        .post(
            "/primers/VNM/review",
            &json!({"decision": "endorse", "endorsed_on": "2026-12-04"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["primer"]["status"], "endorsed");
    assert_eq!(r.body["primer"]["endorsed_on"], "2026-12-04");

    // The delegation reopens it as an amendment: a draft of version 2.
    let r = app
        .send_as(
            &editor,
            "POST",
            "/primers/VNM/amend",
            Some(&json!({"reason": "A new focus area after the mid-term review"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["primer"]["status"], "draft");
    assert_eq!(r.body["primer"]["version"], 2);
    assert_eq!(r.body["primer"]["endorsed_on"], Value::Null);

    // The history keeps every step, the return's snapshot (what changed since) and the
    // endorsed version 1 readable.
    let history = app.get("/primers/VNM/history").await.body;
    let steps: Vec<(String, i64)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap().to_owned(),
                s["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("create".to_owned(), 1),
            ("return".to_owned(), 1),
            ("submit".to_owned(), 1),
            ("endorse".to_owned(), 1),
            ("amend".to_owned(), 2)
        ]
    );
    assert_eq!(history[1]["note"], comment);
    assert_eq!(
        history[1]["primer"]["national_context"],
        "National context of VNM."
    );
    assert_eq!(history[3]["primer"]["status"], "endorsed");
    assert_eq!(history[3]["primer"]["endorsed_on"], "2026-12-04");
    assert_eq!(
        history[3]["primer"]["national_context"],
        "The agency in charge is the VNPI."
    );
    // The audit log keeps the comment and the reason.
    let audit = app.get("/audit?entity=primer").await.body;
    let notes: Vec<(&str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| Some((e["action"].as_str()?, e["note"].as_str()?)))
        .collect();
    assert_eq!(
        notes,
        [
            ("amend", "A new focus area after the mid-term review"),
            ("return", comment)
        ],
        "{audit}"
    );
    app.stop().await;
}

async fn review_moves_from_the_wrong_status_or_role_are_refused_and_change_nothing(b: Backend) {
    let app = spawn_app(b).await;
    let editor = bearer_client(&token(&app, Role::Editor, Some("VNM")).await);
    app.put("/primers/VNM", &primer("VNM", "draft", 2)).await;
    let before = app.everything().await;
    let cases = [
        (
            &app.client,
            "/primers/VNM/review",
            json!({"decision": "endorse"}),
            409,
        ),
        (
            &app.client,
            "/primers/VNM/review",
            json!({"decision": "return", "comment": "x"}),
            409,
        ),
        (
            &app.client,
            "/primers/VNM/amend",
            json!({"reason": "not endorsed yet"}),
            409,
        ),
        (
            &editor,
            "/primers/VNM/review",
            json!({"decision": "endorse"}),
            403,
        ),
        (
            &app.client,
            "/primers/JPN/review",
            json!({"decision": "endorse"}),
            404,
        ),
        (
            &app.client,
            "/primers/VNM/review",
            json!({"decision": "approve"}),
            422,
        ),
        (
            &app.client,
            "/primers/VNM/amend",
            json!({"reason": "  "}),
            422,
        ),
    ];
    for (client, path, body, status) in cases {
        let r = app.send_as(client, "POST", path, Some(&body)).await;
        assert_eq!(r.status, status, "{path} {body}: {}", r.body);
        assert!(r.body["error"]["message"].is_string(), "{}", r.body);
    }
    assert_eq!(app.everything().await, before);
    app.stop().await;
}

/// The current value of a key result in the dashboard of `period` 2026 (at `rev`, if given).
async fn current(app: &TestApp, kr: &str, rev: Option<i64>) -> Value {
    let path = match rev {
        Some(n) => format!("/dashboard?period=2026&rev={n}"),
        None => "/dashboard?period=2026".to_owned(),
    };
    let doc = if rev.is_some() {
        app.get(&path).await.body
    } else {
        app.dashboard_when_current(2026).await
    };
    doc["key_results"][kr]["actual"].clone()
}

async fn report(app: &TestApp, value: f64, at: &str) -> i64 {
    let r = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": value,
                    "reported_at": at}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["rev"].as_i64().unwrap()
}

async fn a_withdrawn_report_stops_counting_and_a_replay_before_it_still_counts_it(b: Backend) {
    let app = spawn_app(b).await;
    app.put("/primers/VNM", &primer("VNM", "draft", 2)).await;
    report(&app, 10.0, "2026-03-01T09:00:00Z").await;
    let wrong = report(&app, 1000.0, "2026-03-02T09:00:00Z").await;
    assert_eq!(current(&app, "VNM/VNM-KR1", None).await, 1000.0);

    let listed = app.get("/actuals?iso3=VNM").await.body;
    let id = listed[0]["id"].as_i64().unwrap();
    assert_eq!(listed[0]["value"], 1000.0);
    assert_eq!(listed[0]["withdrawn"], Value::Null);

    // Another member's editor may not; the member's own editor may.
    let other = bearer_client(&token(&app, Role::Editor, Some("JPN")).await);
    let body = json!({"reason": "typed 1000 for 100"});
    let r = app
        .send_as(
            &other,
            "POST",
            &format!("/actuals/{id}/withdraw"),
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .post(&format!("/actuals/{id}/withdraw"), &json!({"reason": ""}))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["reason"]);
    let editor = bearer_client(&token(&app, Role::Editor, Some("VNM")).await);
    let r = app
        .send_as(
            &editor,
            "POST",
            &format!("/actuals/{id}/withdraw"),
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let withdrawn_at = r.body["rev"].as_i64().unwrap();

    assert_eq!(current(&app, "VNM/VNM-KR1", None).await, 10.0);
    // The replay before the withdrawal still counts the report; after it, not.
    assert_eq!(current(&app, "VNM/VNM-KR1", Some(wrong)).await, 1000.0);
    assert_eq!(current(&app, "VNM/VNM-KR1", Some(withdrawn_at)).await, 10.0);
    let listed = app.get("/actuals?iso3=VNM").await.body;
    assert_eq!(listed[0]["withdrawn"]["reason"], "typed 1000 for 100");
    assert_eq!(listed[0]["withdrawn"]["rev"], withdrawn_at);

    let r = app
        .post(
            &format!("/actuals/{id}/withdraw"),
            &json!({"reason": "again"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = app
        .post("/actuals/999999/withdraw", &json!({"reason": "none"}))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    let audit = app
        .get(&format!("/audit?from_rev={withdrawn_at}"))
        .await
        .body;
    assert_eq!(audit[0]["action"], "withdraw");
    assert_eq!(audit[0]["entity_key"], "VNM/VNM-KR1/2026");
    assert_eq!(audit[0]["note"], "typed 1000 for 100");
    // A server started afresh over the same database computes the same.
    let doc = app.get("/dashboard?period=2026").await.body;
    assert!(
        doc["recent"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("withdrawn (typed 1000 for 100)"),
        "{}",
        doc["recent"][0]
    );
    app.stop().await;
}

async fn a_corrected_report_replaces_the_value_in_one_revision(b: Backend) {
    let app = spawn_app(b).await;
    app.put("/primers/VNM", &primer("VNM", "draft", 2)).await;
    report(&app, 10.0, "2026-03-01T09:00:00Z").await;
    report(&app, 1000.0, "2026-03-02T09:00:00Z").await;
    let id = app.get("/actuals?iso3=VNM").await.body[0]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            &format!("/actuals/{id}/correct"),
            &json!({"value": 100, "reason": "typed 1000 for 100"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let rev = r.body["rev"].as_i64().unwrap();
    assert_eq!(current(&app, "VNM/VNM-KR1", None).await, 100.0);
    let listed = app.get("/actuals?iso3=VNM").await.body;
    let newest = &listed[0];
    assert_eq!(newest["value"], 100.0);
    assert_eq!(newest["rev"], rev);
    assert_eq!(newest["reported_at"], "2026-03-02T09:00:00.000000Z");
    assert_eq!(listed[1]["withdrawn"]["rev"], rev);
    let audit = app.get(&format!("/audit?from_rev={rev}")).await.body;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // Newest first: the corrected report was written after the withdrawal, in its revision.
    assert_eq!(actions, ["report", "withdraw"]);
    app.stop().await;
}

async fn a_key_result_declares_its_range_and_reports_outside_it_are_refused(b: Backend) {
    let app = spawn_app(b).await;
    let mut p = primer("VNM", "draft", 2);
    p["key_results"][0]["min_value"] = json!(0);
    p["key_results"][1]["min_value"] = json!(0);
    p["key_results"][1]["max_value"] = json!(100);
    p["key_results"][1]["baseline_value"] = json!(50);
    p["key_results"][1]["targets"] = json!({"2026": 60, "2027": 70});
    let r = app.put("/primers/VNM", &p).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["primer"]["key_results"][1]["max_value"], 100.0);
    let before = app.everything().await;

    let refused = [
        (
            json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": -1}),
            "below",
        ),
        (
            json!({"iso3": "VNM", "kr_code": "VNM-KR2", "year": 2026, "value": 100.5}),
            "above",
        ),
    ];
    for (body, word) in refused {
        let r = app.post("/actuals", &body).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.error_fields(), ["value"]);
        let message = r.body["error"]["details"][0]["message"].as_str().unwrap();
        assert!(message.contains(word), "{message}");
    }
    // A target or a baseline outside the range, or a range upside down, is refused too.
    let mut bad = p.clone();
    bad["key_results"][1]["targets"]["2028"] = json!(120);
    bad["key_results"][0]["baseline_value"] = json!(-5);
    bad["key_results"][0]["max_value"] = json!(-1);
    let r = app.put("/primers/VNM", &bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["key_results[0].max_value", "key_results[1].targets.2028"]
    );
    assert_eq!(app.everything().await, before);
    // The import keeps the same rules: a range declared in key_results.csv, and a report
    // outside it refused with its file, row and column, writing nothing.
    let files = |krs: &str, actuals: &str| {
        [
            ("key_results.csv", krs.to_owned()),
            ("actuals.csv", actuals.to_owned()),
        ]
        .map(|(name, text)| apo_dashboard::import::Source {
            name: name.into(),
            bytes: text.into_bytes(),
        })
    };
    let krs = "iso3,kr_code,pillar,focus_area,title,unit,direction,min_value,max_value\n\
               VNM,VNM-KR3,2,SMEs,Share of SMEs certified,%,increase,0,100\n";
    let err = apo_dashboard::import::import(
        &app.store,
        &files(krs, "iso3,kr_code,year,value\nVNM,VNM-KR3,2026,140\n"),
        &apo_dashboard::records::Actor::service("import"),
        apo_dashboard::import::Mode::Apply,
    )
    .await
    .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("actuals.csv row 2: value: 140 is above the range"),
        "{text}"
    );
    assert_eq!(app.everything().await, before, "nothing written");
    apo_dashboard::import::import(
        &app.store,
        &files(krs, "iso3,kr_code,year,value\nVNM,VNM-KR3,2026,40\n"),
        &apo_dashboard::records::Actor::service("import"),
        apo_dashboard::import::Mode::Apply,
    )
    .await
    .expect("imported");
    let imported = app.get("/primers/VNM").await.body;
    assert_eq!(imported["key_results"][2]["max_value"], 100.0);

    // On the edge is inside.
    let r = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": "VNM-KR2", "year": 2026, "value": 100}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.stop().await;
}

async fn every_problem_of_a_primer_is_named_at_once_in_plain_words(b: Backend) {
    let app = spawn_app(b).await;
    let mut p = primer("VNM", "draft", 2);
    p["key_results"][0]["pillar"] = json!(5);
    p["key_results"][0]["direction"] = json!("up");
    p["key_results"][1]["weight"] = json!(-1);
    p["key_results"][1]["targets"]["2029"] = json!(140);
    p["focus_areas"] = json!(["SMEs", "Green productivity", "SMEs"]);
    let r = app.put("/primers/VNM", &p).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "focus_areas",
            "key_results[0].direction",
            "key_results[0].pillar",
            "key_results[1].targets.2029",
            "key_results[1].weight",
        ],
        "{}",
        r.body
    );
    let text = r.body.to_string();
    for jargon in ["expected", "invalid type", "i64", "f64", "JSON"] {
        assert!(!text.contains(jargon), "{jargon} in {text}");
    }
    let details = r.body["error"]["details"].as_array().unwrap();
    let message = |field: &str| {
        details
            .iter()
            .find(|d| d["field"] == field)
            .map(|d| d["message"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert!(message("key_results[0].direction").contains("\"increase\""));
    assert!(message("key_results[1].weight").contains("greater than 0"));

    // A target typed as text: its year is a name, not an index.
    let mut p = primer("VNM", "draft", 2);
    p["key_results"][1]["targets"]["2027"] = json!("abc");
    let r = app.put("/primers/VNM", &p).await;
    assert_eq!(
        r.error_fields(),
        ["key_results[1].targets.2027"],
        "{}",
        r.body
    );

    // A nullable field (a budget's member) is named where it is, in a batch with its row.
    let r = app
        .put(
            "/budgets",
            &json!([{"pillar": 1, "year": 2026, "planned": 1, "spent": 1},
                    {"pillar": 9, "year": 2026, "planned": 1, "spent": 1, "iso3": "vn"}]),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, ["[1].iso3", "[1].pillar"], "{}", r.body);

    // A query's parameters too: each named, in words, all at once.
    let r = app.get("/actuals?limit=abc&year=soon&colour=red").await;
    assert_eq!(r.status, 422, "{}", r.body);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, ["colour", "limit", "year"], "{}", r.body);
    let text = r.body.to_string();
    assert!(
        text.contains(r#"must be a whole number, not \"abc\""#),
        "{text}"
    );
    assert!(
        !text.contains("deserialize") && !text.contains("digit"),
        "{text}"
    );

    // A value typed as text on a phone.
    app.put("/primers/VNM", &primer("VNM", "draft", 2)).await;
    let r = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": "abc"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["value"]);
    assert_eq!(
        r.body["error"]["details"][0]["message"],
        "must be a number, not \"abc\""
    );
    app.stop().await;
}

async fn a_change_sent_twice_with_one_idempotency_key_is_made_once(b: Backend) {
    let app = spawn_app(b).await;
    app.put("/primers/VNM", &primer("VNM", "draft", 2)).await;
    let body = json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 12});
    let send = |key: &'static str, body: Value| {
        let req = app
            .client
            .post(app.url("/actuals"))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(body.to_string());
        async move {
            let resp = req.send().await.expect("POST");
            let replayed = resp.headers().contains_key("idempotent-replayed");
            (TestApp::reply(resp).await, replayed)
        }
    };
    let (first, replayed) = send("0d9e4a52-7d5c-4c38-9a4c-1f1e7b1c2a10", body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(!replayed);
    let (again, replayed) = send("0d9e4a52-7d5c-4c38-9a4c-1f1e7b1c2a10", body.clone()).await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert!(replayed, "the second answer says it is the first one again");
    assert_eq!(again.body, first.body, "the same revision");
    let listed = app.get("/actuals?iso3=VNM").await.body;
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "counted once: {listed}"
    );

    // The same key for another change is a mistake, and refused.
    let other = json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 13});
    let (r, _) = send("0d9e4a52-7d5c-4c38-9a4c-1f1e7b1c2a10", other).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["Idempotency-Key"]);
    // A refusal is kept too: the same bad request gets the same answer, and writes nothing.
    let bad = json!({"iso3": "VNM", "kr_code": "VNM-KR9", "year": 2026, "value": 1});
    let (r1, _) = send("k-2", bad.clone()).await;
    let (r2, replayed) = send("k-2", bad).await;
    assert_eq!((r1.status, r2.status), (422, 422));
    assert!(replayed);
    let (r, _) = send("   ", body).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        app.get("/actuals?iso3=VNM")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}
