//! SQLite's write-ahead log after writes that never paused: it grew by every report (no
//! commit found it copied to its end, so it never started again), and at the first pause its
//! file is cut back to `SQLITE_LOG_LIMIT` bytes (`journal_size_limit`) rather than keeping that
//! size until the server stops. SQLite only: PostgreSQL recycles its own log.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apo_dashboard::model::ActualInput;
use apo_dashboard::records::Actor;
use apo_dashboard::store::{CHECKPOINT_EVERY, SQLITE_LOG_LIMIT};
use serde_json::json;

use crate::helpers::{Backend, spawn_demo_app};

/// Writers, each sending its next report as soon as the last is answered.
const WRITERS: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_grown_by_writes_that_never_paused_is_cut_back_at_the_first_pause() {
    let app = spawn_demo_app(Backend::Sqlite).await;
    let log = format!("{}-wal", app.database_url.trim_start_matches("sqlite://"));
    let size = || std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    let limit = SQLITE_LOG_LIMIT as u64;
    let start = app.store.current_rev().await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (feed, stop, written) = (app.feed.clone(), stop.clone(), written.clone());
            tokio::spawn(async move {
                let actor = Actor::service("log test");
                let mut k = 0;
                while !stop.load(Ordering::Relaxed) {
                    let (appended, _) = feed
                        .append_reports(&actor, vec![report(w, k)])
                        .await
                        .unwrap_or_else(|e| panic!("writer {w}, report {k}: {e}"));
                    assert_eq!(appended, 1);
                    written.fetch_add(1, Ordering::Relaxed);
                    k += 1;
                }
            })
        })
        .collect();
    // Until the log is past the limit (it grows only: nothing pauses).
    let deadline = Instant::now() + Duration::from_secs(120);
    while size() <= limit + limit / 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let grown = size();
    let written = written.load(Ordering::Relaxed);
    assert!(
        grown > limit,
        "{written} reports in two minutes grew the log to {grown} bytes only"
    );

    // A pause: the background checkpoint copies the log to its end; the next commit starts
    // it again and cuts it back.
    tokio::time::sleep(CHECKPOINT_EVERY * 3).await;
    let (appended, change) = app
        .feed
        .append_reports(&Actor::service("log test"), vec![report(WRITERS, 0)])
        .await
        .unwrap();
    assert_eq!(appended, 1);
    let after = size();
    eprintln!(
        "{written} reports grew the log to {grown} bytes; after a pause and one more: {after}"
    );
    assert!(
        after <= limit,
        "the log is still {after} bytes after a pause and a commit (limit {limit}, grown to {grown})"
    );
    // Nothing lost on the way: every report its own revision.
    assert_eq!(change.expect("a change").rev, start + written as i64 + 1);
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        start + written as i64 + 1
    );
    app.stop().await;
}

/// Report `k` of writer `w`: a key result of VNM's, a distinct value in its range.
fn report(w: usize, k: usize) -> ActualInput {
    serde_json::from_value(json!({
        "iso3": "VNM", "kr_code": "VNM-KR1", "year": 2027,
        "value": 1.0 + ((w * 100_000 + k) % 1_000_000) as f64 / 1_000_000.0,
    }))
    .unwrap()
}
