//! Centers of Excellence (issue 22): phases on their boundaries (the day before and the day of
//! each anniversary), assessments that hold or advance the computed phase, the closing date
//! for existing COEs' proposals against applications for new COEs all year, and a member's
//! programmes.

use apo_dashboard::clock::Clock;
use serde_json::{Value, json};
use time::macros::date;

use crate::helpers::{Backend, TestApp};
use crate::projects::app_on;

crate::on_both_backends!(
    phases_turn_on_each_anniversary_of_the_designation,
    an_assessment_holds_or_advances_the_computed_phase,
    proposals_close_on_the_notification_s_date_and_new_coes_apply_all_year,
    a_member_s_programmes_list_its_coes_projects_and_exchanges,
);

fn coe(id: &str, iso3: &str, designated: &str) -> Value {
    json!({"id": id, "iso3": iso3, "institution": "National Productivity Centre",
           "area": "Green productivity", "designated": designated})
}

async fn the_coe(app: &TestApp, id: &str) -> Value {
    let all = app.get("/coes").await;
    assert_eq!(all.status, 200, "{}", all.body);
    all.body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {}", all.body))
        .clone()
}

async fn phases_turn_on_each_anniversary_of_the_designation(b: Backend) {
    let clock = Clock::fixed(date!(2020 - 04 - 01));
    let app = app_on(b, &clock, false).await;
    let r = app
        .put(
            "/coes/twn-green-productivity",
            &coe("twn-green-productivity", "TWN", "2020-04-01"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for (day, phase) in [
        (date!(2020 - 04 - 01), "designation"),
        (date!(2021 - 03 - 31), "designation"),
        (date!(2021 - 04 - 01), "delivery"),
        (date!(2024 - 03 - 31), "delivery"),
        (date!(2024 - 04 - 01), "replication"),
        (date!(2025 - 03 - 31), "replication"),
        (date!(2025 - 04 - 01), "assessment_due"),
        (date!(2030 - 01 - 01), "assessment_due"),
    ] {
        clock.set(Some(day));
        let c = the_coe(&app, "twn-green-productivity").await;
        assert_eq!(c["phase"], phase, "{day}");
        assert_eq!(c["phase_source"], "computed", "{day}");
    }
    let c = the_coe(&app, "twn-green-productivity").await;
    assert_eq!(
        c["phases"],
        json!([
            {"phase": "designation", "from": "2020-04-01", "to": "2021-03-31", "source": "computed"},
            {"phase": "delivery", "from": "2021-04-01", "to": "2024-03-31", "source": "computed"},
            {"phase": "replication", "from": "2024-04-01", "to": "2025-03-31", "source": "computed"},
            {"phase": "assessment_due", "from": "2025-04-01", "to": null, "source": "computed"}
        ])
    );
    // The entry changed: a later designation starts the cycle again.
    let r = app
        .put(
            "/coes/twn-green-productivity",
            &coe("twn-green-productivity", "TWN", "2029-06-01"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        the_coe(&app, "twn-green-productivity").await["phase"],
        "designation"
    );
    for (body, path, field) in [
        (
            coe("twn-green-productivity", "XYZ", "2020-04-01"),
            "/coes/twn-green-productivity",
            "iso3",
        ),
        (
            coe("Green Productivity", "TWN", "2020-04-01"),
            "/coes/twn-green-productivity",
            "id",
        ),
        (
            coe("mys-green", "TWN", "2020-04-01"),
            "/coes/twn-green-productivity",
            "id",
        ),
        (
            coe("twn-green-productivity", "TWN", "1900-01-01"),
            "/coes/twn-green-productivity",
            "designated",
        ),
    ] {
        let r = app.put(path, &body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert!(
            r.error_fields().iter().any(|f| f == field),
            "{field}: {}",
            r.body
        );
    }
    app.stop().await;
}

async fn an_assessment_holds_or_advances_the_computed_phase(b: Backend) {
    let clock = Clock::fixed(date!(2022 - 06 - 01));
    let app = app_on(b, &clock, false).await;
    for (id, iso3) in [("mys-public-sector", "MYS"), ("tha-green-industry", "THA")] {
        let r = app
            .put(&format!("/coes/{id}"), &coe(id, iso3, "2020-01-01"))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let before = app.store.current_rev().await.unwrap();
    assert_eq!(
        the_coe(&app, "mys-public-sector").await["phase"],
        "delivery"
    );

    // Advanced on 1 June 2022: replication for a year from then, then the assessment is due.
    let r = app
        .post(
            "/coes/mys-public-sector/assessments",
            &json!({"date": "2022-06-01", "decision": "advance", "note": "Delivery complete early"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        (r.body["phase"].clone(), r.body["phase_source"].clone()),
        (json!("replication"), json!("assessment"))
    );
    assert_eq!(r.body["assessments"][0]["note"], "Delivery complete early");
    clock.set(Some(date!(2023 - 05 - 31)));
    assert_eq!(
        the_coe(&app, "mys-public-sector").await["phase"],
        "replication"
    );
    clock.set(Some(date!(2023 - 06 - 01)));
    let c = the_coe(&app, "mys-public-sector").await;
    assert_eq!(
        (c["phase"].clone(), c["phase_source"].clone()),
        (json!("assessment_due"), json!("computed"))
    );

    // Held on 1 June 2024, in replication (computed: 2024): replication again for a year, where
    // the dates alone say the assessment is due.
    clock.set(Some(date!(2024 - 06 - 01)));
    let r = app
        .post(
            "/coes/tha-green-industry/assessments",
            &json!({"date": "2024-06-01", "decision": "hold"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    clock.set(Some(date!(2025 - 01 - 01)));
    let c = the_coe(&app, "tha-green-industry").await;
    assert_eq!(
        (c["phase"].clone(), c["phase_source"].clone()),
        (json!("replication"), json!("assessment"))
    );
    clock.set(Some(date!(2025 - 06 - 01)));
    assert_eq!(
        the_coe(&app, "tha-green-industry").await["phase"],
        "assessment_due"
    );

    // As of the revision before the assessments, the phase is the computed one again.
    let then = app.get(&format!("/coes?rev={before}")).await.body;
    assert!(
        then.as_array()
            .unwrap()
            .iter()
            .all(|c| c["phase_source"] == "computed" && c["assessments"] == json!([])),
        "{then}"
    );

    let before = (
        app.get("/audit").await.body,
        app.get("/coes").await.body,
        app.store.current_rev().await.unwrap(),
    );
    for (id, body, status, field) in [
        (
            "mys-public-sector",
            json!({"date": "2025-05-01", "decision": "advance"}),
            422,
            Some("decision"),
        ),
        (
            "mys-public-sector",
            json!({"date": "2026-01-01", "decision": "hold"}),
            422,
            Some("date"),
        ),
        (
            "mys-public-sector",
            json!({"date": "2019-12-31", "decision": "hold"}),
            422,
            Some("date"),
        ),
        (
            "mys-public-sector",
            json!({"date": "2022-05-31", "decision": "hold"}),
            422,
            Some("date"),
        ),
        (
            "mys-public-sector",
            json!({"date": "2025-05-01", "decision": "retire"}),
            422,
            Some("decision"),
        ),
        (
            "sgp-none",
            json!({"date": "2025-05-01", "decision": "hold"}),
            404,
            None,
        ),
    ] {
        let r = app.post(&format!("/coes/{id}/assessments"), &body).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        if let Some(f) = field {
            assert!(r.error_fields().iter().any(|x| x == f), "{f}: {}", r.body);
        }
    }
    let after = (
        app.get("/audit").await.body,
        app.get("/coes").await.body,
        app.store.current_rev().await.unwrap(),
    );
    assert_eq!(after, before, "a refused assessment changes nothing");
    let audit = app.get("/audit").await.body;
    assert_eq!(
        (audit[0]["entity"].clone(), audit[0]["action"].clone()),
        (json!("coe"), json!("assess"))
    );
    app.stop().await;
}

async fn proposals_close_on_the_notification_s_date_and_new_coes_apply_all_year(b: Backend) {
    let clock = Clock::fixed(date!(2026 - 03 - 31));
    let app = app_on(b, &clock, false).await;
    let notification = json!({
        "code": "26-RC-04-GE-COE-C", "reference": 612,
        "title": "Development and Strengthening the Programs of the Centers of Excellence (COE)",
        "pillar": 4, "status": "active", "start_date": "2026-01-01", "end_date": "2026-12-31",
        "hosts": ["*"], "participants": ["*"],
        "closing_dates": [{"date": "2026-03-31", "remark": "Closing date for proposal submission by existing COE", "for": "proposals"}],
        "open_all_year": "Application for the establishment of new COE: throughout the year"
    });
    assert_eq!(
        app.put("/projects/26-RC-04-GE-COE-C", &notification)
            .await
            .status,
        200
    );
    let bcn = json!({"code": "26-SN-03-GE-BCN-C", "title": "BCN", "pillar": 1, "status": "active",
                     "hosts": ["*"], "closing_dates": [{"date": "2026-06-30", "for": "any"}]});
    assert_eq!(
        app.put("/projects/26-SN-03-GE-BCN-C", &bcn).await.status,
        200
    );
    assert_eq!(
        app.put(
            "/coes/twn-green-productivity",
            &coe("twn-green-productivity", "TWN", "2025-04-01")
        )
        .await
        .status,
        200
    );
    let proposal = json!({"coe": "twn-green-productivity", "iso3": "TWN",
                          "project": "26-RC-04-GE-COE-C", "title": "Green productivity training kit"});
    let new_coe = json!({"coe": null, "iso3": "VNM", "project": "26-RC-04-GE-COE-C",
                         "title": "COE on Digital Transformation of SMEs"});
    // On the closing day an existing COE's proposal is taken, under it.
    let r = app.post("/coes/proposals", &proposal).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["closing_date"], "2026-03-31");
    // The next day it is refused; an application for a new COE is still taken.
    clock.set(Some(date!(2026 - 04 - 01)));
    let r = app.post("/coes/proposals", &proposal).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["project"]);
    let message = r.body["error"]["details"][0]["message"].as_str().unwrap();
    assert!(message.contains("was 2026-03-31"), "{message}");
    let r = app.post("/coes/proposals", &new_coe).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["closing_date"], Value::Null);
    clock.set(Some(date!(2026 - 12 - 31)));
    assert_eq!(app.post("/coes/proposals", &new_coe).await.status, 201);
    // Once the notification's year is over, not even under it.
    clock.set(Some(date!(2027 - 01 - 01)));
    assert_eq!(app.post("/coes/proposals", &new_coe).await.status, 422);
    clock.set(Some(date!(2026 - 03 - 01)));
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = proposal.clone();
        f(&mut v);
        v
    };
    let rev = app.store.current_rev().await.unwrap();
    for (body, field) in [
        (with(&|v| v["iso3"] = json!("MYS")), "iso3"),
        (with(&|v| v["coe"] = json!("mys-unknown")), "coe"),
        (
            with(&|v| v["project"] = json!("26-SN-03-GE-BCN-C")),
            "project",
        ),
        (
            with(&|v| v["project"] = json!("26-ZZ-01-GE-COE-A")),
            "project",
        ),
        (with(&|v| v["title"] = json!("")), "title"),
        (with(&|v| v["iso3"] = json!("XYZ")), "iso3"),
    ] {
        let r = app.post("/coes/proposals", &body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert!(
            r.error_fields().iter().any(|f| f == field),
            "{field}: {}",
            r.body
        );
    }
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        rev,
        "nothing written"
    );
    let listed = app.get("/coes/proposals").await.body;
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    assert_eq!(listed[0]["coe"], "twn-green-productivity");
    assert_eq!(listed[1]["coe"], Value::Null);
    let audit = app.get("/audit").await.body;
    assert_eq!(audit[0]["entity"], "coe_proposal");
    app.stop().await;
}

async fn a_member_s_programmes_list_its_coes_projects_and_exchanges(b: Backend) {
    let clock = Clock::fixed(date!(2026 - 12 - 07));
    let app = app_on(b, &clock, true).await;
    // The demo's registry under reference 515.
    let coes = app.get("/coes").await.body;
    let phases: Vec<(String, String)> = coes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["phase"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        phases,
        [
            (
                "mys-public-sector-productivity".to_owned(),
                "delivery".to_owned()
            ),
            ("twn-green-productivity".to_owned(), "delivery".to_owned()),
            ("vnm-digital-smes".to_owned(), "designation".to_owned()),
        ]
    );
    let vnm = app.get("/members/VNM/programmes").await;
    assert_eq!(vnm.status, 200, "{}", vnm.body);
    let v = &vnm.body;
    assert_eq!(v["coes"][0]["id"], "vnm-digital-smes");
    assert_eq!(
        v["projects"].as_array().unwrap().len(),
        6,
        "every notification is for all members"
    );
    let hosts: Vec<&str> = v["bcn_sent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["JPN", "IDN", "SGP"]);
    assert_eq!(v["bcn_hosted"], json!([]));
    assert_eq!(v["coe_proposals"][0]["coe"], Value::Null);
    let sgp = app.get("/members/SGP/programmes").await.body;
    assert_eq!(sgp["bcn_hosted"].as_array().unwrap().len(), 4);
    assert_eq!(app.get("/members/XYZ/programmes").await.status, 404);
    // The demo's exchanges, by status, and who learns from whom.
    let declined = app.get("/bcn/applications?status=declined").await.body;
    assert_eq!(declined.as_array().unwrap().len(), 2);
    assert!(
        declined[0]["reason"]
            .as_str()
            .unwrap()
            .contains("September 2026")
    );
    let network = app.get("/bcn/network?year=2026").await.body;
    assert!(
        network
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["sender"] == "PHL" && p["host"] == "KOR" && p["pending"] == 1)
    );
    app.stop().await;
}
