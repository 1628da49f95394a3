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
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::{ErrorBody, ErrorPayload};
use crate::http::metrics::{HttpMetrics, RouteSlot};

/// Connections past the cap allowed while the ones evicted to make room are being closed. The
/// descriptor budget of [`default_cap`] leaves room for them.
pub const EVICTION_MARGIN: usize = 64;

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

/// RLIMIT_NOFILE, as it stands after [`raise_descriptor_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescriptorLimit {
    pub soft: u64,
    pub hard: u64,
}

/// Raises the soft limit on open descriptors to the hard one (the kernel's default soft limit,
/// often 1,024, would otherwise cap the connections long before memory does) and returns the
/// limits as they now stand.
#[cfg(unix)]
pub fn raise_descriptor_limit() -> io::Result<DescriptorLimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given, which lives on this stack frame.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = limit.rlim_max;
        } else {
            tracing::warn!(
                error = %io::Error::last_os_error(),
                soft = before,
                hard = limit.rlim_max,
                "the descriptor limit could not be raised to its hard limit"
            );
        }
    }
    Ok(DescriptorLimit {
        soft: limit.rlim_cur,
        hard: limit.rlim_max,
    })
}

#[cfg(not(unix))]
pub fn raise_descriptor_limit() -> io::Result<DescriptorLimit> {
    Err(io::Error::other("descriptor limits are a Unix notion"))
}

/// The connection cap a descriptor limit allows: the limit less a reserve for what else holds
/// descriptors (the database pool, at most 16; the listeners, epoll and timers; files being
/// served; logs: 256 plus 1/32 of the limit) and [`EVICTION_MARGIN`].
pub fn default_cap(soft_limit: u64) -> usize {
    let soft = soft_limit.min(1 << 24);
    let reserve = 256 + soft / 32 + EVICTION_MARGIN as u64;
    soft.saturating_sub(reserve).max(16) as usize
}

/// Live sockets allowed under a connection cap: nine in ten, so that a full house of live
/// sockets leaves room for plain requests (`/healthz`, the API, the pages).
pub fn live_share(cap: usize) -> usize {
    cap.saturating_sub((cap / 10).max(1)).max(1)
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

/// A request in progress; its end is when this is dropped (with the answer's body).
struct Busy {
    conn: Arc<Conn>,
    edge: Arc<Edge>,
    upgraded: bool,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.conn.end(&self.edge, self.upgraded);
    }
}

/// An answer's body that keeps its request counted as in progress until it is sent.
pub struct TrackedBody {
    inner: Body,
    _busy: Busy,
}

impl hyper::body::Body for TrackedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The accepted socket: counts itself open until dropped (which, for a live socket, is when
/// the live module drops the upgraded connection), and tells its connection when a first byte
/// arrives on an idle kept-alive connection.
struct Tracked {
    io: TcpStream,
    conn: Arc<Conn>,
    stats: Arc<EdgeStats>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let open = self.stats.open.fetch_sub(1, Ordering::Relaxed) - 1;
        crate::memory::connection_closed(open);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.io).poll_read(cx, buf))?;
        if buf.filled().len() > before
            && self.conn.awaiting.load(Ordering::Relaxed)
            && self.conn.awaiting.swap(false, Ordering::Relaxed)
        {
            self.conn.head_started();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The service hyper calls for each request of one connection: the router, with the peer's
/// address (`ConnectInfo`) and the edge's counters in the request's extensions, under the
/// request timeout, counted busy until its answer is sent.
#[derive(Clone)]
struct Handler {
    app: TowerToHyperService<Router>,
    conn: Arc<Conn>,
    edge: Arc<Edge>,
    peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for Handler {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        let mut busy = self.conn.begin(&self.edge);
        req.extensions_mut().insert(ConnectInfo(self.peer));
        // The route, for a request the timeout stops (the middleware that learns it stops too).
        let route = RouteSlot::default();
        req.extensions_mut().insert(route.clone());
        let method = req.method().clone();
        // A join link's path is a secret (a delegation card's code): never logged.
        let path = match req.uri().path() {
            p if p.starts_with("/join/") => "/join/…".to_owned(),
            p => p.to_owned(),
        };
        let answer = hyper::service::Service::call(&self.app, req);
        let edge = self.edge.clone();
        Box::pin(async move {
            let started = Instant::now();
            let limit = edge.settings.request_timeout;
            let response = match tokio::time::timeout(limit, answer).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => {
                    edge.stats
                        .requests_timed_out
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%method, %path, secs = limit.as_secs(), "request timed out: stopped and answered 503");
                    let response = timed_out(limit);
                    if let Some(m) = &edge.http_metrics {
                        m.observe(&method, route.get(), response.status(), started.elapsed());
                    }
                    response
                }
            };
            busy.upgraded = response.status() == StatusCode::SWITCHING_PROTOCOLS;
            Ok(response.map(|inner| TrackedBody { inner, _busy: busy }))
        })
    }
}

/// The answer to a request stopped by the request timeout. 503 rather than 408: the server,
/// not the client, was too slow (408 says the client did not send its request in time, and
/// browsers retry a 408 on their own, which would resend a change without asking).
fn timed_out(limit: Duration) -> Response<Body> {
    let body = ErrorBody {
        error: ErrorPayload {
            code: "timeout".into(),
            message: format!(
                "the server could not answer within {} s and stopped this request; try again \
                 shortly (a change sent with an Idempotency-Key is safe to send again with the \
                 same key)",
                limit.as_secs()
            ),
            details: Vec::new(),
            request_id: crate::error::request_id(),
        },
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = Response::new(Body::from(json));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// What a newcomer is told when the cap is reached and every connection is busy or live.
fn refusal() -> Vec<u8> {
    let body = ErrorBody {
        error: ErrorPayload {
            code: "unavailable".into(),
            message: "the server has as many connections as it can hold, all of them in use; \
                      try again in a moment"
                .into(),
            details: Vec::new(),
            request_id: crate::error::request_id(),
        },
    };
    let json = serde_json::to_string(&body).unwrap_or_default();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{json}",
        json.len()
    )
    .into_bytes()
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

/// Tells a newcomer there is no room, as far as it can be told without waiting, and closes.
fn refuse(tcp: TcpStream) {
    // Read what it sent, so that closing does not reset the connection before it reads the
    // answer.
    let mut scratch = [0u8; 4096];
    let _ = tcp.try_read(&mut scratch);
    let _ = tcp.try_write(&refusal());
}

/// `accept` failures: logged once per episode, with a brief back-off so the loop never spins.
#[derive(Default)]
struct AcceptErrors {
    /// When the current episode began, and how many failures it has had.
    episode: Option<(Instant, u64)>,
}

impl AcceptErrors {
    async fn failed(&mut self, e: &io::Error, edge: &Edge) {
        use io::ErrorKind::*;
        if matches!(
            e.kind(),
            ConnectionRefused | ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
        ) {
            // That client gave up before we took it: nothing is wrong here.
            return;
        }
        edge.stats.accept_errors.fetch_add(1, Ordering::Relaxed);
        let out_of_descriptors = matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE));
        match &mut self.episode {
            None => {
                tracing::error!(
                    error = %e,
                    open = edge.stats.open(),
                    cap = edge.settings.max_connections,
                    "accept failed; backing off (logged once until accepting works again)"
                );
                self.episode = Some((Instant::now(), 1));
            }
            Some((_, n)) => *n += 1,
        }
        if out_of_descriptors {
            // Something besides our connections holds descriptors: make room among ours.
            for _ in 0..8 {
                if !edge.evict_one() {
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(if out_of_descriptors {
            10
        } else {
            50
        }))
        .await;
    }

    fn recovered(&mut self) {
        if let Some((since, n)) = self.episode.take() {
            tracing::warn!(
                failures = n,
                ms = since.elapsed().as_millis() as u64,
                "accepting connections again"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_leaves_room_below_the_descriptor_limit() {
        assert_eq!(default_cap(1024), 1024 - 256 - 32 - 64);
        assert_eq!(default_cap(20_000), 20_000 - 256 - 625 - 64);
        assert!(default_cap(1 << 20) < 1 << 20);
        assert_eq!(default_cap(100), 16);
        assert_eq!(default_cap(u64::MAX), default_cap(1 << 24));
    }

    #[test]
    fn live_sockets_leave_a_tenth_of_the_cap_to_requests() {
        assert_eq!(live_share(200), 180);
        assert_eq!(live_share(5), 4);
        assert_eq!(live_share(1), 1);
    }

    #[test]
    fn the_descriptor_limit_is_raised_to_the_hard_one() {
        let limit = raise_descriptor_limit().expect("getrlimit works");
        assert_eq!(limit.soft, limit.hard);
    }

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
