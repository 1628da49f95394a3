//! Imports through the library entry point (the CLI is exercised in `cli`): all-or-nothing,
//! idempotent, every problem located by file, row and column.

use apo_dashboard::error::Error;
use apo_dashboard::import::{self, Mode, Source};
use apo_dashboard::records::Actor;
use serde_json::json;

use crate::helpers::{Backend, spawn_app};

crate::on_both_backends!(
    a_workbook_imports_and_importing_it_again_changes_nothing,
    a_workbook_with_one_bad_row_writes_nothing_and_names_every_problem,
    a_dry_run_validates_against_the_database_and_writes_nothing,
    series_import_in_long_and_penn_world_table_wide_form,
    a_later_workbook_updates_key_results_and_keeps_the_others,
);

fn src(name: &str, text: &str) -> Source {
    Source {
        name: name.to_owned(),
        bytes: text.as_bytes().to_vec(),
    }
}

fn workbook() -> Vec<Source> {
    vec![
        src(
            "primers.csv",
            "iso3,status,national_context,endorsed_on\n\
             VNM,endorsed,\"Tripartite coalition of government, enterprises and universities.\",2026-01-30\n\
             MYS,draft,Draft context.,\n",
        ),
        src(
            "key_results.csv",
            "iso3,kr_code,pillar,focus_area,title,unit,direction,baseline_year,baseline_value,weight\n\
             VNM,VNM-KR1,4,Electronics and ICT,Training database records,records,increase,2025,0,1\n\
             VNM,VNM-KR2,3,Food processing,Lead time,days,decrease,2025,30,2\n\
             MYS,MYS-KR1,1,SMEs,SMEs assisted,SMEs,increase,,,\n",
        ),
        src(
            "targets.csv",
            "iso3,kr_code,year,target\nVNM,VNM-KR1,2026,1000\nVNM,VNM-KR1,2027,5000\n\
             VNM,VNM-KR2,2026,25\nMYS,MYS-KR1,2026,40\n",
        ),
        src(
            "actuals.csv",
            "iso3,kr_code,year,value,reported_at\nVNM,VNM-KR1,2026,420,2026-06-30T09:15:00Z\n\
             VNM,VNM-KR2,2026,28,\n",
        ),
        src(
            "budgets.csv",
            "pillar,year,planned,spent,iso3\n1,2026,900000,300000,\n3,2026,40000,1000,VNM\n",
        ),
        src(
            "projects.csv",
            "code,title,program,pillar,status,host_iso3,start_date,end_date\n\
             26-VN-01-GE-COE-A,COE on digital SMEs,COE,3,active,VNM,2026-01-01,2030-12-31\n",
        ),
    ]
}

async fn a_workbook_imports_and_importing_it_again_changes_nothing(b: Backend) {
    let app = spawn_app(b).await;
    let report = import::import(
        &app.store,
        &workbook(),
        &Actor::service("secretariat"),
        Mode::Apply,
    )
    .await
    .expect("imports");
    assert_eq!(report.rev, Some(1));
    assert_eq!(
        (
            report.primers,
            report.actuals,
            report.budgets,
            report.projects
        ),
        (2, 2, 2, 1)
    );

    let vnm = app.get("/primers/VNM").await.body;
    assert_eq!(vnm["status"], "endorsed");
    assert_eq!(vnm["endorsed_on"], "2026-01-30");
    assert_eq!(
        vnm["focus_areas"],
        json!(["Electronics and ICT", "Food processing"])
    );
    assert_eq!(vnm["key_results"][1]["direction"], "decrease");
    assert_eq!(vnm["key_results"][1]["weight"], 2.0);
    assert_eq!(
        vnm["key_results"][0]["targets"],
        json!({"2026": 1000.0, "2027": 5000.0})
    );
    let mys = app.get("/primers/MYS").await.body;
    assert!(mys["key_results"][0]["baseline_year"].is_null());
    assert_eq!(mys["key_results"][0]["weight"], 1.0, "weight defaults to 1");
    let audit = app.get("/audit?limit=1000").await.body;
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["actor"] == "secretariat" && a["rev"] == 1)
    );

    let before = app.everything().await;
    let again = import::import(
        &app.store,
        &workbook(),
        &Actor::service("secretariat"),
        Mode::Apply,
    )
    .await
    .expect("imports again");
    assert_eq!(again.rev, None, "{again}");
    assert_eq!(
        (again.primers, again.actuals, again.budgets, again.projects),
        (0, 0, 0, 0)
    );
    assert_eq!(app.everything().await, before);
    app.stop().await;
}

async fn a_workbook_with_one_bad_row_writes_nothing_and_names_every_problem(b: Backend) {
    let app = spawn_app(b).await;
    let before = app.everything().await;
    let mut files = workbook();
    files[3] = src(
        "actuals.csv",
        "iso3,kr_code,year,value,reported_at\nVNM,VNM-KR1,2026,420,2026-06-30T09:15:00Z\n\
         VNM,VNM-KR2,2026,NaN,\nVNM,VNM-KR2,2031,3,\nVNM,VNM-KR2,2026,inf,\n",
    );
    files[1] = src(
        "key_results.csv",
        "iso3,kr_code,pillar,focus_area,title,unit,direction,baseline_year,baseline_value,weight\n\
         VNM,VNM-KR1,4,Electronics and ICT,Training database records,records,increase,2025,0,1\n\
         VNM,VNM-KR2,7,Food processing,Lead time,days,decrease,2025,30,2\n\
         MYS,MYS-KR1,1,SMEs,SMEs assisted,SMEs,downwards,,,\n",
    );
    let err = import::import(
        &app.store,
        &files,
        &Actor::service("secretariat"),
        Mode::Apply,
    )
    .await
    .expect_err("refused");
    let Error::Invalid(_, details) = err else {
        panic!("expected 422-style problems, got {err:?}")
    };
    let found: Vec<String> = details.iter().map(|d| d.to_string()).collect();
    for expected in [
        "actuals.csv row 3: value:",
        "actuals.csv row 4: year:",
        "actuals.csv row 5: value:",
        "key_results.csv row 3: pillar:",
        "key_results.csv row 4: direction:",
    ] {
        assert!(
            found.iter().any(|f| f.starts_with(expected)),
            "no problem starting {expected:?} in {found:#?}"
        );
    }
    assert_eq!(app.everything().await, before, "nothing written");

    // A problem only the database can see (an unknown key result) also writes nothing.
    let mut files = workbook();
    files[3] = src(
        "actuals.csv",
        "iso3,kr_code,year,value\nVNM,VNM-KR1,2026,1\nVNM,VNM-KR9,2026,1\n",
    );
    let err = import::import(
        &app.store,
        &files,
        &Actor::service("secretariat"),
        Mode::Apply,
    )
    .await
    .expect_err("refused");
    let text: Vec<String> = err.details().iter().map(|d| d.to_string()).collect();
    assert_eq!(
        text,
        ["actuals.csv row 3: kr_code: VNM has no key result VNM-KR9"]
    );
    assert_eq!(app.everything().await, before, "nothing written");

    // Unknown columns are an error, not silently ignored.
    let files = vec![src(
        "targets.csv",
        "iso3,kr_code,year,target,comment\nVNM,VNM-KR1,2026,1,x\n",
    )];
    let (_, problems) = import::parse(&files, &import::quietly);
    assert!(
        problems[0].to_string().contains("comment: unknown column"),
        "{problems:?}"
    );
    app.stop().await;
}

async fn a_dry_run_validates_against_the_database_and_writes_nothing(b: Backend) {
    let app = spawn_app(b).await;
    let before = app.everything().await;
    let report = import::import(
        &app.store,
        &workbook(),
        &Actor::service("secretariat"),
        Mode::DryRun,
    )
    .await
    .expect("valid");
    assert!(report.dry_run);
    assert_eq!(report.primers, 2);
    assert_eq!(app.everything().await, before);
    app.stop().await;
}

async fn series_import_in_long_and_penn_world_table_wide_form(b: Backend) {
    let app = spawn_app(b).await;
    let long = src(
        "series.csv",
        "iso3,series,year,value\nJPN,emp,2017,68.3\nJPN,hc,2017,3.6\n",
    );
    let wide = src(
        "pwt.csv",
        "isocode,country,year,rgdpo,emp,avh\nJPN,Japan,2016,5000000.5,67.9,\nSGP,Singapore,2016,480000,3.6,2300\n",
    );
    let r = import::import(
        &app.store,
        &[long, wide],
        &Actor::service("secretariat"),
        Mode::Apply,
    )
    .await
    .expect("imports");
    assert_eq!(r.series, 7, "empty cells are not values");
    let jpn = app.get("/series?iso3=JPN").await.body;
    let jpn: Vec<(String, i64, f64)> = jpn
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["series"].as_str().unwrap().into(),
                p["year"].as_i64().unwrap(),
                p["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        jpn,
        [
            ("emp".into(), 2016, 67.9),
            ("emp".into(), 2017, 68.3),
            ("hc".into(), 2017, 3.6),
            ("rgdpo".into(), 2016, 5000000.5)
        ]
    );
    let bad = src(
        "series.csv",
        "iso3,series,year,value\nJPN,gdp_vibes,2017,1\nXYZ,emp,2017,1\n",
    );
    let err = import::import(&app.store, &[bad], &Actor::service("x"), Mode::Apply)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("problems") || !err.details().is_empty());
    app.stop().await;
}

async fn a_later_workbook_updates_key_results_and_keeps_the_others(b: Backend) {
    let app = spawn_app(b).await;
    import::import(
        &app.store,
        &workbook(),
        &Actor::service("secretariat"),
        Mode::Apply,
    )
    .await
    .unwrap();
    let update = vec![
        src(
            "key_results.csv",
            "iso3,kr_code,pillar,focus_area,title,unit,direction\n\
             VNM,VNM-KR1,4,Electronics and ICT,National productivity training database records,records,increase\n",
        ),
        src(
            "targets.csv",
            "iso3,kr_code,year,target\nVNM,VNM-KR1,2028,9000\n",
        ),
    ];
    let r = import::import(
        &app.store,
        &update,
        &Actor::service("secretariat"),
        Mode::Apply,
    )
    .await
    .unwrap();
    assert_eq!(r.primers, 1);
    let vnm = app.get("/primers/VNM").await.body;
    assert_eq!(
        vnm["key_results"].as_array().unwrap().len(),
        2,
        "VNM-KR2 kept"
    );
    assert_eq!(
        vnm["key_results"][0]["title"],
        "National productivity training database records"
    );
    assert_eq!(
        vnm["key_results"][0]["targets"],
        json!({"2026": 1000.0, "2027": 5000.0, "2028": 9000.0})
    );
    assert_eq!(
        vnm["status"], "endorsed",
        "status untouched without a primers row"
    );
    app.stop().await;
}
