//! Key results fed by data (contract §4): a key result whose actuals are derived from the
//! training database or the GP initiatives' outcomes. After every change to the rows (or to
//! the key result's source) the dashboard's actual equals a recomputation written here in plain
//! Rust from `GET /trainings` and `GET /gp/initiatives`; `?rev=N` gives the value as of N; a
//! report by hand on such a key result is refused and writes nothing.

use apo_dashboard::clock::Clock;
use apo_dashboard::import::{self, Mode, Source};
use apo_dashboard::records::Actor;
use serde_json::{Value, json};
use time::macros::date;

use crate::helpers::{Backend, TestApp, primer};
use crate::projects::app_on;

crate::on_both_backends!(
    a_source_is_kept_with_its_key_result_and_checked,
    a_report_by_hand_on_a_key_result_fed_by_data_is_refused_and_writes_nothing,
    derived_actuals_follow_every_change_to_the_trainings_and_replay,
    derived_actuals_follow_the_gp_initiatives_and_the_source,
);

/// Today for these tests: courses of 2026 and 2027 have been delivered.
fn clock() -> Clock {
    Clock::fixed(date!(2027 - 06 - 30))
}

/// VNM's primer: four key results by hand, with KR5 fed by `source` (none: by hand).
fn primer_with(source: Value) -> Value {
    let mut p = primer("VNM", "draft", 4);
    let mut kr = p["key_results"][0].clone();
    kr["code"] = json!("VNM-KR5");
    kr["title"] = json!("People trained in priority sectors");
    kr["source"] = source;
    p["key_results"].as_array_mut().unwrap().push(kr);
    p
}

async fn put_primer(app: &TestApp, source: Value) {
    let r = app.put("/primers/VNM", &primer_with(source)).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn trainings_source(sectors: &[&str], since: Option<i64>) -> Value {
    json!({"dataset": "trainings", "measure": "participants", "sectors": sectors,
           "since": since})
}

fn training(id: &str, iso3: &str, sector: &str, end: &str, people: [i64; 3]) -> Value {
    let total: i64 = people.iter().sum();
    json!({"id": id, "iso3": iso3, "title": "Lean for food processors", "provider": "VNPI",
           "sector": sector, "topic": "Lean production", "start_date": "2026-01-05",
           "end_date": end, "mode": "in_person", "hours": 40,
           "participants": {"government": people[0], "enterprises": people[1],
                            "universities": people[2]},
           "by_sex": {"female": total / 2, "male": total - total / 2, "unspecified": 0},
           "smes": people[1] / 2, "certified_specialists": 0})
}

fn initiative(id: &str, theme: &str, status: &str, outcomes: Value) -> Value {
    json!({"id": id, "iso3": "VNM", "title": "GP demonstration in food processing SMEs",
           "theme": theme, "type": "demonstration_project", "sector": "food_processing",
           "start_year": 2025, "end_year": 2027, "status": status, "outcomes": outcomes})
}

/// A KR's source as the test reads it back from its primer.
struct Src {
    dataset: String,
    measure: String,
    filter: Vec<String>,
    since: Option<i64>,
}

fn src_of(source: &Value) -> Option<Src> {
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    source.as_object()?;
    let filter = if source["dataset"] == "trainings" {
        list(&source["sectors"])
    } else {
        list(&source["themes"])
    };
    Some(Src {
        dataset: source["dataset"].as_str()?.to_owned(),
        measure: source["measure"].as_str()?.to_owned(),
        filter,
        since: source["since"].as_i64(),
    })
}

/// The years a value for `year` sums: `since..=year`, or `year` alone.
fn range(s: &Src, year: i64) -> std::ops::RangeInclusive<i64> {
    s.since.unwrap_or(year)..=year
}

/// The expected actual of a key result of VNM for `year`, recomputed from the listed rows.
fn expected(s: &Src, trainings: &Value, initiatives: &Value, year: i64) -> Option<f64> {
    let years = range(s, year);
    let passes = |key: &Value| s.filter.is_empty() || s.filter.iter().any(|f| key == f.as_str());
    if s.dataset == "trainings" {
        let mut sum = 0.0;
        let mut any = false;
        for t in trainings.as_array().unwrap() {
            let end_year: i64 = t["end_date"].as_str().unwrap()[..4].parse().unwrap();
            if t["iso3"] != "VNM" || !passes(&t["sector"]) || !years.contains(&end_year) {
                continue;
            }
            let p = &t["participants"];
            let total = ["government", "enterprises", "universities"]
                .iter()
                .map(|g| p[g].as_f64().unwrap())
                .sum::<f64>();
            any = true;
            sum += match s.measure.as_str() {
                "participants" => total,
                "smes" => t["smes"].as_f64().unwrap(),
                "female" => t["by_sex"]["female"].as_f64().unwrap(),
                "certified_specialists" => t["certified_specialists"].as_f64().unwrap(),
                "courses" => 1.0,
                "participant_hours" => total * t["hours"].as_f64().unwrap(),
                other => panic!("measure {other}"),
            };
        }
        return any.then_some(sum);
    }
    let mut sum = 0.0;
    let mut any = false;
    for g in initiatives.as_array().unwrap() {
        if g["iso3"] != "VNM" || g["status"] == "cancelled" || !passes(&g["theme"]) {
            continue;
        }
        if s.measure == "initiatives" {
            let (from, to) = (
                g["start_year"].as_i64().unwrap(),
                g["end_year"].as_i64().unwrap(),
            );
            if from <= *years.end() && to >= *years.start() {
                any = true;
                sum += 1.0;
            }
            continue;
        }
        for o in g["outcomes"].as_array().unwrap() {
            if o["metric"] == s.measure.as_str() && years.contains(&o["year"].as_i64().unwrap()) {
                any = true;
                sum += o["value"].as_f64().unwrap();
            }
        }
    }
    any.then_some(sum)
}

/// After a change: for each cycle year, the dashboard's actual of VNM-KR5 equals the
/// recomputation from the rows and source the API lists now. Returns (rev, actual per year).
async fn check(app: &TestApp, step: &str) -> (i64, Vec<Option<f64>>) {
    let primer = app.get("/primers/VNM").await.body;
    let kr = primer["key_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == "VNM-KR5")
        .unwrap()
        .clone();
    let trainings = app.get("/trainings?iso3=VNM").await;
    assert_eq!(trainings.status, 200, "{}", trainings.body);
    let initiatives = app.get("/gp/initiatives?iso3=VNM").await;
    assert_eq!(initiatives.status, 200, "{}", initiatives.body);
    let source = src_of(&kr["source"]);
    let mut rev = 0;
    let mut actuals = Vec::new();
    for year in 2026..=2028 {
        let doc = app.dashboard_when_current(year).await;
        rev = doc["rev"].as_i64().unwrap();
        let shown = &doc["key_results"]["VNM/VNM-KR5"];
        let want = source
            .as_ref()
            .and_then(|s| expected(s, &trainings.body, &initiatives.body, year));
        if source.is_some() {
            assert_eq!(shown["actual"].as_f64(), want, "{step}: {year}'s actual");
        }
        assert_eq!(
            shown["source"], kr["source"]["dataset"],
            "{step}: the document says where it comes from"
        );
        assert_eq!(
            shown["status"] == "no_data",
            shown["actual"].is_null(),
            "{step}: {year}: no data exactly without a value"
        );
        actuals.push(shown["actual"].as_f64());
    }
    (rev, actuals)
}

async fn a_source_is_kept_with_its_key_result_and_checked(b: Backend) {
    let app = app_on(b, &clock(), false).await;
    let source = trainings_source(&["food_processing", "agriculture"], Some(2026));
    put_primer(&app, source.clone()).await;
    let p = app.get("/primers/VNM").await.body;
    assert_eq!(p["key_results"][4]["source"], source);
    assert!(p["key_results"][0].get("source").is_none_or(Value::is_null));
    let doc = app.dashboard_when_current(2026).await;
    assert_eq!(doc["key_results"]["VNM/VNM-KR5"]["source"], "trainings");
    assert_eq!(doc["key_results"]["VNM/VNM-KR1"]["source"], Value::Null);
    // No trainings yet: no data, not 0.
    assert_eq!(doc["key_results"]["VNM/VNM-KR5"]["actual"], Value::Null);

    let before = app.everything().await;
    for (bad, field) in [
        (
            json!({"dataset": "trainings", "measure": "energy_saved"}),
            "key_results[4].source.measure",
        ),
        (
            json!({"dataset": "gp_initiatives", "measure": "initiatives",
                   "themes": ["water_stewardship"]}),
            "key_results[4].source.themes[0]",
        ),
        (
            json!({"dataset": "trainings", "measure": "smes", "since": 1999}),
            "key_results[4].source.since",
        ),
        (
            json!({"dataset": "trainings", "measure": "smes", "themes": ["eco_products"]}),
            "key_results[4].source.themes",
        ),
        (
            json!({"dataset": "trainings", "measure": "smes", "sectors": ["mining"]}),
            "key_results[4].source.sectors[0]",
        ),
    ] {
        let r = app.put("/primers/VNM", &primer_with(bad.clone())).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
        assert!(
            r.error_fields().iter().any(|f| f.starts_with(field)),
            "{bad}: {field} not in {:?}",
            r.error_fields()
        );
    }
    assert_eq!(app.everything().await, before, "nothing written");

    // A theme the Secretariat adds to the list is then accepted.
    let r = app
        .put(
            "/gp/themes/water_stewardship",
            &json!({"id": "water_stewardship", "label": "Water stewardship"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let water = json!({"dataset": "gp_initiatives", "measure": "water_saved",
                       "themes": ["water_stewardship"], "since": null});
    put_primer(&app, water.clone()).await;
    assert_eq!(
        app.get("/primers/VNM").await.body["key_results"][4]["source"],
        water
    );
    let doc = app.dashboard_when_current(2026).await;
    assert_eq!(
        doc["key_results"]["VNM/VNM-KR5"]["source"],
        "gp_initiatives"
    );
}

async fn a_report_by_hand_on_a_key_result_fed_by_data_is_refused_and_writes_nothing(b: Backend) {
    let app = app_on(b, &clock(), false).await;
    put_primer(&app, trainings_source(&[], None)).await;
    let before = app.everything().await;
    let r = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": "VNM-KR5", "year": 2026, "value": 12}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), ["kr_code"]);
    assert!(
        r.body
            .to_string()
            .contains("takes its actuals from the training database"),
        "{}",
        r.body
    );
    // The actuals sheet alike, with the whole file refused.
    let files = vec![Source {
        name: "actuals.csv".into(),
        bytes: b"iso3,kr_code,year,value\nVNM,VNM-KR1,2026,5\nVNM,VNM-KR5,2026,7\n".to_vec(),
    }];
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
        [
            "actuals.csv row 3: kr_code: VNM's key result VNM-KR5 takes its actuals from the \
          training database"
        ]
    );
    assert_eq!(app.everything().await, before, "nothing written");

    // GP alike, in its words; a key result by hand still takes reports.
    put_primer(
        &app,
        json!({"dataset": "gp_initiatives", "measure": "initiatives"}),
    )
    .await;
    let r = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": "VNM-KR5", "year": 2026, "value": 1}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.to_string().contains("from GP initiatives"),
        "{}",
        r.body
    );
    let r = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 1}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

async fn send(app: &TestApp, method: &str, path: &str, body: &Value) {
    let r = app.send_json(method, path, body).await;
    assert!(
        r.status == 200 || r.status == 201 || r.status == 204,
        "{method} {path}: {} {}",
        r.status,
        r.body
    );
}

async fn derived_actuals_follow_every_change_to_the_trainings_and_replay(b: Backend) {
    let app = app_on(b, &clock(), false).await;
    let mut seen = Vec::new();
    put_primer(
        &app,
        trainings_source(&["food_processing", "agriculture"], Some(2026)),
    )
    .await;
    seen.push(check(&app, "the source given").await);
    let steps: Vec<(&str, &str, String, Value)> = vec![
        (
            "a training in food processing, 2026",
            "PUT",
            "/trainings/vnm-tr-1".into(),
            training(
                "vnm-tr-1",
                "VNM",
                "food_processing",
                "2026-03-06",
                [4, 21, 5],
            ),
        ),
        (
            "one in agriculture, 2027",
            "PUT",
            "/trainings/vnm-tr-2".into(),
            training("vnm-tr-2", "VNM", "agriculture", "2027-02-10", [2, 10, 0]),
        ),
        (
            "one in a sector the filter leaves out",
            "PUT",
            "/trainings/vnm-tr-3".into(),
            training("vnm-tr-3", "VNM", "energy", "2026-04-01", [1, 40, 1]),
        ),
        (
            "another member's",
            "PUT",
            "/trainings/mys-tr-1".into(),
            training(
                "mys-tr-1",
                "MYS",
                "food_processing",
                "2026-05-01",
                [3, 3, 3],
            ),
        ),
        (
            "a second in agriculture, 2026",
            "PUT",
            "/trainings/vnm-tr-4".into(),
            training("vnm-tr-4", "VNM", "agriculture", "2026-09-15", [0, 8, 2]),
        ),
        (
            "the first edited",
            "PUT",
            "/trainings/vnm-tr-1".into(),
            training(
                "vnm-tr-1",
                "VNM",
                "food_processing",
                "2026-03-06",
                [4, 16, 5],
            ),
        ),
        (
            "the second of 2026 deleted",
            "DELETE",
            "/trainings/vnm-tr-4".into(),
            Value::Null,
        ),
        (
            "the last of 2026 deleted",
            "DELETE",
            "/trainings/vnm-tr-1".into(),
            Value::Null,
        ),
    ];
    for (step, method, path, body) in &steps {
        send(&app, method, path, body).await;
        seen.push(check(&app, step).await);
    }
    // The filter changed (the energy training counts, 2027's agriculture one not), then the
    // cumulative sum dropped.
    put_primer(&app, trainings_source(&["energy"], Some(2026))).await;
    seen.push(check(&app, "the filter changed").await);
    put_primer(&app, trainings_source(&[], None)).await;
    seen.push(check(&app, "every sector, each year alone").await);
    // The source removed: by hand, and nothing reported.
    put_primer(&app, Value::Null).await;
    let (rev, actuals) = check(&app, "the source removed").await;
    assert_eq!(actuals, [None, None, None]);
    seen.push((rev, actuals));

    // What the steps gave, as the contract's rules say.
    let got: Vec<Vec<Option<f64>>> = seen.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(got[0], [None, None, None], "no trainings yet");
    assert_eq!(
        got[1],
        [Some(30.0), Some(30.0), Some(30.0)],
        "cumulative from 2026"
    );
    assert_eq!(got[2], [Some(30.0), Some(42.0), Some(42.0)]);
    assert_eq!(got[5], [Some(40.0), Some(52.0), Some(52.0)]);
    assert_eq!(got[6], [Some(35.0), Some(47.0), Some(47.0)]);
    assert_eq!(
        got[8],
        [None, Some(12.0), Some(12.0)],
        "no 2026 row left: no data"
    );
    assert_eq!(got[9], [Some(42.0), Some(42.0), Some(42.0)]);
    assert_eq!(got[10], [Some(42.0), Some(12.0), None]);

    // Replay: each revision's document gives the value it had then.
    for (rev, actuals) in &seen {
        for (i, year) in (2026..=2028).enumerate() {
            let r = app
                .get(&format!("/dashboard?period={year}&rev={rev}"))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["rev"], *rev);
            assert_eq!(
                r.body["key_results"]["VNM/VNM-KR5"]["actual"].as_f64(),
                actuals[i],
                "{year} as of revision {rev}"
            );
        }
    }
    // The facts now and as of the current revision are the same.
    let now = app.store.facts(None).await.unwrap();
    let logged = app.store.facts(Some(now.rev)).await.unwrap();
    assert_eq!(now, logged);
}

async fn derived_actuals_follow_the_gp_initiatives_and_the_source(b: Backend) {
    let app = app_on(b, &clock(), false).await;
    put_primer(
        &app,
        json!({"dataset": "gp_initiatives", "measure": "energy_saved", "themes": [],
               "since": null}),
    )
    .await;
    let mut seen = vec![check(&app, "the source given").await];
    let outcomes = json!([{"metric": "companies_reached", "year": 2026, "value": 12},
                          {"metric": "energy_saved", "year": 2026, "value": 340.5},
                          {"metric": "energy_saved", "year": 2027, "value": 100}]);
    let path = "/gp/initiatives/vnm-gp-1";
    let g = |status: &str, outcomes: &Value| {
        initiative("vnm-gp-1", "energy_efficiency", status, outcomes.clone())
    };
    send(&app, "PUT", path, &g("ongoing", &outcomes)).await;
    seen.push(check(&app, "an initiative with outcomes").await);
    send(
        &app,
        "PUT",
        "/gp/initiatives/vnm-gp-2",
        &initiative(
            "vnm-gp-2",
            "circular_economy",
            "completed",
            json!([{"metric": "energy_saved", "year": 2026, "value": 9.5}]),
        ),
    )
    .await;
    seen.push(check(&app, "a second one, another theme").await);
    send(&app, "PUT", path, &g("cancelled", &outcomes)).await;
    seen.push(check(&app, "the first cancelled").await);
    put_primer(
        &app,
        json!({"dataset": "gp_initiatives", "measure": "initiatives",
               "themes": ["energy_efficiency"], "since": 2026}),
    )
    .await;
    seen.push(check(&app, "counting initiatives of one theme").await);
    send(&app, "PUT", path, &g("ongoing", &outcomes)).await;
    seen.push(check(&app, "the first resumed").await);
    send(&app, "DELETE", path, &Value::Null).await;
    seen.push(check(&app, "the first deleted").await);

    let got: Vec<Vec<Option<f64>>> = seen.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(got[0], [None, None, None]);
    assert_eq!(got[1], [Some(340.5), Some(100.0), None]);
    assert_eq!(got[2], [Some(350.0), Some(100.0), None]);
    assert_eq!(got[3], [Some(9.5), None, None], "cancelled counts nothing");
    assert_eq!(got[4], [None, None, None]);
    assert_eq!(
        got[5],
        [Some(1.0), Some(1.0), Some(1.0)],
        "each initiative once"
    );
    assert_eq!(got[6], [None, None, None]);
    for (rev, actuals) in &seen {
        let r = app.get(&format!("/dashboard?period=2026&rev={rev}")).await;
        assert_eq!(
            r.body["key_results"]["VNM/VNM-KR5"]["actual"].as_f64(),
            actuals[0],
            "as of revision {rev}"
        );
    }
}
