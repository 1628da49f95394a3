//! Building and running the server. The server is a function of (listener, state, shutdown):
//! [`Application::build`] opens the store and binds, [`Application::run_until_stopped`] serves
//! until the token is cancelled. Tests build one on port 0 and cancel it themselves.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;

use crate::access::{Access, Role};
use crate::aggregator::Aggregator;
use crate::config::ServeConfig;
use crate::feed::Feed;
use crate::http::auth::{Edge, Limits};
use crate::http::live::LiveConfig;
use crate::http::{self, AppState};
use crate::live::Hub;
use crate::serve::{Edge as Connections, EdgeSettings};
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
    /// `--static-dir`: the dashboard from this folder rather than from inside the binary.
    static_dir: Option<std::path::PathBuf>,
    /// `--metrics-addr`'s listener.
    metrics: Option<TcpListener>,
    /// The demo's links: a viewer's for the wall, a one-time sign-in for the Secretariat.
    demo_links: Option<(String, String)>,
    /// The main listener's connections: their timeouts, cap and counters.
    connections: Arc<Connections>,
}

impl Application {
    /// Opens (and migrates) the database, loads the demo data if asked and the database is
    /// empty, and binds the listener.
    pub async fn build(config: &ServeConfig) -> anyhow::Result<Self> {
        let store = if config.stub_writes {
            tracing::warn!(
                "writes are stubbed out: reports are answered and not stored (a benchmark's reference)"
            );
            Store::open_stubbed(&config.database.url).await?
        } else {
            Store::open(&config.database.url).await?
        };
        let durability = store.durability().await.unwrap_or_else(|e| e.to_string());
        tracing::info!(database = %redact(&config.database.url), backend = ?store.backend(), %durability, "store open");
        if config.demo {
            match crate::demo::load_if_empty(&store, config.clock.today()).await? {
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
                resumes: crate::live::client::ResumeLimit::from(config),
            },
            tasks.clone(),
        );
        // Heartbeats say whether the database answers (pages show "data may be stale").
        hub.watch_store(store.health());
        let descriptors = match crate::serve::raise_descriptor_limit() {
            Ok(limit) => {
                tracing::info!(
                    soft = limit.soft,
                    hard = limit.hard,
                    "descriptor limit (RLIMIT_NOFILE)"
                );
                Some(limit)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the descriptor limit could not be read");
                None
            }
        };
        let max_http_connections = match config.max_http_connections {
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
            None => descriptors.map_or(1024, |l| crate::serve::default_cap(l.soft)),
        };
        // Live sockets count against the connection cap too (each holds a descriptor); a tenth
        // of it stays for plain requests.
        let live_max = config
            .max_connections
            .min(crate::serve::live_share(max_http_connections));
        if live_max < config.max_connections {
            tracing::info!(
                asked = config.max_connections,
                allowed = live_max,
                "live sockets limited to nine tenths of the connection cap"
            );
        }
        let live_config = Arc::new(LiveConfig {
            max_connections: live_max,
        });
        let http_metrics = Arc::new(crate::http::metrics::HttpMetrics::new(
            &store,
            &feed,
            &aggregator,
            &hub,
        ));
        let connections = Connections::new(
            EdgeSettings {
                header_timeout: Duration::from_secs(config.header_timeout_secs),
                idle_timeout: Duration::from_secs(config.idle_timeout_secs),
                request_timeout: Duration::from_secs(config.request_timeout_secs),
                max_connections: max_http_connections,
            },
            descriptors,
            Some(http_metrics.clone()),
        );
        tracing::info!(
            max = max_http_connections,
            header_timeout_secs = config.header_timeout_secs,
            idle_timeout_secs = config.idle_timeout_secs,
            request_timeout_secs = config.request_timeout_secs,
            "HTTP connections"
        );
        let listener = bind(config.addr)?;
        let edge = edge(config, listener.local_addr()?);
        tracing::info!(public_url = %edge.public_url, hosts = ?edge.hosts, public_read = edge.public_read, "edge");
        let access = Access::start(store.clone(), tasks.clone()).await?;
        let demo_links = if config.demo {
            let actor = crate::demo::ACTOR;
            let wall = access
                .create_link(
                    Role::Viewer,
                    "demo wall link",
                    false,
                    time::Duration::days(7),
                    actor,
                )
                .await?;
            let secretariat = access
                .create_link(
                    Role::Secretariat,
                    "demo Secretariat sign-in link",
                    true,
                    time::Duration::days(1),
                    actor,
                )
                .await?;
            Some((wall, secretariat))
        } else {
            None
        };
        let metrics = match config.metrics_addr {
            Some(addr) => Some(bind(addr)?),
            None => None,
        };
        let limits = Arc::new(Limits::new(
            config.writes_per_second,
            config.attempts_per_minute,
        ));
        let forget = (limits.clone(), tasks.clone());
        tokio::spawn(async move {
            let (limits, stop) = forget;
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = every.tick() => limits.forget_idle(),
                }
            }
        });
        let history = Arc::new(crate::analytics::history::History::new(
            store.clone(),
            crate::analytics::history::Settings::from(config),
        ));
        Ok(Self {
            listener,
            state: AppState {
                store,
                feed,
                aggregator,
                hub,
                live_config,
                http_metrics,
                access,
                edge: Arc::new(edge),
                limits,
                in_flight: Default::default(),
                history,
                clock: config.clock.clone(),
            },
            tasks,
            static_dir: config.static_dir.clone(),
            metrics,
            demo_links,
            connections,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// `--metrics-addr`'s bound address, if it was given.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The addresses a person opens, one per line: with the demo, links that sign in at once.
    pub fn urls(&self) -> String {
        let base = &self.state.edge.public_url;
        let ws = base.replacen("http", "ws", 1);
        let (wall, secretariat) = match &self.demo_links {
            Some((wall, once)) => (
                format!("{base}/join/{wall}?next=/wall   (a viewer's link)"),
                format!("{base}/join/{once}?next=/secretariat   (signs in once)"),
            ),
            None => (format!("{base}/wall"), format!("{base}/secretariat")),
        };
        let metrics = match &self.metrics {
            Some(l) => format!(
                "http://{}/metrics",
                l.local_addr()
                    .map_or_else(|_| "?".into(), |a| a.to_string())
            ),
            None => format!("{base}/metrics   (with a Secretariat or metrics token)"),
        };
        format!(
            "APO Productivity Dashboard is running at {base}\n  \
             wall (projector):  {wall}\n  \
             Secretariat:       {secretariat}\n  \
             delegates:         {base}/delegate\n  \
             sign in:           {base}/signin\n  \
             productivity:      {base}/productivity\n  \
             API:               {base}/api/v1/openapi.json\n  \
             live:              {ws}/api/v1/live\n  \
             health:            {base}/healthz\n  \
             metrics:           {metrics}\n\
             Reads {}. A token for a person or a script:\n  \
             apo-dashboard token create --role secretariat --label \"your name\"",
            if self.state.edge.public_read {
                "are public (--public-read)"
            } else {
                "need a credential"
            }
        )
    }

    /// Serves until `shutdown` is cancelled, then lets requests in flight finish and closes the
    /// database pool.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let store = self.state.store.clone();
        let hub = self.state.hub.clone();
        if let Some(listener) = self.metrics {
            let metrics = http::metrics::router().with_state(self.state.clone());
            let stop = self.tasks.clone();
            tokio::spawn(async move {
                let served = axum::serve(listener, metrics)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "serving /metrics failed");
                }
            });
        }
        let app = http::router(self.state, self.static_dir.as_deref());
        // On shutdown the background tasks stop first: live sockets close with 1001 (going
        // away), so that the graceful shutdown does not wait for them.
        let tasks = self.tasks.clone();
        let stopping = CancellationToken::new();
        let stop = stopping.clone();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            tasks.cancel();
            stop.cancel();
        });
        let served = crate::serve::serve(self.listener, app, self.connections, stopping)
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

/// Where the service is reached and which hosts it answers to (see [`Edge`]).
fn edge(config: &ServeConfig, bound: SocketAddr) -> Edge {
    let ip = bound.ip();
    let literal = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    };
    let mut hosts: HashSet<String> = HashSet::new();
    let interfaces: Vec<IpAddr> = if ip.is_unspecified() {
        if_addrs::get_if_addrs()
            .map(|list| list.into_iter().map(|i| i.ip()).collect())
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "listing the network interfaces failed");
                Vec::new()
            })
    } else {
        vec![ip]
    };
    for i in &interfaces {
        hosts.insert(literal(*i));
    }
    if ip.is_unspecified() || ip.is_loopback() {
        hosts.extend(["localhost".into(), "127.0.0.1".into(), "[::1]".into()]);
    }
    let public_url = config.public_url.clone().unwrap_or_else(|| {
        let host = if ip.is_unspecified() {
            lan_address(&interfaces).unwrap_or(IpAddr::from([127, 0, 0, 1]))
        } else {
            ip
        };
        format!("http://{}:{}", literal(host), bound.port())
    });
    let authority = public_url.split_once("://").map_or("", |(_, a)| a);
    hosts.insert(
        authority
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(authority, |(h, _)| h)
            .to_ascii_lowercase(),
    );
    hosts.extend(
        config
            .allowed_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase()),
    );
    Edge {
        https: public_url.starts_with("https://"),
        public_url,
        hosts,
        origins: config.allowed_origins.clone(),
        public_read: config.public_read,
        proxies: config.trusted_proxies.clone(),
    }
}

/// The address a phone on the room's network reaches this machine at: a private IPv4 address
/// (10/8, 172.16/12, 192.168/16) if it has one, else any other that is not loopback.
fn lan_address(interfaces: &[IpAddr]) -> Option<IpAddr> {
    let v4 = || {
        interfaces.iter().filter_map(|i| match i {
            IpAddr::V4(a) if !a.is_loopback() && !a.is_link_local() => Some(*a),
            _ => None,
        })
    };
    v4().find(|a| a.is_private())
        .or_else(|| v4().next())
        .map(IpAddr::V4)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lan_address_is_a_private_ipv4_one_when_there_is_one() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let with_private = [
            ip("127.0.0.1"),
            ip("::1"),
            ip("169.254.1.1"),
            ip("203.0.113.7"),
            ip("192.168.1.20"),
        ];
        assert_eq!(lan_address(&with_private), Some(ip("192.168.1.20")));
        assert_eq!(
            lan_address(&[ip("127.0.0.1"), ip("203.0.113.7")]),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(lan_address(&[ip("127.0.0.1"), ip("::1")]), None);
    }

    #[test]
    fn on_all_interfaces_the_public_url_is_a_lan_address_and_localhost_is_answered() {
        let mut config = ServeConfig::for_database("sqlite://unused.db");
        config.addr = "0.0.0.0:8080".parse().unwrap();
        let e = edge(&config, config.addr);
        assert!(!e.public_url.contains("0.0.0.0"), "{}", e.public_url);
        assert!(e.public_url.ends_with(":8080"), "{}", e.public_url);
        assert!(e.answers_to("localhost:8080"));
        assert!(!e.answers_to("0.0.0.0:8080"));
        assert!(!e.answers_to("evil.example:8080"));
        config.public_url = Some("https://dash.example.org".into());
        config.allowed_hosts = vec!["Dashboard.Local".into()];
        let e = edge(&config, config.addr);
        assert_eq!(e.public_url, "https://dash.example.org");
        assert!(e.https);
        assert!(e.answers_to("dash.example.org") && e.answers_to("dashboard.local:8080"));
    }
}
