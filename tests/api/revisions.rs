//! The global revision: strictly increasing, no gaps, no duplicates, in commit order, under
//! concurrent writers.

use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::{Backend, primer, spawn_app};

crate::on_both_backends!(concurrent_writers_get_distinct_consecutive_revisions);

const TASKS: usize = 8;
const WRITES: usize = 50;

async fn concurrent_writers_get_distinct_consecutive_revisions(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.put("/primers/VNM", &primer("VNM", "draft", 8))
            .await
            .status,
        200
    );
    let start = app.store.current_rev().await.unwrap();
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut revs = Vec::new();
            for i in 0..WRITES {
                let r = app
                    .post(
                        "/actuals",
                        &json!({"iso3": "VNM", "kr_code": format!("VNM-KR{}", t + 1),
                                "year": 2026, "value": i}),
                    )
                    .await;
                assert_eq!(r.status, 201, "{}", r.body);
                revs.push(r.body["rev"].as_i64().unwrap());
            }
            revs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let revs = t.await.unwrap();
        assert!(
            revs.windows(2).all(|w| w[0] < w[1]),
            "one writer's revisions increase: {revs:?}"
        );
        all.extend(revs);
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), TASKS * WRITES, "no duplicate revision");
    let expected: BTreeSet<i64> = (start + 1..=start + (TASKS * WRITES) as i64).collect();
    assert_eq!(distinct, expected, "no revision lost or skipped");
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        start + (TASKS * WRITES) as i64
    );

    // Each revision's actual and audit row are stored under that revision.
    let actuals = app.get("/actuals?limit=10000").await.body;
    let stored: BTreeSet<i64> = actuals
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rev"].as_i64().unwrap())
        .collect();
    assert_eq!(stored, expected);
    let audit = app
        .get(&format!("/audit?limit=10000&from_rev={}", start + 1))
        .await
        .body;
    let audited: BTreeSet<i64> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rev"].as_i64().unwrap())
        .collect();
    assert_eq!(audited, expected);
    assert_eq!(audit.as_array().unwrap().len(), TASKS * WRITES);
}

/// SQLite only (PostgreSQL keeps its own log): no commit copies the write-ahead log back into
/// the database (that made one report in a few hundred wait tens of milliseconds); a background
/// task does, so the log file is reused rather than grown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_s_log_is_copied_back_in_the_background_and_does_not_grow() {
    let app = crate::live::with_primer(Backend::Sqlite).await;
    let db = app.database_url.strip_prefix("sqlite://").unwrap();
    let log = format!("{}-wal", db.split('?').next().unwrap());
    let mut sizes = Vec::new();
    for round in 0..3 {
        for i in 0..150 {
            let r = app
                .post(
                    "/actuals",
                    &json!({"iso3": "VNM", "kr_code": format!("VNM-KR{}", i % 4 + 1),
                            "year": 2026, "value": round * 1000 + i}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        tokio::time::sleep(apo_dashboard::store::CHECKPOINT_EVERY * 3).await;
        sizes.push(std::fs::metadata(&log).unwrap().len());
    }
    assert!(sizes[0] > 0, "the log was written: {sizes:?}");
    assert!(
        sizes[2] <= sizes[0] * 3 / 2,
        "three equal rounds of writes, the log reused after each: {sizes:?} bytes"
    );
}
