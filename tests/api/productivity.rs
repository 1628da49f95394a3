//! GET /productivity and /productivity/series against hand computations from the CSV.
//!
//! The expected numbers are computed here from data/pwt91_apo21.csv, read with the `csv`
//! crate (country names such as "China, Hong Kong SAR" are quoted and hold commas),
//! independently of the import and the analytics code; the comments show the arithmetic.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::helpers::{Backend, TestApp, spawn_app, spawn_demo_app};

crate::on_both_backends!(
    japan_2017_matches_hand_computations_from_the_pwt_file,
    missing_hours_or_tfp_give_null_measures_and_a_partial_or_null_cpi,
    ranks_follow_output_per_worker_and_apo21_is_a_ratio_of_sums,
    lp_index_is_100_in_the_base_year_and_defaults_are_the_latest_year_and_2011,
    series_give_every_year_for_a_member_and_the_apo21_levels,
    bad_parameters_are_refused_with_a_422_naming_the_field,
    without_series_every_measure_is_null_and_the_endpoints_are_documented,
);

const MEMBERS: [&str; 21] = [
    "BGD", "KHM", "TWN", "FJI", "HKG", "IND", "IDN", "IRN", "JPN", "KOR", "LAO", "MYS", "MNG",
    "NPL", "PAK", "PHL", "SGP", "LKA", "THA", "TUR", "VNM",
];

/// The inputs of data/pwt91_apo21.csv by (iso3, year, series); empty cells are absent.
fn pwt() -> &'static HashMap<(String, i64, String), f64> {
    static PWT: OnceLock<HashMap<(String, i64, String), f64>> = OnceLock::new();
    PWT.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pwt91_apo21.csv");
        let mut reader = csv::Reader::from_path(path).expect("the PWT file");
        let header = reader.headers().expect("header").clone();
        let mut values = HashMap::new();
        for record in reader.records() {
            let record = record.expect("a CSV record");
            let year: i64 = record[2].parse().expect("year");
            for series in ["rgdpo", "rgdpna", "emp", "avh", "hc", "rtfpna"] {
                let i = header.iter().position(|h| h == series).expect(series);
                if !record[i].is_empty() {
                    let value = record[i].parse().expect("a number");
                    values.insert((record[0].to_owned(), year, series.to_owned()), value);
                }
            }
        }
        values
    })
}

fn v(iso3: &str, year: i64, series: &str) -> Option<f64> {
    pwt()
        .get(&(iso3.to_owned(), year, series.to_owned()))
        .copied()
}

/// rgdpo / emp, by hand.
fn lp_worker(iso3: &str, year: i64) -> Option<f64> {
    Some(v(iso3, year, "rgdpo")? / v(iso3, year, "emp")?)
}

/// rgdpna / emp, by hand.
fn lp_national(iso3: &str, year: i64) -> Option<f64> {
    Some(v(iso3, year, "rgdpna")? / v(iso3, year, "emp")?)
}

/// (x − lo) / (hi − lo) clamped to [0, 1].
fn scaled(x: f64, lo: f64, hi: f64) -> f64 {
    ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
}

#[track_caller]
fn close(actual: &Value, expected: f64, what: &str) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {actual}, expected {expected}"));
    let ok = (a - expected).abs() <= 1e-9 * expected.abs().max(1e-9);
    assert!(ok, "{what}: {a} ≠ {expected}");
}

async fn report(app: &TestApp, query: &str) -> Value {
    let r = app.get(&format!("/productivity{query}")).await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r.body
}

async fn japan_2017_matches_hand_computations_from_the_pwt_file(b: Backend) {
    let app = spawn_demo_app(b).await;
    let r = report(&app, "?year=2017").await;
    assert_eq!(r["year"], 2017);
    assert_eq!(
        r["source"],
        "Penn World Table 9.1 (Feenstra, Inklaar and Timmer 2015), CC BY 4.0"
    );
    let jpn = &r["members"]["JPN"];
    assert_eq!(jpn["name"], "Japan");

    // 5,147,025.5 / 68.29595184326172 = 75,363.55 US$ per person engaged.
    let lp = lp_worker("JPN", 2017).unwrap();
    assert!((lp - 75_363.55).abs() < 0.01, "{lp}");
    close(&jpn["lp_worker"], lp, "lp_worker");
    // 75,363.55 / 1,738.36328125 hours = 43.353 US$ per hour.
    close(
        &jpn["lp_hour"],
        lp / v("JPN", 2017, "avh").unwrap(),
        "lp_hour",
    );
    // rgdpna/emp: 5,020,396 / 68.29595 = 73,509.42 in 2017, 4,934,799 / 67.61318 = 72,985.75
    // in 2016: 100 · ln(73,509.42 / 72,985.75) = 0.7149 % a year.
    let (lp17, lp16) = (
        lp_national("JPN", 2017).unwrap(),
        lp_national("JPN", 2016).unwrap(),
    );
    close(&jpn["lp_growth"], 100.0 * (lp17 / lp16).ln(), "lp_growth");
    // 2011: 70,319.11, so the index is 100 · 73,509.42 / 70,319.11 = 104.537.
    let lp11 = lp_national("JPN", 2011).unwrap();
    close(&jpn["lp_index"], 100.0 * lp17 / lp11, "lp_index");
    // 100 · ln(1.04137122631073 / 1.0345561504364014) = 0.6566 % a year.
    let (tfp17, tfp16) = (
        v("JPN", 2017, "rtfpna").unwrap(),
        v("JPN", 2016, "rtfpna").unwrap(),
    );
    close(
        &jpn["tfp_growth"],
        100.0 * (tfp17 / tfp16).ln(),
        "tfp_growth",
    );

    // CPI components: level (ln 75,363.55 − ln 2,000) / (ln 150,000 − ln 2,000) = 0.84058;
    // growth ((73,509.42 / 71,562.42)^(1/5) − 1 + 0.02) / 0.1 = 0.25383 (2012: 71,562.42);
    // human capital (3.5722778 − 1) / 3 = 0.85743; TFP ((ln 1.0413712 − ln 1.0100224) / 5
    // + 0.03) / 0.06 = 0.60189. CPI = 100 · (sum of the four) / 4 = 63.843.
    let level = scaled(lp.ln(), 2_000f64.ln(), 150_000f64.ln());
    let lp12 = lp_national("JPN", 2012).unwrap();
    let growth = scaled((lp17 / lp12).powf(1.0 / 5.0) - 1.0, -0.02, 0.08);
    let hc = scaled(v("JPN", 2017, "hc").unwrap(), 1.0, 4.0);
    let tfp12 = v("JPN", 2012, "rtfpna").unwrap();
    let tfp = scaled((tfp17.ln() - tfp12.ln()) / 5.0, -0.03, 0.03);
    let cpi = &jpn["cpi"];
    close(&cpi["components"]["level"], level, "level");
    close(&cpi["components"]["growth"], growth, "growth");
    close(&cpi["components"]["human_capital"], hc, "human capital");
    close(&cpi["components"]["tfp"], tfp, "tfp");
    close(
        &cpi["value"],
        100.0 * (level + growth + hc + tfp) / 4.0,
        "CPI",
    );
    close(
        &cpi["value"],
        63.8429847571359,
        "CPI as computed in a spreadsheet",
    );
    assert_eq!(cpi["partial"], false);
    app.stop().await;
}

async fn missing_hours_or_tfp_give_null_measures_and_a_partial_or_null_cpi(b: Backend) {
    let app = spawn_demo_app(b).await;
    let r = report(&app, "?year=2017").await;
    let members = r["members"].as_object().unwrap();
    assert_eq!(members.len(), 21);
    assert_eq!(r["members"]["TWN"]["name"], "Republic of China");
    assert_eq!(r["members"]["IRN"]["name"], "I.R. Iran");
    for iso3 in MEMBERS {
        let m = &r["members"][iso3];
        let no_hours = ["FJI", "IRN", "LAO", "MNG", "NPL"].contains(&iso3);
        assert_eq!(
            m["lp_hour"].is_null(),
            no_hours,
            "{iso3} lp_hour: {}",
            m["lp_hour"]
        );
        let no_tfp = ["BGD", "KHM", "NPL", "PAK", "VNM"].contains(&iso3);
        assert_eq!(m["tfp_growth"].is_null(), no_tfp, "{iso3} tfp_growth");
        assert_eq!(
            m["cpi"]["components"]["tfp"].is_null(),
            no_tfp,
            "{iso3} TFP component"
        );
        assert_eq!(
            m["cpi"]["partial"], no_tfp,
            "{iso3}: 3 of 4 components is partial"
        );
        assert!(m["cpi"]["value"].is_f64(), "{iso3} has 3 or 4 components");
        assert!(m["lp_worker"].is_f64(), "{iso3}");
    }
    // Nepal 2017, no TFP: level (ln 4,805.91 − ln 2,000) / (ln 150,000 − ln 2,000) = 0.20306;
    // growth ((4,625.80 / 4,287.13)^(1/5) − 1 + 0.02) / 0.1 = 0.35323; human capital
    // (1.77005 − 1) / 3 = 0.25668. CPI = 100 · (0.20306 + 0.35323 + 0.25668) / 3 = 27.099.
    let npl = &r["members"]["NPL"]["cpi"];
    let level = scaled(
        lp_worker("NPL", 2017).unwrap().ln(),
        2_000f64.ln(),
        150_000f64.ln(),
    );
    let ratio = lp_national("NPL", 2017).unwrap() / lp_national("NPL", 2012).unwrap();
    let growth = scaled(ratio.powf(0.2) - 1.0, -0.02, 0.08);
    let hc = scaled(v("NPL", 2017, "hc").unwrap(), 1.0, 4.0);
    close(
        &npl["value"],
        100.0 * (level + growth + hc) / 3.0,
        "NPL CPI",
    );
    close(
        &npl["value"],
        27.09899556186448,
        "NPL CPI as computed in a spreadsheet",
    );

    // Singapore 1960: its first year, so no five-year growth and no TFP: two components only.
    let r = report(&app, "?year=1960").await;
    let sgp = &r["members"]["SGP"];
    close(
        &sgp["lp_worker"],
        lp_worker("SGP", 1960).unwrap(),
        "SGP 1960",
    );
    assert!(sgp["cpi"]["components"]["level"].is_f64());
    assert!(sgp["cpi"]["components"]["human_capital"].is_f64());
    assert_eq!(
        sgp["cpi"]["value"],
        Value::Null,
        "2 of 4 components: no index"
    );
    assert_eq!(sgp["cpi"]["partial"], false);
    // Viet Nam has no data before 1970: everything null, nothing 0.
    let vnm = &r["members"]["VNM"];
    for measure in [
        "lp_worker",
        "lp_hour",
        "lp_growth",
        "lp_index",
        "rank_lp_worker",
    ] {
        assert_eq!(vnm[measure], Value::Null, "VNM 1960 {measure}");
    }
    app.stop().await;
}

async fn ranks_follow_output_per_worker_and_apo21_is_a_ratio_of_sums(b: Backend) {
    let app = spawn_demo_app(b).await;
    let r = report(&app, "?year=2017").await;
    // By hand, 2017: SGP 107,962 > TWN 86,526 > TUR 81,451 > HKG 77,264 > JPN 75,364 > …
    // > KHM 5,511 > NPL 4,806.
    let mut order = MEMBERS.to_vec();
    order.sort_by(|a, b| {
        lp_worker(b, 2017)
            .unwrap()
            .total_cmp(&lp_worker(a, 2017).unwrap())
    });
    assert_eq!(&order[..5], ["SGP", "TWN", "TUR", "HKG", "JPN"]);
    assert_eq!(order[20], "NPL");
    for (i, iso3) in order.iter().enumerate() {
        assert_eq!(r["members"][iso3]["rank_lp_worker"], i + 1, "{iso3}");
    }
    // Σ rgdpo / Σ emp over all 21 members: 28,851,254.91 / 1,132.5446 = 25,474.72.
    let (rgdpo, emp): (f64, f64) = MEMBERS
        .iter()
        .map(|m| (v(m, 2017, "rgdpo").unwrap(), v(m, 2017, "emp").unwrap()))
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    close(&r["apo21"]["lp_worker"], rgdpo / emp, "APO21 lp_worker");
    assert_eq!(r["apo21"]["members"], 21);
    // Hours: the 16 members with avh: Σ rgdpo / Σ (emp · avh) = 12.0507 US$ per hour.
    let with_hours: Vec<&str> = MEMBERS
        .into_iter()
        .filter(|m| v(m, 2017, "avh").is_some())
        .collect();
    let rgdpo: f64 = with_hours
        .iter()
        .map(|m| v(m, 2017, "rgdpo").unwrap())
        .sum();
    let hours: f64 = with_hours
        .iter()
        .map(|m| v(m, 2017, "emp").unwrap() * v(m, 2017, "avh").unwrap())
        .sum();
    close(&r["apo21"]["lp_hour"], rgdpo / hours, "APO21 lp_hour");
    assert_eq!(r["apo21"]["members_lp_hour"], 16);

    // 1960: only the 15 members with both rgdpo and emp count, and only they are ranked.
    let r = report(&app, "?year=1960").await;
    let covered: Vec<&str> = MEMBERS
        .into_iter()
        .filter(|m| lp_worker(m, 1960).is_some())
        .collect();
    assert_eq!(covered.len(), 15);
    let sum = |s: &str| covered.iter().map(|m| v(m, 1960, s).unwrap()).sum::<f64>();
    close(
        &r["apo21"]["lp_worker"],
        sum("rgdpo") / sum("emp"),
        "APO21 1960",
    );
    assert_eq!(r["apo21"]["members"], 15);
    let ranked = MEMBERS
        .iter()
        .filter(|m| r["members"][m]["rank_lp_worker"].is_u64());
    assert_eq!(ranked.count(), 15);
    app.stop().await;
}

async fn lp_index_is_100_in_the_base_year_and_defaults_are_the_latest_year_and_2011(b: Backend) {
    let app = spawn_demo_app(b).await;
    let latest = report(&app, "").await;
    assert_eq!(
        (&latest["year"], &latest["base_year"]),
        (&Value::from(2017), &Value::from(2011))
    );
    assert_eq!(latest, report(&app, "?year=2017&base_year=2011").await);

    let r = report(&app, "?year=2011").await;
    for iso3 in MEMBERS {
        close(&r["members"][iso3]["lp_index"], 100.0, iso3);
    }
    // Base 2000: Japan 2017 is 100 · 73,509.42 / (rgdpna/emp in 2000).
    let r = report(&app, "?year=2000&base_year=2000").await;
    close(&r["members"]["JPN"]["lp_index"], 100.0, "JPN 2000 on 2000");
    let r = report(&app, "?year=2017&base_year=2000").await;
    let expected = 100.0 * lp_national("JPN", 2017).unwrap() / lp_national("JPN", 2000).unwrap();
    close(
        &r["members"]["JPN"]["lp_index"],
        expected,
        "JPN 2017 on 2000",
    );
    // KHM has no data in 1960: no base, so no index in any year.
    let r = report(&app, "?year=2017&base_year=1960").await;
    assert_eq!(r["members"]["KHM"]["lp_index"], Value::Null);

    // A year without data is not an error: all measures are null.
    let r = report(&app, "?year=2030").await;
    assert_eq!(r["year"], 2030);
    for iso3 in MEMBERS {
        let m = &r["members"][iso3];
        for measure in [
            "lp_worker",
            "lp_hour",
            "lp_growth",
            "lp_index",
            "tfp_growth",
        ] {
            assert_eq!(m[measure], Value::Null, "{iso3} {measure}");
        }
        assert_eq!(
            (&m["rank_lp_worker"], &m["cpi"]["value"]),
            (&Value::Null, &Value::Null)
        );
    }
    assert_eq!(
        (&r["apo21"]["lp_worker"], &r["apo21"]["members"]),
        (&Value::Null, &Value::from(0))
    );
    app.stop().await;
}

async fn series_give_every_year_for_a_member_and_the_apo21_levels(b: Backend) {
    let app = spawn_demo_app(b).await;
    let get = |query: &'static str| {
        let app = &app;
        async move {
            let r = app.get(&format!("/productivity/series?{query}")).await;
            assert_eq!(r.status, 200, "{query}: {}", r.body);
            r.body
        }
    };
    let s = get("iso3=JPN&measure=lp_worker").await;
    assert_eq!(
        (&s["iso3"], &s["measure"]),
        (&Value::from("JPN"), &Value::from("lp_worker"))
    );
    let points = s["points"].as_array().unwrap();
    let years: Vec<i64> = points.iter().map(|p| p["year"].as_i64().unwrap()).collect();
    assert_eq!(
        years,
        (1950..=2017).collect::<Vec<_>>(),
        "every year of the data"
    );
    for p in points {
        let year = p["year"].as_i64().unwrap();
        match lp_worker("JPN", year) {
            Some(x) => close(&p["value"], x, &format!("JPN {year}")),
            None => assert_eq!(p["value"], Value::Null, "JPN {year}"),
        }
    }
    // Viet Nam starts in 1970: the earlier points are there, and null.
    let s = get("iso3=VNM&measure=lp_growth").await;
    assert_eq!(
        s["points"][0],
        serde_json::json!({"year": 1950, "value": null})
    );
    // Growth needs the year before: 1970 is the first value, so 1970 itself is null.
    assert_eq!(s["points"][20]["value"], Value::Null);
    let (l71, l70) = (
        lp_national("VNM", 1971).unwrap(),
        lp_national("VNM", 1970).unwrap(),
    );
    close(
        &s["points"][21]["value"],
        100.0 * (l71 / l70).ln(),
        "VNM 1971 growth",
    );

    let s = get("iso3=JPN&measure=lp_index&base_year=2000").await;
    assert_eq!(s["base_year"], 2000);
    close(&s["points"][50]["value"], 100.0, "JPN 2000 on 2000");

    // The series and the one-year report agree.
    let year = report(&app, "?year=2017").await;
    let cpi = get("iso3=NPL&measure=cpi").await;
    assert_eq!(
        cpi["points"][67]["value"],
        year["members"]["NPL"]["cpi"]["value"]
    );
    let apo = get("iso3=APO21&measure=lp_worker").await;
    assert_eq!(apo["points"][67]["year"], 2017);
    assert_eq!(apo["points"][67]["value"], year["apo21"]["lp_worker"]);
    let apo = get("iso3=apo21&measure=lp_hour").await;
    assert_eq!(apo["points"][67]["value"], year["apo21"]["lp_hour"]);
    app.stop().await;
}

async fn bad_parameters_are_refused_with_a_422_naming_the_field(b: Backend) {
    let app = spawn_demo_app(b).await;
    let cases = [
        ("/productivity?year=abc", "year", "not a number"),
        ("/productivity?year=2017.5", "year", "not a whole number"),
        ("/productivity?year=1949", "year", "before 1950"),
        ("/productivity?year=2101", "year", "after 2100"),
        ("/productivity?year=", "year", "empty"),
        ("/productivity?base_year=x", "base_year", "not a number"),
        (
            "/productivity?year=2017&base_year=1900",
            "base_year",
            "before 1950",
        ),
        (
            "/productivity/series?iso3=XYZ&measure=lp_worker",
            "iso3",
            "not a member",
        ),
        (
            "/productivity/series?iso3=CHN&measure=lp_worker",
            "iso3",
            "not an APO member",
        ),
        ("/productivity/series?measure=lp_worker", "iso3", "missing"),
        (
            "/productivity/series?iso3=JPN&measure=gdp",
            "measure",
            "unknown measure",
        ),
        ("/productivity/series?iso3=JPN", "measure", "missing"),
        (
            "/productivity/series?iso3=APO21&measure=cpi",
            "measure",
            "APO21 has levels only",
        ),
        (
            "/productivity/series?iso3=APO21&measure=lp_growth",
            "measure",
            "APO21 has levels only",
        ),
        (
            "/productivity/series?iso3=JPN&measure=lp_index&base_year=20x",
            "base_year",
            "not a number",
        ),
    ];
    for (path, field, reason) in cases {
        let r = app.get(path).await;
        assert_eq!(r.status, 422, "{path} ({reason}): {}", r.body);
        assert_eq!(r.body["error"]["code"], "invalid", "{path}");
        assert_eq!(r.error_fields(), [field], "{path} ({reason}): {}", r.body);
    }
    let r = app.get("/productivity/series?iso3=JPN&measure=gdp").await;
    let message = r.body["error"]["details"][0]["message"].as_str().unwrap();
    for measure in [
        "lp_worker",
        "lp_hour",
        "lp_growth",
        "lp_index",
        "tfp_growth",
        "cpi",
    ] {
        assert!(message.contains(measure), "{message} lists {measure}");
    }
    // Every problem at once.
    let r = app
        .get("/productivity/series?iso3=XYZ&measure=gdp&base_year=0")
        .await;
    assert_eq!(
        r.error_fields(),
        ["iso3", "measure", "base_year"],
        "{}",
        r.body
    );
    app.stop().await;
}

async fn without_series_every_measure_is_null_and_the_endpoints_are_documented(b: Backend) {
    let app = spawn_app(b).await;
    let r = report(&app, "").await;
    assert_eq!(r["members"].as_object().unwrap().len(), 21);
    assert!(
        MEMBERS
            .iter()
            .all(|m| r["members"][m]["lp_worker"].is_null())
    );
    assert_eq!(r["apo21"]["members"], 0);
    let s = app.get("/productivity/series?iso3=JPN&measure=cpi").await;
    assert_eq!((s.status, &s.body["points"]), (200, &serde_json::json!([])));

    let doc = app.get("/openapi.json").await.body;
    for path in ["/productivity", "/productivity/series"] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "openapi.json lacks {path}"
        );
    }
    assert!(doc["components"]["schemas"]["YearReport"].is_object());
    app.stop().await;
}
