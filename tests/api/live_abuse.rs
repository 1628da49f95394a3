//! Bounded work (issue 19): a live socket that keeps asking for snapshots is refused and then
//! closed while the others keep their patches; past revisions are recomputed a few at a time,
//! with a bounded queue (503 and `Retry-After` beyond it), identical requests sharing one
//! computation, while ordinary requests keep answering; documents rebuilt from checkpoints or
//! served from the cache are the ones computed from zero.

use std::sync::Arc;
use std::time::Duration;

use apo_dashboard::analytics::full;
use apo_dashboard::analytics::history::{History, Refused, Settings};
use apo_dashboard::config::defaults;
use apo_dashboard::live::client::REFUSALS;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::dashboard::comparable;
use crate::helpers::{Backend, TestApp, primer, spawn_app};
use crate::live::{connect, post_report, with_primer};
use crate::replay::{MEMBERS, Rng, change, send};

crate::on_both_backends!(
    resumes_beyond_the_rate_are_refused_then_the_socket_is_closed_while_another_keeps_its_patches,
    past_revisions_wait_their_turn_and_beyond_the_queue_are_refused_while_members_answers,
    identical_past_revisions_asked_at_once_share_one_computation,
    documents_from_checkpoints_and_the_cache_equal_those_computed_from_zero,
);

const RESUMES: usize = 2000;

async fn resumes_beyond_the_rate_are_refused_then_the_socket_is_closed_while_another_keeps_its_patches(
    b: Backend,
) {
    let app = with_primer(b).await;
    let mut watcher = connect(&app, "?period=2026").await;
    let first = watcher.next().await;
    watcher.take(&first);

    let (ws, _) = tokio_tungstenite::connect_async(app.live_request("?period=2026"))
        .await
        .expect("connects");
    let (mut sink, mut stream) = ws.split();
    // The first frame: the snapshot, whose size is the unit of the bound.
    let snapshot_len = loop {
        match stream.next().await.expect("open").expect("a frame") {
            Message::Text(t) => {
                let f: Value = serde_json::from_str(&t).unwrap();
                assert_eq!(f["type"], "snapshot");
                break t.len();
            }
            _ => continue,
        }
    };
    let message = json!({"type": "resume", "since": 0}).to_string();
    let sender = tokio::spawn(async move {
        let mut sent = 0;
        for _ in 0..RESUMES {
            if sink
                .send(Message::Text(message.clone().into()))
                .await
                .is_err()
            {
                break;
            }
            sent += message.len();
        }
        (sent, sink)
    });
    // Everything the abuser is sent until its socket closes.
    let (mut received, mut refusals, mut answers) = (0usize, Vec::new(), 0usize);
    let close = loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), stream.next())
            .await
            .expect("the server closes the socket within 20 s");
        match msg {
            Some(Ok(Message::Text(t))) => {
                received += t.len();
                let f: Value = serde_json::from_str(&t).unwrap();
                match f["type"].as_str().unwrap() {
                    "error" => refusals.push(f),
                    "snapshot" | "patch" => answers += 1,
                    _ => {}
                }
            }
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            other => panic!("expected frames and then a close frame, got {other:?}"),
        }
    };
    let (sent, _sink) = sender.await.unwrap();
    assert_eq!(close, Some(1008), "closed as a policy violation");
    // Today's code answered every resume with a snapshot: 2,000 of them.
    let bound = (defaults::LIVE_RESUME_BURST as usize + 2) * snapshot_len + REFUSALS as usize * 512;
    assert!(
        received <= bound,
        "{received} bytes for {sent} bytes of resumes ({answers} answers, {} refusals): more than \
         {bound} ({} snapshots of {snapshot_len} bytes)",
        refusals.len(),
        defaults::LIVE_RESUME_BURST + 2
    );
    assert!(answers >= 1, "the burst is answered");
    assert_eq!(
        refusals.len(),
        REFUSALS as usize - 1,
        "refused until the REFUSALS-th closes it: {refusals:?}"
    );
    for r in &refusals {
        assert_eq!(r["code"], "rate_limited", "{r}");
        let m = r["message"].as_str().unwrap();
        assert!(
            m.contains("resumes and period switches") && m.contains("a minute"),
            "the message names the rule: {m}"
        );
    }
    // The other socket was not disturbed: it gets the next patches.
    for (i, kr) in ["VNM-KR1", "VNM-KR2"].iter().enumerate() {
        let rev = post_report(&app, kr, 105.0 + i as f64).await;
        watcher.until(rev).await;
    }
    assert_eq!(watcher.snapshots, 1, "patches, not snapshots");
    watcher
        .assert_served(&app, 2026, "the watcher's document")
        .await;
}

/// `n` reports on a fresh server with Vietnam's primer: revisions 1 (the primer) to n + 1.
async fn with_reports(b: Backend, n: usize) -> TestApp {
    let app = spawn_app(b).await;
    send(&app, "PUT", "/primers/VNM", &primer("VNM", "draft", 4)).await;
    for i in 0..n {
        let body = json!({"iso3": "VNM", "kr_code": format!("VNM-KR{}", i % 4 + 1),
                          "year": 2026, "value": 100 + i});
        send(&app, "POST", "/actuals", &body).await;
    }
    // Past revisions only: the current one is served from the live document.
    app.dashboard_when_current(2026).await;
    app
}

/// `GET /dashboard?period=…&rev=…`: the status, `Retry-After`, and the body.
async fn past(app: &TestApp, rev: i64, period: i64) -> (u16, Option<u64>, Value) {
    let r = app
        .client
        .get(app.url(&format!("/dashboard?period={period}&rev={rev}")))
        .send()
        .await
        .expect("GET");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().expect("whole seconds"));
    let body = r.json().await.expect("a JSON body");
    (status, retry, body)
}

fn assert_busy((status, retry, body): &(u16, Option<u64>, Value)) {
    assert_eq!(*status, 503, "{body}");
    assert!(retry.is_some_and(|s| s >= 1), "Retry-After: {retry:?}");
    assert_eq!(body["error"]["code"], "busy", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("try again in {} s", retry.unwrap())),
        "{message}"
    );
}

async fn past_revisions_wait_their_turn_and_beyond_the_queue_are_refused_while_members_answers(
    b: Backend,
) {
    let app = Arc::new(with_reports(b, 40).await);
    let history = app.history.clone();
    let Settings {
        concurrency, queue, ..
    } = history.settings();
    // Every recomputation waits while the permits are held: the first `concurrency + queue`
    // distinct requests are admitted and wait, the rest are refused at once.
    let paused = history.pause().await;
    let extra = 5;
    let mut asked = Vec::new();
    for i in 0..concurrency + queue + extra {
        let (rev, period) = (1 + (i / 3) as i64, 2026 + (i % 3) as i64);
        let app = app.clone();
        asked.push((
            rev,
            tokio::spawn(async move { past(&app, rev, period).await }),
        ));
    }
    // Ordinary requests answer meanwhile, and so does the current dashboard.
    for _ in 0..3 {
        let members = app.get("/members").await;
        assert_eq!(members.status, 200, "{}", members.body);
        assert_eq!(members.body.as_array().unwrap().len(), 21);
        assert_eq!(app.get("/dashboard?period=2026").await.status, 200);
    }
    // The refused ones answer without waiting for the paused ones.
    let mut refused = 0;
    while refused < extra {
        let mut still = Vec::new();
        for (rev, task) in asked {
            if task.is_finished() {
                assert_busy(&task.await.unwrap());
                refused += 1;
            } else {
                still.push((rev, task));
            }
        }
        asked = still;
        assert!(refused <= extra, "only the requests beyond the queue");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(asked.len(), concurrency + queue, "admitted, waiting");
    drop(paused);
    for (rev, task) in asked {
        let (status, _, body) = task.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rev"], rev);
    }
    assert!(
        history.peak() <= concurrency,
        "{} ran at once",
        history.peak()
    );

    // Many at once, unpaused: each answered or refused as above, and /members answers
    // throughout.
    let mut rng = Rng(0x19_2026);
    let top = app.store.current_rev().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..60 {
        let rev = 1 + (rng.0 % (top as u64 - 1)) as i64;
        rng.0 ^= rng.0 << 13;
        rng.0 ^= rng.0 >> 7;
        rng.0 ^= rng.0 << 17;
        let app = app.clone();
        tasks.push((
            rev,
            tokio::spawn(async move { past(&app, rev, 2026).await }),
        ));
    }
    let members = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..10 {
                statuses.push(app.get("/members").await.status);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            statuses
        })
    };
    for (rev, task) in tasks {
        let answer = task.await.unwrap();
        if answer.0 == 200 {
            assert_eq!(answer.2["rev"], rev);
        } else {
            assert_busy(&answer);
        }
    }
    assert_eq!(members.await.unwrap(), [200; 10]);
    assert!(
        history.peak() <= concurrency,
        "{} ran at once",
        history.peak()
    );
}

async fn identical_past_revisions_asked_at_once_share_one_computation(b: Backend) {
    let app = Arc::new(with_reports(b, 8).await);
    let history = app.history.clone();
    let (asked, computed) = (history.asked(), history.computed());
    let paused = history.pause().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { past(&app, 5, 2026).await })
        })
        .collect();
    // All eight wait for the one computation, which waits for the permit.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while history.asked() < asked + 8 {
        assert!(std::time::Instant::now() < deadline, "the requests arrive");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(paused);
    let mut bodies = Vec::new();
    for task in tasks {
        let (status, _, body) = task.await.unwrap();
        assert_eq!(status, 200, "{body}");
        bodies.push(body);
    }
    assert_eq!(
        history.computed(),
        computed + 1,
        "one computation for all eight"
    );
    assert!(bodies.iter().all(|d| *d == bodies[0]), "the same document");
    assert_eq!(bodies[0]["rev"], 5);
    // Asked again: from the cache, the same bytes.
    let again = past(&app, 5, 2026).await;
    assert_eq!(again.2, bodies[0]);
    assert_eq!(history.computed(), computed + 1, "from the cache");
}

async fn documents_from_checkpoints_and_the_cache_equal_those_computed_from_zero(b: Backend) {
    let app = spawn_app(b).await;
    for m in MEMBERS {
        send(
            &app,
            "PUT",
            &format!("/primers/{m}"),
            &primer(m, "draft", 3),
        )
        .await;
    }
    let mut rng = Rng(0xc4ec_4901);
    for step in 0..45 {
        let (method, path, body) = change(&mut rng, step);
        send(&app, method, &path, &body).await;
        if step % 15 == 14 {
            // A withdrawal: of the latest report not withdrawn yet.
            let listed = app.get("/actuals?limit=100").await.body;
            let id = listed
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["withdrawn"].is_null())
                .and_then(|a| a["id"].as_i64())
                .expect("a report to withdraw");
            let r = app
                .post(
                    &format!("/actuals/{id}/withdraw"),
                    &json!({"reason": "a test withdrawal"}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    }
    let top = app.store.current_rev().await.unwrap();
    let history = Arc::new(History::new(
        app.store.clone(),
        Settings {
            concurrency: 1,
            queue: 1000,
            cache_bytes: 16 << 20,
            checkpoint_every: 7,
        },
    ));
    // Newest first, then oldest first: each revision from the nearest checkpoint below it,
    // wherever the last one was made.
    let order: Vec<i64> = (0..=top).rev().chain(0..=top).collect();
    for &rev in &order {
        let zero = app.store.facts(Some(rev)).await.unwrap();
        let built = history.facts_at(rev).await.unwrap();
        if built != zero {
            // Which part differs, without printing both whole.
            let parts = [
                ("rev", built.rev == zero.rev),
                ("primers", built.primers == zero.primers),
                ("key_results", built.key_results == zero.key_results),
                ("actuals", built.actuals == zero.actuals),
                ("budgets", built.budgets == zero.budgets),
                ("recent", built.recent == zero.recent),
                ("links", built.links == zero.links),
            ];
            panic!("the facts as of {rev} differ: {parts:?}");
        }
    }
    let checkpoints = history.checkpoints();
    assert!(
        checkpoints.len() >= 3 && checkpoints.iter().all(|r| r % 7 == 0),
        "{checkpoints:?}"
    );
    for rev in 0..=top {
        for period in [2026, 2027] {
            let zero = full::compute(
                &app.store.facts(Some(rev)).await.unwrap(),
                period,
                String::new(),
            )
            .unwrap();
            let zero = comparable(serde_json::to_value(zero).unwrap());
            let doc = |bytes: bytes::Bytes| comparable(serde_json::from_slice(&bytes).unwrap());
            let first = history.document(rev, period).await.unwrap_or_else(refused);
            // Equal up to the last bits of a float: polars' roll-ups sum in an order of their
            // own, so two computations from zero can differ there too (seen: a member's score
            // 0.7373737373737373 and …375). The facts above are equal exactly.
            crate::dashboard::assert_same(
                &doc(first.clone()),
                &zero,
                &format!("rev {rev}, {period}, from a checkpoint"),
            );
            let computed = history.computed();
            let cached = history.document(rev, period).await.unwrap_or_else(refused);
            assert_eq!(history.computed(), computed, "rev {rev}: from the cache");
            assert_eq!(cached, first, "rev {rev}: the same bytes");
        }
    }
    app.stop().await;
}

fn refused(r: Refused) -> bytes::Bytes {
    panic!("refused: {r:?}")
}
