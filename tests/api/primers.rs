use serde_json::json;

use crate::helpers::{Backend, primer, spawn_app};

crate::on_both_backends!(
    a_primer_is_created_read_back_and_audited,
    primer_workflow_moves_from_draft_to_submitted_to_endorsed,
    a_submitted_primer_can_be_returned_to_draft_and_edited,
    an_unchanged_primer_put_does_not_take_a_revision,
    focus_areas_default_to_those_the_key_results_name,
    budgets_and_projects_are_set_and_listed,
);

async fn a_primer_is_created_read_back_and_audited(b: Backend) {
    let app = spawn_app(b).await;
    let r = app.put("/primers/VNM", &primer("VNM", "draft", 3)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["rev"], 1);
    assert_eq!(r.body["changed"], true);

    let got = app.get("/primers/VNM").await.body;
    assert_eq!(got["status"], "draft");
    assert_eq!(got["cycle"], "2026-2028");
    assert_eq!(got["updated_rev"], 1);
    assert_eq!(got["key_results"].as_array().unwrap().len(), 3);
    assert_eq!(got["key_results"][1]["code"], "VNM-KR2");
    assert_eq!(got["key_results"][1]["weight"], 1.0);
    assert_eq!(got["key_results"][1]["targets"]["2026"], 112.0);

    let krs = app.get("/key_results?iso3=VNM&pillar=2").await.body;
    assert_eq!(krs.as_array().unwrap().len(), 1);
    assert_eq!(krs[0]["code"], "VNM-KR2");

    let members = app.get("/members").await.body;
    let vnm = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["iso3"] == "VNM")
        .unwrap();
    assert_eq!(vnm["primer_status"], "draft");

    let audit = app.get("/audit").await.body;
    assert_eq!(audit.as_array().unwrap().len(), 1);
    let row = &audit[0];
    assert_eq!(row["rev"], 1);
    assert_eq!(row["actor"], "tester");
    assert_eq!(row["action"], "create");
    assert_eq!(row["entity"], "primer");
    assert_eq!(row["entity_key"], "VNM");
    assert!(row["old_value"].is_null());
    assert_eq!(row["new_value"]["key_results"][0]["code"], "VNM-KR1");

    // An edit records the old value beside the new one.
    let mut edited = primer("VNM", "draft", 3);
    edited["national_context"] = json!("Revised context.");
    let r = app.put("/primers/VNM", &edited).await;
    assert_eq!(r.body["rev"], 2);
    let audit = app.get("/audit?from_rev=2").await.body;
    assert_eq!(audit[0]["action"], "update");
    assert_eq!(
        audit[0]["old_value"]["national_context"],
        "National context of VNM."
    );
    assert_eq!(
        audit[0]["new_value"]["national_context"],
        "Revised context."
    );
    app.stop().await;
}

async fn primer_workflow_moves_from_draft_to_submitted_to_endorsed(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.put("/primers/LAO", &primer("LAO", "draft", 2))
            .await
            .status,
        200
    );
    let r = app
        .put("/primers/LAO", &primer("LAO", "submitted", 2))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut endorsed = primer("LAO", "endorsed", 2);
    endorsed["endorsed_on"] = json!("2026-03-02");
    let r = app.put("/primers/LAO", &endorsed).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = app.get("/primers/LAO").await.body;
    assert_eq!(got["status"], "endorsed");
    assert_eq!(got["endorsed_on"], "2026-03-02");
    let actions: Vec<String> = app
        .get("/audit")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["endorse", "submit", "create"]);
    app.stop().await;
}

async fn a_submitted_primer_can_be_returned_to_draft_and_edited(b: Backend) {
    let app = spawn_app(b).await;
    app.put("/primers/NPL", &primer("NPL", "submitted", 2))
        .await;
    let r = app.put("/primers/NPL", &primer("NPL", "draft", 2)).await;
    assert_eq!(r.status, 200, "returned to draft: {}", r.body);
    let r = app.put("/primers/NPL", &primer("NPL", "draft", 4)).await;
    assert_eq!(r.status, 200, "edited as a draft: {}", r.body);
    assert_eq!(
        app.get("/primers/NPL").await.body["key_results"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    app.stop().await;
}

async fn an_unchanged_primer_put_does_not_take_a_revision(b: Backend) {
    let app = spawn_app(b).await;
    let first = app.put("/primers/THA", &primer("THA", "draft", 3)).await;
    let again = app.put("/primers/THA", &primer("THA", "draft", 3)).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["changed"], false);
    assert_eq!(again.body["rev"], first.body["rev"]);
    assert_eq!(app.get("/audit").await.body.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn focus_areas_default_to_those_the_key_results_name(b: Backend) {
    let app = spawn_app(b).await;
    let mut p = primer("PHL", "draft", 3);
    p.as_object_mut().unwrap().remove("focus_areas");
    let r = app.put("/primers/PHL", &p).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["primer"]["focus_areas"],
        json!(["SMEs", "Green productivity"])
    );
    app.stop().await;
}

async fn budgets_and_projects_are_set_and_listed(b: Backend) {
    let app = spawn_app(b).await;
    let r = app
        .put(
            "/budgets",
            &json!([
                {"pillar": 1, "year": 2026, "planned": 1000000.0, "spent": 250000.0},
                {"pillar": 3, "year": 2026, "planned": 50000.0, "spent": 0.0, "iso3": "VNM"}
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["changed"], true);
    let budgets = app.get("/budgets?year=2026").await.body;
    assert_eq!(budgets.as_array().unwrap().len(), 2);
    assert!(budgets[0]["iso3"].is_null());
    assert_eq!(budgets[1]["iso3"], "VNM");

    let project = json!({
        "code": "25-SN-03-GE-BCN-C", "title": "BCN on lean manufacturing", "pillar": 3,
        "status": "active", "host_iso3": "JPN", "start_date": "2025-10-01", "end_date": "2025-10-10"
    });
    let r = app.put("/projects/25-SN-03-GE-BCN-C", &project).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let projects = app.get("/projects").await.body;
    assert_eq!(projects[0]["program"], "BCN", "derived from the code");
    assert_eq!(projects[0]["start_date"], "2025-10-01");
    let audit = app.get("/audit").await.body;
    assert_eq!(audit[0]["entity"], "project");
    assert_eq!(audit[1]["entity"], "budget");
    app.stop().await;
}
