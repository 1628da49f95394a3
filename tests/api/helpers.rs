//! Test harness: a real server on port 0 over a real database, SQLite (a temporary file) or
//! PostgreSQL (a fresh database on the local server per test).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use apo_dashboard::access::Role;
use apo_dashboard::config::ServeConfig;
use apo_dashboard::startup::Application;
use apo_dashboard::store::Store;
use serde_json::{Value, json};
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for each listed `async fn name(Backend)`, in the
/// modules `sqlite` and `postgres`, so that every backend runs the same tests.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The server PostgreSQL tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("APO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of its own for one test: a file in a temporary folder, or a new PostgreSQL
/// database. A PostgreSQL that does not answer fails the test with a message saying what to do:
/// skipping it would report a pass for a backend that was never tested.
pub async fn fresh_database(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    static N: AtomicUsize = AtomicUsize::new(0);
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary folder");
            let url = format!("sqlite://{}", dir.path().join("apo.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is required by the tests and did not answer at {admin}: {e}\n\
                     Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`), \
                     or point APO_TEST_POSTGRES_URL at a server where this user may CREATE DATABASE."
                )
            });
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("clock after 1970")
                .as_secs();
            drop_stale_databases(&mut conn, now).await;
            let name = format!(
                "apo_test_{now}_{}_{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            );
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("CREATE DATABASE");
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), None)
        }
    }
}

/// Test databases are left behind for inspection when a test fails; the ones older than an
/// hour are dropped here.
async fn drop_stale_databases(conn: &mut sqlx::PgConnection, now: u64) {
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'apo\\_test\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for (name,) in names {
        let born = name.split('_').nth(2).and_then(|t| t.parse::<u64>().ok());
        if born.is_some_and(|t| t + 3600 < now) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *conn)
            .await;
        }
    }
}

pub struct TestApp {
    pub base: String,
    /// Sends the Secretariat's token ([`TestApp::token`]) with every request.
    pub client: reqwest::Client,
    /// Sends no credential.
    pub anon: reqwest::Client,
    /// A Secretariat token, created with the server.
    pub token: String,
    pub access: apo_dashboard::access::Access,
    /// `--metrics-addr`'s bound address, when the test gave one.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub store: Store,
    pub feed: apo_dashboard::feed::Feed,
    pub aggregator: apo_dashboard::aggregator::Aggregator,
    pub hub: apo_dashboard::live::Hub,
    /// Dashboards of past revisions.
    pub history: std::sync::Arc<apo_dashboard::analytics::history::History>,
    pub database_url: String,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

/// A server over an empty database (members, pillars and the cycle only).
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn(backend, false).await
}

/// A server over the demo data set.
pub async fn spawn_demo_app(backend: Backend) -> TestApp {
    spawn(backend, true).await
}

async fn spawn(backend: Backend, demo: bool) -> TestApp {
    spawn_with(backend, |c| c.demo = demo).await
}

/// A server over an empty database, with `configure` applied to its configuration.
pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
    let (url, dir) = fresh_database(backend).await;
    spawn_at(url, dir, configure).await
}

/// A second server (a replica) on the database of `other`.
pub async fn spawn_replica(other: &TestApp, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
    spawn_at(other.database_url.clone(), None, configure).await
}

async fn spawn_at(
    url: String,
    dir: Option<tempfile::TempDir>,
    configure: impl FnOnce(&mut ServeConfig),
) -> TestApp {
    let mut config = ServeConfig::for_database(url.clone());
    // The tests write as fast as they can with one token; the limit has its own test.
    config.writes_per_second = 1_000_000;
    configure(&mut config);
    let app = Application::build(&config)
        .await
        .expect("application builds");
    let base = format!("http://{}", app.local_addr());
    let store = app.state().store.clone();
    let feed = app.state().feed.clone();
    let aggregator = app.state().aggregator.clone();
    let hub = app.state().hub.clone();
    let history = app.state().history.clone();
    let access = app.state().access.clone();
    let metrics_addr = app.metrics_addr();
    let (token, _) = access
        .create_token(
            Role::Secretariat,
            None,
            Some("tester".into()),
            None,
            "tests",
        )
        .await
        .expect("a Secretariat token");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    TestApp {
        base,
        client: bearer_client(&token),
        anon: reqwest::Client::new(),
        token,
        access,
        metrics_addr,
        store,
        feed,
        aggregator,
        hub,
        history,
        database_url: url,
        shutdown,
        server: Some(server),
        _dir: dir,
    }
}

/// A client that sends `token` as a bearer token with every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("a header value"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client")
}

/// A WebSocket handshake request for `url`, with `token` if given.
pub fn ws_request(
    url: &str,
    token: Option<&str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = url.into_client_request().expect("a WebSocket URL");
    if let Some(t) = token {
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {t}").parse().expect("a header value"),
        );
    }
    req
}

/// A response, read whole.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// The `x-request-id` header.
    pub request_id: Option<String>,
}

impl Reply {
    /// The `details` of an error body, as "field: message" lines, for assertions and failure
    /// messages.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["error"]["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .map(|d| d["field"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/')
            && !path.starts_with("/api/")
            && !path.starts_with("/healthz")
            && !path.starts_with("/readyz")
            && !path.starts_with("/metrics")
            && path != "/"
        {
            format!("{}/api/v1{path}", self.base)
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// The live endpoint's URL with `query`.
    pub fn live_url(&self, query: &str) -> String {
        self.base.replace("http://", "ws://") + "/api/v1/live" + query
    }

    /// A live handshake with the Secretariat's token.
    pub fn live_request(
        &self,
        query: &str,
    ) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        ws_request(&self.live_url(query), Some(&self.token))
    }

    /// A request with `client` (which carries its credential, or none), read whole.
    pub async fn send_as(
        &self,
        client: &reqwest::Client,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = client.request(method, self.url(path));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        Self::reply(req.send().await.expect("request")).await
    }

    pub(crate) async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let request_id = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            body,
            request_id,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        Self::reply(self.client.get(self.url(path)).send().await.expect("GET")).await
    }

    pub async fn send_json(&self, method: &str, path: &str, body: &Value) -> Reply {
        self.send_raw(method, path, "application/json", body.to_string())
            .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send_json("POST", path, body).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send_json("PUT", path, body).await
    }

    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Reply {
        if body.len() > apo_dashboard::http::MAX_BODY {
            return self.send_oversized(method, path, content_type, body).await;
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let resp = self
            .client
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        Self::reply(resp).await
    }

    /// Sends a body the server refuses before reading it. The server answers at once and closes,
    /// so an HTTP client library fails writing the rest (broken pipe) before it reads the answer;
    /// a raw socket that ignores the failed write sees the answer as a browser would.
    async fn send_oversized(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Reply {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let url = self.url(path);
        let rest = url.strip_prefix("http://").expect("http URL");
        let (host, target) = rest.split_at(rest.find('/').expect("path"));
        let mut tcp = tokio::net::TcpStream::connect(host).await.expect("connect");
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
             Authorization: Bearer {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.token,
            body.len()
        );
        tcp.write_all(head.as_bytes()).await.expect("headers");
        let _ = tcp.write_all(body.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tcp.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {answer:?}"));
        let (head, text) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let request_id = head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("x-request-id")
                .then(|| value.trim().to_owned())
        });
        Reply {
            status,
            body: serde_json::from_str(text).unwrap_or(Value::String(text.into())),
            request_id,
        }
    }

    /// Everything the API can show, to assert that a refused request changed nothing.
    pub async fn everything(&self) -> Value {
        let mut primers = serde_json::Map::new();
        for p in self.get("/primers").await.body.as_array().expect("primers") {
            let iso3 = p["iso3"].as_str().expect("iso3");
            primers.insert(
                iso3.into(),
                self.get(&format!("/primers/{iso3}")).await.body,
            );
        }
        json!({
            "rev": self.store.current_rev().await.expect("rev"),
            "members": self.get("/members").await.body,
            "primers": primers,
            "key_results": self.get("/key_results").await.body,
            "actuals": self.get("/actuals?limit=10000").await.body,
            "budgets": self.get("/budgets").await.body,
            "projects": self.get("/projects").await.body,
            "series": self.get("/series?iso3=JPN").await.body,
            "audit": self.get("/audit?limit=10000").await.body,
        })
    }

    /// The live dashboard of `period` once the aggregator has caught up with the store.
    pub async fn dashboard_when_current(&self, period: i64) -> Value {
        let rev = self.store.current_rev().await.expect("rev");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let doc = self.get(&format!("/dashboard?period={period}")).await;
            assert_eq!(doc.status, 200, "{}", doc.body);
            if doc.body["rev"] == rev {
                return doc.body;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the dashboard stayed at {} while the store is at {rev}",
                doc.body["rev"]
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stops cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A small valid primer for `iso3` with `n` key results (codes `{iso3}-KR1…`), all with
/// targets for 2026–2028.
pub fn primer(iso3: &str, status: &str, n: usize) -> Value {
    let krs: Vec<Value> = (1..=n)
        .map(|i| {
            json!({
                "code": format!("{iso3}-KR{i}"),
                "pillar": (i - 1) % 4 + 1,
                "focus_area": if i % 2 == 0 { "Green productivity" } else { "SMEs" },
                "title": format!("Key result {i}"),
                "unit": "people",
                "direction": "increase",
                "baseline_year": 2025,
                "baseline_value": 100.0,
                "targets": { "2026": 110.0 + i as f64, "2027": 120.0, "2028": 130.0 }
            })
        })
        .collect();
    json!({
        "status": status,
        "national_context": format!("National context of {iso3}."),
        "focus_areas": ["SMEs", "Green productivity"],
        "key_results": krs,
    })
}

/// A loopback port free now (for a server process a test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
