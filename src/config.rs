//! Typed configuration. Each setting comes from a flag, else from the environment, else from a
//! default (clap does the layering); nothing secret is printed (database URLs are redacted).

use std::net::SocketAddr;

use clap::Args;

/// The defaults, written once: the flags below and [`ServeConfig::for_database`] use them.
pub mod defaults {
    pub const DATABASE_URL: &str = "sqlite://apo-dashboard.db";
    pub const ADDR: &str = "127.0.0.1:8080";
    pub const MAX_CONNECTIONS: usize = 20_000;
    pub const LIVE_QUEUE: u64 = 256;
    pub const LIVE_STALL_MS: u64 = 2000;
    pub const HEARTBEAT_SECS: u64 = 15;
    pub const LIVE_RESUMES_PER_MINUTE: u32 = 12;
    pub const LIVE_RESUME_BURST: u32 = 10;
    pub const HISTORY_CONCURRENCY: u64 = 1;
    pub const HISTORY_QUEUE: u64 = 64;
    pub const HISTORY_CACHE_MB: u64 = 64;
    pub const HISTORY_CHECKPOINT_EVERY: i64 = 1000;
    pub const REVISION_POLL_SECS: u64 = 2;
    pub const WRITES_PER_SECOND: u32 = 20;
    pub const ATTEMPTS_PER_MINUTE: u32 = 10;
    pub const HEADER_TIMEOUT_SECS: u64 = 10;
    pub const IDLE_TIMEOUT_SECS: u64 = 60;
    pub const REQUEST_TIMEOUT_SECS: u64 = 30;
}

/// Where the data lives: `sqlite://FILE` (created if missing) or `postgres://…`.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = defaults::DATABASE_URL,
        hide_env_values = true
    )]
    pub url: String,
}

/// `apo-dashboard serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "APO_ADDR", default_value = defaults::ADDR)]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Load the demo data (primers of all 21 members, budgets, projects, Penn World Table) when
    /// the database is empty. An empty database stays empty without it.
    #[arg(long, env = "APO_DEMO")]
    pub demo: bool,
    /// Origins besides this server's own allowed to open the live WebSocket (repeat the flag,
    /// or comma-separate in the environment; "*" allows any).
    #[arg(
        long = "allowed-origin",
        env = "APO_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// Most live WebSocket connections served at once; more are refused with 503.
    #[arg(long, env = "APO_MAX_CONNECTIONS", default_value_t = defaults::MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Frames a live socket may have waiting behind a blocked write before they are replaced by
    /// a fresh snapshot.
    #[arg(long, env = "APO_LIVE_QUEUE", default_value_t = defaults::LIVE_QUEUE, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub live_queue: u64,
    /// Milliseconds a live socket's send may stay blocked (its peer stopped reading) before the
    /// socket is dropped; the browser then reconnects and resumes.
    #[arg(long, env = "APO_LIVE_STALL_MS", default_value_t = defaults::LIVE_STALL_MS, value_parser = clap::value_parser!(u64).range(100..))]
    pub live_stall_ms: u64,
    /// Seconds between heartbeats on live connections (DESIGN.md: at most 15).
    #[arg(long, env = "APO_HEARTBEAT_SECS", default_value_t = defaults::HEARTBEAT_SECS, value_parser = clap::value_parser!(u64).range(1..=15))]
    pub heartbeat_secs: u64,
    /// Snapshots a live socket may ask for with `resume` and `period` messages, per minute,
    /// after a burst of `--live-resume-burst` (a resume answered with a few missed patches
    /// counts as the fraction of a snapshot they weigh). Beyond it a message is refused with an
    /// error frame; a socket that keeps asking is closed with 1008.
    #[arg(long, env = "APO_LIVE_RESUMES_PER_MINUTE", default_value_t = defaults::LIVE_RESUMES_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..))]
    pub live_resumes_per_minute: u32,
    /// Snapshots a live socket may ask for at once before `--live-resumes-per-minute` applies.
    #[arg(long, env = "APO_LIVE_RESUME_BURST", default_value_t = defaults::LIVE_RESUME_BURST, value_parser = clap::value_parser!(u32).range(1..))]
    pub live_resume_burst: u32,
    /// Dashboards of past revisions (`GET /dashboard?rev=N`) recomputed at once, on the
    /// blocking pool; more wait their turn.
    #[arg(long, env = "APO_HISTORY_CONCURRENCY", default_value_t = defaults::HISTORY_CONCURRENCY, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub history_concurrency: u64,
    /// Requests for past revisions that may wait for a recomputation; more are refused with
    /// 503 and `Retry-After`.
    #[arg(long, env = "APO_HISTORY_QUEUE", default_value_t = defaults::HISTORY_QUEUE, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    pub history_queue: u64,
    /// Megabytes of recent past-revision documents kept in memory.
    #[arg(long, env = "APO_HISTORY_CACHE_MB", default_value_t = defaults::HISTORY_CACHE_MB, value_parser = clap::value_parser!(u64).range(0..=65536))]
    pub history_cache_mb: u64,
    /// Revisions between two checkpoints of the facts held in memory, from which a past
    /// revision is rebuilt (0: none, every past revision is read from the start of the log).
    #[arg(long, env = "APO_HISTORY_CHECKPOINT_EVERY", default_value_t = defaults::HISTORY_CHECKPOINT_EVERY, value_parser = clap::value_parser!(i64).range(0..))]
    pub history_checkpoint_every: i64,
    /// Seconds between looks at the revision for writes this process was not told about (on
    /// PostgreSQL, NOTIFY tells it first).
    #[arg(long, env = "APO_REVISION_POLL_SECS", default_value_t = defaults::REVISION_POLL_SECS)]
    pub revision_poll_secs: u64,
    /// Let anyone read the dashboard without a credential (a meeting room on a closed
    /// network). Changes always need one.
    #[arg(long, env = "APO_PUBLIC_READ")]
    pub public_read: bool,
    /// The address people reach the service at (`https://dashboard.example.org`, or
    /// `http://10.0.0.5:8080` on a room's network): what QR codes, cards and printed links use.
    /// Without it: the listen address, or when listening on all interfaces, a LAN address of
    /// this machine.
    #[arg(long, env = "APO_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Host names the service also answers to, besides its public URL's and its listen
    /// addresses (repeat the flag, or comma-separate in the environment). Requests naming any
    /// other `Host` are refused, which closes DNS rebinding.
    #[arg(
        long = "allowed-host",
        env = "APO_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Addresses of reverse proxies in front of the service (repeat, or comma-separate in the
    /// environment): for a request from one of them, the client is the last address of
    /// `X-Forwarded-For` that is not a proxy; sign-in and join attempts are counted per client.
    #[arg(
        long = "trusted-proxy",
        env = "APO_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Serve `/metrics` without a credential on this second address (for a monitoring system on
    /// a private network); on the main address it needs a Secretariat or metrics token.
    #[arg(long, env = "APO_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Changes each credential may make per second (bursts of twice as many); more are refused
    /// with 429.
    #[arg(long, env = "APO_WRITES_PER_SECOND", default_value_t = defaults::WRITES_PER_SECOND, value_parser = clap::value_parser!(u32).range(1..))]
    pub writes_per_second: u32,
    /// Sign-in and join attempts each client address may make per minute; more are refused
    /// with 429.
    #[arg(long, env = "APO_ATTEMPTS_PER_MINUTE", default_value_t = defaults::ATTEMPTS_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..))]
    pub attempts_per_minute: u32,
    /// Serve the browser dashboard from this folder instead of the one built into the binary
    /// (frontend development: `npm --prefix frontend run build` writes `frontend/dist`).
    #[arg(long, env = "APO_STATIC_DIR")]
    pub static_dir: Option<std::path::PathBuf>,
    /// Seconds a client has to send a request's headers: from connecting, or from the first
    /// byte of a later request on a kept-alive connection. Slower clients are disconnected.
    #[arg(long, env = "APO_HEADER_TIMEOUT_SECS", default_value_t = defaults::HEADER_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,
    /// Seconds a kept-alive connection may sit idle between requests before it is closed.
    #[arg(long, env = "APO_IDLE_TIMEOUT_SECS", default_value_t = defaults::IDLE_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub idle_timeout_secs: u64,
    /// Seconds a request may take until its answer starts; a slower one is stopped and answered
    /// 503 (a live socket's life after its upgrade is not counted).
    #[arg(long, env = "APO_REQUEST_TIMEOUT_SECS", default_value_t = defaults::REQUEST_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub request_timeout_secs: u64,
    /// Most connections open at once on the main address, live sockets included. Default:
    /// derived from the descriptor limit (raised to its hard limit at start), leaving room for
    /// the database pool and files. When it is reached, the longest-idle connection with no
    /// request in progress is closed to make room.
    #[arg(long, env = "APO_MAX_HTTP_CONNECTIONS", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_http_connections: Option<u64>,
    /// For the ingest benchmark's reference only (benches/ingest.sh): reports are answered
    /// without being stored; every other write fails. Never for real use.
    #[arg(long, hide = true)]
    pub stub_writes: bool,
    /// The server's day (today in UTC unless a test sets it).
    #[arg(skip)]
    pub clock: crate::clock::Clock,
}

impl ServeConfig {
    /// A configuration for tests and embedding: the given database, port 0 on loopback, the
    /// dashboard built into the binary, and every other setting at its default.
    pub fn for_database(url: impl Into<String>) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database: DatabaseConfig { url: url.into() },
            demo: false,
            allowed_origins: Vec::new(),
            max_connections: defaults::MAX_CONNECTIONS,
            live_queue: defaults::LIVE_QUEUE,
            live_stall_ms: defaults::LIVE_STALL_MS,
            heartbeat_secs: defaults::HEARTBEAT_SECS,
            live_resumes_per_minute: defaults::LIVE_RESUMES_PER_MINUTE,
            live_resume_burst: defaults::LIVE_RESUME_BURST,
            history_concurrency: defaults::HISTORY_CONCURRENCY,
            history_queue: defaults::HISTORY_QUEUE,
            history_cache_mb: defaults::HISTORY_CACHE_MB,
            history_checkpoint_every: defaults::HISTORY_CHECKPOINT_EVERY,
            revision_poll_secs: defaults::REVISION_POLL_SECS,
            public_read: false,
            public_url: None,
            allowed_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            metrics_addr: None,
            writes_per_second: defaults::WRITES_PER_SECOND,
            attempts_per_minute: defaults::ATTEMPTS_PER_MINUTE,
            static_dir: None,
            header_timeout_secs: defaults::HEADER_TIMEOUT_SECS,
            idle_timeout_secs: defaults::IDLE_TIMEOUT_SECS,
            request_timeout_secs: defaults::REQUEST_TIMEOUT_SECS,
            max_http_connections: None,
            stub_writes: false,
            clock: crate::clock::Clock::default(),
        }
    }
}

/// A public URL: `http://` or `https://`, a host, perhaps a port, no path; without a trailing
/// `/`.
pub fn parse_public_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or("the public URL starts with http:// or https://")?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err("the public URL is a scheme, a host and perhaps a port: no path".into());
    }
    Ok(s.to_owned())
}
