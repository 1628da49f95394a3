//! `apo-loadgen`: a load generator for the live endpoint of a running `apo-dashboard serve`.
//! A bench tool beside the server (`benches/`), built as its own binary: the server carries
//! none of it. What it shares with the server, the frames' shape, it takes from
//! `apo_dashboard::live::protocol`.
//!
//! Opens N WebSocket clients on a running server, posts M reports at R per second through the
//! API, and measures for every report the time from its *scheduled* send time (so that a
//! stalled server is not hidden by a stalled sender) to each client receiving a patch that
//! includes it (or the snapshot that resynchronises a client the server held back). Prints
//! one JSON line: latency percentiles, deliveries per second (patches, and reports, which
//! differ when the server coalesces reports into one patch) from the first send to the last
//! patch received, and the server's memory per connection (RSS growth ÷ N,
//! when its PID is given).
//!
//! `apo-loadgen soak` is the other mode: minutes of mixed load (reads, reports, sockets with
//! churn) with every server process sampled each minute ([`soak`], driven by benches/soak.sh).

use std::time::{Duration, Instant};

use anyhow::Context;

use apo_dashboard::live::gate::Cancelled;
use clap::{Parser, Subcommand};
use client::{Client, Kind};

mod client;
mod http;
mod soak;

/// N sockets, M reports at R per second; prints latency percentiles, deliveries per second
/// and server memory per connection as one JSON line. `apo-loadgen soak`: minutes of mixed
/// load with every server sampled each minute.
#[derive(Debug, Parser)]
#[command(name = "apo-loadgen", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    mode: Option<Mode>,
    #[command(flatten)]
    live: LiveBench,
}

#[derive(Debug, Subcommand)]
enum Mode {
    Soak(soak::Soak),
}

/// N sockets, M reports at R per second; prints latency percentiles, deliveries per second
/// and server memory per connection as one JSON line.
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
    /// The server's process id, to read its memory (VmRSS) before and after connecting, and
    /// its CPU time while the reports are posted.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Fraction of the clients that stop reading when the posting starts and read again when
    /// it ends. Latencies are then those of the others; the output says until when the server
    /// kept sending to the stalled ones, and how soon after reading again they got a snapshot.
    #[arg(long, default_value_t = 0.0)]
    pub stalled: f64,
    /// A token (`apo-dashboard token create --role secretariat`): sent with the reports and the
    /// sockets' handshakes. Without it, the server must allow public reads, and refuses the
    /// reports.
    #[arg(long, env = "APO_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// CPU time (user + system) the process has used, in seconds.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let utime: f64 = fields.nth(11)?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    // Clock ticks; 100 per second on Linux.
    Some((utime + stime) / 100.0)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What one client received after its first snapshot, in order: (revision, when, whether a
/// patch rather than a snapshot). Each reader keeps its own, so that the readers share no lock
/// while they measure.
type Arrivals = Vec<(i64, Instant, bool)>;

fn main() -> std::process::ExitCode {
    // A mistake in the arguments exits 1, not clap's 2: the soak's 2 means "not bounded".
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::from(u8::from(e.use_stderr()));
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some(Mode::Soak(soak)) = cli.mode {
        // 0: bounded; 2: grew beyond the rule, or requests failed; 1: could not run.
        return match runtime.block_on(soak::run(soak)) {
            Ok(true) => std::process::ExitCode::SUCCESS,
            Ok(false) => std::process::ExitCode::from(2),
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    match runtime.block_on(run(cli.live)) {
        Ok(line) => {
            println!("{line}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

pub async fn run(b: LiveBench) -> anyhow::Result<serde_json::Value> {
    let host = b
        .url
        .strip_prefix("http://")
        .context("the URL must be http://HOST:PORT")?
        .trim_end_matches('/')
        .to_owned();
    let before = b.server_pid.and_then(rss_kib);
    anyhow::ensure!(
        (0.0..1.0).contains(&b.stalled),
        "--stalled is a fraction below 1"
    );
    // Every k-th client stalls.
    let stall_every = (b.stalled > 0.0).then(|| (1.0 / b.stalled).round() as usize);
    let is_stalled = |i: usize| stall_every.is_some_and(|k| i % k == k - 1);
    let stalled_count = (0..b.clients).filter(|&i| is_stalled(i)).count();
    let stall = tokio_util::sync::CancellationToken::new();
    let done = tokio_util::sync::CancellationToken::new();
    // The credential's header line, sent with every handshake and report.
    let auth = b
        .token
        .as_ref()
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let mut readers = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(b.clients.max(1));
    for i in 0..b.clients {
        let mut ws = Client::connect(&host, &auth)
            .await
            .with_context(|| format!("opening socket {i}"))?;
        let ready = ready_tx.clone();
        let stall = is_stalled(i).then(|| stall.clone());
        let done = done.clone();
        readers.push(tokio::spawn(async move {
            let mut ready = Some(ready);
            let mut arrivals: Arrivals = Vec::with_capacity(b.updates);
            // The first client notes the size of each patch (it never stalls).
            let mut sizes: Vec<usize> = Vec::new();
            let note_sizes = i == 0;
            // A stalled client stops reading (and keeps the socket open) when the posting
            // starts; the others read until the end. The wait is gated: polled at every
            // message, a token's wait takes a lock all the readers share, in this process
            // that shares the server's cores.
            let (mut end, keep) = match &stall {
                Some(stall) => (Cancelled::new(stall), true),
                None => (Cancelled::new(&done), false),
            };
            loop {
                let msg = tokio::select! {
                    // The end first: a stalled client stops at once, whatever waits unread.
                    biased;
                    _ = &mut end => return (arrivals, sizes, keep.then_some(ws)),
                    m = ws.next() => m,
                };
                let Ok(Some((kind, now, len))) = msg else {
                    return (arrivals, sizes, None);
                };
                match kind {
                    Kind::Snapshot(rev) => match ready.take() {
                        Some(r) => {
                            let _ = r.send(()).await;
                        }
                        // Held back (it read too slowly) and resynchronised: the snapshot
                        // brings it every report up to its revision.
                        None => arrivals.push((rev, now, false)),
                    },
                    Kind::Patch(rev) => {
                        arrivals.push((rev, now, true));
                        if note_sizes {
                            sizes.push(len);
                        }
                    }
                    Kind::Other => {}
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

    // Post at scheduled times over one keep-alive connection, from a thread of its own: the
    // runtime's timer wakes up to a millisecond late, and that would count as latency.
    let http = std::net::TcpStream::connect(&host)?;
    http.set_nodelay(true)?;
    let cpu_before = b.server_pid.and_then(cpu_seconds);
    let own_cpu_before = cpu_seconds(std::process::id());
    let start = Instant::now();
    stall.cancel();
    let poster = {
        let (host, updates, rate) = (host.clone(), b.updates, b.rate);
        tokio::task::spawn_blocking(move || post_all(http, &host, &auth, start, updates, rate))
    };
    let Posted {
        sent,
        mut late_ms,
        mut answered_ms,
    } = poster.await.context("the poster failed")??;
    let posting = start.elapsed();
    let cpu_after = b.server_pid.and_then(cpu_seconds);
    let own_cpu_after = cpu_seconds(std::process::id());
    tokio::time::sleep(Duration::from_secs(2)).await;
    done.cancel();
    // The stalled sockets read again: what the kernel held for them (the patches the server
    // sent before it noticed), then, once they answer its ping, a fresh snapshot.
    let resumed = Instant::now();
    let mut resyncs = Vec::new();
    let mut arrivals = Vec::with_capacity(b.clients);
    let mut patch_sizes = Vec::new();
    for r in readers {
        let (got, sizes, stalled) = r.await.context("a reader failed")?;
        arrivals.push(got);
        patch_sizes.extend(sizes);
        if let Some(ws) = stalled {
            resyncs.push(tokio::spawn(resync(ws, resumed)));
        }
    }
    let (mut cut_off_s, mut resync_ms, mut resynced) = (None::<f64>, None::<f64>, 0usize);
    for r in resyncs {
        let Ok((last_rev, snapshot_after)) = r.await else {
            continue;
        };
        // When the last report the server sent before holding the socket back was scheduled.
        let cut = sent
            .iter()
            .filter(|(rev, _)| last_rev.is_some_and(|l| *rev <= l))
            .map(|(_, at)| at.duration_since(start).as_secs_f64())
            .fold(0.0, f64::max);
        cut_off_s = Some(cut_off_s.map_or(cut, |c| c.max(cut)));
        if let Some(ms) = snapshot_after {
            resynced += 1;
            resync_ms = Some(resync_ms.map_or(ms, |m| m.max(ms)));
        }
    }

    let mut latencies = Vec::with_capacity(b.updates * b.clients);
    // Per update, when its last socket had it: a few slow updates (a burst of work on the
    // server at that moment) show as a high maximum against a lower median.
    let mut last_per_update = vec![0.0f64; sent.len()];
    let mut missing = 0usize;
    for (_, client) in arrivals.iter().enumerate().filter(|(i, _)| !is_stalled(*i)) {
        for ((rev, scheduled), last) in sent.iter().zip(&mut last_per_update) {
            // The first patch (or resynchronising snapshot) that includes this report (a burst
            // may be coalesced into one patch).
            match client.iter().find(|(r, _, _)| r >= rev) {
                Some((_, at, _)) => {
                    let ms = at.duration_since(*scheduled).as_secs_f64() * 1e3;
                    latencies.push(ms);
                    *last = last.max(ms);
                }
                None => missing += 1,
            }
        }
    }
    last_per_update.sort_by(f64::total_cmp);
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| -> Option<f64> {
        (!latencies.is_empty())
            .then(|| latencies[((latencies.len() - 1) as f64 * p).round() as usize])
    };
    let deliveries = arrivals.iter().flatten().filter(|a| a.2).count();
    let snapshots = arrivals.iter().flatten().filter(|a| !a.2).count();
    // From the first scheduled send to the last patch received: the time the deliveries took,
    // however far the server fell behind the schedule.
    let last = arrivals
        .iter()
        .filter_map(|a| a.last().map(|(_, at, _)| *at))
        .max()
        .unwrap_or(start);
    let span = last
        .duration_since(start)
        .as_secs_f64()
        .max(posting.as_secs_f64());
    Ok(serde_json::json!({
        "clients": b.clients,
        "updates": b.updates,
        "rate": b.rate,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": latencies.last(),
        "update_last_p50_ms": last_per_update.get(last_per_update.len() / 2),
        "send_late_p50_ms": median(&mut late_ms),
        "post_answered_p50_ms": median(&mut answered_ms),
        // The slowest answer: a slow write (a database checkpoint) shows here as well as in
        // the latencies.
        "post_answered_max_ms": answered_ms.last(),
        "update_last_max_ms": last_per_update.last(),
        "missing": missing,
        "patch_deliveries": deliveries,
        // The size of a patch's text, as the first client received them.
        "patch_bytes_mean": (!patch_sizes.is_empty())
            .then(|| patch_sizes.iter().sum::<usize>() as f64 / patch_sizes.len() as f64),
        "patch_bytes_max": patch_sizes.iter().max(),
        // Clients that read too slowly are held back and sent a fresh snapshot instead of the
        // patches they would have read late: the reports it covers count as delivered then.
        "resync_snapshots": snapshots,
        "deliveries_per_s": deliveries as f64 / span,
        // Reports that reached a socket (a patch may carry several, when the server coalesces
        // a burst), counted once per socket.
        "report_deliveries": latencies.len(),
        "report_deliveries_per_s": latencies.len() as f64 / span,
        "span_s": span,
        "server_rss_kib_per_connection": match (before, after) {
            (Some(x), Some(y)) => Some((y.saturating_sub(x)) as f64 / b.clients.max(1) as f64),
            _ => None,
        },
        "server_cpu_cores": match (cpu_before, cpu_after) {
            (Some(x), Some(y)) => Some((y - x) / posting.as_secs_f64()),
            _ => None,
        },
        // This generator's own share of the machine meanwhile: it shares the server's cores.
        "generator_cpu_cores": match (own_cpu_before, own_cpu_after) {
            (Some(x), Some(y)) => Some((y - x) / posting.as_secs_f64()),
            _ => None,
        },
        "stalled_clients": stalled_count,
        "stalled_sent_until_s": cut_off_s,
        "stalled_resynced": resynced,
        "stalled_resync_max_ms": resync_ms,
    }))
}

fn median(v: &mut [f64]) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Reads a socket that stopped reading at the start: the patches queued for it, up to the
/// snapshot that resynchronises it. Returns the last queued patch's revision and the time
/// from `resumed` to the snapshot (none within 10 s: `None`).
async fn resync(mut ws: Client, resumed: Instant) -> (Option<i64>, Option<f64>) {
    let mut last = None;
    let deadline = tokio::time::sleep(Duration::from_secs(10));
    tokio::pin!(deadline);
    loop {
        let msg = tokio::select! {
            m = ws.next() => m,
            _ = &mut deadline => return (last, None),
        };
        match msg {
            Ok(Some((Kind::Patch(rev), _, _))) => last = Some(rev),
            Ok(Some((Kind::Snapshot(_), at, _))) => {
                return (last, Some(at.duration_since(resumed).as_secs_f64() * 1e3));
            }
            Ok(Some((Kind::Other, _, _))) => {}
            Ok(None) | Err(_) => return (last, None),
        }
    }
}

/// What was posted: each report's revision and scheduled time; per report, from its scheduled
/// time to the POST going out (this process's own delay) and to the POST's response.
struct Posted {
    sent: Vec<(i64, Instant)>,
    late_ms: Vec<f64>,
    answered_ms: Vec<f64>,
}

/// Posts `updates` reports at `rate` per second from `start`, each at its scheduled time (a
/// thread's sleep, to within tens of microseconds).
fn post_all(
    mut http: std::net::TcpStream,
    host: &str,
    auth: &str,
    start: Instant,
    updates: usize,
    rate: f64,
) -> anyhow::Result<Posted> {
    let mut posted = Posted {
        sent: Vec::with_capacity(updates),
        late_ms: Vec::with_capacity(updates),
        answered_ms: Vec::with_capacity(updates),
    };
    for i in 0..updates {
        let scheduled = start + Duration::from_secs_f64(i as f64 / rate);
        if let Some(wait) = scheduled.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let body = format!(
            r#"{{"iso3":"VNM","kr_code":"VNM-KR1","year":2026,"value":{}}}"#,
            100 + i % 50
        );
        posted.late_ms.push(scheduled.elapsed().as_secs_f64() * 1e3);
        let rev = post(&mut http, host, auth, &body)?;
        posted
            .answered_ms
            .push(scheduled.elapsed().as_secs_f64() * 1e3);
        posted.sent.push((rev, scheduled));
    }
    Ok(posted)
}

/// One POST /api/v1/actuals over a kept-alive connection; returns the revision.
fn post(http: &mut std::net::TcpStream, host: &str, auth: &str, body: &str) -> anyhow::Result<i64> {
    use std::io::{Read, Write};
    let req = format!(
        "POST /api/v1/actuals HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         {auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    http.write_all(req.as_bytes())?;
    let mut buf = Vec::with_capacity(512);
    loop {
        let mut chunk = [0u8; 512];
        let n = http.read(&mut chunk)?;
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
