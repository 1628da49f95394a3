//! `GET /api/v1/live` with real WebSocket clients (tokio-tungstenite) against the real server.

use std::time::{Duration, Instant};

use apo_dashboard::analytics::document::{Op, apply};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::dashboard::{assert_same, comparable};
use crate::helpers::{Backend, TestApp, primer, spawn_app, spawn_with};
use crate::replay::{MEMBERS, Rng, change, send};

crate::on_both_backends!(
    a_snapshot_comes_first_then_a_patch_after_a_post,
    snapshot_and_patches_equal_the_dashboard_after_many_changes,
    changes_caught_up_together_come_one_patch_each,
    own_writes_reach_the_sockets_without_being_read_back,
    a_burst_of_own_writes_reaches_the_sockets_without_being_read_back,
    a_client_resumes_with_the_missed_patches_or_a_snapshot,
    the_period_switches_on_the_same_socket,
    a_client_s_pings_are_answered_whole_between_patches,
    heartbeats_carry_the_viewer_count,
    heartbeats_ride_along_with_patches_and_come_alone_when_none_flow,
);

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A live client that keeps the document as the protocol says a browser does.
pub struct Client {
    pub ws: Socket,
    pub doc: Value,
    pub rev: i64,
    /// Snapshots received so far.
    pub snapshots: usize,
}

pub async fn connect(app: &TestApp, query: &str) -> Client {
    let (ws, _) = tokio_tungstenite::connect_async(app.live_request(query))
        .await
        .expect("connects");
    Client {
        ws,
        doc: Value::Null,
        rev: -1,
        snapshots: 0,
    }
}

impl Client {
    /// The next JSON frame, skipping pings and heartbeats.
    pub async fn next(&mut self) -> Value {
        loop {
            let f = self.next_frame().await;
            if f["type"] != "heartbeat" {
                return f;
            }
        }
    }

    /// The next message of any kind, within 10 s.
    pub async fn next_message(&mut self) -> Message {
        tokio::time::timeout(Duration::from_secs(10), self.ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket is open")
            .expect("a well-formed frame")
    }

    /// The next JSON frame, heartbeats included, skipping pings.
    pub async fn next_frame(&mut self) -> Value {
        loop {
            match self.next_message().await {
                Message::Text(t) => return serde_json::from_str(&t).expect("JSON"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// Applies a snapshot or a patch (which must apply to the revision held); ignores other
    /// frames.
    pub fn take(&mut self, f: &Value) {
        match f["type"].as_str().unwrap() {
            "snapshot" => {
                self.snapshots += 1;
                self.rev = f["rev"].as_i64().unwrap();
                self.doc = f["data"].clone();
            }
            "patch" => {
                assert_eq!(f["base"].as_i64().unwrap(), self.rev, "patch chains: {f}");
                let ops: Vec<Op> = serde_json::from_value(f["ops"].clone()).unwrap();
                apply(&mut self.doc, &ops);
                self.rev = f["rev"].as_i64().unwrap();
            }
            _ => {}
        }
    }

    /// Reads frames, applying snapshots and patches, until the document is at `rev`.
    pub async fn until(&mut self, rev: i64) {
        while self.rev < rev {
            let f = self.next().await;
            self.take(&f);
        }
        assert_eq!(self.rev, rev);
    }

    /// Keeps reading (applying what comes, answering pings) for `d`: a client that stops
    /// reading for longer than the stall limit is held back by the server.
    pub async fn keep_reading(&mut self, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        while let Ok(msg) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if let Some(Ok(Message::Text(t))) = msg {
                self.take(&serde_json::from_str(&t).expect("JSON"));
            }
        }
    }

    /// Asserts that the document held equals `GET /dashboard` for `period`, once the server's
    /// document is at the store's revision.
    pub async fn assert_served(&self, app: &TestApp, period: i64, what: &str) {
        let served = app.dashboard_when_current(period).await;
        assert_same(&comparable(self.doc.clone()), &comparable(served), what);
    }

    /// Reads until the server's close frame; returns its code.
    pub async fn close_code(&mut self) -> u16 {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.ws.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return frame.expect("a close code").code.into();
                }
                Ok(Some(Ok(_))) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }
}

pub async fn post_report(app: &TestApp, kr: &str, value: f64) -> i64 {
    let r = app
        .post(
            "/actuals",
            &json!({"iso3": "VNM", "kr_code": kr, "year": 2026, "value": value}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["rev"].as_i64().unwrap()
}

/// Reports for Vietnam's key results `krs`, one write each, from another process (a store of
/// its own on the server's database), in a quick succession that this server hears of later:
/// their revisions.
pub async fn write_elsewhere(app: &TestApp, krs: &[&str]) -> Vec<i64> {
    let other = apo_dashboard::store::Store::open(&app.database_url)
        .await
        .unwrap();
    let mut revs = Vec::new();
    for (i, kr) in krs.iter().enumerate() {
        let report: apo_dashboard::model::ActualInput = serde_json::from_value(json!(
            {"iso3": "VNM", "kr_code": kr, "year": 2026, "value": 100 + i}
        ))
        .unwrap();
        let (_, change) = other
            .write(
                &apo_dashboard::records::Actor::service("another process"),
                move |w| {
                    Box::pin(async move {
                        w.append_actuals(&[report], apo_dashboard::store::Duplicates::Append)
                            .await
                    })
                },
            )
            .await
            .unwrap();
        revs.push(change.expect("a revision per write").rev);
    }
    other.close().await;
    revs
}

pub async fn with_primer(b: Backend) -> TestApp {
    with_primer_and(b, |_| {}).await
}

/// A server configured by `configure`, with Vietnam's draft primer (4 key results) in the
/// dashboard.
pub async fn with_primer_and(
    b: Backend,
    configure: impl FnOnce(&mut apo_dashboard::config::ServeConfig),
) -> TestApp {
    let app = spawn_with(b, configure).await;
    assert_eq!(
        app.put("/primers/VNM", &primer("VNM", "draft", 4))
            .await
            .status,
        200
    );
    app.dashboard_when_current(2026).await;
    app
}

async fn a_snapshot_comes_first_then_a_patch_after_a_post(b: Backend) {
    let app = with_primer(b).await;
    let mut c = connect(&app, "?period=2026").await;
    let first = c.next().await;
    assert_eq!(first["type"], "snapshot");
    assert_eq!(first["rev"], 1);
    assert_eq!(first["data"]["period"], 2026);
    assert_eq!(
        first["data"]["recent"][0]["summary"],
        "Vietnam drafted its primer: 4 key results"
    );
    c.rev = 1;
    c.doc = first["data"].clone();
    let rev = post_report(&app, "VNM-KR1", 105.0).await;
    let patch = c.next().await;
    assert_eq!(patch["type"], "patch", "{patch}");
    assert_eq!(
        (patch["base"].as_i64(), patch["rev"].as_i64()),
        (Some(1), Some(rev))
    );
    assert_eq!(patch["events"][0]["entity"], "actual");
    c.rev = 1;
    let ops: Vec<Op> = serde_json::from_value(patch["ops"].clone()).unwrap();
    apply(&mut c.doc, &ops);
    c.assert_served(&app, 2026, "snapshot + patch vs GET /dashboard")
        .await;
    app.stop().await;
}

async fn snapshot_and_patches_equal_the_dashboard_after_many_changes(b: Backend) {
    let app = spawn_app(b).await;
    // Two periods, each on its own socket, one of them connected before anything exists.
    let mut now = connect(&app, "?period=2026").await;
    let mut rng = Rng(0x11fe_2026_1123);
    for m in MEMBERS {
        send(
            &app,
            "PUT",
            &format!("/primers/{m}"),
            &primer(m, "draft", 3),
        )
        .await;
    }
    let mut next = connect(&app, "?period=2027").await;
    for step in 0..60 {
        let (method, path, body) = change(&mut rng, step);
        send(&app, method, &path, &body).await;
        // Changes land while the clients have unread frames, but both read often enough to
        // stay well inside the flow-control window (one that stops reading is held back and
        // resynchronised by snapshot: live_flow.rs).
        if step % 5 == 4 {
            let rev = app.store.current_rev().await.unwrap();
            now.until(rev).await;
            next.until(rev).await;
        }
    }
    let rev = app.store.current_rev().await.unwrap();
    for (client, period) in [(&mut now, 2026), (&mut next, 2027)] {
        client.until(rev).await;
        client
            .assert_served(
                &app,
                period,
                &format!("{period}: snapshot and patches vs GET /dashboard"),
            )
            .await;
        assert_eq!(
            client.snapshots, 1,
            "{period}: patches only after the snapshot"
        );
    }
    app.stop().await;
}

/// Changes the aggregator finds together (here another process's writes, which this server
/// hears of only at its next look at the revision, or by NOTIFY) still come as one patch each,
/// and each patch brings the client to exactly the document at its revision.
async fn changes_caught_up_together_come_one_patch_each(b: Backend) {
    let app = with_primer(b).await;
    let mut c = connect(&app, "?period=2026").await;
    c.until(1).await;
    let (_, updates_before) = app.aggregator.counts();
    let (_, database_reads) = app.feed.reads();
    let revs = write_elsewhere(
        &app,
        &["VNM-KR1", "VNM-KR2", "VNM-KR1", "VNM-KR3", "VNM-KR4"],
    )
    .await;
    let mut patches = Vec::new();
    while c.rev < *revs.last().unwrap() {
        let f = c.next().await;
        c.take(&f);
        if f["type"] != "patch" {
            continue;
        }
        patches.push(c.rev);
        let events: Vec<_> = f["events"].as_array().unwrap().iter().collect();
        assert_eq!(events.len(), 1, "one change per patch: {f}");
        assert_eq!(events[0]["rev"], c.rev);
        let then = app
            .get(&format!("/dashboard?period=2026&rev={}", c.rev))
            .await;
        assert_eq!(then.status, 200, "{}", then.body);
        assert_same(
            &comparable(c.doc.clone()),
            &comparable(then.body),
            &format!("after the patch to {}", c.rev),
        );
    }
    assert_eq!(patches, revs, "a patch per change, in order");
    assert!(
        app.feed.reads().1 > database_reads,
        "another process's writes are read from the database"
    );
    let (_, updates_after) = app.aggregator.counts();
    if b == Backend::Sqlite {
        // Nothing tells this server of another process's commit on SQLite: it finds them at its
        // next look, several at once, which is the case this test is about.
        assert!(
            ((updates_after - updates_before) as usize) < revs.len(),
            "{} updates for {} changes",
            updates_after - updates_before,
            revs.len()
        );
    }
    app.stop().await;
}

/// This server's own writes reach the aggregator from memory, not read back from the database,
/// a large one (an import's size) included, and the document they give equals one computed
/// from the database; a write this server did not publish (another process's) is read from
/// the log.
async fn own_writes_reach_the_sockets_without_being_read_back(b: Backend) {
    let app = with_primer(b).await;
    let mut c = connect(&app, "?period=2026").await;
    c.until(1).await;
    let (memory_before, database_before) = app.feed.reads();
    let mut rev = 0;
    for (kr, value) in [("VNM-KR1", 101.0), ("VNM-KR2", 55.0), ("VNM-KR1", 120.0)] {
        rev = post_report(&app, kr, value).await;
    }
    let batch = app
        .post(
            "/actuals",
            &json!([
                {"iso3": "VNM", "kr_code": "VNM-KR3", "year": 2026, "value": 7,
                 "reported_at": "2026-03-01T00:00:00Z"},
                {"iso3": "VNM", "kr_code": "VNM-KR3", "year": 2026, "value": 8,
                 "reported_at": "2026-02-01T00:00:00Z"},
            ]),
        )
        .await;
    assert_eq!(batch.status, 201, "{}", batch.body);
    rev = rev.max(batch.body["rev"].as_i64().unwrap());
    c.until(rev).await;
    let (memory_after, database_after) = app.feed.reads();
    assert!(memory_after > memory_before, "read from memory");
    assert_eq!(database_after, database_before, "nothing read back");
    let then = app.get(&format!("/dashboard?period=2026&rev={rev}")).await;
    assert_same(
        &comparable(c.doc.clone()),
        &comparable(then.body),
        "patches from memory vs the dashboard computed from the database",
    );
    // The later report of the batch (March) is the current one, whatever the order sent.
    assert_eq!(c.doc["key_results"]["VNM/VNM-KR3"]["actual"], 7.0);

    // A write of an import's size, published by this server, comes from memory too.
    let bulk = |kr: &str| -> Vec<apo_dashboard::model::ActualInput> {
        (0..6_000)
            .map(|i| {
                serde_json::from_value(json!(
                    {"iso3": "VNM", "kr_code": kr, "year": 2026, "value": i}
                ))
                .unwrap()
            })
            .collect()
    };
    fn append(
        rows: Vec<apo_dashboard::model::ActualInput>,
    ) -> impl for<'a> FnOnce(
        &'a mut apo_dashboard::store::Write,
    ) -> futures_util::future::BoxFuture<
        'a,
        apo_dashboard::error::Result<usize>,
    > + Send
    + 'static {
        move |w| {
            Box::pin(async move {
                w.append_actuals(&rows, apo_dashboard::store::Duplicates::Append)
                    .await
            })
        }
    }
    let (_, published) = app
        .feed
        .write(
            &apo_dashboard::records::Actor::service("import"),
            append(bulk("VNM-KR4")),
        )
        .await
        .unwrap();
    let published = published.unwrap().rev;
    c.until(published).await;
    assert_eq!(
        app.feed.reads(),
        (memory_after + 1, database_after),
        "a published import is applied from memory"
    );
    // The same written by another process on this database is found at the next look at the
    // revision (or heard of) and read from the log.
    let other = apo_dashboard::store::Store::open(&app.database_url)
        .await
        .unwrap();
    let (_, unpublished) = other
        .write(
            &apo_dashboard::records::Actor::service("import"),
            append(bulk("VNM-KR3")),
        )
        .await
        .unwrap();
    other.close().await;
    let unpublished = unpublished.unwrap().rev;
    c.until(unpublished).await;
    assert_eq!(
        app.feed.reads().1,
        database_after + 1,
        "another process's write is read from the log"
    );
    let then = app
        .get(&format!("/dashboard?period=2026&rev={unpublished}"))
        .await;
    assert_same(
        &comparable(c.doc.clone()),
        &comparable(then.body),
        "after an import read from the log",
    );
    app.stop().await;
}

/// Under sustained ingest the aggregator falls hundreds of revisions behind (a group commit
/// brings up to 64 at once, and it waits out its coalescing window): this server's own writes
/// still reach it from memory, however many arrive while it works, and the document they give
/// equals one computed from the database.
async fn a_burst_of_own_writes_reaches_the_sockets_without_being_read_back(b: Backend) {
    const WRITERS: usize = 64;
    const EACH: usize = 20;
    let app = with_primer(b).await;
    let mut c = connect(&app, "?period=2026").await;
    c.until(1).await;
    let (memory_before, database_before) = app.feed.reads();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let feed = app.feed.clone();
            tokio::spawn(async move {
                let mut last = 0;
                for i in 0..EACH {
                    let report: apo_dashboard::model::ActualInput = serde_json::from_value(json!(
                        {"iso3": "VNM", "kr_code": format!("VNM-KR{}", 1 + (w + i) % 4),
                         "year": 2026, "value": w * EACH + i}
                    ))
                    .unwrap();
                    let (_, change) = feed
                        .append_reports(
                            &apo_dashboard::records::Actor::service("burst"),
                            vec![report],
                        )
                        .await
                        .unwrap();
                    last = last.max(change.expect("a revision per report").rev);
                }
                last
            })
        })
        .collect();
    let mut rev = 0;
    for w in writers {
        rev = rev.max(w.await.unwrap());
    }
    let (_, database_after_writes) = app.feed.reads();
    assert_eq!(
        database_after_writes, database_before,
        "nothing read back while the burst ran"
    );
    c.until(rev).await;
    let (memory_after, database_after) = app.feed.reads();
    assert!(memory_after > memory_before, "read from memory");
    assert_eq!(
        database_after,
        database_before,
        "{} own revisions, none read back from the log",
        WRITERS * EACH
    );
    let then = app.get(&format!("/dashboard?period=2026&rev={rev}")).await;
    assert_eq!(then.status, 200, "{}", then.body);
    assert_same(
        &comparable(c.doc.clone()),
        &comparable(then.body),
        "after a burst applied from memory",
    );
    app.stop().await;
}

async fn a_client_resumes_with_the_missed_patches_or_a_snapshot(b: Backend) {
    let app = with_primer(b).await;
    let mut c = connect(&app, "").await;
    c.until(1).await;
    post_report(&app, "VNM-KR1", 101.0).await;
    c.until(app.store.current_rev().await.unwrap()).await;
    let (held, doc) = (c.rev, c.doc.clone());
    drop(c);
    for v in [102.0, 103.0, 104.0] {
        post_report(&app, "VNM-KR2", v).await;
    }
    let rev = app.store.current_rev().await.unwrap();
    app.dashboard_when_current(2026).await;
    // Reconnecting with ?since: only patches, chained from the held revision.
    let mut r = connect(&app, &format!("?since={held}")).await;
    let first = r.next().await;
    assert_eq!(first["type"], "patch", "{first}");
    assert_eq!(first["base"].as_i64(), Some(held));
    r.doc = doc;
    r.rev = held;
    let ops: Vec<Op> = serde_json::from_value(first["ops"].clone()).unwrap();
    apply(&mut r.doc, &ops);
    r.rev = first["rev"].as_i64().unwrap();
    r.until(rev).await;
    r.assert_served(&app, 2026, "resumed copy").await;
    // The ring holds every patch since the server started: a resume from 0 is patches.
    r.send(json!({"type": "resume", "since": 0})).await;
    let again = r.next().await;
    assert_eq!(
        (again["type"].as_str(), again["base"].as_i64()),
        (Some("patch"), Some(0))
    );
    // A long absence: more missed patches than one write takes (66 frames) are replayed
    // whole, over several writes, and chain.
    let (held, doc) = (r.rev, r.doc.clone());
    drop(r);
    for i in 0..80 {
        post_report(&app, "VNM-KR3", 200.0 + f64::from(i)).await;
        // One revision, and so one patch, each.
        app.dashboard_when_current(2026).await;
    }
    let last = app.store.current_rev().await.unwrap();
    assert!(last - held >= 80, "{held}..{last}");
    let mut r = connect(&app, &format!("?since={held}")).await;
    (r.doc, r.rev) = (doc, held);
    r.until(last).await;
    assert_eq!(r.snapshots, 0, "patches only");
    r.assert_served(&app, 2026, "copy resumed after 80 patches")
        .await;
    let rev = last;
    // A revision the ring cannot bridge (here, one not reached yet) gets a snapshot.
    let mut s = connect(&app, &format!("?since={}", rev + 1000)).await;
    let snap = s.next().await;
    assert_eq!(
        (snap["type"].as_str(), snap["rev"].as_i64()),
        (Some("snapshot"), Some(rev))
    );
    app.stop().await;
}

async fn the_period_switches_on_the_same_socket(b: Backend) {
    let app = with_primer(b).await;
    let mut c = connect(&app, "?period=2026").await;
    assert_eq!(c.next().await["data"]["period"], 2026);
    c.send(json!({"type": "period", "period": 2027})).await;
    let s = c.next().await;
    assert_eq!(
        (s["type"].as_str(), s["data"]["period"].as_i64()),
        (Some("snapshot"), Some(2027))
    );
    // A heartbeat with it (the new period's beats keep their own time).
    let beat = c.next_frame().await;
    assert_eq!(
        (beat["type"].as_str(), beat["viewers"].as_i64()),
        (Some("heartbeat"), Some(1)),
        "{beat}"
    );
    c.send(json!({"type": "period", "period": 2031})).await;
    let e = c.next().await;
    assert_eq!(
        (e["type"].as_str(), e["field"].as_str()),
        (Some("error"), Some("period"))
    );
    app.stop().await;
}

/// The server's answers to a client's pings go out on the same connection as the patches,
/// written by different tasks: each answer comes whole, in order, with its payload, and the
/// patches around them still chain to the served document.
async fn a_client_s_pings_are_answered_whole_between_patches(b: Backend) {
    const PINGS: usize = 200;
    let app = with_primer(b).await;
    let mut c = connect(&app, "").await;
    c.until(1).await;
    let payload = |k: usize| format!("ping {k:04} {}", "x".repeat(90)).into_bytes();
    let posting = async {
        let mut last = 0;
        for i in 0..40 {
            last = post_report(&app, &format!("VNM-KR{}", i % 4 + 1), 300.0 + i as f64).await;
        }
        last
    };
    let mut pongs = Vec::new();
    let pinging = async {
        let mut sent = 0;
        while pongs.len() < PINGS {
            if sent < PINGS {
                c.ws.send(Message::Ping(payload(sent).into()))
                    .await
                    .unwrap();
                sent += 1;
            }
            match c.next_message().await {
                Message::Text(t) => c.take(&serde_json::from_str(&t).expect("JSON")),
                Message::Pong(p) => pongs.push(p),
                Message::Ping(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    let (last, ()) = tokio::join!(posting, pinging);
    for (k, pong) in pongs.iter().enumerate() {
        assert_eq!(pong[..], payload(k)[..], "pong {k}");
    }
    c.until(last).await;
    c.assert_served(&app, 2026, "patches around the pongs")
        .await;
    app.stop().await;
}

async fn heartbeats_carry_the_viewer_count(b: Backend) {
    let app = spawn_with(b, |c| c.heartbeat_secs = 1).await;
    // One comes right after the snapshot, with the count then.
    let mut a = connect(&app, "").await;
    assert_eq!(a.next_frame().await["type"], "snapshot");
    let first = a.next_frame().await;
    assert_eq!(
        (first["type"].as_str(), first["viewers"].as_i64()),
        (Some("heartbeat"), Some(1)),
        "{first}"
    );
    let mut b = connect(&app, "").await;
    assert_eq!(b.next_frame().await["type"], "snapshot");
    assert_eq!(b.next_frame().await["viewers"], 2);
    // Then one a second (here) on every socket; the first may have left before b joined.
    let mut beats = Vec::new();
    for _ in 0..2 {
        let beat = a.next_frame().await;
        assert_eq!(beat["type"], "heartbeat", "{beat}");
        beats.push(beat["viewers"].as_i64().unwrap());
    }
    assert_eq!(beats.last(), Some(&2), "{beats:?}");
    app.stop().await;
}

/// While patches flow, each heartbeat is carried by a patch (written with it, straight after
/// it, at its revision) rather than sent to every socket at a moment of its own, and beats
/// stay at most an interval apart; when no patches come, they come on their own.
///
/// "Flow" is measured, not assumed: a beat goes alone when three quarters of the interval
/// passed since the last and no patch came in the quarter before, so a report that took a
/// quarter of the interval to be answered (a busy machine's fsync) earns one. Each such stall
/// of the flow, seen at the socket, allows one beat alone; in a flow without one, none.
async fn heartbeats_ride_along_with_patches_and_come_alone_when_none_flow(b: Backend) {
    let app = with_primer_and(b, |c| c.heartbeat_secs = 1).await;
    let mut c = connect(&app, "").await;
    let f = c.next().await;
    c.take(&f);
    // From just after a beat of the hub's own (not the one sent on connecting): the next is
    // due an interval on, so none can slip in before the reports start.
    let before = app.hub.beats_alone();
    while !(c.next_frame().await["type"] == "heartbeat" && app.hub.beats_alone() > before) {}
    let (alone, carried) = (app.hub.beats_alone(), app.hub.beats_carried());
    // About 3 s of reports, one every 100 ms or so.
    let start = Instant::now();
    let mut frames: Vec<(Value, Instant)> = Vec::new();
    let mut i = 0;
    while start.elapsed() < Duration::from_secs(3) {
        let rev = post_report(&app, "VNM-KR1", 100.0 + f64::from(i % 50)).await;
        i += 1;
        while c.rev < rev {
            let f = c.next_frame().await;
            c.take(&f);
            frames.push((f, Instant::now()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let flowed = app.hub.beats_carried() - carried;
    let alone_in_flow = app.hub.beats_alone() - alone;
    // Gaps between patches at the socket (from the beat before the first), against a quarter
    // of the interval less 50 ms for the socket's own delays.
    let mut gaps = Vec::new();
    let mut last = start;
    for (f, at) in &frames {
        if f["type"] == "patch" {
            gaps.push(*at - last);
            last = *at;
        }
    }
    let stalls = gaps
        .iter()
        .filter(|g| **g >= Duration::from_millis(200))
        .count();
    eprintln!(
        "{} patches, the longest gap {:?}, {stalls} stalls; {flowed} beats carried, \
         {alone_in_flow} alone",
        gaps.len(),
        gaps.iter().max()
    );
    assert!(
        alone_in_flow <= stalls,
        "{alone_in_flow} beats on their own while patches flowed, with {stalls} stalls of \
         the flow: {gaps:?}"
    );
    assert!(
        flowed + alone_in_flow >= 3,
        "{flowed} beats carried and {alone_in_flow} alone in 3 s at 1 s intervals"
    );
    // The beats of the flow, read so far or still to read: each carried one straight after
    // its patch, at its revision (with no stall, every one).
    let mut beats = Vec::new();
    let mut after_patch = 0;
    let mut read = frames.into_iter();
    let mut previous: Option<Value> = None;
    while beats.len() < flowed + alone_in_flow {
        let (f, at) = match read.next() {
            Some(x) => x,
            None => (c.next_frame().await, Instant::now()),
        };
        if f["type"] == "heartbeat" {
            let p = previous.as_ref().expect("a patch before the beat");
            if p["type"] == "patch" && p["rev"] == f["rev"] {
                after_patch += 1;
            }
            beats.push(at);
        }
        previous = Some(f);
    }
    assert!(
        after_patch >= flowed,
        "{after_patch} of {} beats straight after their patch, {flowed} carried",
        beats.len()
    );
    for w in beats.windows(2) {
        let gap = w[1] - w[0];
        assert!(gap <= Duration::from_millis(1_300), "beats {gap:?} apart");
    }
    // No patches now: the next beat comes on its own, within the interval.
    let quiet = Instant::now();
    let f = c.next_frame().await;
    assert_eq!(f["type"], "heartbeat", "{f}");
    assert!(
        quiet.elapsed() <= Duration::from_millis(1_300),
        "{:?}",
        quiet.elapsed()
    );
    assert_eq!(app.hub.beats_alone(), alone + alone_in_flow + 1);
    app.stop().await;
}
