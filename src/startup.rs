//! Building and running the server. The server is a function of (listener, state, shutdown):
//! [`Application::build`] opens the store and binds, [`Application::run_until_stopped`] serves
//! until the token is cancelled. Tests build one on port 0 and cancel it themselves.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;

use crate::aggregator::Aggregator;
use crate::config::ServeConfig;
use crate::feed::Feed;
use crate::http::live::LiveConfig;
use crate::http::{self, AppState};
use crate::live::Hub;
use crate::store::{Store, redact};

/// Pending connections the kernel may queue. The default (128 on many systems) left clients
/// in SYN retries during a mass reconnect measured on these machines (DESIGN.md).
const LISTEN_BACKLOG: u32 = 8192;

pub struct Application {
    listener: TcpListener,
    state: AppState,
    /// Stops the background tasks (the change feed, the aggregator, the hub) when the server
    /// stops.
    tasks: CancellationToken,
    static_dir: std::path::PathBuf,
}

impl Application {
    /// Opens (and migrates) the database, loads the demo data if asked and the database is
    /// empty, and binds the listener.
    pub async fn build(config: &ServeConfig) -> anyhow::Result<Self> {
        let store = Store::open(&config.database.url).await?;
        tracing::info!(database = %redact(&config.database.url), backend = ?store.backend(), "store open");
        if config.demo {
            match crate::demo::load_if_empty(&store).await? {
                Some(report) => tracing::info!(rev = ?report.rev, "demo data loaded: {report}"),
                None => tracing::info!("database not empty: demo data not loaded"),
            }
        }
        let tasks = CancellationToken::new();
        let feed = Feed::start(
            store.clone(),
            Duration::from_secs(config.revision_poll_secs.max(1)),
            tasks.clone(),
        )
        .await?;
        let facts = store.facts(None).await?;
        let aggregator = Aggregator::start(facts, feed.clone(), tasks.clone()).await?;
        let hub = Hub::start(
            aggregator.clone(),
            crate::live::Settings {
                heartbeat: Duration::from_secs(config.heartbeat_secs),
                queue: config.live_queue as usize,
                stall: Duration::from_millis(config.live_stall_ms),
            },
            tasks.clone(),
        );
        let live_config = Arc::new(LiveConfig {
            allowed_origins: config.allowed_origins.clone(),
            max_connections: config.max_connections,
        });
        let listener = bind(config.addr)?;
        Ok(Self {
            listener,
            state: AppState {
                store,
                feed,
                aggregator,
                hub,
                live_config,
                http_metrics: Default::default(),
            },
            tasks,
            static_dir: config.static_dir.clone(),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The addresses a person opens, one per line.
    pub fn urls(&self) -> String {
        let addr = self.local_addr();
        let base = format!("http://{addr}");
        format!(
            "APO Productivity Dashboard is running.\n  \
             wall (projector):  {base}/wall\n  \
             delegates:         {base}/delegate\n  \
             Secretariat:       {base}/secretariat\n  \
             productivity:      {base}/productivity\n  \
             API:               {base}/api/v1/openapi.json\n  \
             live:              ws://{addr}/api/v1/live\n  \
             health:            {base}/healthz\n  \
             metrics:           {base}/metrics"
        )
    }

    /// Serves until `shutdown` is cancelled, then lets requests in flight finish and closes the
    /// database pool.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let store = self.state.store.clone();
        let hub = self.state.hub.clone();
        let app = http::router(self.state, &self.static_dir);
        // Nagle's algorithm would hold small responses back for the peer's delayed ACK.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
        // On shutdown the background tasks stop first: live sockets close with 1001 (going
        // away), so that the graceful shutdown does not wait for them.
        let tasks = self.tasks.clone();
        let stopping = async move {
            shutdown.cancelled().await;
            tasks.cancel();
        };
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stopping)
            .await
            .context("serving HTTP");
        self.tasks.cancel();
        hub.closed(Duration::from_secs(2)).await;
        served?;
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }?;
    socket.set_reuseaddr(true)?;
    socket
        .bind(addr)
        .with_context(|| format!("binding {addr}: is another server using it?"))?;
    Ok(socket.listen(LISTEN_BACKLOG)?)
}

/// A cancellation token that fires on SIGINT (Ctrl-C) or SIGTERM (an orchestrator stopping us).
pub fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let fire = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("installing the SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => tracing::info!("SIGINT: shutting down"),
                _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        fire.cancel();
    });
    token
}
