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
///
/// Three rounds of reports with a pause after each: after every pause the log is copied back to
/// its end, and at the end its file holds about one round's frames, not three. The frames the
/// rounds wrote are counted as they go (the log's end in the shared index, and its start again
/// in the log's header), since a checkpoint may also catch up between two reports of a round
/// and the log start again there: then the first round's file is smaller than a round.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_s_log_is_copied_back_in_the_background_and_does_not_grow() {
    let app = crate::live::with_primer(Backend::Sqlite).await;
    let db = app.database_url.strip_prefix("sqlite://").unwrap();
    let log = Log::of(db.split('?').next().unwrap());
    let mut at = log.end();
    let mut written = 0;
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
            let now = log.end();
            // The log started again since the last look (its end reads lower if the look
            // fell between its header's change and the index's).
            written += if now.started == at.started && now.frames >= at.frames {
                now.frames - at.frames
            } else {
                now.frames
            };
            at = now;
        }
        tokio::time::sleep(apo_dashboard::store::CHECKPOINT_EVERY * 3).await;
        let (frames, copied) = log.copied();
        assert_eq!(
            copied, frames,
            "round {round}: the log copied back to its end after a pause"
        );
        sizes.push(log.size());
    }
    let round = written * log.frame_bytes() / 3;
    eprintln!("{written} frames in three rounds, the log's file after each: {sizes:?} bytes");
    assert!(round > 0, "the rounds wrote {written} frames");
    assert!(
        sizes[2] <= round * 3 / 2,
        "three rounds of {round} bytes of log each, the log reused after each: {sizes:?} bytes"
    );
}

/// SQLite's write-ahead log and its shared index, read as files (their formats are SQLite's:
/// <https://www.sqlite.org/walformat.html>).
struct Log {
    path: String,
}

/// Where the log ends: its frames, and which start of the log they follow (the checkpoint
/// sequence number and salt of its header, new each time it starts again).
#[derive(Clone, Copy, PartialEq)]
struct End {
    frames: u64,
    started: [u8; 8],
}

impl Log {
    fn of(db: &str) -> Self {
        Self {
            path: format!("{db}-wal"),
        }
    }

    fn size(&self) -> u64 {
        std::fs::metadata(&self.path).unwrap().len()
    }

    /// A frame: a page and its 24-byte header.
    fn frame_bytes(&self) -> u64 {
        let header = &std::fs::read(&self.path).unwrap()[..32];
        u64::from(u32::from_be_bytes(header[8..12].try_into().unwrap())) + 24
    }

    /// The shared index's header (its two copies equal: not caught while a commit writes it).
    fn index(&self) -> Vec<u8> {
        let shm = self.path.replace("-wal", "-shm");
        for _ in 0..100 {
            let b = std::fs::read(&shm).unwrap();
            if b[..48] == b[48..96] {
                return b;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        panic!("{shm}: its header's two copies differ")
    }

    fn end(&self) -> End {
        let index = self.index();
        let header = &std::fs::read(&self.path).unwrap()[..32];
        End {
            frames: u64::from(u32::from_ne_bytes(index[16..20].try_into().unwrap())),
            started: header[12..20].try_into().unwrap(),
        }
    }

    /// The log's frames and those copied back into the database.
    fn copied(&self) -> (u64, u64) {
        let index = self.index();
        let u = |o: usize| u64::from(u32::from_ne_bytes(index[o..o + 4].try_into().unwrap()));
        (u(16), u(96))
    }
}
