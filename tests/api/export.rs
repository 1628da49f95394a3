//! Exports (the library entry point, `GET /export` and the CLI): the dashboard tables as people read
//! them, and the raw data in the import format.
//!
//! Each test downloads a real export from a real server over the demo data and reads it back
//! with calamine (the workbook), zip and csv (the CSV files), counting its rows against what the
//! API lists.

mod command;
mod read;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use apo_dashboard::access::Role;
use calamine::Data;
use serde_json::{Value, json};

use read::{STATUSES, all_audit, download, expected_sheets, num, open, text, unzip};

use crate::helpers::{Backend, TestApp, bearer_client, spawn_demo_app};

crate::on_both_backends!(
    the_workbook_holds_the_views_and_every_stored_row,
    one_member_s_export_holds_its_rows_only,
    the_audit_log_is_the_secretariat_s_only,
    bad_parameters_are_refused_and_named,
    csv_comes_as_a_zip_of_the_same_tables,
    views_and_raw_tables_agree_while_reports_arrive,
);

/// A report on Viet Nam's first key result, then withdrawn: the export keeps it with its reason.
async fn report_and_withdraw(app: &TestApp) -> (String, f64) {
    let krs = app.get("/key_results?iso3=VNM").await.body;
    let kr = &krs[0];
    let code = kr["code"].as_str().expect("a code").to_owned();
    let value = kr["baseline_value"].as_f64().unwrap_or(1.0) + 0.1;
    let posted = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": code, "year": 2026, "value": value}),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let reports = app
        .get(&format!("/actuals?iso3=VNM&kr_code={code}&limit=1"))
        .await
        .body;
    let id = reports[0]["id"].as_i64().expect("an id");
    let withdrawn = app
        .post(
            &format!("/actuals/{id}/withdraw"),
            &json!({"reason": "typed into the wrong row"}),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    (code, value)
}

async fn the_workbook_holds_the_views_and_every_stored_row(b: Backend) {
    let app = spawn_demo_app(b).await;
    let (code, value) = report_and_withdraw(&app).await;
    let rev = app.store.current_rev().await.unwrap();
    let d = download(&app, &app.client, "format=xlsx&period=2026").await;
    assert_eq!(d.status, 200, "{}", String::from_utf8_lossy(&d.bytes));
    assert_eq!(
        d.header("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        d.header("content-disposition"),
        format!("attachment; filename=\"apo-dashboard-r{rev}.xlsx\"")
    );
    assert_eq!(d.header("x-revision"), rev.to_string());
    let mut book = open(&d.bytes);
    assert_eq!(book.names(), expected_sheets(true));

    // README: what it is, the revision, the period, and every column of every sheet.
    let readme = book.rows("README").to_vec();
    let line = |what: &str| {
        readme
            .iter()
            .find(|r| text(&r[0]) == what)
            .unwrap_or_else(|| panic!("no {what} line in the README"))[1]
            .clone()
    };
    assert_eq!(num(&line("Revision")), rev as f64);
    assert_eq!(num(&line("Period")), 2026.0);
    assert!(text(&line("Taken at")).ends_with('Z'));
    let described: BTreeSet<(String, String)> = readme
        .iter()
        .filter(|r| r.len() >= 3 && !text(&r[2]).is_empty())
        .map(|r| (text(&r[0]), text(&r[1])))
        .collect();
    for sheet in expected_sheets(true).iter().skip(1) {
        for column in book.header(sheet) {
            assert!(
                described.contains(&(sheet.clone(), column.clone())),
                "the README does not say what {sheet}.{column} means"
            );
        }
    }

    // The views: names, not codes; percentages formatted; statuses in words.
    let members: BTreeMap<String, String> = app
        .get("/members")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["iso3"].as_str().unwrap().to_owned(),
                m["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let names: BTreeSet<&String> = members.values().collect();
    let member_rows = book.table("Members");
    assert_eq!(member_rows.len(), members.len());
    for r in &member_rows {
        assert!(names.contains(&text(&r["Member"])), "{:?}", r["Member"]);
    }
    assert!(member_rows.iter().all(|r| {
        ["Draft", "Submitted", "Endorsed", "No primer"].contains(&text(&r["Primer"]).as_str())
    }));
    let pillars: Vec<String> = app
        .get("/pillars")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let pillar_rows: Vec<String> = book
        .table("Pillars")
        .iter()
        .map(|r| text(&r["Pillar"]))
        .collect();
    assert_eq!(pillar_rows, pillars);
    let krs = book.table("Key result progress");
    assert!(!krs.is_empty());
    for r in &krs {
        assert!(names.contains(&text(&r["Member"])), "{:?}", r["Member"]);
        assert!(pillars.contains(&text(&r["Pillar"])), "{:?}", r["Pillar"]);
        assert!(
            STATUSES.contains(&text(&r["Status"]).as_str()),
            "{:?}",
            r["Status"]
        );
    }
    // A scored member's score and a key result's progress are numbers shown as percentages.
    let scored = member_rows
        .iter()
        .position(|r| matches!(r["Score"], Data::Float(_)))
        .expect("a member with a score in the demo");
    let score_col = book
        .header("Members")
        .iter()
        .position(|c| c == "Score")
        .unwrap();
    assert_eq!(
        book.format("Members", scored as u32 + 1, score_col as u32),
        "0.0%"
    );
    let progressed = krs
        .iter()
        .position(|r| matches!(r["Progress"], Data::Float(_)))
        .expect("a key result with progress in the demo");
    let progress_col = book
        .header("Key result progress")
        .iter()
        .position(|c| c == "Progress")
        .unwrap();
    assert_eq!(
        book.format(
            "Key result progress",
            progressed as u32 + 1,
            progress_col as u32
        ),
        "0.0%"
    );
    let overview = book.table("Overview");
    let overall = overview
        .iter()
        .find(|r| text(&r["Measure"]) == "Overall score (all members)")
        .expect("the overall score");
    let doc = app.get("/dashboard?period=2026").await.body;
    match doc["overall"]["score"].as_f64() {
        Some(s) => assert_eq!(num(&overall["Value"]), s),
        None => assert_eq!(overall["Value"], Data::Empty),
    }

    // The raw sheets: the import's columns, every stored row.
    assert_eq!(
        book.header("primers"),
        [
            "iso3",
            "status",
            "national_context",
            "endorsed_on",
            "focus_areas"
        ]
    );
    assert_eq!(
        book.header("actuals"),
        [
            "iso3",
            "kr_code",
            "year",
            "value",
            "reported_at",
            "reported_by",
            "withdrawn_reason",
            "withdrawn_by"
        ]
    );
    assert_eq!(book.header("series"), ["iso3", "series", "year", "value"]);
    let count = |v: &Value| v.as_array().expect("a list").len();
    let primers = app.get("/primers").await.body;
    assert_eq!(book.table("primers").len(), count(&primers));
    assert_eq!(
        book.table("key_results").len(),
        count(&app.get("/key_results").await.body)
    );
    let mut targets = 0;
    for p in primers.as_array().unwrap() {
        let one = app
            .get(&format!("/primers/{}", p["iso3"].as_str().unwrap()))
            .await
            .body;
        for k in one["key_results"].as_array().unwrap() {
            targets += k["targets"].as_object().map_or(0, |t| t.len());
        }
    }
    assert_eq!(book.table("targets").len(), targets);
    let actuals = app.get("/actuals?limit=10000").await.body;
    assert!(
        count(&actuals) < 10000,
        "the count below would be cut short"
    );
    assert_eq!(book.table("actuals").len(), count(&actuals));
    assert_eq!(
        book.table("budgets").len(),
        count(&app.get("/budgets").await.body)
    );
    assert_eq!(
        book.table("projects").len(),
        count(&app.get("/projects").await.body)
    );
    let series = app.get("/series").await.body;
    let sheet_series = book.table("series");
    assert_eq!(sheet_series.len(), count(&series));
    // Numbers are the stored f64s, bit for bit.
    let stored: BTreeMap<(String, String, i64), u64> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                (
                    p["iso3"].as_str().unwrap().to_owned(),
                    p["series"].as_str().unwrap().to_owned(),
                    p["year"].as_i64().unwrap(),
                ),
                p["value"].as_f64().unwrap().to_bits(),
            )
        })
        .collect();
    for r in &sheet_series {
        let key = (text(&r["iso3"]), text(&r["series"]), num(&r["year"]) as i64);
        assert_eq!(
            stored.get(&key),
            Some(&num(&r["value"]).to_bits()),
            "{key:?}"
        );
    }
    assert_eq!(
        book.table("audit_log").len(),
        all_audit(&app, "").await.len()
    );
    // The withdrawn report, with its reason and who withdrew it; the others without.
    let withdrawn: Vec<_> = book
        .table("actuals")
        .into_iter()
        .filter(|r| !text(&r["withdrawn_reason"]).is_empty())
        .collect();
    assert_eq!(withdrawn.len(), 1, "{withdrawn:?}");
    let w = &withdrawn[0];
    assert_eq!(text(&w["kr_code"]), code);
    assert_eq!(num(&w["value"]).to_bits(), value.to_bits());
    assert_eq!(text(&w["withdrawn_reason"]), "typed into the wrong row");
    assert!(!text(&w["withdrawn_by"]).is_empty());
    // Timestamps as stored text, not Excel dates.
    assert!(matches!(w["reported_at"], Data::String(_)));
    app.stop().await;
}

async fn one_member_s_export_holds_its_rows_only(b: Backend) {
    let app = spawn_demo_app(b).await;
    let rev = app.store.current_rev().await.unwrap();
    let d = download(&app, &app.client, "format=xlsx&iso3=VNM").await;
    assert_eq!(d.status, 200, "{}", String::from_utf8_lossy(&d.bytes));
    assert_eq!(
        d.header("content-disposition"),
        format!("attachment; filename=\"apo-dashboard-r{rev}-VNM.xlsx\"")
    );
    let book = open(&d.bytes);
    assert_eq!(book.names(), expected_sheets(true));
    let members = app.get("/members").await.body;
    let name = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["iso3"] == "VNM")
        .and_then(|m| m["name"].as_str())
        .expect("VNM's name")
        .to_owned();
    let members = book.table("Members");
    assert_eq!(members.len(), 1);
    assert_eq!(text(&members[0]["Member"]), name);
    let krs = book.table("Key result progress");
    assert!(!krs.is_empty());
    assert!(krs.iter().all(|r| text(&r["Member"]) == name));
    for (sheet, column) in [
        ("primers", "iso3"),
        ("key_results", "iso3"),
        ("targets", "iso3"),
        ("actuals", "iso3"),
        ("budgets", "iso3"),
        ("projects", "host_iso3"),
        ("series", "iso3"),
    ] {
        for r in book.table(sheet) {
            assert_eq!(text(&r[column]), "VNM", "{sheet}: {r:?}");
        }
    }
    let count = |v: Value| v.as_array().expect("a list").len();
    assert_eq!(book.table("primers").len(), 1);
    assert_eq!(
        book.table("key_results").len(),
        count(app.get("/key_results?iso3=VNM").await.body)
    );
    assert_eq!(
        book.table("actuals").len(),
        count(app.get("/actuals?iso3=VNM&limit=10000").await.body)
    );
    assert_eq!(
        book.table("series").len(),
        count(app.get("/series?iso3=VNM").await.body)
    );
    assert!(
        !book.table("series").is_empty(),
        "the demo has VNM's series"
    );
    // The catalogue entries of VNM's series only (the demo catalogues its national indexes).
    let named: BTreeSet<String> = book
        .table("series")
        .iter()
        .map(|r| text(&r["series"]))
        .collect();
    let catalogue = book.table("series_catalogue");
    assert!(!catalogue.is_empty(), "the demo catalogues VNM's indexes");
    for r in &catalogue {
        assert!(named.contains(&text(&r["series"])), "{r:?}");
    }
    assert_eq!(
        book.table("audit_log").len(),
        all_audit(&app, "&member=VNM").await.len()
    );
    app.stop().await;
}

async fn the_audit_log_is_the_secretariat_s_only(b: Backend) {
    let app = spawn_demo_app(b).await;
    let (viewer, _) = app
        .access
        .create_token(Role::Viewer, None, Some("viewer".into()), None, "tests")
        .await
        .unwrap();
    let (editor, _) = app
        .access
        .create_token(
            Role::Editor,
            Some("VNM".into()),
            Some("editor".into()),
            None,
            "tests",
        )
        .await
        .unwrap();
    for token in [viewer, editor] {
        let d = download(&app, &bearer_client(&token), "format=xlsx").await;
        assert_eq!(d.status, 200, "{}", String::from_utf8_lossy(&d.bytes));
        let book = open(&d.bytes);
        assert_eq!(book.names(), expected_sheets(false));
        assert!(
            book.rows("README")
                .iter()
                .all(|r| text(&r[0]) != "audit_log"),
            "the README describes an audit log it does not hold"
        );
        let d = download(&app, &bearer_client(&token), "format=csv").await;
        let zip = zip::ZipArchive::new(Cursor::new(d.bytes)).unwrap();
        assert!(
            zip.file_names()
                .all(|n| n.as_deref().unwrap() != "audit_log.csv")
        );
    }
    let d = download(&app, &app.anon, "format=xlsx").await;
    assert_eq!(d.status, 401);
    app.stop().await;
}

async fn bad_parameters_are_refused_and_named(b: Backend) {
    let app = spawn_demo_app(b).await;
    for (query, field) in [
        ("", "format"),
        ("iso3=VNM", "format"),
        ("format=pdf", "format"),
        ("format=XLSX", "format"),
        ("format=xlsx&iso3=vn", "iso3"),
        ("format=xlsx&iso3=ZZZ", "iso3"),
        ("format=xlsx&period=1999", "period"),
        ("format=xlsx&period=soon", "period"),
        ("format=xlsx&sheet=README", "sheet"),
    ] {
        let r = app.get(&format!("/export?{query}")).await;
        assert!(
            (400..500).contains(&r.status),
            "{query}: {} {}",
            r.status,
            r.body
        );
        assert!(
            r.body["error"]["code"].as_str().is_some(),
            "{query}: {}",
            r.body
        );
        assert!(
            r.error_fields().contains(&field.to_owned()),
            "{query}: {:?} in {}",
            r.error_fields(),
            r.body
        );
    }
    app.stop().await;
}

async fn csv_comes_as_a_zip_of_the_same_tables(b: Backend) {
    let app = spawn_demo_app(b).await;
    let rev = app.store.current_rev().await.unwrap();
    let d = download(&app, &app.client, "format=csv&period=2026").await;
    assert_eq!(d.status, 200, "{}", String::from_utf8_lossy(&d.bytes));
    assert_eq!(d.header("content-type"), "application/zip");
    assert_eq!(
        d.header("content-disposition"),
        format!("attachment; filename=\"apo-dashboard-r{rev}.zip\"")
    );
    let files = unzip(&d.bytes);
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let expected: Vec<String> = expected_sheets(true)
        .iter()
        .map(|s| format!("{s}.csv"))
        .collect();
    assert_eq!(names, expected);
    let x = download(&app, &app.client, "format=xlsx&period=2026").await;
    let book = open(&x.bytes);
    for (name, rows) in &files {
        let sheet = name.trim_end_matches(".csv");
        if sheet == "README" {
            continue;
        }
        assert_eq!(rows.len(), book.rows(sheet).len(), "{name}");
        assert_eq!(rows[0], book.header(sheet), "{name}");
    }
    let file = |n: &str| &files.iter().find(|(f, _)| f == n).unwrap().1;
    // Percentages as text with one decimal; numbers in their shortest exact form.
    let members = file("Members.csv");
    let score = members[0].iter().position(|c| c == "Score").unwrap();
    assert!(
        members[1..].iter().any(|r| r[score].ends_with('%')),
        "{members:?}"
    );
    let series = file("series.csv");
    let stored = app.get("/series").await.body;
    let first = &stored[0];
    let row = series
        .iter()
        .find(|r| {
            r[0] == first["iso3"]
                && r[1] == first["series"]
                && r[2].parse::<i64>().ok() == first["year"].as_i64()
        })
        .expect("the first stored value");
    assert_eq!(
        row[3].parse::<f64>().unwrap().to_bits(),
        first["value"].as_f64().unwrap().to_bits()
    );
    let readme = file("README.csv");
    assert!(
        readme
            .iter()
            .any(|r| r[0] == "Revision" && r[1] == rev.to_string()),
        "{readme:?}"
    );
    app.stop().await;
}

/// Exports taken while reports arrive: each is of one revision, so the latest report of each key
/// result in its `actuals` sheet is the actual its `Key result progress` view shows.
async fn views_and_raw_tables_agree_while_reports_arrive(b: Backend) {
    let app = spawn_demo_app(b).await;
    let krs = app.get("/key_results?iso3=VNM").await.body;
    let codes: Vec<(String, f64)> = krs
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["code"].as_str().unwrap().to_owned(),
                k["baseline_value"].as_f64().unwrap_or(1.0),
            )
        })
        .collect();
    let name = app
        .get("/members")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["iso3"] == "VNM")
        .and_then(|m| m["name"].as_str())
        .unwrap()
        .to_owned();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (client, url, stop) = (app.client.clone(), app.url("/actuals"), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (code, base) = &codes[n as usize % codes.len()];
                let value = base + f64::from(n % 7) + 0.25;
                let r = client
                    .post(&url)
                    .json(&json!({"iso3": "VNM", "kr_code": code, "year": 2026, "value": value}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
                n += 1;
            }
            n
        })
    };
    let mut revisions = BTreeSet::new();
    for _ in 0..6 {
        let d = download(&app, &app.client, "format=xlsx&period=2026&iso3=VNM").await;
        assert_eq!(d.status, 200, "{}", String::from_utf8_lossy(&d.bytes));
        let book = open(&d.bytes);
        let rev = d.header("x-revision");
        revisions.insert(rev.clone());
        let mut latest: BTreeMap<String, f64> = BTreeMap::new();
        for r in book.table("actuals") {
            if num(&r["year"]) == 2026.0 && text(&r["withdrawn_reason"]).is_empty() {
                latest.insert(text(&r["kr_code"]), num(&r["value"]));
            }
        }
        for r in book.table("Key result progress") {
            assert_eq!(text(&r["Member"]), name);
            let code = text(&r["Key result"]);
            let shown = match &r["Actual"] {
                Data::Empty => None,
                v => Some(num(v)),
            };
            assert_eq!(
                shown,
                latest.get(&code).copied(),
                "revision {rev}: {code}'s actual in the view and in the actuals sheet"
            );
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(written > 0);
    assert!(
        revisions.len() > 1,
        "the exports did not overlap any write ({written} reports): {revisions:?}"
    );
    app.stop().await;
}
