//! Workbooks from the real world: .xlsx, folders and .zip of CSV files, with their quirks; every
//! problem in one pass at the row Excel shows; the upload endpoint; an import killed halfway.

use std::process::{Command, Stdio};
use std::time::Duration;

use apo_dashboard::access::Role;
use apo_dashboard::import::{self, Mode, Source};
use apo_dashboard::records::Actor;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, bearer_client, fresh_database, spawn_app};

crate::on_both_backends!(
    every_problem_of_a_workbook_in_one_pass_at_the_row_excel_shows,
    a_spreadsheet_with_real_world_quirks_imports,
    unknown_sheets_and_columns_are_reported_where_they_are,
    the_upload_endpoint_imports_checks_and_tells_its_progress,
    an_import_killed_halfway_leaves_nothing_behind,
    export_then_import_into_an_empty_database_reproduces_the_dashboard,
);

const BIN: &str = env!("CARGO_BIN_EXE_apo-dashboard");

fn src(name: &str, text: &str) -> Source {
    Source {
        name: name.to_owned(),
        bytes: text.as_bytes().to_vec(),
    }
}

/// A workbook whose problems lie in three tables and two stages (reading a row, and checking
/// it against the database): each must be named, at the row Excel shows, in one pass.
fn bad_workbook() -> Vec<Source> {
    vec![
        src(
            "primers.csv",
            "iso3,status,national_context\nVNM,endorsed,Tripartite coalition.\n",
        ),
        src(
            "key_results.csv",
            "iso3,kr_code,pillar,focus_area,title,unit,direction,baseline_year,baseline_value,weight\n\
             VNM,VNM-KR1,4,Electronics and ICT,Training database records,records,increase,2025,0,1\n\
             VNM,VNM-KR2,3,Food processing,Lead time,days,sideways,2025,30,2\n",
        ),
        src(
            "targets.csv",
            "iso3,kr_code,year,target\nVNM,VNM-KR1,2026,1000\nVNM,VNM-KR2,2026,25\nVNM,VNM-KR7,2026,5\n",
        ),
        // A quoted cell over two lines is one row in Excel; a blank line is an empty row.
        src(
            "actuals.csv",
            "iso3,kr_code,year,value,reported_at\n\
             VNM,VNM-KR1,2026,420,2026-06-30T09:15:00Z\n\
             \"VNM\",VNM-KR1,2026,\"not\nyet\",\n\
             \n\
             XYZ,XYZ-KR1,2026,5,\n\
             VNM,VNM-KR1,2026,5,2999-01-01T00:00:00Z\n",
        ),
    ]
}

/// (file, row, column) of each problem, in the order reported.
fn places(details: &[apo_dashboard::error::Detail]) -> Vec<(String, usize, String)> {
    details
        .iter()
        .map(|d| {
            (
                d.file.clone().unwrap_or_default(),
                d.row.unwrap_or(0),
                d.field.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn expected_places() -> Vec<(String, usize, String)> {
    [
        ("key_results.csv", 3, "direction"),
        ("targets.csv", 4, "kr_code"),
        ("actuals.csv", 3, "value"),
        ("actuals.csv", 5, "iso3"),
        ("actuals.csv", 6, "reported_at"),
    ]
    .map(|(f, r, c)| (f.to_owned(), r, c.to_owned()))
    .to_vec()
}

async fn every_problem_of_a_workbook_in_one_pass_at_the_row_excel_shows(b: Backend) {
    let app = spawn_app(b).await;
    let before = app.everything().await;
    let rev = app.store.current_rev().await.unwrap();
    for mode in [Mode::DryRun, Mode::Apply] {
        let err = import::import(&app.store, &bad_workbook(), &Actor::cli("test"), mode)
            .await
            .expect_err("refused");
        // A row that cannot be read (VNM-KR2's direction) hides nothing else, and nothing that
        // only repeats it is reported (its target on row 3 of targets.csv).
        assert_eq!(
            places(err.details()),
            expected_places(),
            "{:#?}",
            err.details()
        );
        let text: Vec<String> = err.details().iter().map(ToString::to_string).collect();
        assert!(
            text[1].ends_with("VNM has no key result VNM-KR7: add it to the key_results table"),
            "{text:?}"
        );
        assert!(
            text[2].contains("\"not\\nyet\" is not a number"),
            "{text:?}"
        );
        assert!(text[3].ends_with("unknown member XYZ"), "{text:?}");
        assert_eq!(err.to_string(), "5 problems; see details");
    }
    assert_eq!(app.everything().await, before, "nothing written");
    assert_eq!(app.store.current_rev().await.unwrap(), rev);

    // The command line says the same, at the same rows, and counts them in its last line.
    let dir = tempfile::tempdir().unwrap();
    for s in bad_workbook() {
        std::fs::write(dir.path().join(&s.name), &s.bytes).unwrap();
    }
    let out = Command::new(BIN)
        .args(["import", "--dry-run"])
        .arg(dir.path())
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let rows: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split(": ").next())
        .filter(|l| l.contains(" row "))
        .collect();
    assert_eq!(
        rows,
        [
            "key_results.csv row 3",
            "targets.csv row 4",
            "actuals.csv row 3",
            "actuals.csv row 5",
            "actuals.csv row 6"
        ],
        "{stderr}"
    );
    assert!(
        stderr.contains("import refused, nothing written: 5 problems (listed above)"),
        "{stderr}"
    );
    app.stop().await;
}

/// A workbook as people make them in Excel: a title banner merged over the header, headings
/// with stray spaces and capitals, numbers stored as text, a date cell and Excel serial numbers
/// for dates, trailing empty rows and columns.
fn quirky_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let blank = Format::new().set_background_color("#FFFF00");

    let s = book.add_worksheet().set_name("Primers").unwrap();
    s.merge_range(0, 0, 0, 3, "Viet Nam — SPP primer 2026–28", &bold)
        .unwrap();
    for (c, h) in [" ISO3 ", "Status", "National Context", "Endorsed On"]
        .iter()
        .enumerate()
    {
        s.write_string(2, c as u16, *h).unwrap();
    }
    s.write_string(3, 0, "VNM").unwrap();
    s.write_string(3, 1, "endorsed").unwrap();
    s.write_string(
        3,
        2,
        "Tripartite coalition of government, enterprises and universities.",
    )
    .unwrap();
    s.write_datetime_with_format(3, 3, ExcelDateTime::from_ymd(2026, 1, 30).unwrap(), &date)
        .unwrap();
    // Formatted but empty cells below and to the right: Excel keeps them, the import must not.
    s.write_blank(9, 0, &blank).unwrap();
    s.write_blank(3, 7, &blank).unwrap();

    let s = book.add_worksheet().set_name("Key Results").unwrap();
    let head = [
        "ISO3",
        "KR code",
        "Pillar",
        "Focus area",
        "Title",
        "Unit",
        "Direction",
        "Baseline year",
        "Baseline value",
        "Weight",
    ];
    for (c, h) in head.iter().enumerate() {
        s.write_string(0, c as u16, *h).unwrap();
    }
    let rows = [
        [
            "VNM",
            "VNM-KR1",
            "4",
            "Electronics and ICT",
            "Training database records",
            "records",
            "increase",
            "2025",
            "0",
            "1",
        ],
        [
            "VNM",
            "VNM-KR2",
            "3",
            "Food processing",
            "Lead time",
            "days",
            "decrease",
            "2025",
            " 30 ",
            "2",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            // Numbers stored as text, as a pasted column often is.
            s.write_string(r as u32 + 1, c as u16, *v).unwrap();
        }
    }

    let s = book.add_worksheet().set_name("targets").unwrap();
    for (c, h) in ["iso3", "kr_code", "year", "target"].iter().enumerate() {
        s.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (kr, year, target)) in [
        ("VNM-KR1", 2026, 1000.0),
        ("VNM-KR1", 2027, 5000.0),
        ("VNM-KR2", 2026, 25.5),
    ]
    .iter()
    .enumerate()
    {
        let r = r as u32 + 1;
        s.write_string(r, 0, "VNM").unwrap();
        s.write_string(r, 1, *kr).unwrap();
        s.write_number(r, 2, *year).unwrap();
        s.write_number(r, 3, *target).unwrap();
    }
    s.write_blank(40, 0, &blank).unwrap();

    let s = book.add_worksheet().set_name("Actuals").unwrap();
    for (c, h) in ["iso3", "kr_code", "year", "value", "reported_at"]
        .iter()
        .enumerate()
    {
        s.write_string(0, c as u16, *h).unwrap();
    }
    s.write_string(1, 0, "VNM").unwrap();
    s.write_string(1, 1, "VNM-KR1").unwrap();
    s.write_number(1, 2, 2026).unwrap();
    s.write_number(1, 3, 420).unwrap();
    // 2026-06-30 09:15 UTC as an Excel serial number, unformatted.
    s.write_number(1, 4, 46203.385416666664).unwrap();
    s.write_string(2, 0, "VNM").unwrap();
    s.write_string(2, 1, "VNM-KR2").unwrap();
    s.write_number(2, 2, 2026).unwrap();
    s.write_string(2, 3, "28").unwrap();

    // Excel's default empty sheet.
    book.add_worksheet().set_name("Sheet2").unwrap();
    book.save_to_buffer().expect("written")
}

async fn a_spreadsheet_with_real_world_quirks_imports(b: Backend) {
    let app = spawn_app(b).await;
    let book = vec![Source {
        name: "Season 2026.xlsx".into(),
        bytes: quirky_xlsx(),
    }];
    let report = import::import(&app.store, &book, &Actor::cli("test"), Mode::Apply)
        .await
        .unwrap_or_else(|e| panic!("{e}: {:#?}", e.details()));
    assert!(report.rev.is_some(), "{report}");
    assert_eq!((report.primers, report.actuals), (1, 2), "{report}");

    let primer = app.get("/primers/VNM").await;
    assert_eq!(primer.status, 200, "{:?}", primer.body);
    let p = &primer.body;
    assert_eq!(p["status"], "endorsed");
    assert_eq!(p["endorsed_on"], "2026-01-30");
    assert_eq!(
        p["focus_areas"],
        json!(["Electronics and ICT", "Food processing"])
    );
    let krs = p["key_results"].as_array().unwrap();
    assert_eq!(krs.len(), 2);
    assert_eq!(krs[1]["baseline_value"], 30.0);
    assert_eq!(krs[1]["weight"], 2.0);
    assert_eq!(krs[1]["targets"], json!({"2026": 25.5}));
    assert_eq!(krs[0]["targets"], json!({"2026": 1000.0, "2027": 5000.0}));
    let reports = app.get("/actuals?iso3=VNM").await;
    let reports = reports.body.as_array().expect("reports").clone();
    let first = reports
        .iter()
        .find(|r| r["kr_code"] == "VNM-KR1")
        .expect("VNM-KR1's report");
    assert_eq!(first["value"], 420.0);
    assert!(
        first["reported_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-06-30T09:15:00"),
        "{first}"
    );

    // Again: nothing changes, no revision is taken.
    let rev = app.store.current_rev().await.unwrap();
    let again = import::import(&app.store, &book, &Actor::cli("test"), Mode::Apply)
        .await
        .expect("the same workbook again");
    assert_eq!(again.rev, None, "{again}");
    assert_eq!(app.store.current_rev().await.unwrap(), rev);
    app.stop().await;
}

async fn unknown_sheets_and_columns_are_reported_where_they_are(b: Backend) {
    let app = spawn_app(b).await;
    let mut book = Workbook::new();
    let s = book.add_worksheet().set_name("targets").unwrap();
    for (c, h) in ["iso3", "kr_code", "year", "target", "Comment"]
        .iter()
        .enumerate()
    {
        s.write_string(0, c as u16, *h).unwrap();
    }
    s.write_string(1, 0, "VNM").unwrap();
    // Below a title banner the headings are on row 3, and a problem with them is named there.
    let s = book.add_worksheet().set_name("budgets").unwrap();
    s.write_string(0, 0, "Budgets 2026").unwrap();
    for (c, h) in ["pillar", "year", "planned", "spent", "Remarks"]
        .iter()
        .enumerate()
    {
        s.write_string(2, c as u16, *h).unwrap();
    }
    s.write_number(3, 0, 1).unwrap();
    let s = book.add_worksheet().set_name("Notes").unwrap();
    s.write_string(0, 0, "remember to ask Hanoi").unwrap();
    s.write_string(0, 1, "before Friday").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let err = import::import(
        &app.store,
        &[Source {
            name: "book.xlsx".into(),
            bytes,
        }],
        &Actor::cli("test"),
        Mode::DryRun,
    )
    .await
    .expect_err("refused");
    let shown: Vec<String> = err.details().iter().map(ToString::to_string).collect();
    assert!(
        shown
            .iter()
            .any(|d| d.starts_with("book.xlsx, sheet targets row 1: comment: unknown column")),
        "{shown:#?}"
    );
    assert!(
        shown
            .iter()
            .any(|d| d.starts_with("book.xlsx, sheet budgets row 3: remarks: unknown column")),
        "{shown:#?}"
    );
    assert!(
        shown
            .iter()
            .any(|d| d.starts_with("book.xlsx, sheet Notes")
                && d.contains("unknown sheet \"Notes\"")),
        "{shown:#?}"
    );
    app.stop().await;
}

/// A `multipart/form-data` body with one part per file.
fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "apo-test-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    query: &str,
    files: &[(&str, &[u8])],
    ndjson: bool,
) -> (u16, String) {
    let (content_type, body) = multipart(files);
    let mut req = client
        .post(app.url(&format!("/import{query}")))
        .header("content-type", content_type)
        .body(body);
    if ndjson {
        req = req.header("accept", "application/x-ndjson");
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

async fn the_upload_endpoint_imports_checks_and_tells_its_progress(b: Backend) {
    let app = spawn_app(b).await;
    let before = app.everything().await;
    let book = quirky_xlsx();
    let files: [(&str, &[u8]); 1] = [("season.xlsx", &book)];

    // Only the Secretariat imports.
    let (editor, _) = app
        .access
        .create_token(Role::Editor, Some("VNM".into()), None, None, "tests")
        .await
        .expect("token");
    let (status, body) = upload(&app, &bearer_client(&editor), "", &files, false).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = upload(&app, &app.anon, "", &files, false).await;
    assert_eq!(status, 401, "{body}");

    // A dry run checks and writes nothing.
    let (status, body) = upload(&app, &app.client, "?dry_run=true", &files, false).await;
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (report["dry_run"].clone(), report["rev"].clone()),
        (json!(true), Value::Null)
    );
    assert_eq!(report["primers"], 1);
    assert_eq!(app.everything().await, before, "a dry run writes nothing");

    // Bad files: every problem, each with its file, sheet and row; nothing written.
    let bad = bad_workbook();
    let bad: Vec<(&str, &[u8])> = bad
        .iter()
        .map(|s| (s.name.as_str(), &s.bytes[..]))
        .collect();
    let (status, body) = upload(&app, &app.client, "", &bad, false).await;
    assert_eq!(status, 422, "{body}");
    let err: Value = serde_json::from_str(&body).unwrap();
    let got: Vec<(String, usize, String)> = err["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_owned(),
                d["row"].as_u64().unwrap_or(0) as usize,
                d["field"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(got, expected_places(), "{body}");
    assert!(err["error"]["request_id"].is_string(), "{body}");

    // With progress: lines of progress, then the result, in one streamed answer.
    let (status, body) = upload(&app, &app.client, "", &files, true).await;
    assert_eq!(status, 200, "{body}");
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let (last, progress) = lines.split_last().expect("lines");
    let stages: Vec<&str> = progress
        .iter()
        .map(|l| l["progress"]["stage"].as_str().expect("a progress line"))
        .collect();
    for stage in ["read", "check", "write"] {
        assert!(stages.contains(&stage), "{stages:?}");
    }
    let rev = last["result"]["rev"]
        .as_i64()
        .unwrap_or_else(|| panic!("{last}"));
    assert_eq!(rev, app.store.current_rev().await.unwrap());
    let dashboard = app.dashboard_when_current(2026).await;
    assert_eq!(dashboard["members"]["VNM"]["primer_status"], "endorsed");

    // A failure in progress mode arrives as the last line, with its status.
    let (status, body) = upload(&app, &app.client, "", &bad, true).await;
    assert_eq!(status, 200, "{body}");
    let last: Value = serde_json::from_str(body.lines().last().unwrap()).unwrap();
    assert_eq!(last["status"], 422, "{body}");
    assert_eq!(
        last["error"]["details"].as_array().unwrap().len(),
        5,
        "{body}"
    );

    // Not a multipart body, no file, a bad flag: 4xx naming the problem.
    let r = app
        .send_raw("POST", "/import", "text/csv", "iso3\n".into())
        .await;
    assert!((400..500).contains(&r.status), "{:?}", r.body);
    let (status, body) = upload(&app, &app.client, "", &[], false).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("no file was uploaded"), "{body}");
    let (status, body) = upload(&app, &app.client, "?dry_run=maybe", &files, false).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("dry_run"), "{body}");
    app.stop().await;
}

/// A long-form series file big enough that the import is still writing when it is killed.
fn big_series_file(path: &std::path::Path, rows: usize) {
    use std::io::Write;
    let members = [
        "BGD", "KHM", "IND", "IDN", "IRN", "JPN", "KOR", "LAO", "MYS", "MNG", "NPL",
    ];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "iso3,series,year,value").unwrap();
    let mut n = 0;
    'all: for s in 0.. {
        for m in members {
            for year in 1961..=2020 {
                writeln!(out, "{m},s{s},{year},{}.25", n % 1000).unwrap();
                n += 1;
                if n == rows {
                    break 'all;
                }
            }
        }
    }
}

async fn an_import_killed_halfway_leaves_nothing_behind(b: Backend) {
    let (url, dir) = fresh_database(b).await;
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("series.csv");
    big_series_file(&file, 400_000);
    // The schema first, so that the database exists before the import.
    let status = Command::new(BIN)
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let store = apo_dashboard::store::Store::open(&url).await.unwrap();
    let rev = store.current_rev().await.unwrap();
    sqlx::any::install_default_drivers();
    let mut watcher = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let mut child = Command::new(BIN)
        .arg("import")
        .arg(&file)
        .env("DATABASE_URL", &url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once it is writing: its transaction holds rows (SQLite's write-ahead log grows;
    // PostgreSQL shows the session inside a transaction).
    let writing = async {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if child.try_wait().unwrap().is_some() {
                panic!("the import finished before it could be killed: make the file bigger");
            }
            let busy = match b {
                Backend::Sqlite => {
                    let db = dir.as_ref().unwrap().path();
                    std::fs::read_dir(db)
                        .unwrap()
                        .filter_map(Result::ok)
                        .any(|e| {
                            e.file_name().to_string_lossy().ends_with("-wal")
                                && e.metadata().is_ok_and(|m| m.len() > 4 << 20)
                        })
                }
                Backend::Postgres => {
                    let (n,): (i64,) = sqlx::query_as(
                        "SELECT count(*) FROM pg_stat_activity
                         WHERE datname = current_database() AND backend_xid IS NOT NULL
                           AND pid <> pg_backend_pid()",
                    )
                    .fetch_one(&mut watcher)
                    .await
                    .unwrap();
                    n > 0
                }
            };
            if busy {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), writing)
        .await
        .expect("the import starts writing");
    child.kill().unwrap();
    child.wait().unwrap();
    store.close().await;
    // A new process sees the database as it was: no series value, no revision taken.
    let store = apo_dashboard::store::Store::open(&url).await.unwrap();
    assert_eq!(store.current_rev().await.unwrap(), rev);
    assert!(store.series(None, None).await.unwrap().is_empty());
    store.close().await;
}

/// What an export must carry over: the dashboard (less what is about when it was computed) and
/// every record as the API shows it (less ids and revisions, which a new database numbers anew).
async fn comparable(app: &TestApp, period: i64) -> Value {
    let mut doc = app.dashboard_when_current(period).await;
    for key in ["rev", "generated_at", "recent", "ticker"] {
        doc.as_object_mut().unwrap().remove(key);
    }
    let mut primers = serde_json::Map::new();
    for p in app.get("/primers").await.body.as_array().expect("primers") {
        let iso3 = p["iso3"].as_str().expect("iso3");
        let mut primer = app.get(&format!("/primers/{iso3}")).await.body;
        for key in ["rev", "updated_at", "version", "updated_by"] {
            primer.as_object_mut().unwrap().remove(key);
        }
        primers.insert(iso3.into(), primer);
    }
    let mut reports: Vec<Value> = app
        .get("/actuals?limit=10000")
        .await
        .body
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| {
            json!([
                r["iso3"],
                r["kr_code"],
                r["year"],
                r["value"],
                r["reported_at"],
                r["reported_by"],
                r["withdrawn"]["reason"],
                r["withdrawn"]["by"]
            ])
        })
        .collect();
    reports.sort_by_key(|r| r.to_string());
    json!({
        "dashboard": doc,
        "primers": primers,
        "reports": reports,
        "budgets": app.get("/budgets").await.body,
        "projects": app.get("/projects").await.body,
        "series": app.get("/series").await.body,
        "catalogue": app.get("/series/catalogue").await.body,
        "accreditations": app.get("/accreditations").await.body,
        "gp_themes": app.get("/gp/themes").await.body,
        "gp_initiatives": app.get("/gp/initiatives").await.body,
        "trainings": app.get("/trainings").await.body,
    })
}

async fn export_then_import_into_an_empty_database_reproduces_the_dashboard(b: Backend) {
    use apo_dashboard::export::{Format, Options, export};
    let from = crate::helpers::spawn_demo_app(b).await;
    // History worth keeping: a withdrawn report, and a corrected one.
    let reports = from.get("/actuals?iso3=VNM&limit=10").await.body;
    let ids: Vec<i64> = reports
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .take(2)
        .collect();
    assert_eq!(ids.len(), 2, "the demo has VNM reports: {reports}");
    let r = from
        .post(
            &format!("/actuals/{}/withdraw", ids[0]),
            &json!({"reason": "counted twice"}),
        )
        .await;
    assert!(r.status < 300, "{:?}", r.body);
    let period = 2026;
    let expected = comparable(&from, period).await;
    for format in [Format::Xlsx, Format::Csv] {
        let options = Options {
            format,
            iso3: None,
            period: Some(period),
            audit_log: true,
        };
        let file = export(&from.store, None, &options).await.expect("exported");
        let to = spawn_app(b).await;
        let name = file.file_name();
        // Through the upload, as the Secretariat would, so that the server's dashboard hears.
        let (status, body) = upload(&to, &to.client, "", &[(&name, &file.bytes)], false).await;
        assert_eq!(status, 200, "{name}: {body}");
        let report: Value = serde_json::from_str(&body).unwrap();
        assert!(report["rev"].is_i64(), "{body}");
        assert_eq!(report["withdrawn"], 1, "{body}");
        let skipped = report["skipped"].to_string();
        assert!(skipped.contains("README"), "{skipped}");
        assert!(skipped.contains("audit_log"), "{skipped}");
        let got = comparable(&to, period).await;
        let mut differences = Vec::new();
        differ(&got, &expected, String::new(), &mut differences);
        assert!(
            differences.is_empty(),
            "{name}: {} differences, the first: {:#?}",
            differences.len(),
            &differences[..differences.len().min(12)]
        );
        // Imported again, it changes nothing.
        let again = import::import(
            &to.store,
            &[Source {
                name: name.clone(),
                bytes: file.bytes,
            }],
            &Actor::cli("test"),
            Mode::Apply,
        )
        .await
        .expect("again");
        assert_eq!(again.rev, None, "{name}: {again}");
        to.stop().await;
    }
    from.stop().await;
}

/// The paths at which `a` and `b` differ, with both values. Numbers that differ only in their
/// last bits are the same: a score is a sum whose order follows the database's row ids, which a
/// new database assigns anew (measured: 1 ulp apart, in 2 of some 900 numbers).
fn differ(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() > 1e-12 * x.abs().max(y.abs()).max(1.0) {
                out.push(format!("{at}: imported {x} / exported {y}"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                differ(va, vb, format!("{at}/{k}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                differ(va, vb, format!("{at}/{i}"), out);
            }
        }
        _ if a != b => out.push(format!("{at}: imported {a} / exported {b}")),
        _ => {}
    }
}
