//! Project notifications (issue 22): written whole, read back as written with their closing
//! dates' days left, refused field by field, filtered, replayed as of a revision, and their
//! budgets a breakdown of the pillar budgets, never an addition to them.

use apo_dashboard::clock::Clock;
use serde_json::{Value, json};
use time::macros::date;

use crate::helpers::{Backend, TestApp, primer, spawn_with};

crate::on_both_backends!(
    a_notification_is_written_whole_and_read_back_as_written,
    a_notification_with_bad_fields_is_refused_naming_each_and_nothing_changes,
    notifications_are_filtered_by_programme_pillar_member_and_openness,
    project_budgets_break_the_pillar_budgets_down_and_never_add_to_them,
    notifications_are_replayed_as_of_a_revision,
);

/// Reference 520 as the seeds give it (`../shared/seeds/004_*.txt`), with a budget and a key
/// result.
pub fn bcn_520() -> Value {
    json!({
        "code": "25-SN-03-GE-BCN-C", "reference": 520, "issued": "2025-01-27",
        "title": "Bilateral Cooperation between NPOs (BCN)", "program": "BCN", "pillar": 1,
        "status": "active", "start_date": "2025-01-01", "end_date": "2025-12-31",
        "hosts": ["*"], "venues": ["All member countries"], "modality": "hybrid",
        "implementing": ["National Productivity Organizations", "APO Secretariat"],
        "participants": ["*"],
        "overseas_limit": {"face_to_face": 4, "virtual": 10},
        "overseas_note": "Up to 10 for a virtual activity or four for a face-to-face activity",
        "local_limit": {}, "local_note": "Not applicable",
        "closing_dates": [
            {"date": "2025-03-31", "remark": "First closing date for application", "for": "applications"},
            {"date": "2025-06-30", "remark": "Second closing date for application", "for": "applications"}
        ],
        "open_all_year": "",
        "objectives": "Facilitate bilateral meetings between APO members.",
        "rationale": "NPOs are the key productivity-promoting institutions in APO members.",
        "background": "By learning from others.\n\nThe BCN Program provides opportunities.",
        "topics": "A broad range of topics.", "outcome": "Enhanced institutional capacity.",
        "qualifications": "High-level government officials/policymakers and NPO officials.",
        "budget": [{"year": 2025, "iso3": null, "amount": 120000.0}],
        "key_results": [{"iso3": "VNM", "kr_code": "VNM-KR1"}]
    })
}

/// A server over an empty database whose day is `clock`'s, and with `demo` data if asked.
pub async fn app_on(b: Backend, clock: &Clock, demo: bool) -> TestApp {
    let clock = clock.clone();
    spawn_with(b, move |c| {
        c.clock = clock;
        c.demo = demo;
    })
    .await
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|p| p["code"].as_str().expect("a code").to_owned())
        .collect()
}

async fn a_notification_is_written_whole_and_read_back_as_written(b: Backend) {
    let clock = Clock::fixed(date!(2025 - 03 - 31));
    let app = app_on(b, &clock, false).await;
    assert_eq!(
        app.put("/primers/VNM", &primer("VNM", "draft", 2))
            .await
            .status,
        200
    );
    let sent = bcn_520();
    let r = app.put("/projects/25-SN-03-GE-BCN-C", &sent).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["changed"], true);
    let got = app.get("/projects/25-SN-03-GE-BCN-C").await;
    assert_eq!(got.status, 200, "{}", got.body);
    for (field, value) in sent.as_object().unwrap() {
        assert_eq!(&got.body[field], value, "{field}");
    }
    assert!(got.body.get("host_iso3").is_none(), "all members host");
    // Each closing date with the days left: the day itself is 0.
    let left: Vec<(Value, Value)> = got.body["closing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["date"].clone(), c["days_left"].clone()))
        .collect();
    assert_eq!(
        left,
        [
            (json!("2025-03-31"), json!(0)),
            (json!("2025-06-30"), json!(91))
        ]
    );
    // What GET answers may be put back as it is: nothing changes.
    let again = app.put("/projects/25-SN-03-GE-BCN-C", &got.body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["changed"], false);
    let audit = app.get("/audit").await.body;
    assert_eq!(
        (audit[0]["entity"].clone(), audit[0]["action"].clone()),
        (json!("project"), json!("create"))
    );
    assert_eq!(audit[0]["new_value"]["reference"], 520);

    // The older shape (one host, in host_iso3) still writes, and reads with its hosts.
    let old = json!({"code": "26-AG-07-GE-BCN-A", "title": "BCN on smart agriculture",
                     "pillar": 3, "status": "completed", "host_iso3": "THA"});
    let r = app.put("/projects/26-AG-07-GE-BCN-A", &old).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = app.get("/projects/26-AG-07-GE-BCN-A").await.body;
    assert_eq!(got["hosts"], json!(["THA"]));
    assert_eq!(got["host_iso3"], "THA");
    assert_eq!(got["program"], "BCN");
    assert_eq!(app.get("/projects/26-ZZ-01-GE-BCN-A").await.status, 404);
    assert_eq!(app.get("/projects/nonsense").await.status, 404);
    app.stop().await;
}

async fn a_notification_with_bad_fields_is_refused_naming_each_and_nothing_changes(b: Backend) {
    let clock = Clock::fixed(date!(2025 - 03 - 01));
    let app = app_on(b, &clock, false).await;
    assert_eq!(
        app.put("/primers/VNM", &primer("VNM", "draft", 2))
            .await
            .status,
        200
    );
    assert_eq!(
        app.put("/projects/25-SN-03-GE-BCN-C", &bcn_520())
            .await
            .status,
        200
    );
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = bcn_520();
        f(&mut v);
        v
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown host",
            with(&|v| v["hosts"] = json!(["XYZ"])),
            "hosts[0]",
        ),
        (
            "* beside a member",
            with(&|v| v["hosts"] = json!(["*", "VNM"])),
            "hosts[0]",
        ),
        (
            "a participant twice",
            with(&|v| v["participants"] = json!(["VNM", "VNM"])),
            "participants[1]",
        ),
        (
            "no host at all",
            with(&|v| {
                v["hosts"] = json!([]);
            }),
            "hosts",
        ),
        (
            "host_iso3 against hosts",
            with(&|v| {
                v["hosts"] = json!(["VNM"]);
                v["host_iso3"] = json!("JPN");
            }),
            "host_iso3",
        ),
        (
            "a limit of 0",
            with(&|v| v["overseas_limit"] = json!({"virtual": 0})),
            "overseas_limit.virtual",
        ),
        (
            "a limit of 1001",
            with(&|v| v["local_limit"] = json!({"face_to_face": 1001})),
            "local_limit.face_to_face",
        ),
        (
            "a closing date long before the timing",
            with(&|v| v["closing_dates"][0]["date"] = json!("2023-12-31")),
            "closing_dates[0].date",
        ),
        (
            "a closing date after the timing",
            with(&|v| v["closing_dates"][1]["date"] = json!("2026-01-01")),
            "closing_dates[1].date",
        ),
        (
            "a closing date twice",
            with(&|v| v["closing_dates"][1]["date"] = json!("2025-03-31")),
            "closing_dates[1].date",
        ),
        (
            "a closing date for bids",
            with(&|v| v["closing_dates"][0]["for"] = json!("bids")),
            "closing_dates[0].for",
        ),
        (
            "a remark with the sheet's separator",
            with(&|v| v["closing_dates"][0]["remark"] = json!("first; second")),
            "closing_dates[0].remark",
        ),
        (
            "a budget year outside the timing",
            with(&|v| v["budget"][0]["year"] = json!(2024)),
            "budget[0].year",
        ),
        (
            "a negative amount",
            with(&|v| v["budget"][0]["amount"] = json!(-1)),
            "budget[0].amount",
        ),
        (
            "an amount above MAX_BUDGET",
            with(&|v| v["budget"][0]["amount"] = json!(2e12)),
            "budget[0].amount",
        ),
        (
            "a budget of an unknown member",
            with(&|v| v["budget"][0]["iso3"] = json!("XYZ")),
            "budget[0].iso3",
        ),
        (
            "the regional part twice",
            with(&|v| {
                v["budget"] = json!([{"year": 2025, "amount": 1}, {"year": 2025, "amount": 2}])
            }),
            "budget[1].year",
        ),
        (
            "a key result that does not exist",
            with(&|v| v["key_results"][0]["kr_code"] = json!("VNM-KR9")),
            "key_results[0].kr_code",
        ),
        (
            "a key result of an unknown member",
            with(&|v| v["key_results"][0]["iso3"] = json!("XYZ")),
            "key_results[0].iso3",
        ),
        (
            "an empty title",
            with(&|v| v["title"] = json!("  ")),
            "title",
        ),
        (
            "a program against the code",
            with(&|v| v["program"] = json!("COE")),
            "program",
        ),
        (
            "reference 0",
            with(&|v| v["reference"] = json!(0)),
            "reference",
        ),
        (
            "issued in 2200",
            with(&|v| v["issued"] = json!("2200-01-01")),
            "issued",
        ),
        (
            "objectives too long",
            with(&|v| v["objectives"] = json!("x".repeat(20_001))),
            "objectives",
        ),
        (
            "a venue with the separator",
            with(&|v| v["venues"] = json!(["Tokyo; Osaka"])),
            "venues[0]",
        ),
        (
            "a modality that is none",
            with(&|v| v["modality"] = json!("blended")),
            "modality",
        ),
        (
            "a field that is none",
            with(&|v| v["deadline"] = json!("soon")),
            "deadline",
        ),
    ];
    let before = json!([
        app.get("/projects").await.body,
        app.get("/audit").await.body
    ]);
    let mut failures = Vec::new();
    for (name, body, field) in cases {
        let r = app.put("/projects/25-SN-03-GE-BCN-C", &body).await;
        let fields = r.error_fields();
        if r.status != 422 || !fields.iter().any(|f| f == field) {
            failures.push(format!(
                "{name}: {} naming {fields:?}, not {field}: {}",
                r.status, r.body
            ));
        }
    }
    let after = json!([
        app.get("/projects").await.body,
        app.get("/audit").await.body
    ]);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(before, after, "nothing changed");
    app.stop().await;
}

async fn notifications_are_filtered_by_programme_pillar_member_and_openness(b: Backend) {
    let clock = Clock::fixed(date!(2026 - 12 - 07));
    let app = app_on(b, &clock, true).await;
    let all = app.get("/projects").await.body;
    assert_eq!(
        codes(&all),
        [
            "25-RC-04-GE-COE-C",
            "25-SN-03-GE-BCN-C",
            "26-RC-04-GE-COE-C",
            "26-SN-03-GE-BCN-C",
            "27-RC-04-GE-COE-C",
            "27-SN-03-GE-BCN-C"
        ]
    );
    // Reference 515 and 520, every field as the seeds give it.
    let coe = &all[0];
    assert_eq!(coe["reference"], 515);
    assert_eq!(coe["issued"], "2025-01-27");
    assert_eq!(
        coe["open_all_year"],
        "Application for the establishment of new COE: throughout the year"
    );
    assert_eq!(coe["closing_dates"][0]["for"], "proposals");
    let bcn = &all[1];
    assert_eq!(
        bcn["overseas_limit"],
        json!({"face_to_face": 4, "virtual": 10})
    );
    assert_eq!(bcn["local_note"], "Not applicable");
    assert_eq!(
        bcn["implementing"],
        json!(["National Productivity Organizations", "APO Secretariat"])
    );

    let get = |q: &'static str| {
        let app = &app;
        async move {
            let r = app.get(&format!("/projects?{q}")).await;
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            codes(&r.body)
        }
    };
    assert_eq!(
        get("program=BCN").await,
        [
            "25-SN-03-GE-BCN-C",
            "26-SN-03-GE-BCN-C",
            "27-SN-03-GE-BCN-C"
        ]
    );
    assert_eq!(get("pillar=4").await.len(), 3);
    // Open: a closing date not passed (2027's), or open all year (the 2026 COE notification,
    // whose year has not ended).
    assert_eq!(
        get("open=true").await,
        [
            "26-RC-04-GE-COE-C",
            "27-RC-04-GE-COE-C",
            "27-SN-03-GE-BCN-C"
        ]
    );
    assert_eq!(get("open=false&program=BCN").await.len(), 2);
    let open_bcn = app.get("/projects?program=BCN&open=true").await.body;
    let left: Vec<i64> = open_bcn[0]["closing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["days_left"].as_i64().unwrap())
        .collect();
    assert_eq!(left, [114, 205], "to 31 March and 30 June 2027");
    // A member: hosting or taking part; "*" counts every member.
    let jpn = json!({"code": "26-JP-05-GE-BCN-A", "title": "BCN hosted by Japan for Japan",
                     "pillar": 1, "status": "active", "hosts": ["JPN"], "participants": ["JPN"]});
    assert_eq!(
        app.put("/projects/26-JP-05-GE-BCN-A", &jpn).await.status,
        200
    );
    assert_eq!(get("member=VNM").await.len(), 6);
    assert_eq!(get("member=JPN").await.len(), 7);
    assert_eq!(get("member=JPN&pillar=1&open=false").await.len(), 3);
    for (q, field) in [
        ("pillar=5", "pillar"),
        ("member=vietnam", "member"),
        ("open=maybe", "open"),
        ("rev=-1", "rev"),
        ("colour=red", "colour"),
    ] {
        let r = app.get(&format!("/projects?{q}")).await;
        assert_eq!(r.status, 422, "{q}: {}", r.body);
        assert!(
            r.error_fields().iter().any(|f| f == field),
            "{q}: {}",
            r.body
        );
    }
    app.stop().await;
}

async fn project_budgets_break_the_pillar_budgets_down_and_never_add_to_them(b: Backend) {
    let clock = Clock::fixed(date!(2026 - 12 - 07));
    let app = app_on(b, &clock, true).await;
    let pillar_one = |v: &Value| v[0].clone();
    let before = app.get("/budgets/pillars?year=2026").await;
    assert_eq!(before.status, 200, "{}", before.body);
    let one = pillar_one(&before.body);
    assert_eq!(one["pillar"], 1);
    // The demo: 620,000 regional and NPL's 30,000; the 2026 BCN notification takes 95,000 of
    // the regional part and 12,000 of NPL's.
    assert_eq!(one["regional"]["planned"], 620000.0);
    assert_eq!(one["members"]["planned"], 30000.0);
    assert_eq!(one["regional"]["assigned"], 95000.0);
    assert_eq!(one["members"]["assigned"], 12000.0);
    assert_eq!(one["regional"]["unassigned"], 525000.0);
    assert_eq!(one["total"]["planned"], 650000.0);
    assert_eq!(one["projects"][0]["code"], "26-SN-03-GE-BCN-C");
    let budgets = app.get("/budgets").await.body;
    let dashboard = app.dashboard_when_current(2026).await;

    // A new project's budget: assigned grows, planned and spent stay.
    let mut p = json!({"code": "26-SN-09-GE-BCN-B", "title": "BCN on digital NPOs",
                       "pillar": 1, "status": "planned", "hosts": ["SGP"],
                       "start_date": "2026-09-01", "end_date": "2026-12-31",
                       "budget": [{"year": 2026, "amount": 50000}, {"year": 2026, "iso3": "NPL", "amount": 8000}]});
    let r = app.put("/projects/26-SN-09-GE-BCN-B", &p).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let after = pillar_one(&app.get("/budgets/pillars?year=2026").await.body);
    for part in ["regional", "members", "total"] {
        for amount in ["planned", "spent"] {
            assert_eq!(after[part][amount], one[part][amount], "{part}.{amount}");
        }
    }
    assert_eq!(after["regional"]["assigned"], 145000.0);
    assert_eq!(after["members"]["assigned"], 20000.0);
    assert_eq!(after["regional"]["unassigned"], 475000.0);
    assert_eq!(after["total"]["assigned"], 165000.0);
    assert_eq!(after["projects"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/budgets").await.body,
        budgets,
        "no budget row added"
    );
    let now = app.dashboard_when_current(2026).await;
    assert_eq!(
        now["pillars"]["1"]["budget"], dashboard["pillars"]["1"]["budget"],
        "the dashboard's pillar budget is the same"
    );
    // Moved to another pillar, it leaves pillar 1's assigned amounts as they were.
    p["pillar"] = json!(2);
    assert_eq!(app.put("/projects/26-SN-09-GE-BCN-B", &p).await.status, 200);
    let moved = pillar_one(&app.get("/budgets/pillars?year=2026").await.body);
    assert_eq!(moved["regional"]["assigned"], 95000.0);
    for q in ["year=2025", "year=x", ""] {
        let r = app.get(&format!("/budgets/pillars?{q}")).await;
        assert_eq!(r.status, 422, "{q}: {}", r.body);
    }
    app.stop().await;
}

async fn notifications_are_replayed_as_of_a_revision(b: Backend) {
    let clock = Clock::fixed(date!(2025 - 01 - 10));
    let app = app_on(b, &clock, false).await;
    let mut v1 = bcn_520();
    v1["key_results"] = json!([]);
    let r1 = app.put("/projects/25-SN-03-GE-BCN-C", &v1).await;
    assert_eq!(r1.status, 200, "{}", r1.body);
    let mut v2 = v1.clone();
    v2["title"] = json!("Bilateral Cooperation between NPOs (BCN), amended");
    v2["closing_dates"] =
        json!([{"date": "2025-09-30", "remark": "Only closing date", "for": "any"}]);
    let r2 = app.put("/projects/25-SN-03-GE-BCN-C", &v2).await;
    assert_eq!(r2.status, 200, "{}", r2.body);
    let at = |rev: &Value| {
        let app = &app;
        let rev = rev.as_i64().unwrap();
        async move { app.get(&format!("/projects?rev={rev}")).await }
    };
    let then = at(&r1.body["rev"]).await.body;
    assert_eq!(then[0]["title"], v1["title"]);
    assert_eq!(then[0]["closing_dates"], v1["closing_dates"]);
    assert_eq!(then[0]["closing"][0]["days_left"], 80);
    let now = at(&r2.body["rev"]).await.body;
    assert_eq!(now, app.get("/projects").await.body);
    assert_eq!(now[0]["title"], v2["title"]);
    assert_eq!(app.get("/projects?rev=0").await.body, json!([]));
    assert_eq!(app.get("/projects?rev=999").await.status, 404);
    app.stop().await;
}
