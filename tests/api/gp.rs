//! GP 2.0 (issue 23, contract §2): themes from the list the Secretariat extends, outcomes one
//! per metric and year, the mapping's counts and coverage, who may write or delete what, and
//! replay as of a past revision, a deletion included.

use apo_dashboard::access::Role;
use apo_dashboard::clock::Clock;
use serde_json::{Value, json};
use time::macros::date;

use crate::accreditations::token;
use crate::helpers::{Backend, TestApp, bearer_client};
use crate::projects::app_on;

crate::on_both_backends!(
    an_initiative_s_theme_is_one_of_the_list_the_secretariat_extends,
    outcomes_are_one_per_metric_and_year_within_the_initiative_s_years,
    the_mapping_counts_initiatives_and_the_coverage_of_each_total,
    initiatives_are_written_by_their_member_s_editor_or_the_secretariat,
    initiatives_replay_as_of_a_revision_deletions_included,
);

pub fn initiative(id: &str, iso3: &str, theme: &str) -> Value {
    json!({"id": id, "iso3": iso3, "title": "GP demonstration in food processing SMEs",
           "theme": theme, "type": "demonstration_project", "sector": "food_processing",
           "start_year": 2026, "end_year": 2027, "status": "ongoing",
           "outcomes": [{"metric": "companies_reached", "year": 2026, "value": 12},
                        {"metric": "energy_saved", "year": 2026, "value": 340.5}]})
}

async fn app(b: Backend) -> TestApp {
    app_on(b, &Clock::fixed(date!(2026 - 12 - 07)), false).await
}

async fn put(app: &TestApp, body: &Value) -> crate::helpers::Reply {
    app.put(
        &format!("/gp/initiatives/{}", body["id"].as_str().unwrap()),
        body,
    )
    .await
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("a list: {v}"))
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_initiative_s_theme_is_one_of_the_list_the_secretariat_extends(b: Backend) {
    let app = app(b).await;
    let themes = app.get("/gp/themes").await.body;
    assert_eq!(
        ids(&themes),
        [
            "energy_efficiency",
            "circular_economy",
            "green_supply_chains",
            "eco_products",
            "sustainable_agriculture"
        ]
    );
    assert_eq!(themes[3]["label"], "Eco-products");
    let water = initiative("vnm-gp-water", "VNM", "water_stewardship");
    let r = put(&app, &water).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["theme"]);
    let theme = json!({"id": "water_stewardship", "label": "Water stewardship"});
    let editor = bearer_client(&token(&app, Role::Editor, Some("VNM")).await);
    let r = app
        .send_as(&editor, "PUT", "/gp/themes/water_stewardship", Some(&theme))
        .await;
    assert_eq!(r.status, 403, "only the Secretariat: {}", r.body);
    let r = app.put("/gp/themes/water_stewardship_x", &theme).await;
    assert_eq!(r.error_fields(), ["id"], "{}", r.body);
    let r = app.put("/gp/themes/Water", &theme).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app
        .put(
            "/gp/themes/water_stewardship",
            &json!({"id": "water_stewardship", "label": "  "}),
        )
        .await;
    assert_eq!(r.error_fields(), ["label"], "{}", r.body);
    let before = app.store.current_rev().await.unwrap();
    let r = app.put("/gp/themes/water_stewardship", &theme).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let themes = app.get("/gp/themes").await.body;
    assert_eq!(themes[5], theme);
    let r = put(&app, &water).await;
    assert_eq!(r.status, 200, "now in the list: {}", r.body);
    let r = app
        .put(
            "/gp/themes/water_stewardship",
            &json!({"id": "water_stewardship", "label": "Water stewardship and reuse"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let themes = app.get("/gp/themes").await.body;
    assert_eq!(themes.as_array().unwrap().len(), 6);
    assert_eq!(themes[5]["label"], "Water stewardship and reuse");
    let then = app.get(&format!("/gp/themes?rev={before}")).await.body;
    assert_eq!(then.as_array().unwrap().len(), 5, "{then}");
    let then = app
        .get(&format!("/gp/themes?rev={}", before + 1))
        .await
        .body;
    assert_eq!(then[5], theme);
    app.stop().await;
}

async fn outcomes_are_one_per_metric_and_year_within_the_initiative_s_years(b: Backend) {
    let app = app(b).await;
    let rev = app.store.current_rev().await.unwrap();
    let mut i = initiative("vnm-gp-1", "VNM", "energy_efficiency");
    i["outcomes"] = json!([
        {"metric": "people_trained", "year": 2026, "value": 30},
        {"metric": "people_trained", "year": 2026, "value": 31},
        {"metric": "water_saved", "year": 2025, "value": 1},
        {"metric": "water_saved", "year": 2027, "value": 1},
        {"metric": "emissions_avoided", "year": 2026, "value": -2}
    ]);
    let r = put(&app, &i).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.error_fields(),
        [
            "outcomes[1].metric",
            "outcomes[2].year",
            "outcomes[3].year",
            "outcomes[4].value"
        ]
    );
    let mut i = initiative("vnm-gp-1", "VNM", "energy_efficiency");
    i["outcomes"] = json!([{"metric": "trees_planted", "year": 2026, "value": 3}]);
    assert_eq!(put(&app, &i).await.status / 100, 4);
    let mut i = initiative("vnm-gp-1", "VNM", "energy_efficiency");
    i["end_year"] = json!(2025);
    i["start_year"] = json!(1999);
    i["outcomes"] = json!([]);
    let r = put(&app, &i).await;
    assert_eq!(r.error_fields(), ["start_year"], "{}", r.body);
    i["start_year"] = json!(2026);
    let r = put(&app, &i).await;
    assert_eq!(r.error_fields(), ["end_year"], "{}", r.body);
    for (field, value) in [
        ("type", "workshop"),
        ("status", "paused"),
        ("sector", "mining"),
    ] {
        let mut i = initiative("vnm-gp-1", "VNM", "energy_efficiency");
        i[field] = json!(value);
        assert_eq!(put(&app, &i).await.status / 100, 4, "{field}");
    }
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        rev,
        "nothing written"
    );
    let r = put(&app, &initiative("vnm-gp-1", "VNM", "energy_efficiency")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = app.get("/gp/initiatives/vnm-gp-1").await.body;
    assert_eq!(
        got["outcomes"],
        json!([{"metric": "companies_reached", "unit": "companies", "year": 2026, "value": 12.0},
               {"metric": "energy_saved", "unit": "MWh", "year": 2026, "value": 340.5}])
    );
    assert_eq!(got["type"], "demonstration_project");
    let mut fewer = initiative("vnm-gp-1", "VNM", "energy_efficiency");
    fewer["outcomes"] = json!([{"metric": "water_saved", "year": 2026, "value": 5000}]);
    assert_eq!(put(&app, &fewer).await.status, 200);
    let got = app.get("/gp/initiatives/vnm-gp-1").await.body;
    assert_eq!(
        got["outcomes"],
        json!([{"metric": "water_saved", "unit": "m³", "year": 2026, "value": 5000.0}])
    );
    app.stop().await;
}

async fn the_mapping_counts_initiatives_and_the_coverage_of_each_total(b: Backend) {
    let app = app(b).await;
    let empty = app.get("/gp/mapping").await.body;
    assert_eq!(empty["members_with_initiatives"], 0);
    assert_eq!(empty["members_total"], 21);
    assert_eq!(empty["totals"].as_array().unwrap().len(), 6);
    let a = initiative("vnm-gp-1", "VNM", "energy_efficiency");
    let mut b2 = initiative("vnm-gp-2", "VNM", "circular_economy");
    b2["type"] = json!("training");
    b2["outcomes"] = json!([{"metric": "people_trained", "year": 2026, "value": 40}]);
    let mut c = initiative("jpn-gp-1", "JPN", "energy_efficiency");
    c["outcomes"] = json!([{"metric": "energy_saved", "year": 2026, "value": 1000}]);
    let mut d = initiative("tha-gp-1", "THA", "energy_efficiency");
    d["status"] = json!("cancelled");
    for i in [&a, &b2, &c, &d] {
        assert_eq!(put(&app, i).await.status, 200);
    }
    let m = app.get("/gp/mapping").await.body;
    assert_eq!(m["members_with_initiatives"], 2, "cancelled left out: {m}");
    assert_eq!(
        m["members"],
        json!({"JPN": {"initiatives": 1, "themes": {"energy_efficiency": 1}},
               "VNM": {"initiatives": 2, "themes": {"circular_economy": 1, "energy_efficiency": 1}}})
    );
    let total = |m: &Value, metric: &str| -> Value {
        m["totals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["metric"] == metric)
            .unwrap()
            .clone()
    };
    assert_eq!(
        total(&m, "energy_saved"),
        json!({"metric": "energy_saved", "unit": "MWh", "value": 1340.5, "initiatives": 2,
               "members": 2})
    );
    assert_eq!(
        total(&m, "people_trained"),
        json!({"metric": "people_trained", "unit": "people", "value": 40.0, "initiatives": 1,
               "members": 1})
    );
    assert_eq!(total(&m, "water_saved")["initiatives"], 0);
    let by_theme = app.get("/gp/mapping?theme=circular_economy").await.body;
    assert_eq!(by_theme["members_with_initiatives"], 1);
    assert_eq!(ids(&by_theme["themes"]), ["circular_economy"]);
    assert_eq!(total(&by_theme, "energy_saved")["value"], 0.0);
    let by_type = app.get("/gp/mapping?type=demonstration_project").await.body;
    assert_eq!(by_type["members"]["VNM"]["initiatives"], 1);
    assert_eq!(total(&by_type, "companies_reached")["value"], 12.0);
    assert_eq!(app.get("/gp/mapping?type=workshop").await.status / 100, 4);
    let list = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move { ids(&app.get(&format!("/gp/initiatives{q}")).await.body) }
    };
    assert_eq!(list("?iso3=VNM").await, ["vnm-gp-1", "vnm-gp-2"]);
    assert_eq!(
        list("?theme=energy_efficiency&status=cancelled").await,
        ["tha-gp-1"]
    );
    assert_eq!(list("?type=training").await, ["vnm-gp-2"]);
    app.stop().await;
}

async fn initiatives_are_written_by_their_member_s_editor_or_the_secretariat(b: Backend) {
    let app = app(b).await;
    let viewer = bearer_client(&token(&app, Role::Viewer, None).await);
    let vnm = bearer_client(&token(&app, Role::Editor, Some("VNM")).await);
    let jpn = bearer_client(&token(&app, Role::Editor, Some("JPN")).await);
    let path = "/gp/initiatives/vnm-gp-1";
    let body = initiative("vnm-gp-1", "VNM", "energy_efficiency");
    for (client, status) in [(&viewer, 403), (&jpn, 403), (&app.anon, 401)] {
        let r = app.send_as(client, "PUT", path, Some(&body)).await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    let r = app.send_as(&vnm, "PUT", path, Some(&body)).await;
    assert_eq!(r.status, 200, "own editor: {}", r.body);
    let rev = app.store.current_rev().await.unwrap();
    let as_jpn = initiative("vnm-gp-1", "JPN", "energy_efficiency");
    for client in [&jpn, &vnm] {
        let r = app.send_as(client, "PUT", path, Some(&as_jpn)).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    for client in [&jpn, &viewer] {
        let r = app.send_as(client, "DELETE", path, None).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        rev,
        "nothing written"
    );
    let mut done = body.clone();
    done["status"] = json!("completed");
    assert_eq!(app.put(path, &done).await.status, 200, "the Secretariat");
    let r = app.send_as(&vnm, "DELETE", path, None).await;
    assert_eq!(r.status, 200, "own editor deletes: {}", r.body);
    assert_eq!(app.get(path).await.status, 404);
    assert_eq!(app.send_as(&vnm, "DELETE", path, None).await.status, 404);
    assert_eq!(
        put(&app, &initiative("jpn-gp-1", "JPN", "eco_products"))
            .await
            .status,
        200
    );
    let r = app
        .send_as(&app.client, "DELETE", "/gp/initiatives/jpn-gp-1", None)
        .await;
    assert_eq!(r.status, 200, "the Secretariat deletes: {}", r.body);
    app.stop().await;
}

async fn initiatives_replay_as_of_a_revision_deletions_included(b: Backend) {
    let app = app(b).await;
    let first = put(&app, &initiative("vnm-gp-1", "VNM", "energy_efficiency"))
        .await
        .body["rev"]
        .as_i64()
        .unwrap();
    let mut changed = initiative("vnm-gp-1", "VNM", "energy_efficiency");
    changed["outcomes"] = json!([]);
    changed["status"] = json!("completed");
    assert_eq!(put(&app, &changed).await.status, 200);
    assert_eq!(
        put(&app, &initiative("jpn-gp-1", "JPN", "eco_products"))
            .await
            .status,
        200
    );
    let r = app
        .send_as(&app.client, "DELETE", "/gp/initiatives/vnm-gp-1", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let deleted = r.body["rev"].as_i64().unwrap();
    assert_eq!(ids(&app.get("/gp/initiatives").await.body), ["jpn-gp-1"]);
    let then = app
        .get(&format!("/gp/initiatives/vnm-gp-1?rev={first}"))
        .await
        .body;
    assert_eq!(then["status"], "ongoing");
    assert_eq!(then["outcomes"][1]["unit"], "MWh");
    let before = app
        .get(&format!("/gp/initiatives?rev={}", deleted - 1))
        .await
        .body;
    assert_eq!(ids(&before), ["jpn-gp-1", "vnm-gp-1"]);
    assert_eq!(before[1]["status"], "completed");
    assert_eq!(
        app.get(&format!("/gp/initiatives/vnm-gp-1?rev={deleted}"))
            .await
            .status,
        404
    );
    let m = app.get(&format!("/gp/mapping?rev={first}")).await.body;
    assert_eq!(m["members"]["VNM"]["initiatives"], 1, "{m}");
    assert_eq!(m["totals"][0]["value"], 12.0);
    let rev = app.store.current_rev().await.unwrap();
    assert_eq!(
        app.get(&format!("/gp/mapping?rev={rev}")).await.body,
        app.get("/gp/mapping").await.body
    );
    app.stop().await;
}
