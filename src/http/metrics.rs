//! `GET /metrics`: the service as an operator's scraper sees it, in the Prometheus text format
//! (version 0.0.4): requests by route, method and status with their latency, the database
//! pool, the committer (commit time with its fsync, group sizes, writes by outcome, writes
//! queued), the aggregator's recomputations, the live sockets (open, patches and snapshots
//! sent, held back, resynchronised), the HTTP edge's connections, and the process's memory
//! and descriptors. `deploy/grafana/apo-dashboard.json` charts these names, and a test keeps
//! the two in step.
//!
//! Kept with `prometheus-client`, one [`Registry`] per server (tests run several servers in
//! one process, so nothing is global). What is counted as it happens is a library handle
//! registered once: the requests here, the committer's ([`crate::store::commit`]), the
//! aggregator's timings. What other parts already count, or what is a state rather than an
//! event (the revision, the store's health, the pool, the process), is read at scrape time by
//! collectors.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::AppState;
use crate::aggregator::Aggregator;
use crate::feed::Feed;
use crate::live::Hub;
use crate::serve::EdgeStats;
use crate::store::Store;

/// Upper bounds of the request-duration histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The route label of a request that matched no route (a fallback answered it): one value, so
/// that a scan of random paths cannot grow the label set.
pub const UNMATCHED: &str = "unmatched";

/// A request's labels: its route template (`/api/v1/primers/{iso3}`, never the path itself),
/// its method and its status code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: Cow<'static, str>,
    status: u16,
}

/// A latency series' labels: route and method.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: Cow<'static, str>,
}

type Durations = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Everything `/metrics` shows, for one server: the registry and the handles the request
/// middleware counts with.
pub struct HttpMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Durations,
    /// The main listener's connections, once [`crate::serve::Edge`] is made (it is made after
    /// this, and a server built without it simply shows no edge metrics).
    edge: Arc<OnceLock<Arc<EdgeStats>>>,
}

impl HttpMetrics {
    /// The registry of a server made of these parts. (The library ends each registered help
    /// text with a period itself.)
    pub fn new(store: &Store, feed: &Feed, aggregator: &Aggregator, hub: &Hub) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "apo_http_requests",
            "HTTP requests answered, by route template (`unmatched`: no route), method and \
             status code",
            requests.clone(),
        );
        let durations: Durations = Family::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register(
            "apo_http_request_duration_seconds",
            "Time to answer an HTTP request (until its headers), by route template and method",
            durations.clone(),
        );
        let commit = store.commit_metrics().clone();
        registry.register(
            "apo_store_commit_seconds",
            "Time each group's last round trips to the database took, its fsync included: the \
             remaining inserts and COMMIT (the long way), or the whole write (the short way)",
            commit.commit_seconds,
        );
        registry.register(
            "apo_store_group_commit_writes",
            "Writes per commit: the group-commit batch sizes",
            commit.group_writes,
        );
        registry.register(
            "apo_store_writes",
            "Writes run by the committer, by outcome: committed (with its own revision), \
             unchanged (nothing to write), failed (refused or failed, alone in its group)",
            commit.writes,
        );
        registry.register(
            "apo_store_writes_queued",
            "Writes waiting for the committer now",
            commit.queued,
        );
        registry.register(
            "apo_store_groups",
            "Groups the committer ran, by way: short (reports alone, checked against the key \
             results it holds, written and committed in one round trip on PostgreSQL, two on \
             SQLite) or long (revision row locked first, each write in a savepoint)",
            commit.groups,
        );
        registry.register(
            "apo_store_committer_busy_seconds",
            "Seconds the committer spent running groups rather than waiting for writes",
            commit.busy_seconds,
        );
        registry.register(
            "apo_aggregator_recompute_seconds",
            "Time the aggregator took to bring the dashboard documents up to date with a \
             change (or a burst of them), by kind: incremental (reports) or full (a primer, a \
             budget, a rebuild)",
            aggregator.recompute_seconds(),
        );
        let edge = Arc::new(OnceLock::new());
        registry.register_collector(Box::new(Server {
            store: store.clone(),
            feed: feed.clone(),
            aggregator: aggregator.clone(),
            hub: hub.clone(),
        }));
        registry.register_collector(Box::new(Edge(edge.clone())));
        registry.register_collector(Box::new(Process));
        Self {
            registry,
            requests,
            durations,
            edge,
        }
    }

    /// Counts one answered request. `route` is [`route`]'s label.
    pub fn observe(&self, method: &Method, route: &str, status: StatusCode, took: Duration) {
        let method = method_label(method);
        let route = route_label(route);
        self.durations
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status: status.as_u16(),
            })
            .inc();
    }

    /// Shows the main listener's connections from now on (set once; the edge calls it).
    pub fn watch_edge(&self, stats: Arc<EdgeStats>) {
        let _ = self.edge.set(stats);
    }

    /// The exposition: every family with its HELP and TYPE, then its samples.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        out
    }
}

/// A request's route label: the template it matched, or [`UNMATCHED`].
pub fn route(req: &Request) -> Cow<'static, str> {
    match req.extensions().get::<MatchedPath>() {
        Some(m) => Cow::Owned(m.as_str().to_owned()),
        None => Cow::Borrowed(UNMATCHED),
    }
}

/// Keeps the label set bounded: a template (axum's own, for a fallback, has a private
/// parameter) or [`UNMATCHED`].
fn route_label(route: &str) -> Cow<'static, str> {
    if route == UNMATCHED || route.contains("__private__axum") {
        Cow::Borrowed(UNMATCHED)
    } else {
        Cow::Owned(route.to_owned())
    }
}

/// The method as a label: the standard ones, and `other` for any other token a client sends.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Where the request middleware leaves a request's route for the edge
/// ([`crate::serve`]), which answers a request stopped by the request timeout itself and counts
/// it here: the middleware, stopped with it, never sees that answer.
#[derive(Clone, Default)]
pub struct RouteSlot(Arc<OnceLock<Cow<'static, str>>>);

impl RouteSlot {
    pub fn set(&self, route: Cow<'static, str>) {
        let _ = self.0.set(route);
    }

    /// The route the middleware saw, or [`UNMATCHED`] if it never ran.
    pub fn get(&self) -> &str {
        self.0.get().map_or(UNMATCHED, |r| r.as_ref())
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        )],
        app.http_metrics.encode(),
    )
}

/// Writes one family of constant samples, told apart by `label`.
fn family<M: EncodeMetric>(
    out: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    label: &str,
    samples: &[(&str, M)],
) -> fmt::Result {
    let Some((_, first)) = samples.first() else {
        return Ok(());
    };
    let mut metric = out.encode_descriptor(name, help, None, first.metric_type())?;
    for (value, sample) in samples {
        sample.encode(metric.encode_family(&[(label, *value)])?)?;
    }
    Ok(())
}

/// Writes one unlabelled sample.
fn one(
    out: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    sample: impl EncodeMetric,
) -> fmt::Result {
    sample.encode(out.encode_descriptor(name, help, None, sample.metric_type())?)
}

fn gauge(out: &mut DescriptorEncoder, name: &str, help: &str, value: i64) -> fmt::Result {
    one(out, name, help, ConstGauge::new(value))
}

fn counter(out: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> fmt::Result {
    one(out, name, help, ConstCounter::new(value))
}

/// What the store, the feed, the aggregator and the hub keep, read at each scrape.
struct Server {
    store: Store,
    feed: Feed,
    aggregator: Aggregator,
    hub: Hub,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the server's collector")
    }
}

impl Collector for Server {
    fn encode(&self, mut out: DescriptorEncoder) -> fmt::Result {
        let out = &mut out;
        let backend = format!("{:?}", self.store.backend()).to_lowercase();
        let labels = [
            ("version", env!("CARGO_PKG_VERSION")),
            ("backend", backend.as_str()),
        ];
        let info = ConstGauge::new(1i64);
        let mut metric = out.encode_descriptor(
            "apo_build_info",
            "The running version and its database backend.",
            None,
            info.metric_type(),
        )?;
        info.encode(metric.encode_family(&labels)?)?;
        gauge(
            out,
            "apo_revision",
            "The revision the dashboard documents are at.",
            self.aggregator.rev(),
        )?;
        self.store_health(out)?;
        self.pool(out)?;
        let (full, incremental) = self.aggregator.counts();
        family(
            out,
            "apo_aggregator_updates",
            "Dashboard updates, by how they were computed.",
            "kind",
            &[
                ("full", ConstCounter::new(full)),
                ("incremental", ConstCounter::new(incremental)),
            ],
        )?;
        let (memory, log) = self.feed.reads();
        family(
            out,
            "apo_feed_reads",
            "Changes the aggregator took from the change feed, by where they came from: this \
             server's own commits in memory, or the log (another process's).",
            "source",
            &[
                ("memory", ConstCounter::new(memory)),
                ("log", ConstCounter::new(log)),
            ],
        )?;
        let (known, new) = self.feed.notifications();
        family(
            out,
            "apo_revision_notifications",
            "Revisions announced by the replicas (PostgreSQL NOTIFY), by whether this server \
             had them already or catches up on them.",
            "revision",
            &[
                ("known", ConstCounter::new(known)),
                ("new", ConstCounter::new(new)),
            ],
        )?;
        self.live(out)
    }
}

impl Server {
    fn store_health(&self, out: &mut DescriptorEncoder) -> fmt::Result {
        let health = self.store.health();
        let state = health.state();
        gauge(
            out,
            "apo_store_up",
            "Whether the database answers (1) or is out of reach (0), as the store's probe \
             and the requests last found.",
            i64::from(state.is_up()),
        )?;
        gauge(
            out,
            "apo_store_down_since_seconds",
            "Unix time at which the database was found out of reach; 0 while it answers.",
            state.down_since().map_or(0, |t| t.unix_timestamp()),
        )?;
        counter(
            out,
            "apo_store_outages",
            "Times the database was found out of reach since start.",
            health.outages(),
        )
    }

    /// The pool as it stands. sqlx counts no requests waiting for a connection; the
    /// committer's queue ([`crate::store::commit`]) is where writes wait.
    fn pool(&self, out: &mut DescriptorEncoder) -> fmt::Result {
        let pool = self.store.pool();
        let size = i64::from(pool.size());
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX).min(size);
        family(
            out,
            "apo_store_pool_connections",
            "Database connections open in the pool, by state: in_use (lent to a request or \
             the committer) or idle.",
            "state",
            &[
                ("in_use", ConstGauge::new(size - idle)),
                ("idle", ConstGauge::new(idle)),
            ],
        )?;
        gauge(
            out,
            "apo_store_pool_max_connections",
            "Most connections the pool opens; a request past them waits for one.",
            i64::from(pool.options().get_max_connections()),
        )
    }

    fn live(&self, out: &mut DescriptorEncoder) -> fmt::Result {
        let hub = &self.hub;
        let n = |v: usize| ConstCounter::new(v as u64);
        gauge(
            out,
            "apo_live_viewers",
            "Open live sockets.",
            hub.viewers() as i64,
        )?;
        let (live, replayed) = hub.patches_sent();
        family(
            out,
            "apo_live_patches_sent",
            "Patches sent to live sockets, by how: live (as the change happened) or replayed \
             (missed, and sent again on a resume).",
            "how",
            &[("live", n(live)), ("replayed", n(replayed))],
        )?;
        counter(
            out,
            "apo_live_snapshots_sent",
            "Snapshots sent to live sockets: on connecting, on a resume the patches kept could \
             not bridge, on switching period, or to a socket resynchronised.",
            hub.snapshots_sent() as u64,
        )?;
        counter(
            out,
            "apo_live_held_back",
            "Times a live socket was sent nothing more because its peer stopped reading.",
            hub.behind() as u64,
        )?;
        counter(
            out,
            "apo_live_resynced",
            "Times a live socket fell behind its queue and was sent a snapshot instead.",
            hub.lagged() as u64,
        )?;
        family(
            out,
            "apo_live_heartbeats",
            "Heartbeats sent to a watched period's sockets: carried by a patch, or on their own.",
            "sent",
            &[
                ("with_patch", n(hub.beats_carried())),
                ("alone", n(hub.beats_alone())),
            ],
        )
    }
}

/// The HTTP edge's connections ([`crate::serve`]): the descriptor limit, the connections open
/// and their cap, those the edge closed, and the requests it stopped.
struct Edge(Arc<OnceLock<Arc<EdgeStats>>>);

impl fmt::Debug for Edge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the edge's collector")
    }
}

impl Collector for Edge {
    fn encode(&self, mut out: DescriptorEncoder) -> fmt::Result {
        let Some(edge) = self.0.get() else {
            return Ok(());
        };
        let out = &mut out;
        if let Some(limit) = edge.descriptors {
            gauge(
                out,
                "process_max_fds",
                "Most open file descriptors allowed (the soft limit, raised to the hard one at \
                 start).",
                i64::try_from(limit.soft).unwrap_or(i64::MAX),
            )?;
            let g = |v: u64| ConstGauge::new(i64::try_from(v).unwrap_or(i64::MAX));
            family(
                out,
                "apo_descriptor_limit",
                "RLIMIT_NOFILE as it stands after start: the soft limit and the hard one.",
                "kind",
                &[("soft", g(limit.soft)), ("hard", g(limit.hard))],
            )?;
        }
        gauge(
            out,
            "apo_http_connections_open",
            "Connections open on the main address, live sockets included.",
            edge.open() as i64,
        )?;
        gauge(
            out,
            "apo_http_connections_max",
            "The cap on connections open on the main address (--max-http-connections).",
            edge.max_connections as i64,
        )?;
        let closed: Vec<_> = edge
            .closed()
            .into_iter()
            .map(|(why, n)| (why, ConstCounter::new(n)))
            .collect();
        family(
            out,
            "apo_http_connections_closed",
            "Connections the server closed, by why: evicted (the longest idle, to make room \
             under the cap), refused (the cap was reached with every connection busy), \
             header_timeout, idle_timeout.",
            "reason",
            &closed,
        )?;
        counter(
            out,
            "apo_http_requests_timed_out",
            "Requests stopped by the request timeout (answered 503).",
            edge.requests_timed_out(),
        )?;
        counter(
            out,
            "apo_http_accept_errors",
            "Connections the server could not accept for want of a resource (descriptors, \
             memory).",
            edge.accept_errors(),
        )
    }
}

/// The process's resident memory and open descriptors, from `/proc` (absent elsewhere).
#[derive(Debug)]
struct Process;

impl Collector for Process {
    fn encode(&self, mut out: DescriptorEncoder) -> fmt::Result {
        if let Some(rss) = resident_bytes() {
            gauge(
                &mut out,
                "process_resident_memory_bytes",
                "Resident memory of the process.",
                i64::try_from(rss).unwrap_or(i64::MAX),
            )?;
        }
        if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
            gauge(
                &mut out,
                "process_open_fds",
                "Open file descriptors (sockets included).",
                fds.count() as i64,
            )?;
        }
        Ok(())
    }
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
