//! Series of any name, with their catalogue: imported, stored, listed and charted.

use apo_dashboard::error::Error;
use apo_dashboard::import::{self, Mode, Source};
use apo_dashboard::model::SeriesInfo;
use apo_dashboard::records::{Actor, Edit};
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app, spawn_demo_app};

crate::on_both_backends!(
    a_series_of_a_new_name_imports_with_its_catalogue_and_is_listed_by_both_endpoints,
    bad_names_and_labels_are_refused_naming_the_row_and_the_column,
    the_catalogue_checks_its_rows_and_leaves_unchanged_entries_alone,
    a_catalogue_change_is_in_the_audit_log_and_the_change_feed,
    an_extra_series_changes_no_productivity_measure,
);

fn src(name: &str, text: &str) -> Source {
    Source {
        name: name.to_owned(),
        bytes: text.as_bytes().to_vec(),
    }
}

/// Viet Nam's agricultural labour productivity index (three years) and Japan's manufacturing
/// index (two), with a catalogue entry for the first only.
fn own_series() -> Vec<Source> {
    vec![
        src(
            "series.csv",
            "iso3,series,year,value\n\
             VNM,VNM.lp_agri,2019,100\n\
             VNM,VNM.lp_agri,2020,103.5\n\
             VNM,VNM.lp_agri,2022,109.25\n\
             JPN,mfg-index,2020,98\n\
             JPN,mfg-index,2021,101\n",
        ),
        src(
            "series_catalogue.csv",
            "series,label,unit,source\n\
             VNM.lp_agri,\"Labour productivity, agriculture\",\"index, 2019 = 100\",GSO Viet Nam\n",
        ),
    ]
}

/// The problems of a refused import, as "row field" strings.
fn rows_and_fields(e: &Error) -> Vec<String> {
    let Error::Invalid(_, details) = e else {
        panic!("expected a 422, got {e:?}");
    };
    details
        .iter()
        .map(|d| {
            format!(
                "{} row {} {}",
                d.file.as_deref().unwrap_or("-"),
                d.row.map_or("-".into(), |r| r.to_string()),
                d.field.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

async fn a_series_of_a_new_name_imports_with_its_catalogue_and_is_listed_by_both_endpoints(
    b: Backend,
) {
    let app = spawn_app(b).await;
    let actor = Actor::service("secretariat");
    let report = import::import(&app.store, &own_series(), &actor, Mode::Apply)
        .await
        .expect("a member's own series imports");
    assert_eq!((report.series, report.catalogue), (5, 1), "{report:?}");
    let again = import::import(&app.store, &own_series(), &actor, Mode::Apply)
        .await
        .unwrap();
    assert_eq!((again.series, again.catalogue, again.rev), (0, 0, None));

    // A value changed: that one is written, and audited with the value it replaced; doubles
    // come back bit for bit (PostgreSQL receives them as text).
    let odd = [0.1 + 0.2, 1e-300, -1.0 / 3.0 * 1e7, 5e300];
    let mut changed = String::from("iso3,series,year,value\nVNM,VNM.lp_agri,2020,104\n");
    for (i, v) in odd.iter().enumerate() {
        changed.push_str(&format!("JPN,odd.values,{},{v:?}\n", 2000 + i));
    }
    let third = import::import(
        &app.store,
        &[src("series.csv", &changed)],
        &actor,
        Mode::Apply,
    )
    .await
    .unwrap();
    assert_eq!(third.series, 1 + odd.len());
    let audit = app.get("/audit?entity=series&limit=10").await.body;
    let agri = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["entity_key"] == "VNM/VNM.lp_agri" && r["rev"] == json!(third.rev))
        .unwrap_or_else(|| panic!("the change is audited: {audit}"));
    assert_eq!(agri["old_value"], json!({"2020": 103.5}));
    assert_eq!(agri["new_value"], json!({"2020": 104.0}));
    let back: Vec<u64> = app
        .get("/series?iso3=JPN&series=odd.values")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap().to_bits())
        .collect();
    assert_eq!(back, odd.map(f64::to_bits));
    let changed_back = changed.replace("2020,104", "2020,103.5");
    import::import(
        &app.store,
        &[src("series.csv", &changed_back)],
        &actor,
        Mode::Apply,
    )
    .await
    .unwrap();

    let points = app.get("/series?iso3=VNM&series=VNM.lp_agri").await;
    assert_eq!(points.status, 200);
    let years: Vec<(i64, f64)> = points
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["year"].as_i64().unwrap(), p["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(years, [(2019, 100.0), (2020, 103.5), (2022, 109.25)]);

    let all = app.get("/series/catalogue").await;
    assert_eq!(all.status, 200, "{}", all.body);
    let entry = |body: &Value, name: &str| -> Value {
        body.as_array()
            .unwrap()
            .iter()
            .find(|e| e["series"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} is not listed: {body}"))
    };
    assert_eq!(
        entry(&all.body, "VNM.lp_agri"),
        json!({"series": "VNM.lp_agri", "label": "Labour productivity, agriculture",
               "unit": "index, 2019 = 100", "source": "GSO Viet Nam", "catalogued": true,
               "pwt": false, "values": 3, "first_year": 2019, "last_year": 2022,
               "members": [{"iso3": "VNM", "values": 3, "first_year": 2019, "last_year": 2022}]})
    );
    // Without an entry: listed under its name.
    assert_eq!(
        entry(&all.body, "mfg-index"),
        json!({"series": "mfg-index", "label": "mfg-index", "unit": "", "source": "",
               "catalogued": false, "pwt": false, "values": 2, "first_year": 2020,
               "last_year": 2021,
               "members": [{"iso3": "JPN", "values": 2, "first_year": 2020, "last_year": 2021}]})
    );
    // Penn World Table's built-in entries, without values in this database.
    let rgdpo = entry(&all.body, "rgdpo");
    assert_eq!(rgdpo["source"], "Penn World Table 9.1");
    assert_eq!(
        (rgdpo["pwt"].clone(), rgdpo["values"].clone()),
        (json!(true), json!(0))
    );
    assert_eq!(rgdpo["members"], json!([]));
    let names: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["series"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "listed by name");

    // One member: only its series, only its values.
    let vnm = app.get("/series/catalogue?iso3=VNM").await;
    assert_eq!(vnm.status, 200);
    let listed: Vec<&str> = vnm
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["series"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["VNM.lp_agri"]);
    let nobody = app.get("/series/catalogue?iso3=XYZ").await;
    assert_eq!(nobody.status, 404, "{}", nobody.body);
    app.stop().await;
}

async fn bad_names_and_labels_are_refused_naming_the_row_and_the_column(b: Backend) {
    let app = spawn_app(b).await;
    let sources = vec![
        src(
            "series.csv",
            "iso3,series,year,value\n\
             VNM,VNM.lp_agri,2019,100\n\
             VNM,2nd index,2019,1\n\
             VNM,lp/agri,2020,2\n",
        ),
        src(
            "series_catalogue.csv",
            "series,label,unit,source\n\
             VNM.lp_agri,   ,index,\n\
             _x,Fine label,,\n",
        ),
    ];
    let err = import::import(
        &app.store,
        &sources,
        &Actor::service("secretariat"),
        Mode::Apply,
    )
    .await
    .expect_err("bad names and labels are refused");
    let mut found = rows_and_fields(&err);
    found.sort();
    assert_eq!(
        found,
        [
            "series.csv row 3 series",
            "series.csv row 4 series",
            "series_catalogue.csv row 2 label",
            "series_catalogue.csv row 3 series",
        ],
        "{err:?}"
    );
    let Error::Invalid(_, details) = &err else {
        unreachable!()
    };
    assert!(
        details
            .iter()
            .filter(|d| d.field.as_deref() == Some("series"))
            .all(|d| d.message.contains("starting with a letter")),
        "the rule is said: {details:?}"
    );
    // Nothing was written.
    assert_eq!(app.get("/series?iso3=VNM").await.body, json!([]));
    assert_eq!(app.store.current_rev().await.unwrap(), 0);
    app.stop().await;
}

fn info(series: &str, label: &str, unit: &str, source: &str) -> SeriesInfo {
    SeriesInfo {
        series: series.into(),
        label: label.into(),
        unit: unit.into(),
        source: source.into(),
    }
}

async fn the_catalogue_checks_its_rows_and_leaves_unchanged_entries_alone(b: Backend) {
    let app = spawn_app(b).await;
    let actor = Actor::service("secretariat");
    // Every bad row at once, by its index in the batch.
    let bad = app
        .store
        .write(&actor, move |w| {
            Box::pin(async move {
                w.put_series_catalogue(&[
                    info("ok.one", "Fine", "", ""),
                    info("9lives", "", "", ""),
                    info("ok.one", "Again", "", ""),
                    info("ok.two", "Fine", &"u".repeat(201), ""),
                ])
                .await
            })
        })
        .await
        .expect_err("bad rows are refused");
    let Error::Invalid(_, details) = bad else {
        panic!("expected a 422: {bad:?}")
    };
    let found: Vec<(Option<usize>, Option<&str>)> = details
        .iter()
        .map(|d| (d.row, d.field.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            (Some(1), Some("series")),
            (Some(1), Some("label")),
            (Some(2), Some("series")),
            (Some(3), Some("unit")),
        ],
        "{details:?}"
    );
    assert_eq!(app.store.current_rev().await.unwrap(), 0);

    // Stored trimmed; the same entry again, or a Penn World Table entry as built in, changes
    // nothing; an override of a built-in entry is stored.
    let pwt_as_built_in = info(
        "rgdpo",
        "Output-side real GDP at chained PPPs",
        "mil. 2011 US$",
        "Penn World Table 9.1",
    );
    let pwt = pwt_as_built_in.clone();
    let (n, change) = app
        .store
        .write(&actor, move |w| {
            Box::pin(async move {
                w.put_series_catalogue(&[info("ok.one", "  Fine  ", " index ", ""), pwt])
                    .await
            })
        })
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(change.is_some());
    let (n, change) = app
        .store
        .write(&actor, move |w| {
            Box::pin(async move {
                w.put_series_catalogue(&[info("ok.one", "Fine", "index", ""), pwt_as_built_in])
                    .await
            })
        })
        .await
        .unwrap();
    assert_eq!((n, change), (0, None));
    let (n, _) = app
        .store
        .write(&actor, move |w| {
            Box::pin(async move {
                w.put_series_catalogue(&[info(
                    "rgdpo",
                    "Real GDP (output side)",
                    "mil. 2011 US$",
                    "PWT 9.1",
                )])
                .await
            })
        })
        .await
        .unwrap();
    assert_eq!(n, 1);
    let entries = app.store.series_info().await.unwrap();
    assert_eq!(entries["ok.one"], info("ok.one", "Fine", "index", ""));
    assert_eq!(entries["rgdpo"].label, "Real GDP (output side)");
    assert_eq!(entries["hc"].source, "Penn World Table 9.1");
    app.stop().await;
}

async fn a_catalogue_change_is_in_the_audit_log_and_the_change_feed(b: Backend) {
    let app = spawn_app(b).await;
    let actor = Actor::service("secretariat");
    let first = info(
        "VNM.lp_mfg",
        "Labour productivity, manufacturing",
        "index",
        "",
    );
    let (_, change) = app
        .feed
        .write(&actor, {
            let first = first.clone();
            move |w| {
                Box::pin(async move { w.put_series_catalogue(std::slice::from_ref(&first)).await })
            }
        })
        .await
        .unwrap();
    let rev = change.expect("a change").rev;
    let second = info(
        "VNM.lp_mfg",
        "Labour productivity, manufacturing",
        "index, 2015 = 100",
        "GSO",
    );
    let (_, change) = app
        .feed
        .write(&actor, {
            let second = second.clone();
            move |w| {
                Box::pin(async move { w.put_series_catalogue(std::slice::from_ref(&second)).await })
            }
        })
        .await
        .unwrap();
    assert_eq!(change.expect("a change").rev, rev + 1);

    // The feed (from memory, as the live pages hear it) and the log read back agree.
    let heard = app.feed.since(rev - 1).await.unwrap();
    let edits: Vec<&Edit> = heard.iter().flat_map(|c| &c.edits).collect();
    assert_eq!(
        edits,
        [
            &Edit::SeriesInfo(first.clone()),
            &Edit::SeriesInfo(second.clone())
        ]
    );
    let logged = app.store.changes_since(rev - 1).await.unwrap();
    let logged: Vec<&Edit> = logged.iter().flat_map(|c| &c.edits).collect();
    assert_eq!(logged, edits);

    let audit = app.get("/audit?entity=series_info").await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let rows = audit.body.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{}", audit.body);
    // Newest first: the unit and source set, with the entry it replaced.
    assert_eq!(rows[0]["entity_key"], "VNM.lp_mfg");
    assert_eq!(rows[0]["action"], "set");
    assert_eq!(rows[0]["actor"], "secretariat");
    assert_eq!(rows[0]["member"], Value::Null);
    assert_eq!(rows[0]["new_value"], serde_json::to_value(&second).unwrap());
    assert_eq!(rows[0]["old_value"], serde_json::to_value(&first).unwrap());
    assert_eq!(rows[1]["old_value"], Value::Null);
    // Off the ticker, like the series values: neither the live document (which applied the
    // changes as they came) nor the facts read back from the log show them.
    let live = app.dashboard_when_current(2026).await;
    assert_eq!(live["recent"], json!([]), "{}", live["recent"]);
    assert!(app.store.facts(None).await.unwrap().recent.is_empty());
    app.stop().await;
}

async fn an_extra_series_changes_no_productivity_measure(b: Backend) {
    let app = spawn_demo_app(b).await;
    let measures = async || {
        let mut got = Vec::new();
        for path in [
            "/productivity",
            "/productivity?year=2010&base_year=2000",
            "/productivity/series?iso3=VNM&measure=lp_worker",
            "/productivity/series?iso3=VNM&measure=lp_hour",
            "/productivity/series?iso3=APO21&measure=lp_worker",
        ] {
            let r = app.get(path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            got.push(r.body);
        }
        got
    };
    let before = measures().await;
    assert!(
        before[2]["points"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "the demo has Viet Nam's output per worker: {}",
        before[2]
    );
    // Series named near the Penn World Table ones, for every year the measures read.
    let mut csv = String::from("iso3,series,year,value\n");
    for year in 1990..=2017 {
        for (name, value) in [("rgdpo.vnm", 1e9), ("emp_own", 0.001), ("RGDPO", 5.0)] {
            csv.push_str(&format!(
                "VNM,{name},{year},{value}\nAPO21x,{name},{year},{value}\n"
            ));
        }
    }
    let csv = csv.replace("APO21x,", "JPN,");
    let report = import::import(
        &app.store,
        &[src("own.csv", &csv)],
        &Actor::service("secretariat"),
        Mode::Apply,
    )
    .await
    .unwrap();
    assert_eq!(report.series, 2 * 3 * 28);
    assert_eq!(measures().await, before);
    app.stop().await;
}
