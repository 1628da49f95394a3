//! `apo-dashboard bench live`: a load generator for the live endpoint.
//!
//! Opens N WebSocket clients on a running server, posts M reports at R per second through the
//! API, and measures for every report the time from its *scheduled* send time (so that a
//! stalled server is not hidden by a stalled sender) to each client receiving a patch that
//! includes it. Prints one JSON line: latency percentiles, patch deliveries per second, and
//! the server's memory per connection (RSS growth ÷ N, when its PID is given).

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Clone, clap::Args)]
pub struct LiveBench {
    /// The server, e.g. http://127.0.0.1:8080 (it needs VNM-KR1, as in the demo data).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    #[arg(long, default_value_t = 100)]
    pub updates: usize,
    /// Reports posted per second.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// The server's process id, to read its memory (VmRSS) before and after connecting.
    #[arg(long)]
    pub server_pid: Option<u32>,
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Receive times of patches: (revision, when) per client.
type Arrivals = Arc<Mutex<Vec<Vec<(i64, Instant)>>>>;

pub async fn run(b: LiveBench) -> anyhow::Result<serde_json::Value> {
    let host = b
        .url
        .strip_prefix("http://")
        .context("the URL must be http://HOST:PORT")?
        .trim_end_matches('/')
        .to_owned();
    let before = b.server_pid.and_then(rss_kib);
    let arrivals: Arrivals = Arc::new(Mutex::new(vec![Vec::new(); b.clients]));
    let mut readers = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(b.clients.max(1));
    for i in 0..b.clients {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{host}/api/v1/live"))
            .await
            .with_context(|| format!("opening socket {i}"))?;
        let arrivals = arrivals.clone();
        let ready = ready_tx.clone();
        readers.push(tokio::spawn(async move {
            let mut ready = Some(ready);
            while let Some(Ok(msg)) = ws.next().await {
                let Message::Text(t) = msg else { continue };
                let now = Instant::now();
                match frame_kind(&t) {
                    Some(Kind::Snapshot) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(()).await;
                        }
                    }
                    Some(Kind::Patch(rev)) => {
                        arrivals.lock().expect("not poisoned")[i].push((rev, now));
                    }
                    None => {}
                }
            }
        }));
    }
    drop(ready_tx);
    for _ in 0..b.clients {
        ready_rx
            .recv()
            .await
            .context("a client closed before its snapshot")?;
    }
    let after = b.server_pid.and_then(rss_kib);

    // Post at scheduled times over one keep-alive connection.
    let mut http = TcpStream::connect(&host).await?;
    http.set_nodelay(true)?;
    let start = Instant::now();
    let mut sent: Vec<(i64, Instant)> = Vec::with_capacity(b.updates);
    for i in 0..b.updates {
        let scheduled = start + Duration::from_secs_f64(i as f64 / b.rate);
        tokio::time::sleep_until(scheduled.into()).await;
        let body = format!(
            r#"{{"iso3":"VNM","kr_code":"VNM-KR1","year":2026,"value":{}}}"#,
            100 + i % 50
        );
        let rev = post(&mut http, &host, &body).await?;
        sent.push((rev, scheduled));
    }
    let posting = start.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for r in &readers {
        r.abort();
    }

    let arrivals = arrivals.lock().expect("not poisoned");
    let mut latencies = Vec::with_capacity(b.updates * b.clients);
    let mut missing = 0usize;
    for client in arrivals.iter() {
        for (rev, scheduled) in &sent {
            // The first patch that includes this report (bursts may be coalesced into one).
            match client.iter().find(|(r, _)| r >= rev) {
                Some((_, at)) => latencies.push(at.duration_since(*scheduled).as_secs_f64() * 1e3),
                None => missing += 1,
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| -> Option<f64> {
        (!latencies.is_empty())
            .then(|| latencies[((latencies.len() - 1) as f64 * p).round() as usize])
    };
    let deliveries: usize = arrivals.iter().map(Vec::len).sum();
    Ok(serde_json::json!({
        "clients": b.clients,
        "updates": b.updates,
        "rate": b.rate,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": latencies.last(),
        "missing": missing,
        "patch_deliveries": deliveries,
        "deliveries_per_s": deliveries as f64 / posting.as_secs_f64(),
        "server_rss_kib_per_connection": match (before, after) {
            (Some(x), Some(y)) => Some((y.saturating_sub(x)) as f64 / b.clients.max(1) as f64),
            _ => None,
        },
    }))
}

enum Kind {
    Snapshot,
    Patch(i64),
}

/// The kind of a frame and a patch's revision, without parsing the whole frame: the
/// generator shares the server's cores, and parsing every op of every frame on 1,000 sockets
/// would be its own latency. Patches are serialized with sorted keys (`base`, `events`, `ops`,
/// `rev`, `type`), so the top-level `rev` is the last one in the text.
fn frame_kind(t: &str) -> Option<Kind> {
    if t.starts_with(r#"{"type":"snapshot""#) {
        return Some(Kind::Snapshot);
    }
    if !t.ends_with(r#""type":"patch"}"#) {
        return None;
    }
    let at = t.rfind(r#""rev":"#)? + 6;
    let digits: String = t[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().map(Kind::Patch)
}

/// One POST /api/v1/actuals over a kept-alive connection; returns the revision.
async fn post(http: &mut TcpStream, host: &str, body: &str) -> anyhow::Result<i64> {
    let req = format!(
        "POST /api/v1/actuals HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         X-Actor: loadgen\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    http.write_all(req.as_bytes()).await?;
    let mut buf = Vec::with_capacity(512);
    loop {
        let mut chunk = [0u8; 512];
        let n = http.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some((head, rest)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if rest.len() >= len {
                anyhow::ensure!(head.starts_with("HTTP/1.1 201"), "POST refused: {text}");
                let v: serde_json::Value = serde_json::from_str(&rest[..len])?;
                return v["rev"].as_i64().context("no rev in the answer");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_level_revision_is_read_from_a_real_patch() {
        let patch = serde_json::json!({
            "type": "patch", "rev": 42, "base": 41,
            "ops": [{"op": "set", "path": ["rev"], "value": 42}],
            "events": [{"rev": 40, "summary": "x"}, {"rev": 41, "summary": "y"}],
        })
        .to_string();
        assert!(matches!(frame_kind(&patch), Some(Kind::Patch(42))));
        assert!(matches!(
            frame_kind(r#"{"type":"snapshot","rev":3,"data":{}}"#),
            Some(Kind::Snapshot)
        ));
        assert!(frame_kind(r#"{"type":"heartbeat","rev":3,"viewers":1}"#).is_none());
    }
}
