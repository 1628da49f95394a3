//! Accreditations (issue 23, contract §1): the workflow's every move, allowed or refused (a
//! refused one writes nothing), the fields each status requires, the live feed and the
//! summary, who may write, and replay as of a past revision.

use apo_dashboard::access::Role;
use apo_dashboard::clock::Clock;
use serde_json::{Value, json};
use time::macros::date;

use crate::helpers::{Backend, TestApp, bearer_client};
use crate::projects::app_on;

crate::on_both_backends!(
    every_move_of_the_workflow_is_allowed_or_refused_with_nothing_written,
    each_status_requires_its_fields,
    a_conferred_accreditation_reaches_a_live_socket_and_the_summary_counts_it,
    only_the_secretariat_writes_accreditations,
    accreditations_replay_as_of_a_revision_and_filter,
);

const STATUSES: [&str; 6] = [
    "applied",
    "under_assessment",
    "accredited",
    "renewal_due",
    "expired",
    "withdrawn",
];

const ALLOWED: [(&str, &str); 12] = [
    ("applied", "under_assessment"),
    ("applied", "withdrawn"),
    ("under_assessment", "accredited"),
    ("under_assessment", "applied"),
    ("under_assessment", "withdrawn"),
    ("accredited", "renewal_due"),
    ("accredited", "expired"),
    ("accredited", "withdrawn"),
    ("renewal_due", "under_assessment"),
    ("renewal_due", "expired"),
    ("renewal_due", "withdrawn"),
    ("expired", "applied"),
];

/// A record with every field given (valid in any status).
pub fn accreditation(id: &str, iso3: &str, status: &str) -> Value {
    json!({"id": id, "iso3": iso3, "body": "Vietnam National Productivity Institute",
           "body_kind": "npo", "scheme": "APO accreditation of NPOs", "status": status,
           "applied_on": "2024-11-15", "assessment_date": "2025-06-20",
           "criteria_scores": {"governance": 82, "services": 77},
           "certificate": "APO-ACC-2025-003", "conferred_on": "2025-10-28",
           "occasion": "66th WSM, Seoul", "valid_until": "2028-10-27", "note": ""})
}

/// A credential of `role` (an editor's of `member`).
pub async fn token(app: &TestApp, role: Role, member: Option<&str>) -> String {
    app.access
        .create_token(role, member.map(str::to_owned), None, None, "tests")
        .await
        .expect("token")
        .0
}

async fn app(b: Backend) -> TestApp {
    app_on(b, &Clock::fixed(date!(2026 - 12 - 07)), false).await
}

async fn every_move_of_the_workflow_is_allowed_or_refused_with_nothing_written(b: Backend) {
    let app = app(b).await;
    for from in STATUSES {
        for to in STATUSES {
            let id = format!("vnm-{}-{}", from.replace('_', ""), to.replace('_', ""));
            let r = app
                .put(
                    &format!("/accreditations/{id}"),
                    &accreditation(&id, "VNM", from),
                )
                .await;
            assert_eq!(r.status, 200, "a new record starts as {from}: {}", r.body);
            let before = app.get(&format!("/accreditations/{id}")).await.body;
            let rev = app.store.current_rev().await.unwrap();
            let mut moved = accreditation(&id, "VNM", to);
            if from == to {
                moved["note"] = json!("an edit in the same status");
            }
            let r = app.put(&format!("/accreditations/{id}"), &moved).await;
            let allowed = from == to || ALLOWED.contains(&(from, to));
            if allowed {
                assert_eq!(r.status, 200, "{from} → {to}: {}", r.body);
                assert_eq!(r.body["changed"], true, "{from} → {to}");
                let now = app.get(&format!("/accreditations/{id}")).await.body;
                assert_eq!(now["status"], to);
            } else {
                assert_eq!(r.status, 409, "{from} → {to}: {}", r.body);
                assert_eq!(r.body["error"]["code"], "invalid_transition", "{}", r.body);
                let renewal = (from, to) == ("renewal_due", "accredited");
                let field = if renewal { "valid_until" } else { "status" };
                assert_eq!(r.error_fields(), [field], "{from} → {to}: {}", r.body);
                let message = r.body["error"]["details"][0]["message"].as_str().unwrap();
                if !renewal {
                    assert!(
                        message.contains(&format!("from {from} to {to}")),
                        "{message}"
                    );
                }
                assert_eq!(app.store.current_rev().await.unwrap(), rev, "{from} → {to}");
                assert_eq!(
                    app.get(&format!("/accreditations/{id}")).await.body,
                    before,
                    "{from} → {to}"
                );
            }
        }
    }
    // A renewal moves valid_until on.
    let mut renewed = accreditation("vnm-renewaldue-accredited", "VNM", "accredited");
    renewed["valid_until"] = json!("2031-10-27");
    renewed["conferred_on"] = json!("2026-10-28");
    let r = app
        .put("/accreditations/vnm-renewaldue-accredited", &renewed)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let now = app
        .get("/accreditations/vnm-renewaldue-accredited")
        .await
        .body;
    assert_eq!(
        (now["status"].clone(), now["valid_until"].clone()),
        (json!("accredited"), json!("2031-10-27"))
    );
    app.stop().await;
}

async fn each_status_requires_its_fields(b: Backend) {
    let app = app(b).await;
    let rev = app.store.current_rev().await.unwrap();
    let mut a = accreditation("vnm-vnpi", "VNM", "accredited");
    for f in ["certificate", "conferred_on", "occasion", "valid_until"] {
        a[f] = Value::Null;
    }
    let r = app.put("/accreditations/vnm-vnpi", &a).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.error_fields(),
        ["certificate", "conferred_on", "occasion", "valid_until"]
    );
    for status in ["renewal_due", "expired"] {
        a["status"] = json!(status);
        let r = app.put("/accreditations/vnm-vnpi", &a).await;
        assert_eq!(r.error_fields().len(), 4, "{status}: {}", r.body);
    }
    // Applied: only the body, scheme and kind are needed; `null` note taken as empty.
    let applied = json!({"id": "vnm-vnpi", "iso3": "VNM", "body": "VNPI", "body_kind": "npo",
                         "scheme": "APO accreditation of NPOs", "status": "applied",
                         "note": null});
    let mut under = applied.clone();
    under["status"] = json!("under_assessment");
    let r = app.put("/accreditations/vnm-vnpi", &under).await;
    assert_eq!(r.error_fields(), ["assessment_date"], "{}", r.body);
    let mut bad = accreditation("vnm-vnpi", "VNM", "accredited");
    bad["conferred_on"] = json!("2026-12-08");
    bad["valid_until"] = json!("2026-12-08");
    bad["assessment_date"] = json!("2027-01-01");
    bad["criteria_scores"] = json!({"governance": 101, "": 5});
    bad["body_kind"] = json!("npo");
    let r = app.put("/accreditations/vnm-vnpi", &bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields = r.error_fields();
    for f in [
        "criteria_scores.",
        "criteria_scores.governance",
        "assessment_date",
        "conferred_on",
        "valid_until",
    ] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    let mut other = accreditation("vnm-other", "VNM", "applied");
    other["body_kind"] = json!("university");
    assert_eq!(
        app.put("/accreditations/vnm-other", &other).await.status / 100,
        4
    );
    let mut unknown = applied.clone();
    unknown["grade"] = json!("A");
    let r = app.put("/accreditations/vnm-vnpi", &unknown).await;
    assert!([400, 422].contains(&r.status), "{}", r.body);
    let r = app.put("/accreditations/vnm-x", &applied).await;
    assert_eq!(r.error_fields(), ["id"], "{}", r.body);
    let r = app
        .put(
            "/accreditations/USA",
            &accreditation("USA", "VNM", "applied"),
        )
        .await;
    assert_eq!(r.status / 100, 4, "{}", r.body);
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        rev,
        "nothing written"
    );
    assert_eq!(app.get("/accreditations").await.body, json!([]));
    let r = app.put("/accreditations/vnm-vnpi", &applied).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = app.get("/accreditations/vnm-vnpi").await.body;
    assert_eq!(got["note"], "");
    assert_eq!(got["days_left"], Value::Null);
    assert_eq!(got["renewal_due_soon"], false);
    assert_eq!(app.get("/accreditations/vnm-nope").await.status, 404);
    app.stop().await;
}

async fn a_conferred_accreditation_reaches_a_live_socket_and_the_summary_counts_it(b: Backend) {
    let app = app(b).await;
    app.dashboard_when_current(2026).await;
    let mut c = crate::live::connect(&app, "?period=2026").await;
    assert_eq!(c.next().await["type"], "snapshot");
    let r = app
        .put(
            "/accreditations/vnm-vnpi",
            &accreditation("vnm-vnpi", "VNM", "under_assessment"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .put(
            "/accreditations/vnm-vnpi",
            &accreditation("vnm-vnpi", "VNM", "accredited"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rev = r.body["rev"].as_i64().unwrap();
    let mut events = Vec::new();
    let mut lines = Vec::new();
    loop {
        let f = c.next().await;
        if f["type"] != "patch" {
            continue;
        }
        for e in f["events"].as_array().unwrap() {
            events.push((e["entity"].clone(), e["key"].clone()));
        }
        for op in f["ops"].as_array().unwrap() {
            if op["op"] == "insert" && op["path"][0] == "recent" {
                lines.push(op["value"]["summary"].as_str().unwrap().to_owned());
            }
        }
        if f["rev"] == rev {
            break;
        }
    }
    assert_eq!(
        events,
        vec![(json!("accreditation"), json!("vnm-vnpi")); 2],
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("accredited (66th WSM, Seoul)")),
        "{lines:?}"
    );
    let mut jpn = accreditation("jpn-jpc", "JPN", "renewal_due");
    jpn["body"] = json!("Japan Productivity Center");
    assert_eq!(app.put("/accreditations/jpn-jpc", &jpn).await.status, 200);
    let mut soon = accreditation("ind-npc", "IND", "accredited");
    soon["valid_until"] = json!("2027-06-01");
    assert_eq!(app.put("/accreditations/ind-npc", &soon).await.status, 200);
    let mut ind2 = accreditation("ind-other", "IND", "withdrawn");
    ind2["body_kind"] = json!("other");
    assert_eq!(
        app.put("/accreditations/ind-other", &ind2).await.status,
        200
    );
    let s = app.get("/accreditations/summary").await.body;
    assert_eq!(s["members"], 21);
    assert_eq!(s["accredited_members"], 3, "{s}");
    assert_eq!(
        s["by_status"],
        json!({"applied": 0, "under_assessment": 0, "accredited": 2, "renewal_due": 1,
               "expired": 0, "withdrawn": 1})
    );
    assert_eq!(
        s["by_member"],
        json!({"IND": "accredited", "JPN": "renewal_due", "VNM": "accredited"})
    );
    assert_eq!(s["renewals_due"], json!(["ind-npc", "jpn-jpc"]));
    let v = app.get("/accreditations/ind-npc").await.body;
    assert_eq!(
        (v["days_left"].clone(), v["renewal_due_soon"].clone()),
        (json!(176), json!(true))
    );
    app.stop().await;
}

async fn only_the_secretariat_writes_accreditations(b: Backend) {
    let app = app(b).await;
    let body = accreditation("vnm-vnpi", "VNM", "applied");
    let viewer = bearer_client(&token(&app, Role::Viewer, None).await);
    let editor = bearer_client(&token(&app, Role::Editor, Some("VNM")).await);
    for (client, status) in [(&viewer, 403), (&editor, 403), (&app.anon, 401)] {
        let r = app
            .send_as(client, "PUT", "/accreditations/vnm-vnpi", Some(&body))
            .await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    assert_eq!(app.get("/accreditations").await.body, json!([]));
    let r = app
        .send_as(&viewer, "GET", "/accreditations/summary", None)
        .await;
    assert_eq!(r.status, 200, "anyone reads: {}", r.body);
    let r = app.put("/accreditations/vnm-vnpi", &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The same body again changes nothing.
    let again = app.put("/accreditations/vnm-vnpi", &body).await;
    assert_eq!(
        (again.body["changed"].clone(), again.body["rev"].clone()),
        (json!(false), r.body["rev"].clone())
    );
    app.stop().await;
}

async fn accreditations_replay_as_of_a_revision_and_filter(b: Backend) {
    let app = app(b).await;
    let r = app
        .put(
            "/accreditations/vnm-vnpi",
            &accreditation("vnm-vnpi", "VNM", "under_assessment"),
        )
        .await;
    let first = r.body["rev"].as_i64().unwrap();
    let mut jpn = accreditation("jpn-jpc", "JPN", "accredited");
    jpn["scheme"] = json!("ISO 9001");
    jpn["valid_until"] = json!("2027-03-01");
    assert_eq!(app.put("/accreditations/jpn-jpc", &jpn).await.status, 200);
    assert_eq!(
        app.put(
            "/accreditations/vnm-vnpi",
            &accreditation("vnm-vnpi", "VNM", "accredited")
        )
        .await
        .status,
        200
    );
    let then = app.get(&format!("/accreditations?rev={first}")).await.body;
    assert_eq!(then.as_array().unwrap().len(), 1, "{then}");
    assert_eq!(then[0]["status"], "under_assessment");
    let one = app
        .get(&format!("/accreditations/vnm-vnpi?rev={first}"))
        .await;
    assert_eq!(one.body["status"], "under_assessment", "{}", one.body);
    assert_eq!(
        app.get(&format!("/accreditations/jpn-jpc?rev={first}"))
            .await
            .status,
        404
    );
    let s = app
        .get(&format!("/accreditations/summary?rev={first}"))
        .await
        .body;
    assert_eq!(s["accredited_members"], 0, "{s}");
    let rev = app.store.current_rev().await.unwrap();
    let now = app.get("/accreditations").await.body;
    assert_eq!(
        app.get(&format!("/accreditations?rev={rev}")).await.body,
        now
    );
    assert_eq!(
        app.get(&format!("/accreditations?rev={}", rev + 1))
            .await
            .status,
        404
    );
    let ids = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(app.get("/accreditations?iso3=JPN").await.body),
        ["jpn-jpc"]
    );
    assert_eq!(
        ids(app.get("/accreditations?status=accredited").await.body),
        ["jpn-jpc", "vnm-vnpi"]
    );
    assert_eq!(
        ids(app.get("/accreditations?scheme=ISO%209001").await.body),
        ["jpn-jpc"]
    );
    assert_eq!(
        ids(app.get("/accreditations?renewal_within_days=90").await.body),
        ["jpn-jpc"]
    );
    assert_eq!(
        app.get("/accreditations?status=lapsed").await.status / 100,
        4
    );
    assert_eq!(app.get("/accreditations?colour=red").await.status / 100, 4);
    app.stop().await;
}
