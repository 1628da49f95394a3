//! The HTTP edge's connections: our own accept loop over hyper, so that every connection is
//! bounded in time and in number (issue 19).
//!
//! - **Time.** A client has `--header-timeout-secs` to send a request's headers (from
//!   connecting, or from the first byte of a later request on a kept-alive connection); a
//!   kept-alive connection may sit idle `--idle-timeout-secs` between requests; a request has
//!   `--request-timeout-secs` until its answer starts, else it is stopped and answered 503. A
//!   live socket's life after its upgrade is not a request and is not timed here (the hub
//!   has its heartbeats and stall limit).
//! - **Number.** Every socket accepted on the main address counts against the cap
//!   (`--max-http-connections`, by default derived from the descriptor limit, which is raised
//!   to its hard limit at start), live sockets included, since each holds a descriptor. When
//!   the cap is reached, the connection idle the longest with no request in progress is closed
//!   to make room, so that a flood of idle connections cannot keep new clients out; only when
//!   every connection is busy or live is a newcomer refused (a 503 written straight to the
//!   socket). `accept` never runs into the descriptor limit: past the cap (plus a margin for
//!   connections being closed) the loop waits instead of accepting, and if `accept` fails
//!   anyway it backs off briefly and logs once.
//!
//! How a connection is timed: its task waits on the connection, a wake-up and the earliest
//! deadline its state allows (`Conn::deadline`); each change of state (a request begins or
//! ends, a first byte arrives on an idle connection, an eviction) wakes it to look again.

use std::collections::BTreeMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::http::metrics::HttpMetrics;

mod accept;
mod answer;
mod limits;
mod socket;

use accept::{AcceptErrors, refuse};
use answer::Handler;
pub use limits::{
    DescriptorLimit, EVICTION_MARGIN, default_cap, live_share, raise_descriptor_limit,
};
pub use socket::TrackedBody;
use socket::{Busy, Tracked};

/// A connection that finished a response this recently is closed gracefully when evicted (its
/// last answer may still be in hyper's write buffer); any other idle one is dropped at once.
const FLUSH_GRACE: Duration = Duration::from_secs(1);

/// The edge's limits, from `serve`'s flags.
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub request_timeout: Duration,
    /// Most sockets open at once on this listener (live ones included).
    pub max_connections: usize,
}

/// What the edge counts, for `/metrics`.
#[derive(Debug)]
pub struct EdgeStats {
    pub descriptors: Option<DescriptorLimit>,
    pub max_connections: usize,
    open: AtomicUsize,
    evicted: AtomicU64,
    refused: AtomicU64,
    header_timeouts: AtomicU64,
    idle_timeouts: AtomicU64,
    requests_timed_out: AtomicU64,
    accept_errors: AtomicU64,
}

impl EdgeStats {
    fn new(descriptors: Option<DescriptorLimit>, max_connections: usize) -> Self {
        Self {
            descriptors,
            max_connections,
            open: AtomicUsize::new(0),
            evicted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            header_timeouts: AtomicU64::new(0),
            idle_timeouts: AtomicU64::new(0),
            requests_timed_out: AtomicU64::new(0),
            accept_errors: AtomicU64::new(0),
        }
    }

    /// Sockets accepted and still open, live ones included.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Connections closed by the edge, by why: `evicted` (to make room under the cap),
    /// `refused` (the cap was reached and every connection was busy), `header_timeout`,
    /// `idle_timeout`.
    pub fn closed(&self) -> [(&'static str, u64); 4] {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            ("evicted", n(&self.evicted)),
            ("refused", n(&self.refused)),
            ("header_timeout", n(&self.header_timeouts)),
            ("idle_timeout", n(&self.idle_timeouts)),
        ]
    }

    /// Requests stopped by the request timeout.
    pub fn requests_timed_out(&self) -> u64 {
        self.requests_timed_out.load(Ordering::Relaxed)
    }

    /// `accept` calls that failed for want of a resource (descriptors, memory).
    pub fn accept_errors(&self) -> u64 {
        self.accept_errors.load(Ordering::Relaxed)
    }
}

/// One listener's connections: their limits, counters and the idle ones in the order they
/// went idle.
pub struct Edge {
    settings: EdgeSettings,
    stats: Arc<EdgeStats>,
    /// Connections with no request in progress, keyed by when they went idle (a sequence
    /// number): the first is the one to evict.
    idle: Mutex<BTreeMap<u64, Arc<Conn>>>,
    seq: AtomicU64,
    http_metrics: Option<Arc<HttpMetrics>>,
}

impl Edge {
    pub fn new(
        settings: EdgeSettings,
        descriptors: Option<DescriptorLimit>,
        http_metrics: Option<Arc<HttpMetrics>>,
    ) -> Arc<Self> {
        let stats = Arc::new(EdgeStats::new(descriptors, settings.max_connections));
        if let Some(m) = &http_metrics {
            m.watch_edge(stats.clone());
        }
        Arc::new(Self {
            settings,
            stats,
            idle: Mutex::new(BTreeMap::new()),
            seq: AtomicU64::new(0),
            http_metrics,
        })
    }

    pub fn stats(&self) -> Arc<EdgeStats> {
        self.stats.clone()
    }

    pub fn settings(&self) -> &EdgeSettings {
        &self.settings
    }

    fn idle_set(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<Conn>>> {
        // The map holds no invariant a panic could break halfway: carry on with it.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the connection idle the longest with no request in progress for closing. False
    /// when there is none.
    fn evict_one(&self) -> bool {
        loop {
            let Some((key, conn)) = self.idle_set().pop_first() else {
                return false;
            };
            let mut state = conn.state();
            // It may have begun a request (or ended) since it was taken from the map.
            if state.idle_key == Some(key) && state.busy == 0 && !state.done {
                state.idle_key = None;
                state.closing = true;
                drop(state);
                conn.wake.notify_one();
                self.stats.evicted.fetch_add(1, Ordering::Relaxed);
                return true;
            }
        }
    }
}

/// One connection's state, shared by its task, its requests and its socket.
struct Conn {
    inner: Mutex<ConnState>,
    wake: Notify,
    /// Set while the connection is idle after an answer: the next byte read starts the
    /// header clock ([`Tracked`] checks it on every read without taking the lock).
    awaiting: AtomicBool,
}

struct ConnState {
    /// Requests in progress (HTTP/2 may have several).
    busy: u32,
    /// When it was accepted, or last went idle.
    since: Instant,
    /// When the first byte of the next request arrived on a kept-alive connection.
    head_since: Option<Instant>,
    /// Whether it has answered a request: then it is kept alive, and idles on the idle timeout.
    served: bool,
    /// Its key in [`Edge::idle`] while it is there.
    idle_key: Option<u64>,
    /// Evicted or shutting down: closed as soon as no request is in progress.
    closing: bool,
    /// Upgraded to a live socket, or its task has ended: never idle again.
    done: bool,
}

/// Why the edge closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    Header,
    Idle,
}

impl Conn {
    fn new(edge: &Edge) -> Arc<Self> {
        let conn = Arc::new(Self {
            inner: Mutex::new(ConnState {
                busy: 0,
                since: Instant::now(),
                head_since: None,
                served: false,
                idle_key: None,
                closing: false,
                done: false,
            }),
            wake: Notify::new(),
            awaiting: AtomicBool::new(false),
        });
        let key = edge.seq.fetch_add(1, Ordering::Relaxed);
        conn.state().idle_key = Some(key);
        edge.idle_set().insert(key, conn.clone());
        conn
    }

    fn state(&self) -> MutexGuard<'_, ConnState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A request has begun: the connection is busy until its answer's body is done.
    fn begin(self: &Arc<Self>, edge: &Arc<Edge>) -> Busy {
        self.awaiting.store(false, Ordering::Relaxed);
        let mut state = self.state();
        state.busy += 1;
        state.head_since = None;
        if let Some(key) = state.idle_key.take() {
            edge.idle_set().remove(&key);
        }
        drop(state);
        self.wake.notify_one();
        Busy {
            conn: self.clone(),
            edge: edge.clone(),
            upgraded: false,
        }
    }

    /// A request's answer is done (or was dropped).
    fn end(self: &Arc<Self>, edge: &Edge, upgraded: bool) {
        let mut state = self.state();
        state.busy = state.busy.saturating_sub(1);
        state.served = true;
        state.done |= upgraded;
        if state.busy == 0 && !state.done {
            state.since = Instant::now();
            state.head_since = None;
            if !state.closing {
                let key = edge.seq.fetch_add(1, Ordering::Relaxed);
                state.idle_key = Some(key);
                edge.idle_set().insert(key, self.clone());
            }
            self.awaiting.store(true, Ordering::Relaxed);
        }
        drop(state);
        self.wake.notify_one();
    }

    /// The first byte of a request arrived on an idle kept-alive connection.
    fn head_started(&self) {
        let mut state = self.state();
        if state.busy == 0 && state.head_since.is_none() {
            state.head_since = Some(Instant::now());
            drop(state);
            self.wake.notify_one();
        }
    }

    /// Its task has ended: out of the idle set for good.
    fn finish(&self, edge: &Edge) {
        let mut state = self.state();
        state.done = true;
        if let Some(key) = state.idle_key.take() {
            edge.idle_set().remove(&key);
        }
    }

    /// What the connection's task should do now.
    fn next(&self, settings: &EdgeSettings, now: Instant) -> Next {
        let state = self.state();
        if state.busy > 0 || state.done {
            return Next::Wait(None);
        }
        if state.closing {
            let recent = state.served && now.duration_since(state.since) < FLUSH_GRACE;
            return if recent {
                Next::Graceful(state.since + FLUSH_GRACE)
            } else {
                Next::Close(None)
            };
        }
        let (deadline, why) = match (state.served, state.head_since) {
            (false, _) => (state.since + settings.header_timeout, Expiry::Header),
            (true, Some(head)) => (head + settings.header_timeout, Expiry::Header),
            (true, None) => (state.since + settings.idle_timeout, Expiry::Idle),
        };
        if deadline <= now {
            Next::Close(Some(why))
        } else {
            Next::Wait(Some(deadline))
        }
    }
}

enum Next {
    /// Serve on, until this deadline if any.
    Wait(Option<Instant>),
    /// Close now (the timeout that expired, if one did).
    Close(Option<Expiry>),
    /// Close gracefully (let hyper flush its last answer), at the latest by then.
    Graceful(Instant),
}

/// Serves `app` on `listener` until `shutdown` is cancelled, then stops accepting, lets
/// requests in flight finish (closing each connection as its answer is done) and returns when
/// every connection's task has ended. Live sockets are not waited for: they left hyper at
/// their upgrade, and the hub closes them.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    edge: Arc<Edge>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    let backstop = edge.settings.header_timeout + edge.settings.idle_timeout;
    builder
        .http1()
        .timer(TokioTimer::new())
        // Our own clock times the headers and the idle time (hyper's one clock would close a
        // kept-alive connection after the header timeout); hyper's stays as a backstop.
        .header_read_timeout(backstop);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(edge.settings.idle_timeout)
        .keep_alive_timeout(edge.settings.header_timeout);
    let builder = Arc::new(builder);
    let app = TowerToHyperService::new(app);
    let connections = TaskTracker::new();
    let mut errors = AcceptErrors::default();
    let ceiling = edge.settings.max_connections + EVICTION_MARGIN;
    loop {
        // Past the cap and the margin, the connections evicted are still closing: wait for
        // them rather than accept, so that accept never meets the descriptor limit.
        while edge.stats.open() >= ceiling {
            if !edge.evict_one() {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                }
            } else {
                tokio::task::yield_now().await;
            }
            if shutdown.is_cancelled() {
                break;
            }
        }
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                errors.failed(&e, &edge).await;
                continue;
            }
        };
        errors.recovered();
        let open = edge.stats.open.fetch_add(1, Ordering::Relaxed) + 1;
        crate::memory::connection_opened(open);
        if open > edge.settings.max_connections && !edge.evict_one() {
            edge.stats.refused.fetch_add(1, Ordering::Relaxed);
            refuse(tcp);
            edge.stats.open.fetch_sub(1, Ordering::Relaxed);
            continue;
        }
        // Nagle's algorithm would hold small responses back for the peer's delayed ACK.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
        let conn = Conn::new(&edge);
        let io = TokioIo::new(Tracked {
            io: tcp,
            conn: conn.clone(),
            stats: edge.stats.clone(),
        });
        let handler = Handler {
            app: app.clone(),
            conn: conn.clone(),
            edge: edge.clone(),
            peer,
        };
        let builder = builder.clone();
        let edge = edge.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let served = builder.serve_connection_with_upgrades(io, handler);
            run_connection(served, &conn, &edge, shutdown).await;
            conn.finish(&edge);
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
    Ok(())
}

/// Drives one connection until it ends, closing it when its state says so.
async fn run_connection<F>(served: F, conn: &Conn, edge: &Edge, shutdown: CancellationToken)
where
    F: Future<Output = Result<(), Box<dyn std::error::Error + Send + Sync>>> + GracefulConn,
{
    let mut served = std::pin::pin!(served);
    let mut stopping = false;
    let mut graceful: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let deadline = match graceful {
            Some(by) => Some(by),
            None => match conn.next(&edge.settings, now) {
                Next::Wait(deadline) => deadline,
                Next::Close(why) => {
                    match why {
                        Some(Expiry::Header) => &edge.stats.header_timeouts,
                        Some(Expiry::Idle) => &edge.stats.idle_timeouts,
                        None => return,
                    }
                    .fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Next::Graceful(by) => {
                    served.as_mut().shut_gracefully();
                    graceful = Some(by);
                    Some(by)
                }
            },
        };
        tokio::select! {
            result = served.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = conn.wake.notified() => {}
            _ = tokio::time::sleep_until(deadline.unwrap_or(now).into()), if deadline.is_some() => {
                if graceful.is_some_and(|by| Instant::now() >= by) {
                    return;
                }
            }
            _ = shutdown.cancelled(), if !stopping => {
                stopping = true;
                conn.state().closing = true;
                served.as_mut().shut_gracefully();
            }
        }
    }
}

/// hyper's graceful shutdown of a connection: answer what is in progress, then close.
trait GracefulConn {
    fn shut_gracefully(self: Pin<&mut Self>);
}

impl<I, S, E, B> GracefulConn for auto::UpgradeableConnection<'_, I, S, E>
where
    S: hyper::service::HttpService<Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    B: hyper::body::Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    E: auto::HttpServerConnExec<S::Future, B>,
{
    fn shut_gracefully(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_takes_the_longest_idle_connection_and_never_a_busy_one() {
        let edge = Edge::new(
            EdgeSettings {
                header_timeout: Duration::from_secs(10),
                idle_timeout: Duration::from_secs(60),
                request_timeout: Duration::from_secs(30),
                max_connections: 2,
            },
            None,
            None,
        );
        let first = Conn::new(&edge);
        let second = Conn::new(&edge);
        let busy = first.begin(&edge);
        assert!(edge.evict_one());
        assert!(second.state().closing && !first.state().closing);
        assert!(!edge.evict_one(), "the busy one is not evictable");
        drop(busy);
        assert!(edge.evict_one(), "it is, once its answer is done");
        assert!(first.state().closing);
        assert_eq!(edge.stats.closed()[0], ("evicted", 2));
    }

    #[test]
    fn a_kept_alive_connection_idles_on_the_idle_timeout_and_a_started_head_on_the_header_one() {
        let settings = EdgeSettings {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            max_connections: 10,
        };
        let edge = Edge::new(settings.clone(), None, None);
        let conn = Conn::new(&edge);
        let at = |c: &Conn, now| match c.next(&settings, now) {
            Next::Wait(Some(d)) => d,
            _ => panic!("expected a deadline"),
        };
        let t0 = conn.state().since;
        assert_eq!(at(&conn, t0), t0 + settings.header_timeout);
        drop(conn.begin(&edge));
        let t1 = conn.state().since;
        assert_eq!(at(&conn, t1), t1 + settings.idle_timeout);
        conn.head_started();
        let t2 = conn.state().head_since.expect("head started");
        assert_eq!(at(&conn, t2), t2 + settings.header_timeout);
        assert!(matches!(
            conn.next(&settings, t2 + settings.header_timeout),
            Next::Close(Some(Expiry::Header))
        ));
        let _busy = conn.begin(&edge);
        assert!(matches!(
            conn.next(&settings, t2 + settings.idle_timeout * 2),
            Next::Wait(None)
        ));
    }
}
