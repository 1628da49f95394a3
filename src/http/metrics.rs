//! `GET /metrics`: the service's counters in the Prometheus text format (version 0.0.4), for an
//! operator's scraper: requests by status class and their durations, the revision the
//! dashboard is at, the live sockets and how many were held back or resynchronised, the
//! aggregator's updates, and the process's memory and open descriptors.
//!
//! Written by hand: a few atomics and a page of text need no metrics library.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};

use super::AppState;

/// Upper bounds of the request-duration histogram, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// Counters the request middleware keeps: one set per server.
#[derive(Default)]
pub struct HttpMetrics {
    /// Requests answered, by status class (index 0 for 1xx … 4 for 5xx).
    by_class: [AtomicU64; 5],
    /// Requests that took at most `BUCKETS[i]` (not cumulative; summed when written).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Total time, in microseconds.
    sum_us: AtomicU64,
}

impl HttpMetrics {
    /// Counts one answered request.
    pub fn observe(&self, status: StatusCode, took: Duration) {
        let class = (status.as_u16() / 100).clamp(1, 5) as usize - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&le| secs <= le) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(
    State(app): State<AppState>,
    edge: Option<Extension<std::sync::Arc<crate::serve::EdgeStats>>>,
) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&app, edge.as_ref().map(|e| &*e.0)),
    )
}

/// Writes one metric family: each sample is (what follows the name: a suffix and labels,
/// value).
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

fn render(app: &AppState, edge: Option<&crate::serve::EdgeStats>) -> String {
    let mut out = String::with_capacity(4096);
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
        family(&mut out, name, kind, help, samples);
    };
    let one = |v: f64| vec![(String::new(), v)];

    metric(
        "apo_build_info",
        "gauge",
        "The running version and its database backend.",
        &[(
            format!(
                r#"{{version="{}",backend="{:?}"}}"#,
                env!("CARGO_PKG_VERSION"),
                app.store.backend()
            )
            .to_lowercase(),
            1.0,
        )],
    );
    let http = &app.http_metrics;
    metric(
        "apo_http_requests_total",
        "counter",
        "HTTP requests answered, by status class.",
        &http
            .by_class
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    format!(r#"{{class="{}xx"}}"#, i + 1),
                    n.load(Ordering::Relaxed) as f64,
                )
            })
            .collect::<Vec<_>>(),
    );
    let count = http.count.load(Ordering::Relaxed);
    let mut cumulative = 0;
    let mut histogram: Vec<(String, f64)> = BUCKETS
        .iter()
        .zip(&http.buckets)
        .map(|(le, n)| {
            cumulative += n.load(Ordering::Relaxed);
            (format!(r#"_bucket{{le="{le}"}}"#), cumulative as f64)
        })
        .collect();
    // Counted after the buckets, so +Inf is never below the last bucket.
    histogram.push((r#"_bucket{le="+Inf"}"#.into(), count.max(cumulative) as f64));
    histogram.push((
        "_sum".into(),
        http.sum_us.load(Ordering::Relaxed) as f64 / 1e6,
    ));
    histogram.push(("_count".into(), count.max(cumulative) as f64));
    metric(
        "apo_http_request_duration_seconds",
        "histogram",
        "Time to answer an HTTP request.",
        &histogram,
    );
    metric(
        "apo_revision",
        "gauge",
        "The revision the dashboard documents are at.",
        &one(app.aggregator.rev() as f64),
    );
    let store = app.store.health();
    let state = store.state();
    metric(
        "apo_store_up",
        "gauge",
        "Whether the database answers (1) or is out of reach (0), as the store's probe and \
         the requests last found.",
        &one(if state.is_up() { 1.0 } else { 0.0 }),
    );
    metric(
        "apo_store_down_since_seconds",
        "gauge",
        "Unix time at which the database was found out of reach; 0 while it answers.",
        &one(state
            .down_since()
            .map_or(0.0, |t| t.unix_timestamp() as f64)),
    );
    metric(
        "apo_store_outages_total",
        "counter",
        "Times the database was found out of reach since start.",
        &one(store.outages() as f64),
    );
    let (full, incremental) = app.aggregator.counts();
    metric(
        "apo_aggregator_updates_total",
        "counter",
        "Dashboard updates, by how they were computed.",
        &[
            (r#"{kind="full"}"#.into(), full as f64),
            (r#"{kind="incremental"}"#.into(), incremental as f64),
        ],
    );
    let (memory, log) = app.feed.reads();
    metric(
        "apo_feed_reads_total",
        "counter",
        "Changes the aggregator took from the change feed, by where they came from: this \
         server's own commits in memory, or the log (another process's).",
        &[
            (r#"{source="memory"}"#.into(), memory as f64),
            (r#"{source="log"}"#.into(), log as f64),
        ],
    );
    let (known, new) = app.feed.notifications();
    metric(
        "apo_revision_notifications_total",
        "counter",
        "Revisions announced by the replicas (PostgreSQL NOTIFY), by whether this server had \
         them already or catches up on them.",
        &[
            (r#"{revision="known"}"#.into(), known as f64),
            (r#"{revision="new"}"#.into(), new as f64),
        ],
    );
    metric(
        "apo_live_viewers",
        "gauge",
        "Open live sockets.",
        &one(app.hub.viewers() as f64),
    );
    metric(
        "apo_live_held_back_total",
        "counter",
        "Times a live socket was sent nothing more because its peer stopped reading.",
        &one(app.hub.behind() as f64),
    );
    metric(
        "apo_live_resynced_total",
        "counter",
        "Times a live socket fell behind its queue and was sent a snapshot instead.",
        &one(app.hub.lagged() as f64),
    );
    metric(
        "apo_live_heartbeats_total",
        "counter",
        "Heartbeats sent to a watched period's sockets: carried by a patch, or on their own.",
        &[
            (
                r#"{sent="with_patch"}"#.into(),
                app.hub.beats_carried() as f64,
            ),
            (r#"{sent="alone"}"#.into(), app.hub.beats_alone() as f64),
        ],
    );
    if let Some(edge) = edge {
        render_edge(&mut metric, edge);
    }
    if let Some(rss) = resident_bytes() {
        metric(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of the process.",
            &one(rss as f64),
        );
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        metric(
            "process_open_fds",
            "gauge",
            "Open file descriptors (sockets included).",
            &one(fds.count() as f64),
        );
    }
    out
}

/// The HTTP edge's connections (`crate::serve`): the descriptor limit, the connections open
/// and their cap, those the edge closed, and the requests it stopped.
fn render_edge(
    metric: &mut impl FnMut(&str, &str, &str, &[(String, f64)]),
    edge: &crate::serve::EdgeStats,
) {
    if let Some(limit) = edge.descriptors {
        metric(
            "process_max_fds",
            "gauge",
            "Most open file descriptors allowed (the soft limit, raised to the hard one at start).",
            &[(String::new(), limit.soft as f64)],
        );
        metric(
            "apo_descriptor_limit",
            "gauge",
            "RLIMIT_NOFILE as it stands after start: the soft limit and the hard one.",
            &[
                (r#"{kind="soft"}"#.into(), limit.soft as f64),
                (r#"{kind="hard"}"#.into(), limit.hard as f64),
            ],
        );
    }
    metric(
        "apo_http_connections_open",
        "gauge",
        "Connections open on the main address, live sockets included.",
        &[(String::new(), edge.open() as f64)],
    );
    metric(
        "apo_http_connections_max",
        "gauge",
        "The cap on connections open on the main address (--max-http-connections).",
        &[(String::new(), edge.max_connections as f64)],
    );
    metric(
        "apo_http_connections_closed_total",
        "counter",
        "Connections the server closed, by why: evicted (the longest idle, to make room under \
         the cap), refused (the cap was reached with every connection busy), header_timeout, \
         idle_timeout.",
        &edge
            .closed()
            .iter()
            .map(|(why, n)| (format!(r#"{{reason="{why}"}}"#), *n as f64))
            .collect::<Vec<_>>(),
    );
    metric(
        "apo_http_requests_timed_out_total",
        "counter",
        "Requests stopped by the request timeout (answered 503).",
        &[(String::new(), edge.requests_timed_out() as f64)],
    );
    metric(
        "apo_http_accept_errors_total",
        "counter",
        "Connections the server could not accept for want of a resource (descriptors, memory).",
        &[(String::new(), edge.accept_errors() as f64)],
    );
}

fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}
