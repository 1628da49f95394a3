use serde_json::Value;

use crate::helpers::{Backend, spawn_app, spawn_demo_app};

crate::on_both_backends!(
    members_and_pillars_are_seeded_with_apo_names,
    health_and_readiness_answer,
    openapi_document_lists_every_endpoint,
    demo_data_loads_all_members_primers_and_series,
    unknown_api_paths_get_a_json_404,
);

async fn members_and_pillars_are_seeded_with_apo_names(b: Backend) {
    let app = spawn_app(b).await;
    let members = app.get("/members").await;
    assert_eq!(members.status, 200);
    let members = members.body.as_array().unwrap().clone();
    assert_eq!(members.len(), 21);
    let name = |iso3: &str| {
        members
            .iter()
            .find(|m| m["iso3"] == iso3)
            .unwrap_or_else(|| panic!("{iso3} missing"))["name"]
            .clone()
    };
    assert_eq!(name("TWN"), "Republic of China");
    assert_eq!(name("IRN"), "I.R. Iran");
    assert_eq!(name("TUR"), "Türkiye");
    assert!(members.iter().all(|m| m["primer_status"] == "none"));
    let pillars = app.get("/pillars").await.body;
    assert_eq!(pillars.as_array().unwrap().len(), 4);
    assert_eq!(pillars[2]["name"], "Capacity empowerment");
    app.stop().await;
}

async fn health_and_readiness_answer(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.get("/healthz").await.status, 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["rev"], 0);
    app.stop().await;
}

async fn openapi_document_lists_every_endpoint(b: Backend) {
    let app = spawn_app(b).await;
    let doc = app.get("/openapi.json").await;
    assert_eq!(doc.status, 200);
    let paths = doc.body["paths"].as_object().expect("paths");
    for p in [
        "/members",
        "/pillars",
        "/primers",
        "/primers/{iso3}",
        "/key_results",
        "/actuals",
        "/budgets",
        "/projects",
        "/projects/{code}",
        "/series",
        "/audit",
    ] {
        assert!(paths.contains_key(p), "openapi.json lacks {p}");
    }
    assert!(paths["/primers/{iso3}"]["put"].is_object());
    assert!(paths["/actuals"]["post"].is_object());
    app.stop().await;
}

async fn demo_data_loads_all_members_primers_and_series(b: Backend) {
    let app = spawn_demo_app(b).await;
    let members = app.get("/members").await.body;
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), 21);
    assert!(
        members.iter().all(|m| m["primer_status"] != "none"),
        "every member has a primer"
    );
    let statuses: std::collections::BTreeSet<&str> = members
        .iter()
        .map(|m| m["primer_status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["draft", "endorsed", "submitted"].into_iter().collect(),
        "a mix of statuses"
    );

    let vnm = app.get("/primers/VNM").await;
    assert_eq!(vnm.status, 200);
    assert_eq!(vnm.body["status"], "endorsed");
    assert_eq!(vnm.body["endorsed_on"], "2026-01-30");
    let areas: Vec<&str> = vnm.body["focus_areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for a in [
        "Electronics and ICT",
        "Textiles and garments",
        "Food processing",
        "Agriculture and logistics",
    ] {
        assert!(areas.contains(&a), "VNM focus areas {areas:?} lack {a}");
    }
    let context = vnm.body["national_context"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(context.contains("tripartite"), "{context}");

    for p in app.get("/primers").await.body.as_array().unwrap() {
        let n = p["key_results"].as_i64().unwrap();
        assert!((3..=8).contains(&n), "{} has {n} key results", p["iso3"]);
    }
    // The latest changes are what the room watches, not the Penn World Table import.
    let dashboard = app.dashboard_when_current(2026).await;
    let recent = dashboard["recent"].as_array().unwrap();
    assert_eq!(recent.len(), apo_dashboard::records::RECENT, "{recent:?}");
    assert!(recent.iter().all(|r| r["entity"] != "series"), "{recent:?}");
    let actuals = app.get("/actuals?limit=10000&year=2026").await.body;
    assert!(actuals.as_array().unwrap().len() > 20);
    assert!(
        !app.get("/budgets?year=2026")
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );
    let projects = app.get("/projects").await.body;
    let programs: std::collections::BTreeSet<&str> = projects
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["program"].as_str().unwrap())
        .collect();
    assert!(
        programs.contains("COE") && programs.contains("BCN"),
        "{programs:?}"
    );

    // Penn World Table: Japan's 2017 output-side real GDP as in the CSV.
    let jpn = app.get("/series?iso3=JPN&series=rgdpo").await.body;
    let y2017: Vec<&Value> = jpn
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["year"] == 2017)
        .collect();
    let expected = pwt_value("JPN", 2017, "rgdpo");
    assert_eq!(y2017.len(), 1);
    assert_eq!(y2017[0]["value"].as_f64().unwrap(), expected);

    // A second start over the same database does not load the demo again.
    let rev = app.store.current_rev().await.unwrap();
    let url = app.database_url.clone();
    let mut config = apo_dashboard::config::ServeConfig::for_database(url);
    config.demo = true;
    let again = apo_dashboard::startup::Application::build(&config)
        .await
        .unwrap();
    assert_eq!(again.state().store.current_rev().await.unwrap(), rev);
    app.stop().await;
}

/// A value of data/pwt91_apo21.csv, read independently of the import code.
fn pwt_value(iso3: &str, year: i64, column: &str) -> f64 {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/pwt91_apo21.csv"))
            .unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == column).unwrap();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f[0] == iso3 && f[2] == year.to_string() {
            return f[col].parse().unwrap();
        }
    }
    panic!("{iso3} {year} not in the PWT file")
}

async fn unknown_api_paths_get_a_json_404(b: Backend) {
    let app = spawn_app(b).await;
    let r = app.get("/nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"]["code"], "not_found");
    let r = app.get("/primers/XYZ").await;
    assert_eq!(r.status, 404);
    let r = app.get("/primers/VNM").await;
    assert_eq!(r.status, 404, "no primer yet");
    app.stop().await;
}
