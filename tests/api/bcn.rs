//! BCN exchanges (issue 22): the participant limit read from the notification for the
//! modality, closing windows on their boundaries (the closing day open, the next day closed),
//! same-member exchanges, decisions taken once, replay, the network, and every programme
//! write reaching the live feed.

use apo_dashboard::access::Role;
use apo_dashboard::clock::Clock;
use serde_json::{Value, json};
use time::macros::date;

use crate::helpers::{Backend, TestApp, bearer_client};
use crate::projects::app_on;

crate::on_both_backends!(
    the_participant_limit_is_the_notification_s_for_the_modality,
    closing_windows_turn_on_their_boundaries,
    a_same_member_exchange_and_other_bad_applications_are_refused_naming_the_field,
    a_decision_is_taken_once_and_a_decline_says_why,
    applications_replay_as_of_a_revision_and_make_the_network,
    every_programme_write_reaches_the_live_feed,
);

/// The 2026 edition of reference 520: two closing dates for applications, 10 virtual and 4
/// face to face.
pub fn bcn_2026() -> Value {
    json!({
        "code": "26-SN-03-GE-BCN-C", "reference": 618, "title": "Bilateral Cooperation between NPOs (BCN)",
        "pillar": 1, "status": "active", "start_date": "2026-01-01", "end_date": "2026-12-31",
        "hosts": ["*"], "participants": ["*"], "modality": "hybrid",
        "overseas_limit": {"virtual": 10, "face_to_face": 4},
        "closing_dates": [
            {"date": "2026-03-31", "remark": "First closing date for application", "for": "applications"},
            {"date": "2026-06-30", "remark": "Second closing date for application", "for": "applications"}
        ]
    })
}

fn application(modality: &str, participants: i64) -> Value {
    json!({"project": "26-SN-03-GE-BCN-C", "sender": "VNM", "host": "JPN",
           "topic": "Lean manufacturing in electronics", "modality": modality,
           "participants": participants, "start_date": "2026-10-05", "end_date": "2026-10-09",
           "level": "NPO officials"})
}

async fn with_bcn(b: Backend, clock: &Clock) -> TestApp {
    let app = app_on(b, clock, false).await;
    let r = app.put("/projects/26-SN-03-GE-BCN-C", &bcn_2026()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    app
}

async fn the_participant_limit_is_the_notification_s_for_the_modality(b: Backend) {
    let clock = Clock::fixed(date!(2026 - 03 - 01));
    let app = with_bcn(b, &clock).await;
    let five_in_person = application("face_to_face", 5);
    let r = app.post("/bcn/applications", &five_in_person).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["participants"]);
    let message = r.body["error"]["details"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("limit of 4 for a face_to_face"),
        "{message}"
    );
    let r = app
        .post("/bcn/applications", &application("virtual", 10))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        app.post("/bcn/applications", &application("virtual", 11))
            .await
            .status,
        422
    );
    // The notification's limit changes: the same application now passes, then fails again.
    let mut notification = bcn_2026();
    notification["overseas_limit"]["face_to_face"] = json!(6);
    assert_eq!(
        app.put("/projects/26-SN-03-GE-BCN-C", &notification)
            .await
            .status,
        200
    );
    let r = app.post("/bcn/applications", &five_in_person).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["closing_date"], "2026-03-31");
    notification["overseas_limit"] = json!({"face_to_face": 2});
    assert_eq!(
        app.put("/projects/26-SN-03-GE-BCN-C", &notification)
            .await
            .status,
        200
    );
    assert_eq!(
        app.post("/bcn/applications", &five_in_person).await.status,
        422
    );
    // No limit for a modality the notification does not limit.
    let r = app
        .post("/bcn/applications", &application("virtual", 500))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.stop().await;
}

async fn closing_windows_turn_on_their_boundaries(b: Backend) {
    let clock = Clock::fixed(date!(2026 - 03 - 31));
    let app = with_bcn(b, &clock).await;
    let file = || {
        let app = &app;
        async move {
            app.post("/bcn/applications", &application("virtual", 6))
                .await
        }
    };
    for (day, closing) in [
        (date!(2026 - 01 - 01), "2026-03-31"),
        (date!(2026 - 03 - 31), "2026-03-31"),
        (date!(2026 - 04 - 01), "2026-06-30"),
        (date!(2026 - 06 - 30), "2026-06-30"),
    ] {
        clock.set(Some(day));
        let r = file().await;
        assert_eq!(r.status, 201, "{day}: {}", r.body);
        assert_eq!(r.body["closing_date"], closing, "{day}");
        let id = r.body["id"].as_i64().unwrap();
        let listed = app
            .get(&format!("/bcn/applications?closing_date={closing}"))
            .await
            .body;
        assert!(
            listed.as_array().unwrap().iter().any(|a| a["id"] == id),
            "{day}"
        );
        assert!(listed[0]["filed_on"].is_string(), "{listed}");
    }
    clock.set(Some(date!(2026 - 07 - 01)));
    let before = app.get("/bcn/applications").await.body;
    let r = file().await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["project"]);
    let message = r.body["error"]["details"][0]["message"].as_str().unwrap();
    assert!(message.contains("the last was 2026-06-30"), "{message}");
    assert_eq!(app.get("/bcn/applications").await.body, before);
    // Open all year: no closing date left, and still taken (until the year ends).
    let mut all_year = bcn_2026();
    all_year["open_all_year"] = json!("Applications throughout the year");
    assert_eq!(
        app.put("/projects/26-SN-03-GE-BCN-C", &all_year)
            .await
            .status,
        200
    );
    let r = file().await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["closing_date"], Value::Null);
    clock.set(Some(date!(2027 - 01 - 01)));
    assert_eq!(file().await.status, 422);
    let per_window = app
        .get("/bcn/applications?closing_date=2026-06-30")
        .await
        .body;
    assert_eq!(per_window.as_array().unwrap().len(), 2);
    app.stop().await;
}

async fn a_same_member_exchange_and_other_bad_applications_are_refused_naming_the_field(
    b: Backend,
) {
    let clock = Clock::fixed(date!(2026 - 02 - 01));
    let app = with_bcn(b, &clock).await;
    let coe = json!({"code": "26-RC-04-GE-COE-C", "title": "COE", "pillar": 4, "status": "active",
                     "hosts": ["*"], "start_date": "2026-01-01", "end_date": "2026-12-31",
                     "closing_dates": [{"date": "2026-03-31", "for": "any"}]});
    assert_eq!(
        app.put("/projects/26-RC-04-GE-COE-C", &coe).await.status,
        200
    );
    let narrow = json!({"code": "26-JP-05-GE-BCN-A", "title": "BCN hosted by Japan",
                        "pillar": 1, "status": "active", "hosts": ["JPN"], "participants": ["LAO"],
                        "closing_dates": [{"date": "2026-12-31", "for": "applications"}]});
    assert_eq!(
        app.put("/projects/26-JP-05-GE-BCN-A", &narrow).await.status,
        200
    );
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = application("virtual", 6);
        f(&mut v);
        v
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "a same-member exchange",
            with(&|v| v["host"] = json!("VNM")),
            "host",
        ),
        (
            "an unknown host",
            with(&|v| v["host"] = json!("XYZ")),
            "host",
        ),
        (
            "an unknown sender",
            with(&|v| v["sender"] = json!("ABC")),
            "sender",
        ),
        (
            "a COE notification",
            with(&|v| v["project"] = json!("26-RC-04-GE-COE-C")),
            "project",
        ),
        (
            "no such notification",
            with(&|v| v["project"] = json!("26-ZZ-01-GE-BCN-A")),
            "project",
        ),
        (
            "a hybrid exchange",
            with(&|v| v["modality"] = json!("hybrid")),
            "modality",
        ),
        (
            "no participants",
            with(&|v| v["participants"] = json!(0)),
            "participants",
        ),
        (
            "ending before it starts",
            with(&|v| v["end_date"] = json!("2026-10-01")),
            "end_date",
        ),
        (
            "after the notification's timing",
            with(&|v| v["end_date"] = json!("2027-01-10")),
            "end_date",
        ),
        (
            "a host not among its hosts",
            with(&|v| {
                v["project"] = json!("26-JP-05-GE-BCN-A");
                v["host"] = json!("KOR");
                v["sender"] = json!("LAO");
            }),
            "host",
        ),
        (
            "a sender not among its participants",
            with(&|v| v["project"] = json!("26-JP-05-GE-BCN-A")),
            "sender",
        ),
        ("no topic", with(&|v| v["topic"] = json!("")), "topic"),
        (
            "an unknown field",
            with(&|v| v["budget"] = json!(1)),
            "budget",
        ),
    ];
    let before = app.get("/audit").await.body;
    let mut failures = Vec::new();
    for (name, body, field) in cases {
        let r = app.post("/bcn/applications", &body).await;
        if r.status != 422 || !r.error_fields().iter().any(|f| f == field) {
            failures.push(format!("{name}: {} {}", r.status, r.body));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(app.get("/audit").await.body, before, "nothing written");
    // The sending member's editor may apply; another member's may not; a viewer may not.
    let client = |role, member: Option<&str>| {
        let app = &app;
        let member = member.map(str::to_owned);
        async move {
            let (token, _) = app
                .access
                .create_token(role, member, Some("t".into()), None, "tests")
                .await
                .unwrap();
            bearer_client(&token)
        }
    };
    let vnm = client(Role::Editor, Some("VNM")).await;
    let jpn = client(Role::Editor, Some("JPN")).await;
    let viewer = client(Role::Viewer, None).await;
    let body = application("virtual", 6);
    let r = app
        .send_as(&jpn, "POST", "/bcn/applications", Some(&body))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .send_as(&viewer, "POST", "/bcn/applications", Some(&body))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .send_as(&vnm, "POST", "/bcn/applications", Some(&body))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let r = app
        .send_as(
            &vnm,
            "POST",
            &format!("/bcn/applications/{id}/decision"),
            Some(&json!({"status": "approved"})),
        )
        .await;
    assert_eq!(r.status, 403, "only the Secretariat decides: {}", r.body);
    app.stop().await;
}

async fn a_decision_is_taken_once_and_a_decline_says_why(b: Backend) {
    let clock = Clock::fixed(date!(2026 - 05 - 01));
    let app = with_bcn(b, &clock).await;
    let id = app
        .post("/bcn/applications", &application("virtual", 6))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let other = app
        .post("/bcn/applications", &application("face_to_face", 4))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let decide = |id: i64, body: Value| {
        let app = &app;
        async move {
            app.post(&format!("/bcn/applications/{id}/decision"), &body)
                .await
        }
    };
    for reason in [json!(""), json!("   ")] {
        let r = decide(id, json!({"status": "declined", "reason": reason})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.error_fields(), ["reason"]);
    }
    let r = decide(id, json!({"status": "declined"})).await;
    assert_eq!(r.error_fields(), ["reason"]);
    let r = decide(id, json!({"status": "maybe"})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = decide(
        id,
        json!({"status": "declined", "reason": "The host cannot receive a delegation in October"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "declined");
    assert_eq!(
        r.body["reason"],
        "The host cannot receive a delegation in October"
    );
    // Decided: a second decision, either way, is a conflict.
    for body in [
        json!({"status": "approved"}),
        json!({"status": "declined", "reason": "again"}),
    ] {
        let r = decide(id, body).await;
        assert_eq!(r.status, 409, "{}", r.body);
    }
    let r = decide(other, json!({"status": "approved"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        decide(other, json!({"status": "approved"})).await.status,
        409
    );
    assert_eq!(decide(999, json!({"status": "approved"})).await.status, 404);
    let listed = |q: &'static str| {
        let app = &app;
        async move { app.get(&format!("/bcn/applications?{q}")).await.body }
    };
    assert_eq!(listed("status=declined").await[0]["id"], id);
    assert_eq!(listed("status=approved").await[0]["id"], other);
    assert_eq!(listed("status=pending").await, json!([]));
    assert_eq!(listed("project=25-SN-03-GE-BCN-C").await, json!([]));
    assert_eq!(app.get("/bcn/applications?status=lost").await.status, 422);
    let audit = app.get("/audit").await.body;
    assert_eq!(audit[0]["entity"], "bcn_application");
    assert_eq!(audit[0]["action"], "approve");
    assert_eq!(audit[1]["action"], "decline");
    assert_eq!(
        audit[1]["note"],
        "The host cannot receive a delegation in October"
    );
    app.stop().await;
}

async fn applications_replay_as_of_a_revision_and_make_the_network(b: Backend) {
    let clock = Clock::fixed(date!(2026 - 05 - 01));
    let app = with_bcn(b, &clock).await;
    let mut ids = Vec::new();
    for (sender, host) in [
        ("VNM", "JPN"),
        ("VNM", "JPN"),
        ("LAO", "THA"),
        ("KHM", "THA"),
    ] {
        let mut a = application("virtual", 4);
        a["sender"] = json!(sender);
        a["host"] = json!(host);
        let r = app.post("/bcn/applications", &a).await;
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let filed = app.store.current_rev().await.unwrap();
    let r = app
        .post(
            &format!("/bcn/applications/{}/decision", ids[0]),
            &json!({"status": "approved"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let then = app
        .get(&format!("/bcn/applications?rev={filed}"))
        .await
        .body;
    assert!(
        then.as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "pending"),
        "{then}"
    );
    let now = app.get("/bcn/applications").await.body;
    assert_eq!(now[0]["status"], "approved");
    let rev = app.store.current_rev().await.unwrap();
    assert_eq!(
        app.get(&format!("/bcn/applications?rev={rev}")).await.body,
        now
    );
    let network = app.get("/bcn/network?year=2026").await.body;
    assert_eq!(
        network,
        json!([
            {"sender": "KHM", "host": "THA", "pending": 1, "approved": 0, "declined": 0, "total": 1},
            {"sender": "LAO", "host": "THA", "pending": 1, "approved": 0, "declined": 0, "total": 1},
            {"sender": "VNM", "host": "JPN", "pending": 1, "approved": 1, "declined": 0, "total": 2}
        ])
    );
    assert_eq!(app.get("/bcn/network?year=2025").await.body, json!([]));
    let then = app.get(&format!("/bcn/network?rev={filed}")).await.body;
    assert_eq!(then[2]["pending"], 2);
    app.stop().await;
}

async fn every_programme_write_reaches_the_live_feed(b: Backend) {
    let clock = Clock::fixed(date!(2026 - 03 - 01));
    let app = with_bcn(b, &clock).await;
    // The notification's change reached the document first: the patches below are ours alone.
    app.dashboard_when_current(2026).await;
    let mut c = crate::live::connect(&app, "?period=2026").await;
    let first = c.next().await;
    assert_eq!(first["type"], "snapshot");
    let mut events = Vec::new();
    let expect = |entity: &str, action: &str| (entity.to_owned(), action.to_owned());
    let mut wanted = Vec::new();
    let r = app
        .post("/bcn/applications", &application("virtual", 6))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    wanted.push(expect("bcn_application", "create"));
    let id = r.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/bcn/applications/{id}/decision"),
            &json!({"status": "approved"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    wanted.push(expect("bcn_application", "approve"));
    let coe = json!({"id": "twn-green-productivity", "iso3": "TWN",
                     "institution": "China Productivity Center", "area": "Green productivity",
                     "designated": "2025-04-01"});
    assert_eq!(
        app.put("/coes/twn-green-productivity", &coe).await.status,
        200
    );
    wanted.push(expect("coe", "create"));
    let r = app
        .post(
            "/coes/twn-green-productivity/assessments",
            &json!({"date": "2026-02-01", "decision": "hold", "note": "Delivery plan revised"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    wanted.push(expect("coe", "assess"));
    let mut notification = bcn_2026();
    notification["title"] = json!("BCN, amended");
    assert_eq!(
        app.put("/projects/26-SN-03-GE-BCN-C", &notification)
            .await
            .status,
        200
    );
    wanted.push(expect("project", "update"));
    let rev = app.store.current_rev().await.unwrap();
    let mut summaries = Vec::new();
    while events.len() < wanted.len() {
        let f = c.next().await;
        if f["type"] != "patch" {
            continue;
        }
        for e in f["events"].as_array().unwrap() {
            events.push(e["entity"].as_str().unwrap().to_owned());
        }
        for op in f["ops"].as_array().unwrap() {
            if op["op"] == "insert" && op["path"][0] == "recent" {
                summaries.push((
                    op["value"]["entity"].as_str().unwrap().to_owned(),
                    op["value"]["action"].as_str().unwrap().to_owned(),
                    op["value"]["summary"].as_str().unwrap().to_owned(),
                ));
            }
        }
        if f["rev"] == rev {
            break;
        }
    }
    let entities: Vec<String> = wanted.iter().map(|w| w.0.clone()).collect();
    assert_eq!(events, entities);
    let got: Vec<(String, String)> = summaries
        .iter()
        .map(|(e, a, _)| (e.clone(), a.clone()))
        .collect();
    assert_eq!(got, wanted, "ticker lines: {summaries:#?}");
    assert!(
        summaries[0].2.contains("Vietnam → Japan"),
        "{}",
        summaries[0].2
    );
    app.stop().await;
}
