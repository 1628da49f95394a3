//! The database out of reach (issue 19, point 3): PostgreSQL behind a TCP proxy the test
//! controls, cut (every open connection dropped, new ones held unanswered) and restored. The
//! server must answer what needs the database with 503 and `Retry-After` within a couple of
//! seconds, say so at once on `/readyz`, keep serving the dashboard from memory marked stale,
//! tell its live sockets in a heartbeat, and afterwards take writes again, lose nothing
//! acknowledged, and bring the sockets up to date with what was written meanwhile elsewhere.
//! On SQLite (a local file) the store stays up and `/readyz` answers at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use apo_dashboard::analytics::document::{Op, apply};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::dashboard::{assert_same, comparable};
use crate::helpers::{Backend, TestApp, postgres_admin_url};
use crate::live::{connect, post_report, with_primer_and, write_elsewhere};

/// Generous bound on the time to a 503 with the database away (the target is 2 s; before
/// issue 19 it was 10 s and the answer was a 500).
const FAST: Duration = Duration::from_secs(4);

/// A TCP proxy in front of PostgreSQL that the test can cut and restore.
struct Proxy {
    port: u16,
    up: Arc<watch::Sender<bool>>,
}

impl Proxy {
    /// Listens on an ephemeral port of 127.0.0.1 and forwards to the test's PostgreSQL.
    async fn start() -> Self {
        let target = postgres_addr();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let up = Arc::new(watch::channel(true).0);
        let state = up.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let mut state = state.subscribe();
                let target = target.clone();
                tokio::spawn(async move {
                    if !*state.borrow_and_update() {
                        // Cut: the connection is accepted and never answered (a black hole),
                        // until the proxy is restored; then it is closed.
                        let _ = state.wait_for(|up| *up).await;
                        drop(inbound);
                        return;
                    }
                    let Ok(outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut a, mut b) = (inbound, outbound);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut a, &mut b) => {}
                        // Cut: both ends are dropped, as a failed network drops them.
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { port, up }
    }

    /// Drops every open connection and holds new ones unanswered.
    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
    }

    /// `url` (a database on the test's PostgreSQL) reached through the proxy.
    fn url(&self, url: &str) -> String {
        let target = postgres_addr();
        assert!(url.contains(&target), "{url} is not on {target}");
        url.replacen(&target, &format!("127.0.0.1:{}", self.port), 1)
    }
}

/// host:port of the test's PostgreSQL, as its URL names it.
fn postgres_addr() -> String {
    let admin = postgres_admin_url();
    let rest = admin.split_once('@').map_or(admin.as_str(), |(_, r)| r);
    let rest = rest.strip_prefix("postgres://").unwrap_or(rest);
    rest.split('/').next().expect("host:port").to_owned()
}

/// A request's status, its `Retry-After` and `X-Data-Stale-Since` headers, its JSON body, and
/// how long the answer took.
struct Timed {
    status: u16,
    retry_after: Option<String>,
    stale_since: Option<String>,
    body: Value,
    took: Duration,
}

async fn timed(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> Timed {
    let started = Instant::now();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app.client.request(method, app.url(path));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("an answer");
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().expect("ASCII").to_owned())
    };
    let (retry_after, stale_since) = (header("retry-after"), header("x-data-stale-since"));
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("a body");
    Timed {
        status,
        retry_after,
        stale_since,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        took: started.elapsed(),
    }
}

fn report(kr: &str, value: f64) -> Value {
    json!({"iso3": "VNM", "kr_code": kr, "year": 2026, "value": value})
}

/// Asserts the answer of something that needs the database while it is away: 503, the JSON
/// error body, `Retry-After`, within [`FAST`].
fn assert_unavailable(t: &Timed, what: &str) {
    assert_eq!(t.status, 503, "{what}: {}", t.body);
    assert_eq!(t.body["error"]["code"], "unavailable", "{what}: {}", t.body);
    assert!(
        t.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("database")),
        "{what}: {}",
        t.body
    );
    assert!(t.retry_after.is_some(), "{what}: no Retry-After");
    assert!(t.took < FAST, "{what} took {:?}", t.took);
}

/// A live socket read all the time by a task of its own (so that it answers the server's
/// pings while the test does other things), its frames handed over as they come.
struct Follower {
    frames: mpsc::UnboundedReceiver<Value>,
    doc: Value,
    rev: i64,
}

impl Follower {
    async fn start(app: &TestApp) -> Self {
        let mut ws = connect(app, "?period=2026").await.ws;
        let (tx, frames) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                match msg {
                    Message::Text(t)
                        if tx.send(serde_json::from_str(&t).expect("JSON")).is_err() =>
                    {
                        return;
                    }
                    // Told to the test, which fails if it was still reading (the shutdown at
                    // the end closes it too).
                    Message::Close(c) => {
                        let _ = tx.send(json!({"type": "closed", "frame": format!("{c:?}")}));
                        return;
                    }
                    _ => {}
                }
            }
        });
        Self {
            frames,
            doc: Value::Null,
            rev: -1,
        }
    }

    /// The next frame within 10 s, applied if it is a snapshot or a patch.
    async fn next(&mut self) -> Value {
        let f = tokio::time::timeout(Duration::from_secs(10), self.frames.recv())
            .await
            .expect("a frame within 10 s")
            .expect("the socket is open");
        match f["type"].as_str() {
            Some("closed") => panic!("the server closed the socket: {}", f["frame"]),
            Some("snapshot") => {
                self.rev = f["rev"].as_i64().unwrap();
                self.doc = f["data"].clone();
            }
            Some("patch") => {
                assert_eq!(f["base"].as_i64().unwrap(), self.rev, "patch chains: {f}");
                let ops: Vec<Op> = serde_json::from_value(f["ops"].clone()).unwrap();
                apply(&mut self.doc, &ops);
                self.rev = f["rev"].as_i64().unwrap();
            }
            _ => {}
        }
        f
    }

    /// Reads until the document is at `rev`.
    async fn until(&mut self, rev: i64) {
        while self.rev < rev {
            self.next().await;
        }
        assert_eq!(self.rev, rev);
    }

    /// Reads until a heartbeat whose store is `state`; returns it.
    async fn heartbeat_saying(&mut self, state: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            assert!(
                Instant::now() < deadline,
                "no heartbeat saying the store is {state} within 10 s"
            );
            let f = self.next().await;
            if f["type"] == "heartbeat" && f["store"]["state"] == state {
                return f;
            }
        }
    }
}

/// The whole outage, on PostgreSQL through the proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_out_of_reach_answers_503_fast_serves_memory_marked_stale_and_recovers() {
    let proxy = Proxy::start().await;
    let app = with_primer_and(Backend::Postgres, |c| {
        c.database.url = proxy.url(&c.database.url);
        c.heartbeat_secs = 1;
    })
    .await;
    // Application::build is to wire this (a line asked of src/startup.rs); until it does, the
    // test wires the hub to the store itself. A second call changes nothing.
    app.hub.watch_store(app.store.health());

    // Acknowledged before the outage.
    let mut acknowledged = Vec::new();
    for (i, kr) in ["VNM-KR1", "VNM-KR2", "VNM-KR3"].iter().enumerate() {
        let value = 200.0 + i as f64;
        acknowledged.push((post_report(&app, kr, value).await, value));
    }
    let mut ws = Follower::start(&app).await;
    let before = acknowledged.last().unwrap().0;
    ws.until(before).await;
    assert_eq!(app.get("/readyz").await.status, 200);

    proxy.cut();

    // A write: 503, fast (the pool's acquire timeout, or at once once the probe has seen it).
    let write = timed(&app, "POST", "/actuals", Some(report("VNM-KR4", 1.0))).await;
    assert_unavailable(&write, "a write");
    eprintln!(
        "outage: first write answered {} in {:?}",
        write.status, write.took
    );

    // /readyz says so at once (from the store's state: the probe's or the write's finding).
    let deadline = Instant::now() + Duration::from_secs(5);
    let ready = loop {
        let r = timed(&app, "GET", "/readyz", None).await;
        assert!(r.took < Duration::from_secs(1), "/readyz took {:?}", r.took);
        if r.status == 503 || Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_unavailable(&ready, "/readyz");
    assert!(ready.stale_since.is_some(), "/readyz says since when");
    eprintln!("outage: /readyz answered 503 in {:?}", ready.took);

    // Writes now fail at once, without waiting for the pool.
    let write = timed(&app, "POST", "/actuals", Some(report("VNM-KR4", 2.0))).await;
    assert_unavailable(&write, "a write while down");
    eprintln!(
        "outage: a write while down answered 503 in {:?}",
        write.took
    );

    // A read that needs the database.
    let read = timed(&app, "GET", "/actuals?iso3=VNM", None).await;
    assert_unavailable(&read, "a database read");
    eprintln!("outage: a database read answered 503 in {:?}", read.took);

    // The dashboard, from memory: 200, marked stale since the outage began.
    let doc = timed(&app, "GET", "/dashboard?period=2026", None).await;
    assert_eq!(doc.status, 200, "{}", doc.body);
    assert_eq!(doc.body["rev"], before);
    let stale = doc
        .stale_since
        .expect("X-Data-Stale-Since while the store is down");
    assert!(
        time::OffsetDateTime::parse(&stale, &time::format_description::well_known::Rfc3339).is_ok(),
        "{stale}"
    );

    // The live socket is told.
    let beat = ws.heartbeat_saying("down").await;
    assert_eq!(beat["store"]["since"], stale.as_str(), "{beat}");
    assert_eq!(beat["rev"], before);

    // /metrics says so.
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("\napo_store_up 0\n"), "{metrics}");
    assert!(
        metrics.contains("\napo_store_outages_total 1\n"),
        "{metrics}"
    );

    // Meanwhile another process, which reaches the database, writes.
    let elsewhere = write_elsewhere(&app, &["VNM-KR4"]).await;

    proxy.restore();

    // Up again: the socket hears it, the readiness says so, writes go through.
    ws.heartbeat_saying("up").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.get("/readyz").await.status != 200 {
        assert!(Instant::now() < deadline, "/readyz not 200 within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = post_report(&app, "VNM-KR1", 300.0).await;
    acknowledged.push((after, 300.0));
    assert!(after > elsewhere[0]);

    // The socket catches up: the other process's write and this one, as patches.
    ws.until(after).await;
    let served = app.dashboard_when_current(2026).await;
    assert_same(
        &comparable(ws.doc.clone()),
        &comparable(served),
        "the socket after the outage",
    );
    let doc = timed(&app, "GET", "/dashboard?period=2026", None).await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.stale_since, None, "no stale marker once up");

    // Nothing acknowledged was lost, and nothing refused was written.
    let actuals = app.get("/actuals?iso3=VNM").await;
    assert_eq!(actuals.status, 200, "{}", actuals.body);
    let stored: Vec<(i64, f64)> = actuals
        .body
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| (a["rev"].as_i64().unwrap(), a["value"].as_f64().unwrap()))
        .collect();
    for ack in &acknowledged {
        assert!(stored.contains(ack), "{ack:?} lost: {stored:?}");
    }
    assert!(
        !stored.iter().any(|&(_, v)| v == 1.0 || v == 2.0),
        "a refused write was stored: {stored:?}"
    );

    // A second outage, nothing asked of the database meanwhile: the probe alone finds it, and
    // /readyz says so within its look (every second, each at most 1.5 s).
    let cut = Instant::now();
    proxy.cut();
    loop {
        let r = timed(&app, "GET", "/readyz", None).await;
        assert!(r.took < Duration::from_secs(1), "/readyz took {:?}", r.took);
        if r.status == 503 {
            break;
        }
        assert!(
            cut.elapsed() < FAST,
            "/readyz still 200 {:?} after the cut",
            cut.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "outage: /readyz said 503 {:?} after the cut, unprompted",
        cut.elapsed()
    );
    ws.heartbeat_saying("down").await;
    proxy.restore();
    ws.heartbeat_saying("up").await;
    let metrics = app.get("/metrics").await.body;
    assert!(
        metrics.as_str().is_some_and(
            |m| m.contains("\napo_store_outages_total 2\n") && m.contains("\napo_store_up 1\n")
        ),
        "{metrics}"
    );
    app.stop().await;
}

/// On SQLite the store stays up: `/readyz` answers at once with the store's state, heartbeats
/// say `up`, and the dashboard carries no stale marker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_stays_up_and_readyz_answers_at_once() {
    let app = with_primer_and(Backend::Sqlite, |c| c.heartbeat_secs = 1).await;
    app.hub.watch_store(app.store.health());
    let mut ws = Follower::start(&app).await;
    let ready = timed(&app, "GET", "/readyz", None).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.body["store"]["state"], "up");
    assert!(ready.took < Duration::from_secs(1), "{:?}", ready.took);
    ws.heartbeat_saying("up").await;
    let doc = timed(&app, "GET", "/dashboard?period=2026", None).await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.stale_since, None);
    // Stays up over a few of the probe's looks.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(app.store.health().state().is_up());
    app.stop().await;
}
