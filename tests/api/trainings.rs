//! Trainings (issue 23, contract §3): counts that must add up, dates, unknown fields refused
//! (no personal data), the summary's sums, who may write or delete what, and replay as of a
//! past revision, a deletion included.

use apo_dashboard::access::Role;
use apo_dashboard::clock::Clock;
use serde_json::{Value, json};
use time::macros::date;

use crate::accreditations::token;
use crate::helpers::{Backend, TestApp, bearer_client};
use crate::projects::app_on;

crate::on_both_backends!(
    a_training_s_counts_and_dates_must_hold,
    the_summary_sums_courses_participants_and_hours,
    trainings_are_written_by_their_member_s_editor_or_the_secretariat,
    trainings_replay_as_of_a_revision_deletions_included,
    a_training_sent_twice_with_one_idempotency_key_is_made_once,
);

pub fn training(id: &str, iso3: &str) -> Value {
    json!({"id": id, "iso3": iso3, "title": "Lean for food processors", "provider": "VNPI",
           "sector": "food_processing", "topic": "Lean production",
           "start_date": "2026-03-02", "end_date": "2026-03-06", "mode": "in_person",
           "hours": 40, "participants": {"government": 4, "enterprises": 21, "universities": 5},
           "by_sex": {"female": 14, "male": 16, "unspecified": 0}, "smes": 17,
           "certified_specialists": 3})
}

async fn app(b: Backend) -> TestApp {
    app_on(b, &Clock::fixed(date!(2026 - 12 - 07)), false).await
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("a list: {v}"))
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_training_s_counts_and_dates_must_hold(b: Backend) {
    let app = app(b).await;
    let rev = app.store.current_rev().await.unwrap();
    let put = |body: Value| {
        let app = &app;
        async move {
            app.put(
                &format!("/trainings/{}", body["id"].as_str().unwrap()),
                &body,
            )
            .await
        }
    };
    let mut t = training("vnm-tr-2026-014", "VNM");
    t["by_sex"]["male"] = json!(15);
    t["smes"] = json!(22);
    t["certified_specialists"] = json!(31);
    let r = put(t).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.error_fields(),
        ["by_sex", "smes", "certified_specialists"]
    );
    let mut t = training("vnm-tr-2026-014", "VNM");
    t["end_date"] = json!("2026-03-01");
    t["hours"] = json!(0);
    let r = put(t).await;
    assert_eq!(r.error_fields(), ["end_date", "hours"], "{}", r.body);
    let mut t = training("vnm-tr-2026-014", "VNM");
    t["start_date"] = json!("2026-12-07");
    t["end_date"] = json!("2026-12-08");
    let r = put(t).await;
    assert_eq!(r.error_fields(), ["end_date"], "a future end: {}", r.body);
    assert!(
        r.body["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("future")
    );
    let mut t = training("vnm-tr-2026-014", "VNM");
    t["trainees"] = json!([{"name": "Nguyen Van A"}]);
    let r = put(t).await;
    assert!([400, 422].contains(&r.status), "{}", r.body);
    assert!(r.body.to_string().contains("trainees"), "{}", r.body);
    let mut t = training("vnm-tr-2026-014", "VNM");
    t["participants"]["students"] = json!(2);
    assert_eq!(put(t).await.status / 100, 4);
    let mut t = training("vnm-tr-2026-014", "VNM");
    t["sector"] = json!("mining");
    assert_eq!(put(t).await.status / 100, 4);
    let mut t = training("vnm-tr-2026-014", "VNM");
    t["mode"] = json!("hybrid");
    assert_eq!(put(t).await.status / 100, 4);
    let r = app
        .put(
            "/trainings/vnm-tr-other",
            &training("vnm-tr-2026-014", "VNM"),
        )
        .await;
    assert_eq!(r.error_fields(), ["id"], "{}", r.body);
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        rev,
        "nothing written"
    );
    assert_eq!(app.get("/trainings").await.body, json!([]));
    // The same day as today ends a course delivered; whole numbers may be written 21.0.
    let mut t = training("vnm-tr-2026-014", "VNM");
    t["end_date"] = json!("2026-12-07");
    t["participants"]["enterprises"] = json!(21.0);
    let r = put(t.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = app.get("/trainings/vnm-tr-2026-014").await.body;
    assert_eq!(got["participants"]["enterprises"], 21);
    assert_eq!(got["hours"], 40.0);
    assert_eq!(app.get("/trainings/vnm-tr-nope").await.status, 404);
    let sectors = app.get("/trainings/sectors").await.body;
    assert_eq!(sectors.as_array().unwrap().len(), 12);
    assert_eq!(
        sectors[2],
        json!({"id": "food_processing", "label": "Food processing"})
    );
    app.stop().await;
}

async fn the_summary_sums_courses_participants_and_hours(b: Backend) {
    let app = app(b).await;
    assert_eq!(
        app.get("/trainings/summary").await.body["courses"],
        0,
        "none yet"
    );
    let a = training("vnm-tr-1", "VNM");
    let mut b2 = training("vnm-tr-2", "VNM");
    b2["sector"] = json!("agriculture");
    b2["start_date"] = json!("2025-11-24");
    b2["end_date"] = json!("2025-11-28");
    b2["hours"] = json!(10.5);
    let mut c = training("jpn-tr-1", "JPN");
    c["participants"] = json!({"government": 0, "enterprises": 8, "universities": 2});
    c["by_sex"] = json!({"female": 5, "male": 4, "unspecified": 1});
    c["smes"] = json!(8);
    c["certified_specialists"] = json!(0);
    for t in [&a, &b2, &c] {
        let r = app
            .put(&format!("/trainings/{}", t["id"].as_str().unwrap()), t)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let s = app.get("/trainings/summary").await.body;
    assert_eq!(
        s,
        json!({"courses": 3, "participants": 70, "hours": 1200.0 + 315.0 + 400.0,
               "by_sector": {"agriculture": 30, "food_processing": 40},
               "by_group": {"government": 8, "enterprises": 50, "universities": 12},
               "by_sex": {"female": 33, "male": 36, "unspecified": 1},
               "smes": 42, "certified_specialists": 6,
               "by_year": {"2025": 30, "2026": 40}, "by_member": {"JPN": 10, "VNM": 60}})
    );
    let vnm = app.get("/trainings/summary?iso3=VNM").await.body;
    assert_eq!(
        (vnm["courses"].clone(), vnm["participants"].clone()),
        (json!(2), json!(60))
    );
    assert_eq!(
        ids(&app.get("/trainings?year=2025").await.body),
        ["vnm-tr-2"]
    );
    assert_eq!(
        ids(&app.get("/trainings?sector=food_processing").await.body),
        ["jpn-tr-1", "vnm-tr-1"]
    );
    assert_eq!(
        ids(&app.get("/trainings?iso3=JPN").await.body),
        ["jpn-tr-1"]
    );
    assert_eq!(app.get("/trainings?sector=mining").await.status / 100, 4);
    app.stop().await;
}

async fn trainings_are_written_by_their_member_s_editor_or_the_secretariat(b: Backend) {
    let app = app(b).await;
    let viewer = bearer_client(&token(&app, Role::Viewer, None).await);
    let vnm = bearer_client(&token(&app, Role::Editor, Some("VNM")).await);
    let jpn = bearer_client(&token(&app, Role::Editor, Some("JPN")).await);
    let path = "/trainings/vnm-tr-1";
    let body = training("vnm-tr-1", "VNM");
    for (client, status) in [(&viewer, 403), (&jpn, 403), (&app.anon, 401)] {
        let r = app.send_as(client, "PUT", path, Some(&body)).await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    let r = app.send_as(&vnm, "PUT", path, Some(&body)).await;
    assert_eq!(r.status, 200, "own editor: {}", r.body);
    let rev = app.store.current_rev().await.unwrap();
    // Another member's editor may neither change it, nor take it over by naming its own
    // member, nor delete it; VNM's editor may not move it to another member.
    let as_jpn = training("vnm-tr-1", "JPN");
    let r = app.send_as(&jpn, "PUT", path, Some(&as_jpn)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app.send_as(&vnm, "PUT", path, Some(&as_jpn)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    for client in [&jpn, &viewer] {
        let r = app.send_as(client, "DELETE", path, None).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        rev,
        "nothing written"
    );
    assert_eq!(app.get(path).await.body["iso3"], "VNM");
    let mut changed = body.clone();
    changed["title"] = json!("Lean for food processors, second run");
    let r = app.put(path, &changed).await;
    assert_eq!(r.status, 200, "the Secretariat: {}", r.body);
    let r = app.send_as(&vnm, "DELETE", path, None).await;
    assert_eq!(r.status, 200, "own editor deletes: {}", r.body);
    assert_eq!(app.get(path).await.status, 404);
    let r = app.send_as(&vnm, "DELETE", path, None).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = app
        .put("/trainings/jpn-tr-1", &training("jpn-tr-1", "JPN"))
        .await;
    assert_eq!(r.status, 200);
    let r = app
        .send_as(&app.client, "DELETE", "/trainings/jpn-tr-1", None)
        .await;
    assert_eq!(r.status, 200, "the Secretariat deletes: {}", r.body);
    app.stop().await;
}

async fn trainings_replay_as_of_a_revision_deletions_included(b: Backend) {
    let app = app(b).await;
    let first = app
        .put("/trainings/vnm-tr-1", &training("vnm-tr-1", "VNM"))
        .await
        .body["rev"]
        .as_i64()
        .unwrap();
    let mut changed = training("vnm-tr-1", "VNM");
    changed["hours"] = json!(16);
    let second = app.put("/trainings/vnm-tr-1", &changed).await.body["rev"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.put("/trainings/jpn-tr-1", &training("jpn-tr-1", "JPN"))
            .await
            .status,
        200
    );
    let r = app
        .send_as(&app.client, "DELETE", "/trainings/vnm-tr-1", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let deleted = r.body["rev"].as_i64().unwrap();
    assert_eq!(ids(&app.get("/trainings").await.body), ["jpn-tr-1"]);
    let at = |rev: i64, path: &str| format!("{path}?rev={rev}");
    assert_eq!(
        app.get(&at(first, "/trainings/vnm-tr-1")).await.body["hours"],
        40.0
    );
    assert_eq!(
        app.get(&at(second, "/trainings/vnm-tr-1")).await.body["hours"],
        16.0
    );
    assert_eq!(
        ids(&app.get(&at(deleted - 1, "/trainings")).await.body),
        ["jpn-tr-1", "vnm-tr-1"]
    );
    assert_eq!(
        ids(&app.get(&at(deleted, "/trainings")).await.body),
        ["jpn-tr-1"]
    );
    assert_eq!(
        app.get(&at(deleted, "/trainings/vnm-tr-1")).await.status,
        404
    );
    let s = app.get(&at(second, "/trainings/summary")).await.body;
    assert_eq!(
        (s["courses"].clone(), s["hours"].clone()),
        (json!(1), json!(480.0))
    );
    let audit = app.get("/audit?entity=training").await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let text = audit.body.to_string();
    assert!(text.contains("\"delete\""), "{text}");
    app.stop().await;
}

async fn a_training_sent_twice_with_one_idempotency_key_is_made_once(b: Backend) {
    let app = app(b).await;
    let send = |method: &str, path: &str, key: &'static str, body: Option<Value>| {
        let mut req = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .header("idempotency-key", key);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        async move {
            let resp = req.send().await.expect("request");
            let replayed = resp.headers().contains_key("idempotent-replayed");
            (TestApp::reply(resp).await, replayed)
        }
    };
    let body = training("vnm-tr-1", "VNM");
    let (first, replayed) =
        send("PUT", "/trainings/vnm-tr-1", "tr-put-1", Some(body.clone())).await;
    assert_eq!((first.status, replayed), (200, false), "{}", first.body);
    let (again, replayed) = send("PUT", "/trainings/vnm-tr-1", "tr-put-1", Some(body)).await;
    assert!(replayed, "{}", again.body);
    assert_eq!(again.body, first.body, "the same revision");
    let (gone, _) = send("DELETE", "/trainings/vnm-tr-1", "tr-del-1", None).await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    let rev = app.store.current_rev().await.unwrap();
    let (again, replayed) = send("DELETE", "/trainings/vnm-tr-1", "tr-del-1", None).await;
    assert_eq!((again.status, replayed), (200, true), "{}", again.body);
    assert_eq!(again.body, gone.body);
    assert_eq!(app.store.current_rev().await.unwrap(), rev, "deleted once");
    app.stop().await;
}
