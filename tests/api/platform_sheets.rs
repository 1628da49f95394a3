//! The platforms' sheets of a workbook (contract §5): accreditations, gp_themes,
//! gp_initiatives, gp_outcomes and trainings imported through the API's rules, all or nothing,
//! idempotent, every problem named by sheet, row and column; exported so that an import into an
//! empty database gives them back; and the demo's, loaded by `serve --demo`.

use apo_dashboard::clock::Clock;
use apo_dashboard::error::Detail;
use apo_dashboard::export::{Format, Options, export};
use apo_dashboard::import::{self, Mode, Source};
use apo_dashboard::records::Actor;
use rust_xlsxwriter::Workbook;
use serde_json::{Value, json};
use time::macros::date;

use crate::helpers::{Backend, TestApp};
use crate::projects::app_on;

crate::on_both_backends!(
    the_platforms_sheets_import_and_come_back_from_an_export,
    a_bad_row_in_each_platform_sheet_is_named_and_nothing_is_written,
    a_refused_accreditation_transition_in_a_sheet_names_its_row,
    outcome_rows_add_to_a_stored_initiative,
    the_demo_loads_the_platforms,
    key_results_take_their_source_from_the_sheet,
);

const TODAY: time::Date = date!(2026 - 12 - 07);

fn src(name: &str, text: &str) -> Source {
    Source {
        name: name.to_owned(),
        bytes: text.as_bytes().to_vec(),
    }
}

const ACCREDITATIONS: &str = "id,iso3,body,body_kind,scheme,status,applied_on,assessment_date,criteria_scores,certificate,conferred_on,occasion,valid_until,note\n\
vnm-vnpi,VNM,Vietnam National Productivity Institute,npo,APO accreditation of NPOs,accredited,2024-11-15,2025-06-20,governance=82;services=77.5,APO-ACC-2025-003,2025-10-28,\"66th WSM, Seoul\",2028-10-27,\n\
khm-npcc,KHM,National Productivity Centre of Cambodia,npo,APO accreditation of NPOs,applied,2026-02-09,,,,,,,\"Applied; \"\"first\"\" time\"\n";

const THEMES: &str =
    "id,label\nwater_stewardship,Water stewardship\nenergy_efficiency,Energy efficiency\n";

const INITIATIVES: &str = "id,iso3,title,theme,type,sector,start_year,end_year,status\n\
vnm-gp-demo-2026,VNM,GP demonstration in food processing SMEs,energy_efficiency,demonstration_project,food_processing,2026,2027,ongoing\n\
tha-gp-water-2025,THA,Water-saving rice farming,water_stewardship,training,agriculture,2025,2027,ongoing\n";

const OUTCOMES: &str = "initiative,metric,year,value\n\
vnm-gp-demo-2026,companies_reached,2026,12\n\
vnm-gp-demo-2026,energy_saved,2026,340.5\n\
tha-gp-water-2025,water_saved,2025,12500\n\
tha-gp-water-2025,people_trained,2026,140\n";

const TRAININGS: &str = "id,iso3,title,provider,sector,topic,start_date,end_date,mode,hours,government,enterprises,universities,female,male,unspecified,smes,certified_specialists\n\
vnm-tr-2026-014,VNM,Lean for food processors,VNPI,food_processing,Lean production,2026-03-02,2026-03-06,in_person,40,4,21,5,14,16,0,17,3\n\
khm-tr-2026-001,KHM,Smart farming,NPCC,agriculture,Smart farming,2026-05-11,2026-05-12,online,7.5,8,19,0,9,18,0,16,0\n";

fn sheets() -> Vec<Source> {
    vec![
        src("accreditations.csv", ACCREDITATIONS),
        src("gp_themes.csv", THEMES),
        src("gp_initiatives.csv", INITIATIVES),
        src("gp_outcomes.csv", OUTCOMES),
        src("trainings.csv", TRAININGS),
    ]
}

/// The platforms' records as the API shows them.
async fn records(app: &TestApp) -> Value {
    json!({
        "accreditations": app.get("/accreditations").await.body,
        "summary": app.get("/accreditations/summary").await.body,
        "themes": app.get("/gp/themes").await.body,
        "initiatives": app.get("/gp/initiatives").await.body,
        "mapping": app.get("/gp/mapping").await.body,
        "trainings": app.get("/trainings").await.body,
        "training_summary": app.get("/trainings/summary").await.body,
    })
}

fn count(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

async fn the_platforms_sheets_import_and_come_back_from_an_export(b: Backend) {
    let clock = Clock::fixed(TODAY);
    let from = app_on(b, &clock, false).await;
    let actor = Actor::cli("test");
    let report = import::import_on(&from.store, &sheets(), &actor, Mode::Apply, TODAY)
        .await
        .expect("imported");
    assert_eq!(
        (
            report.accreditations,
            report.gp_themes,
            report.gp_initiatives,
            report.trainings
        ),
        (2, 1, 2, 2),
        "{report}"
    );
    let rev = report.rev.expect("a revision");
    let expected = records(&from).await;
    assert_eq!(count(&expected["accreditations"]), 2, "{expected}");
    assert_eq!(count(&expected["trainings"]), 2, "{expected}");
    let vnm = from.get("/gp/initiatives/vnm-gp-demo-2026").await.body;
    assert_eq!(vnm["outcomes"].as_array().unwrap().len(), 2, "{vnm}");
    let khm = from.get("/accreditations/khm-npcc").await.body;
    assert_eq!(khm["note"], "Applied; \"first\" time", "{khm}");
    let vnpi = from.get("/accreditations/vnm-vnpi").await.body;
    assert_eq!(vnpi["criteria_scores"]["services"], 77.5, "{vnpi}");
    assert_eq!(expected["summary"]["accredited_members"], 1);

    // The same sheets again: nothing changes, no revision.
    let again = import::import_on(&from.store, &sheets(), &actor, Mode::Apply, TODAY)
        .await
        .expect("again");
    assert_eq!(again.rev, None, "{again}");
    assert_eq!(from.store.current_rev().await.unwrap(), rev);

    for format in [Format::Xlsx, Format::Csv] {
        let options = Options {
            format,
            iso3: None,
            period: Some(2026),
            audit_log: false,
        };
        let file = export(&from.store, None, &options).await.expect("exported");
        let to = app_on(b, &clock, false).await;
        let name = file.file_name();
        let source = || Source {
            name: name.clone(),
            bytes: file.bytes.clone(),
        };
        let r = import::import_on(&to.store, &[source()], &actor, Mode::Apply, TODAY)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}: {:#?}", e.details()));
        assert_eq!(r.trainings, 2, "{name}: {r}");
        assert_eq!(records(&to).await, expected, "{name}");
        let again = import::import_on(&to.store, &[source()], &actor, Mode::Apply, TODAY)
            .await
            .expect("again");
        assert_eq!(again.rev, None, "{name}: {again}");
        to.stop().await;
    }
    from.stop().await;
}

/// (sheet, row, column) of each problem.
fn places(details: &[Detail]) -> Vec<(String, usize, String)> {
    details
        .iter()
        .map(|d| {
            (
                d.sheet.clone().unwrap_or_default(),
                d.row.unwrap_or(0),
                d.field.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// A workbook whose every platform sheet has one good row and one bad one (row 3).
fn bad_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let tables: [(&str, &str); 5] = [
        (
            "accreditations",
            // conferred after today
            "id,iso3,body,body_kind,scheme,status,applied_on,assessment_date,criteria_scores,certificate,conferred_on,occasion,valid_until,note\n\
             khm-npcc,KHM,NPCC,npo,APO accreditation of NPOs,applied,2026-02-09,,,,,,,\n\
             sgp-esg,SGP,Enterprise Singapore,npo,APO accreditation of NPOs,accredited,2024-09-16,2025-04-22,governance=71,APO-ACC-2025-002,2026-12-08,Seoul,2029-12-07,\n",
        ),
        (
            "gp_themes",
            "id,label\nwater_stewardship,Water stewardship\nWater,Water\n",
        ),
        (
            "gp_initiatives",
            "id,iso3,title,theme,type,sector,start_year,end_year,status\n\
             vnm-gp-1,VNM,GP demonstration,energy_efficiency,demonstration_project,food_processing,2026,2027,ongoing\n\
             tha-gp-1,THA,Rice farming,no_such_theme,training,agriculture,2025,2027,ongoing\n",
        ),
        (
            "gp_outcomes",
            // 2027 is within the initiative's years, but after this one
            "initiative,metric,year,value\nvnm-gp-1,energy_saved,2026,340.5\nvnm-gp-1,companies_reached,2027,4\n",
        ),
        (
            "trainings",
            // by_sex sums to 29 of 30 participants
            "id,iso3,title,provider,sector,topic,start_date,end_date,mode,hours,government,enterprises,universities,female,male,unspecified,smes,certified_specialists\n\
             vnm-tr-1,VNM,Lean,VNPI,food_processing,Lean,2026-03-02,2026-03-06,in_person,40,4,21,5,14,16,0,17,3\n\
             vnm-tr-2,VNM,Lean,VNPI,food_processing,Lean,2026-03-02,2026-03-06,in_person,40,4,21,5,14,15,0,17,3\n",
        ),
    ];
    for (name, text) in tables {
        let s = book.add_worksheet().set_name(name).unwrap();
        for (r, line) in text.lines().enumerate() {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.trim().as_bytes());
            let record = reader.records().next().unwrap().unwrap();
            for (c, cell) in record.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                match cell.parse::<f64>() {
                    Ok(v) => s.write_number(r as u32, c as u16, v),
                    Err(_) => s.write_string(r as u32, c as u16, cell),
                }
                .unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

async fn a_bad_row_in_each_platform_sheet_is_named_and_nothing_is_written(b: Backend) {
    let clock = Clock::fixed(TODAY);
    let app = app_on(b, &clock, false).await;
    let rev = app.store.current_rev().await.unwrap();
    let before = records(&app).await;
    let book = Source {
        name: "platforms.xlsx".into(),
        bytes: bad_xlsx(),
    };
    for mode in [Mode::DryRun, Mode::Apply] {
        let err = import::import_on(
            &app.store,
            std::slice::from_ref(&book),
            &Actor::cli("test"),
            mode,
            TODAY,
        )
        .await
        .expect_err("refused");
        let got = places(err.details());
        let want: Vec<(String, usize, String)> = [
            ("gp_themes", 3, "id"),
            ("accreditations", 3, "conferred_on"),
            ("gp_initiatives", 3, "theme"),
            ("gp_outcomes", 3, "year"),
            ("trainings", 3, "female"),
        ]
        .map(|(s, r, c)| (s.to_owned(), r, c.to_owned()))
        .to_vec();
        let mut sorted_got = got.clone();
        sorted_got.sort();
        let mut sorted_want = want.clone();
        sorted_want.sort();
        assert_eq!(sorted_got, sorted_want, "{:#?}", err.details());
        assert!(
            err.details()
                .iter()
                .all(|d| d.file.as_deref() == Some("platforms.xlsx")),
            "{:#?}",
            err.details()
        );
    }
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        rev,
        "nothing written"
    );
    assert_eq!(records(&app).await, before);
    app.stop().await;
}

async fn a_refused_accreditation_transition_in_a_sheet_names_its_row(b: Backend) {
    let clock = Clock::fixed(TODAY);
    let app = app_on(b, &clock, false).await;
    let actor = Actor::cli("test");
    import::import_on(&app.store, &sheets(), &actor, Mode::Apply, TODAY)
        .await
        .expect("imported");
    let rev = app.store.current_rev().await.unwrap();
    let before = records(&app).await;
    // khm-npcc is stored as applied: it may not become accredited without an assessment; the
    // training's correction on the other sheet must not be written either.
    let moved = ACCREDITATIONS.replace(
        "applied,2026-02-09,,,,,,,",
        "accredited,2026-02-09,2026-06-01,,APO-ACC-2026-001,2026-11-20,\"Online\",2029-11-19,",
    );
    let trainings = TRAININGS.replace("Smart farming,NPCC", "Smart farming II,NPCC");
    let err = import::import_on(
        &app.store,
        &[
            src("accreditations.csv", &moved),
            src("trainings.csv", &trainings),
        ],
        &actor,
        Mode::Apply,
        TODAY,
    )
    .await
    .expect_err("refused");
    let d = err.details();
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].file.as_deref(), Some("accreditations.csv"));
    assert_eq!((d[0].row, d[0].field.as_deref()), (Some(3), Some("status")));
    assert!(
        d[0].message.contains("from applied to accredited"),
        "{}",
        d[0].message
    );
    assert_eq!(app.store.current_rev().await.unwrap(), rev);
    assert_eq!(records(&app).await, before);
    app.stop().await;
}

async fn outcome_rows_add_to_a_stored_initiative(b: Backend) {
    let clock = Clock::fixed(TODAY);
    let app = app_on(b, &clock, false).await;
    let actor = Actor::cli("test");
    import::import_on(&app.store, &sheets(), &actor, Mode::Apply, TODAY)
        .await
        .expect("imported");
    // A later file with outcomes only: one corrected, one added; the others stay.
    let more = "initiative,metric,year,value\n\
                vnm-gp-demo-2026,companies_reached,2026,15\n\
                vnm-gp-demo-2026,emissions_avoided,2026,80\n";
    let r = import::import_on(
        &app.store,
        &[src("gp_outcomes.csv", more)],
        &actor,
        Mode::Apply,
        TODAY,
    )
    .await
    .expect("imported");
    assert_eq!(r.gp_initiatives, 1, "{r}");
    let i = app.get("/gp/initiatives/vnm-gp-demo-2026").await.body;
    let outcomes: Vec<(String, f64)> = i["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["metric"].as_str().unwrap().to_owned(),
                o["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("companies_reached".to_owned(), 15.0),
            ("energy_saved".to_owned(), 340.5),
            ("emissions_avoided".to_owned(), 80.0),
        ],
        "{i}"
    );
    // Outcomes of an initiative nobody recorded are refused at their row.
    let err = import::import_on(
        &app.store,
        &[src(
            "gp_outcomes.csv",
            "initiative,metric,year,value\nidn-gp-9,energy_saved,2026,5\n",
        )],
        &actor,
        Mode::Apply,
        TODAY,
    )
    .await
    .expect_err("refused");
    assert_eq!(
        places(err.details()),
        [(String::new(), 2, "initiative".to_owned())],
        "{:#?}",
        err.details()
    );
    app.stop().await;
}

async fn the_demo_loads_the_platforms(b: Backend) {
    let clock = Clock::fixed(TODAY);
    let app = app_on(b, &clock, true).await;
    let summary = app.get("/accreditations/summary").await.body;
    assert_eq!(summary["accredited_members"], 3, "{summary}");
    for iso3 in ["BGD", "SGP", "VNM"] {
        assert_eq!(summary["by_member"][iso3], "accredited", "{summary}");
    }
    let vnpi = app.get("/accreditations/vnm-vnpi").await.body;
    assert_eq!(vnpi["conferred_on"], "2025-10-28", "{vnpi}");
    assert_eq!(vnpi["occasion"], "66th WSM, Seoul", "{vnpi}");
    // Trainings of every member in 2026, Vietnam's in its priority sectors.
    let trainings = app.get("/trainings/summary").await.body;
    let by_member = trainings["by_member"].as_object().expect("by_member");
    assert_eq!(by_member.len(), 21, "{trainings}");
    let vnm = app.get("/trainings?iso3=VNM").await.body;
    for t in vnm.as_array().unwrap() {
        assert!(
            [
                "electronics_ict",
                "textiles_garments",
                "food_processing",
                "agriculture",
                "logistics"
            ]
            .contains(&t["sector"].as_str().unwrap()),
            "{t}"
        );
    }
    let mapping = app.get("/gp/mapping").await.body;
    assert!(
        mapping["members_with_initiatives"].as_i64().unwrap() >= 14,
        "{mapping}"
    );
    let themes: Vec<&str> = mapping["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    let used = app.get("/gp/initiatives").await.body;
    for theme in themes {
        assert!(
            used.as_array().unwrap().iter().any(|i| i["theme"] == theme),
            "no demo initiative in {theme}"
        );
    }
    app.stop().await;
}

async fn key_results_take_their_source_from_the_sheet(b: Backend) {
    let clock = Clock::fixed(TODAY);
    let from = app_on(b, &clock, false).await;
    let actor = Actor::cli("test");
    let head = "iso3,kr_code,pillar,focus_area,title,unit,direction,source_dataset,source_measure,source_filter,source_since\n";
    let good = format!(
        "{head}VNM,VNM-KR1,3,Food processing,Participants trained,people,increase,trainings,participants,food_processing;agriculture,2026\n\
         VNM,VNM-KR2,3,Green productivity,GP specialists,people,increase,gp_initiatives,specialists_certified,,\n\
         VNM,VNM-KR3,1,Coalition,Members of the coalition,members,increase,,,,\n"
    );
    let primers = || src("primers.csv", "iso3,status\nVNM,draft\n");
    let mut files = sheets();
    files.push(primers());
    files.push(src("key_results.csv", &good));
    import::import_on(&from.store, &files, &actor, Mode::Apply, TODAY)
        .await
        .unwrap_or_else(|e| panic!("{e}: {:#?}", e.details()));
    let p = from.get("/primers/VNM").await.body;
    let krs = p["key_results"].as_array().expect("key results");
    assert_eq!(
        krs[0]["source"],
        json!({"dataset":"trainings","measure":"participants",
               "sectors":["food_processing","agriculture"],"since":2026}),
        "{p}"
    );
    assert_eq!(krs[1]["source"]["dataset"], "gp_initiatives", "{p}");
    assert_eq!(krs[1]["source"]["since"], Value::Null, "{p}");
    assert_eq!(krs[2]["source"], Value::Null, "{p}");

    // Bad cells are named by their column.
    let bad = format!(
        "{head}VNM,VNM-KR1,3,Food processing,Participants trained,people,increase,trainings,energy_saved,mining,2026\n\
         VNM,VNM-KR2,3,Green productivity,GP specialists,people,increase,courses,,,\n\
         VNM,VNM-KR3,1,Coalition,Members of the coalition,members,increase,,,,2026\n"
    );
    let rev = from.store.current_rev().await.unwrap();
    let err = import::import_on(
        &from.store,
        &[primers(), src("key_results.csv", &bad)],
        &actor,
        Mode::Apply,
        TODAY,
    )
    .await
    .expect_err("refused");
    let mut got = places(err.details());
    got.sort();
    let mut want: Vec<(String, usize, String)> = [
        (2, "source_filter"),
        (2, "source_measure"),
        (3, "source_dataset"),
        (4, "source_since"),
    ]
    .map(|(r, c)| (String::new(), r, c.to_owned()))
    .to_vec();
    want.sort();
    assert_eq!(got, want, "{:#?}", err.details());
    assert_eq!(from.store.current_rev().await.unwrap(), rev);

    // A key_results sheet without the columns keeps the sources.
    let plain = "iso3,kr_code,pillar,focus_area,title,unit,direction\n\
                 VNM,VNM-KR1,3,Food processing,Participants trained (all),people,increase\n";
    import::import_on(
        &from.store,
        &[src("key_results.csv", plain)],
        &actor,
        Mode::Apply,
        TODAY,
    )
    .await
    .expect("imported");
    let after = from.get("/primers/VNM").await.body;
    assert_eq!(
        after["key_results"][0]["source"], krs[0]["source"],
        "{after}"
    );

    // Exported and imported into an empty database, the sources come back.
    let options = Options {
        format: Format::Xlsx,
        iso3: None,
        period: Some(2026),
        audit_log: false,
    };
    let file = export(&from.store, None, &options).await.expect("exported");
    let to = app_on(b, &clock, false).await;
    let source = Source {
        name: file.file_name(),
        bytes: file.bytes.clone(),
    };
    import::import_on(&to.store, &[source], &actor, Mode::Apply, TODAY)
        .await
        .unwrap_or_else(|e| panic!("{e}: {:#?}", e.details()));
    let back = to.get("/primers/VNM").await.body;
    for i in 0..3 {
        assert_eq!(
            back["key_results"][i]["source"], after["key_results"][i]["source"],
            "{back}"
        );
    }
    to.stop().await;
    from.stop().await;
}
