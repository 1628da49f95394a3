//! The HTTP edge under floods and slow clients (issue 19): a flood of idle connections past
//! the cap leaves `/healthz` answering, half a header is cut off after the header timeout, an
//! idle kept-alive connection after the idle timeout, a slow request is stopped with a JSON
//! 503, and `/metrics` shows the cap and what was closed. Plain TCP sockets, so that each
//! byte sent is the test's choice.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp, spawn_with};

crate::on_both_backends!(
    a_flood_of_idle_connections_past_the_cap_leaves_healthz_answering,
    half_a_header_is_cut_off_after_the_header_timeout,
    an_idle_kept_alive_connection_is_closed_after_the_idle_timeout_and_not_before,
    a_request_past_the_request_timeout_is_answered_503_in_json,
);

/// The generous bound for anything that should happen "soon".
const SOON: Duration = Duration::from_secs(20);

fn addr(app: &TestApp) -> SocketAddr {
    app.base
        .trim_start_matches("http://")
        .parse()
        .expect("the base URL is an address")
}

/// One request on a connection of its own (`Connection: close`): the status and the body.
async fn request(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut tcp = TcpStream::connect(addr).await?;
    let auth = token.map_or(String::new(), |t| format!("authorization: Bearer {t}\r\n"));
    tcp.write_all(
        format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\n{auth}connection: close\r\n\r\n")
            .as_bytes(),
    )
    .await?;
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).await?;
    parse(&raw)
}

fn parse(raw: &[u8]) -> std::io::Result<(u16, String)> {
    let text = String::from_utf8_lossy(raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {text:?}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}

/// A sample of `/metrics`: the value of the line that starts with `series ` (name and labels).
async fn metric(app: &TestApp, series: &str) -> f64 {
    let (status, body) = request(addr(app), "/metrics", Some(&app.token))
        .await
        .expect("/metrics answers");
    assert_eq!(status, 200, "{body}");
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in /metrics:\n{body}"))
        .trim()
        .parse()
        .expect("a number")
}

/// Whether the server has closed `tcp` by the time `within` has passed (reading nothing).
async fn closed_within(tcp: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    match tokio::time::timeout(within, tcp.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(n)) => panic!(
            "the server sent {:?} on a connection it should close silently",
            String::from_utf8_lossy(&buf[..n])
        ),
        Err(_) => false,
    }
}

async fn a_flood_of_idle_connections_past_the_cap_leaves_healthz_answering(b: Backend) {
    const CAP: u64 = 200;
    const FLOOD: usize = 400;
    let app = spawn_with(b, |c| c.max_http_connections = Some(CAP)).await;
    let at = addr(&app);
    assert_eq!(metric(&app, "apo_http_connections_max").await, CAP as f64);
    assert!(metric(&app, r#"apo_descriptor_limit{kind="soft"}"#).await >= CAP as f64);

    // Asks /healthz over and over, each time on a new connection, while the flood comes.
    let stop = Arc::new(AtomicBool::new(false));
    let (answered, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let prober = {
        let (stop, answered, failed) = (stop.clone(), answered.clone(), failed.clone());
        tokio::spawn(async move {
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match tokio::time::timeout(SOON, request(at, "/healthz", None)).await {
                    Ok(Ok((200, _))) => {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    other => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        failures.push(format!("{other:?}"));
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            failures
        })
    };

    let mut flood = Vec::with_capacity(FLOOD);
    for batch in 0..FLOOD / 50 {
        for _ in 0..50 {
            flood.push(TcpStream::connect(at).await.expect("connect"));
        }
        // Between batches, /healthz is asked here too, so that some asks come when the cap is
        // certainly full.
        let (status, body) = request(at, "/healthz", None).await.expect("/healthz");
        assert_eq!(status, 200, "batch {batch}: {body}");
        answered.fetch_add(1, Ordering::Relaxed);
    }
    // Let the prober ask a few more times with the cap full of idle connections.
    let more = answered.load(Ordering::Relaxed) + 5;
    let started = Instant::now();
    while answered.load(Ordering::Relaxed) < more && started.elapsed() < SOON {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let failures = prober.await.expect("the prober");
    assert!(
        failures.is_empty(),
        "/healthz failed {} times during the flood: {failures:?}",
        failed.load(Ordering::Relaxed)
    );
    assert!(answered.load(Ordering::Relaxed) >= 13);

    // Room was made by closing the connections idle the longest: the first of the flood is
    // closed, the last is not.
    assert!(
        closed_within(&mut flood[0], SOON).await,
        "the oldest idle connection is still open"
    );
    assert!(
        !closed_within(
            flood.last_mut().expect("a flood"),
            Duration::from_millis(300)
        )
        .await,
        "the newest connection was closed"
    );
    let evicted = metric(
        &app,
        r#"apo_http_connections_closed_total{reason="evicted"}"#,
    )
    .await;
    assert!(
        evicted >= (FLOOD as u64 - CAP) as f64,
        "{evicted} connections evicted for {FLOOD} opened under a cap of {CAP}"
    );
    let open = metric(&app, "apo_http_connections_open").await;
    assert!(
        open <= (CAP + 64) as f64,
        "{open} connections open under a cap of {CAP}"
    );
    assert_eq!(
        metric(
            &app,
            r#"apo_http_connections_closed_total{reason="refused"}"#
        )
        .await,
        0.0,
        "nobody was refused: there was always an idle connection to close"
    );
    drop(flood);
    app.stop().await;
}

async fn half_a_header_is_cut_off_after_the_header_timeout(b: Backend) {
    let app = spawn_with(b, |c| c.header_timeout_secs = 1).await;
    let at = addr(&app);
    let started = Instant::now();
    let mut half = TcpStream::connect(at).await.expect("connect");
    half.write_all(format!("GET /healthz HTTP/1.1\r\nhost: {at}\r\nx-slow: ").as_bytes())
        .await
        .expect("half a header");
    let mut silent = TcpStream::connect(at).await.expect("connect");
    assert!(
        closed_within(&mut half, SOON).await,
        "half a header was held open"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed before the header timeout: {:?}",
        started.elapsed()
    );
    assert!(
        closed_within(&mut silent, SOON).await,
        "a connection that sent nothing was held open"
    );
    // A client that sends its headers in time is answered.
    let (status, _) = request(at, "/healthz", None).await.expect("/healthz");
    assert_eq!(status, 200);
    assert!(
        metric(
            &app,
            r#"apo_http_connections_closed_total{reason="header_timeout"}"#
        )
        .await
            >= 2.0
    );
    app.stop().await;
}

async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout_and_not_before(b: Backend) {
    let app = spawn_with(b, |c| {
        c.header_timeout_secs = 1;
        c.idle_timeout_secs = 4;
    })
    .await;
    let at = addr(&app);
    let mut tcp = TcpStream::connect(at).await.expect("connect");
    let ask = format!("GET /healthz HTTP/1.1\r\nhost: {at}\r\n\r\n");
    for round in 0..2 {
        tcp.write_all(ask.as_bytes()).await.expect("a request");
        let (status, body) = read_answer(&mut tcp).await;
        assert_eq!(status, 200, "round {round}: {body}");
        // Idle for twice the header timeout: a kept-alive connection idles on the idle
        // timeout, so it is still there for the next request.
        if round == 0 {
            assert!(
                !closed_within(&mut tcp, Duration::from_secs(2)).await,
                "a kept-alive connection was closed after the header timeout"
            );
        }
    }
    let idle = Instant::now();
    assert!(
        closed_within(&mut tcp, SOON).await,
        "an idle kept-alive connection stayed open"
    );
    assert!(
        idle.elapsed() >= Duration::from_millis(3900),
        "closed before the idle timeout: {:?}",
        idle.elapsed()
    );
    assert!(
        metric(
            &app,
            r#"apo_http_connections_closed_total{reason="idle_timeout"}"#
        )
        .await
            >= 1.0
    );
    app.stop().await;
}

/// Reads one answer with a `content-length` from a kept-alive connection.
async fn read_answer(tcp: &mut TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(SOON, tcp.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(
            n > 0,
            "closed before answering: {:?}",
            String::from_utf8_lossy(&raw)
        );
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("a content-length");
            if body.len() >= length {
                return parse(&raw).expect("an HTTP answer");
            }
        }
    }
}

async fn a_request_past_the_request_timeout_is_answered_503_in_json(b: Backend) {
    let app = spawn_with(b, |c| c.request_timeout_secs = 1).await;
    let at = addr(&app);
    // A body announced and never sent: the handler waits for it until the request timeout.
    let mut tcp = TcpStream::connect(at).await.expect("connect");
    tcp.write_all(
        format!(
            "POST /api/v1/actuals HTTP/1.1\r\nhost: {at}\r\nauthorization: Bearer {}\r\n\
             content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"iso3\":",
            app.token
        )
        .as_bytes(),
    )
    .await
    .expect("half a request");
    let started = Instant::now();
    let (status, body) = read_answer(&mut tcp).await;
    assert_eq!(status, 503, "{body}");
    assert!(started.elapsed() >= Duration::from_millis(900));
    let body: Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(body["error"]["code"], "timeout", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1 s"))
    );
    assert!(body["error"]["details"].is_array());
    assert_eq!(metric(&app, "apo_http_requests_timed_out_total").await, 1.0);
    // The live endpoint still upgrades, and its socket outlives the request timeout.
    let (mut ws, _) = tokio_tungstenite::connect_async(app.live_request(""))
        .await
        .expect("the live socket opens");
    use futures_util::{SinkExt, StreamExt};
    let first = tokio::time::timeout(SOON, ws.next())
        .await
        .expect("a snapshot in time")
        .expect("a frame")
        .expect("a good frame");
    assert!(first.to_text().expect("text").contains("snapshot"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    ws.send(tokio_tungstenite::tungstenite::Message::Ping(
        vec![1].into(),
    ))
    .await
    .expect("a ping");
    let pong = tokio::time::timeout(SOON, async {
        while let Some(frame) = ws.next().await {
            if frame.as_ref().is_ok_and(|f| f.is_pong()) {
                return true;
            }
        }
        false
    })
    .await
    .expect("a pong in time");
    assert!(pong, "the live socket closed after the request timeout");
    app.stop().await;
}
