//! Backups taken under write load restore to one revision, with every change up to it and none
//! after, and `restore` replaces a database only with a backup of this application that it can
//! read, never under a server; the binary itself is run, as an operator runs it.
//!
//! SQLite only, by nature: `backup` and `restore` copy a SQLite file. On PostgreSQL both
//! commands refuse and name pg_dump and pg_restore, which the last test checks without a server.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apo_dashboard::config::ServeConfig;
use apo_dashboard::startup::Application;
use serde_json::{Value, json};
use sqlx::{Connection, SqliteConnection};
use tokio_util::sync::CancellationToken;

use crate::dashboard::{assert_same, comparable};
use crate::helpers::{Backend, bearer_client, spawn_demo_app};

const BIN: &str = env!("CARGO_BIN_EXE_apo-dashboard");
/// Clients writing reports at once while the backup is taken.
const WRITERS: usize = 4;

/// What a run of the binary said.
struct Ran {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs `apo-dashboard ARGS` (never with the environment's `DATABASE_URL`).
async fn apo(args: &[&str]) -> Ran {
    let out = tokio::process::Command::new(BIN)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("the binary runs");
    Ran {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The N of "revision N" in a command's output.
fn revision_in(said: &str) -> i64 {
    said.split("revision ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no revision in {said:?}"))
}

fn url_of(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

fn path_of(url: &str) -> PathBuf {
    PathBuf::from(url.strip_prefix("sqlite://").expect("a SQLite URL"))
}

/// Every file of a folder with its bytes: what "left as it was" compares.
fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// A new database of this application at revision 0, closed (one file, no log beside it).
async fn migrated(path: &Path) {
    let ran = apo(&["migrate", "--database-url", &url_of(path)]).await;
    assert!(ran.ok, "migrate: {}", ran.stderr);
}

/// A connection to a SQLite file, created if missing, to make files for the refusals.
async fn sqlite(path: &Path) -> SqliteConnection {
    SqliteConnection::connect(&format!("{}?mode=rwc", url_of(path)))
        .await
        .expect("a SQLite file")
}

async fn get(client: &reqwest::Client, url: &str) -> Value {
    let r = client.get(url).send().await.expect("GET");
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.expect("JSON")
}

/// The revisions the audit log holds, read a page at a time.
async fn audited_revisions(client: &reqwest::Client, base: &str) -> BTreeSet<i64> {
    let mut revs = BTreeSet::new();
    let mut before = String::new();
    loop {
        let page = get(client, &format!("{base}/audit?limit=10000{before}")).await;
        let page = page.as_array().expect("a list");
        let Some(last) = page.last() else {
            return revs;
        };
        revs.extend(page.iter().map(|e| e["rev"].as_i64().expect("rev")));
        before = format!("&before_id={}", last["id"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_write_load_restores_to_its_revision_with_every_change_up_to_it_and_none_after()
 {
    let app = spawn_demo_app(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("apo.backup");

    // Reports from several clients, until told to stop (or one is refused).
    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let refused: Arc<Mutex<Option<String>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (client, url, acked, stop, refused) = (
            app.client.clone(),
            app.url("/actuals"),
            acked.clone(),
            stop.clone(),
            refused.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let body = json!({"iso3": "VNM", "kr_code": format!("VNM-KR{}", 1 + (w + i) % 2),
                                  "year": 2026, "value": ((w * 1000 + i) % 997) as f64 / 10.0});
                let r = client.post(&url).json(&body).send().await.expect("POST");
                let status = r.status();
                if status != 201 {
                    let said = r.text().await.unwrap_or_default();
                    *refused.lock().unwrap() = Some(format!("{body}: {status} {said}"));
                    stop.store(true, Ordering::Relaxed);
                    return;
                }
                acked.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    // Waits until `n` reports in all were acknowledged.
    let until = async |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while acked.load(Ordering::Relaxed) < n {
            if let Some(r) = refused.lock().unwrap().clone() {
                panic!("a report was refused: {r}");
            }
            assert!(
                Instant::now() < deadline,
                "{} reports acknowledged in 60 s, waiting for {n}",
                acked.load(Ordering::Relaxed)
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    until(100).await;
    let (acked_before, rev_before) = (
        acked.load(Ordering::Relaxed),
        app.store.current_rev().await.unwrap(),
    );
    let ran = apo(&[
        "backup",
        "--database-url",
        &app.database_url,
        "--out",
        &file.display().to_string(),
    ])
    .await;
    let (acked_after, rev_after) = (
        acked.load(Ordering::Relaxed),
        app.store.current_rev().await.unwrap(),
    );
    assert!(ran.ok, "backup: {}", ran.stderr);
    until(acked_after + 100).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    if let Some(r) = refused.lock().unwrap().clone() {
        panic!("a report was refused: {r}");
    }
    let r = revision_in(&ran.stdout);
    let last = app.store.current_rev().await.unwrap();
    eprintln!(
        "backup at revision {r} ({rev_before}..={rev_after} while it ran, {} reports \
         acknowledged meanwhile); the server went on to {last}",
        acked_after - acked_before
    );
    assert!(
        acked_after > acked_before,
        "no report was acknowledged while the backup ran: not a backup under load"
    );
    assert!((rev_before..=rev_after).contains(&r), "{}", ran.stdout);
    assert!(r < last, "writes went on after the backup");

    let restored = dir.path().join("restored.db");
    let ran = apo(&[
        "restore",
        &file.display().to_string(),
        "--database-url",
        &url_of(&restored),
    ])
    .await;
    assert!(ran.ok, "restore: {}", ran.stderr);
    assert_eq!(revision_in(&ran.stdout), r, "{}", ran.stdout);

    // A server on the restored file. The backup holds the Secretariat's token too.
    let served = Application::build(&ServeConfig::for_database(url_of(&restored)))
        .await
        .expect("a server on the restored database");
    let base = format!("http://{}/api/v1", served.local_addr());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(served.run_until_stopped(shutdown.clone()));
    let client = bearer_client(&app.token);

    let now = get(&client, &format!("{base}/dashboard?period=2026")).await;
    assert_eq!(now["rev"], r, "the restored server's revision");
    // Every revision up to R is in the log, each whole, and none after it.
    assert_eq!(
        audited_revisions(&client, &base).await,
        (1..=r).collect::<BTreeSet<_>>(),
        "the restored audit log's revisions"
    );
    // Exactly the reports the original stored up to R.
    let mine = get(&client, &format!("{base}/actuals?limit=10000")).await;
    let theirs = get(&app.client, &app.url("/actuals?limit=10000")).await;
    let up_to_r: Vec<&Value> = theirs
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rev"].as_i64().unwrap() <= r)
        .collect();
    assert!(up_to_r.len() < theirs.as_array().unwrap().len());
    assert_eq!(
        mine.as_array().unwrap().iter().collect::<Vec<_>>(),
        up_to_r,
        "the restored reports"
    );
    // The restored dashboard is the original's replay of revision R.
    let replayed = get(
        &app.client,
        &app.url(&format!("/dashboard?period=2026&rev={r}")),
    )
    .await;
    assert_eq!(replayed["rev"], r);
    assert_same(
        &comparable(now),
        &comparable(replayed),
        "restored dashboard vs the original's replay of the backup's revision",
    );

    shutdown.cancel();
    server
        .await
        .unwrap()
        .expect("the restored server stops cleanly");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_what_is_not_a_backup_of_this_application_and_leaves_the_target_as_it_was()
{
    let dir = tempfile::tempdir().unwrap();
    let (files, target_dir) = (dir.path().join("files"), dir.path().join("target"));
    std::fs::create_dir_all(&files).unwrap();
    std::fs::create_dir_all(&target_dir).unwrap();
    let target = target_dir.join("apo.db");
    migrated(&target).await;
    let good = files.join("good.backup");
    let ran = apo(&[
        "backup",
        "--database-url",
        &url_of(&target),
        "--out",
        &good.display().to_string(),
    ])
    .await;
    assert!(ran.ok, "backup: {}", ran.stderr);

    let text = files.join("actuals.csv");
    std::fs::write(&text, "iso3,kr_code,year,value\nVNM,VNM-KR1,2026,12.5\n").unwrap();
    let empty = files.join("empty.db");
    std::fs::write(&empty, "").unwrap();
    let other = files.join("notes.db");
    let mut c = sqlite(&other).await;
    sqlx::raw_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    // Another sqlx application with tables of the same names.
    let lookalike = files.join("lookalike.db");
    let mut c = sqlite(&lookalike).await;
    sqlx::raw_sql(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
             installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
             checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
         INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (1, 'create notes', TRUE, x'0011', 1);
         CREATE TABLE revision (id INTEGER PRIMARY KEY, rev INTEGER NOT NULL);
         INSERT INTO revision VALUES (1, 0);
         CREATE TABLE audit_log (rev INTEGER);",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();
    let newer = files.join("newer.backup");
    std::fs::copy(&good, &newer).unwrap();
    let mut c = sqlite(&newer).await;
    sqlx::raw_sql(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99990101000000, 'a change of the future', TRUE, x'00', 1)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();
    // A page in the middle overwritten.
    let damaged = files.join("damaged.backup");
    let mut bytes = std::fs::read(&good).unwrap();
    let page = 4096 * (bytes.len() / 4096 / 2);
    bytes[page..page + 4096].fill(0xaa);
    std::fs::write(&damaged, bytes).unwrap();

    let before = files_in(&target_dir);
    for (what, file, said) in [
        ("a CSV file", &text, "is not an SQLite database"),
        ("an empty file", &empty, "not a database of apo-dashboard"),
        (
            "another application's database",
            &other,
            "not a database of apo-dashboard: it has no table _sqlx_migrations",
        ),
        (
            "another sqlx application's database with the same table names",
            &lookalike,
            "its migration 1 (create notes) is not this application's",
        ),
        (
            "a backup of a newer apo-dashboard",
            &newer,
            "its schema is newer than this apo-dashboard's (it has migration 99990101000000",
        ),
        ("a damaged backup", &damaged, "damaged SQLite database"),
    ] {
        let ran = apo(&[
            "restore",
            &file.display().to_string(),
            "--database-url",
            &url_of(&target),
        ])
        .await;
        assert!(!ran.ok, "{what} was restored: {}", ran.stdout);
        assert!(
            ran.stderr.contains(said),
            "{what}: expected {said:?} in {:?}",
            ran.stderr
        );
        assert!(
            files_in(&target_dir) == before,
            "{what}: the target's folder changed: {:?}",
            files_in(&target_dir).keys()
        );
    }
    // The good one is taken (the check is not refusing everything), and the database keeps
    // its permissions (the service's, not those of whoever restores).
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    let ran = apo(&[
        "restore",
        &good.display().to_string(),
        "--database-url",
        &url_of(&target),
    ])
    .await;
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(revision_in(&ran.stdout), 0);
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the restored database's permissions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_target_that_is_being_served_and_the_server_carries_on() {
    let app = spawn_demo_app(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("apo.backup");
    let ran = apo(&[
        "backup",
        "--database-url",
        &app.database_url,
        "--out",
        &file.display().to_string(),
    ])
    .await;
    assert!(ran.ok, "backup: {}", ran.stderr);
    let report = json!({"iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 42.5});
    assert_eq!(app.post("/actuals", &report).await.status, 201);
    let before = app.everything().await;

    let ran = apo(&[
        "restore",
        &file.display().to_string(),
        "--database-url",
        &app.database_url,
    ])
    .await;
    assert!(!ran.ok, "restored under a server: {}", ran.stdout);
    let pid = std::process::id();
    assert!(
        ran.stderr.contains(&format!("is open in process {pid}")),
        "the refusal names the server's process ({pid}): {:?}",
        ran.stderr
    );
    assert_eq!(
        app.everything().await,
        before,
        "the served database changed"
    );
    let served_dir = path_of(&app.database_url).parent().unwrap().to_owned();
    let left: Vec<String> = files_in(&served_dir)
        .into_keys()
        .filter(|n| n.contains(".restore-"))
        .collect();
    assert!(left.is_empty(), "left beside the database: {left:?}");
    // And the server carries on writing.
    let rev = app.store.current_rev().await.unwrap();
    let r = app.post("/actuals", &report).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["rev"], rev + 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_replaces_a_file_only_when_forced_and_never_the_database_itself() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("apo.db");
    migrated(&db).await;
    let out = dir.path().join("precious.txt");
    std::fs::write(&out, "not to be lost").unwrap();
    let backup = |out: PathBuf, force: bool| {
        let url = url_of(&db);
        async move {
            let out = out.display().to_string();
            let mut args = vec!["backup", "--database-url", &url, "--out", &out];
            if force {
                args.push("--force");
            }
            apo(&args).await
        }
    };

    let ran = backup(out.clone(), false).await;
    assert!(!ran.ok, "{}", ran.stdout);
    assert!(ran.stderr.contains("--force"), "{:?}", ran.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "not to be lost");

    let ran = backup(out.clone(), true).await;
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(revision_in(&ran.stdout), 0);
    let ran = apo(&[
        "restore",
        &out.display().to_string(),
        "--database-url",
        &url_of(&dir.path().join("restored.db")),
    ])
    .await;
    assert!(ran.ok, "the forced backup restores: {}", ran.stderr);

    let before = std::fs::read(&db).unwrap();
    let ran = backup(db.clone(), true).await;
    assert!(!ran.ok, "{}", ran.stdout);
    assert!(
        ran.stderr.contains("is the database itself"),
        "{:?}",
        ran.stderr
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_backup_leaves_no_file_under_the_name_asked_for_nor_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let (sources, outs) = (dir.path().join("sources"), dir.path().join("out"));
    std::fs::create_dir_all(&sources).unwrap();
    std::fs::create_dir_all(&outs).unwrap();
    let other = sources.join("notes.db");
    let mut c = sqlite(&other).await;
    sqlx::raw_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    let missing = sources.join("missing.db");
    let out = outs.join("apo.backup");
    for (what, source, said) in [
        (
            "another application's database",
            &other,
            "not a database of apo-dashboard",
        ),
        ("a database that is not there", &missing, "no database at"),
    ] {
        let ran = apo(&[
            "backup",
            "--database-url",
            &url_of(source),
            "--out",
            &out.display().to_string(),
        ])
        .await;
        assert!(!ran.ok, "{what}: {}", ran.stdout);
        assert!(ran.stderr.contains(said), "{what}: {:?}", ran.stderr);
        assert!(
            files_in(&outs).is_empty(),
            "{what}: left {:?}",
            files_in(&outs).keys()
        );
    }
    assert!(!missing.exists(), "the backup created the missing database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_of_postgresql_refuse_naming_pg_dump_and_pg_restore() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("apo.dump");
    let url = "postgres://apo:secret@127.0.0.1:5432/apo";
    let ran = apo(&[
        "backup",
        "--database-url",
        url,
        "--out",
        &out.display().to_string(),
    ])
    .await;
    assert!(!ran.ok, "{}", ran.stdout);
    assert!(
        ran.stderr.contains("pg_dump --format=custom --file=") && ran.stderr.contains("apo:***@"),
        "{:?}",
        ran.stderr
    );
    assert!(!out.exists());
    std::fs::write(&out, "a dump").unwrap();
    let ran = apo(&["restore", &out.display().to_string(), "--database-url", url]).await;
    assert!(!ran.ok, "{}", ran.stdout);
    assert!(
        ran.stderr.contains("pg_restore --clean --if-exists")
            && ran.stderr.contains("apo-dashboard migrate"),
        "{:?}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("secret"),
        "the password is shown: {:?}",
        ran.stderr
    );
}
