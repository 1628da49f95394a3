//! Storage: the only module that speaks SQL.
//!
//! One implementation serves both backends. The SQL is written once in the common dialect of
//! SQLite and PostgreSQL (`$n` placeholders, `ON CONFLICT`, `RETURNING`) and runs through sqlx's
//! `Any` driver; what differs per backend is kept to three places: the migrations folder, the
//! SQLite connection pragmas, and how writers are serialised (below). Column types are limited
//! to what both share: 64-bit integers, doubles and text (timestamps are fixed-width RFC 3339
//! text, see [`timestamp`]).
//!
//! # Writes and the revision
//! Every write runs in a [`Write`]: a transaction whose first statement bumps the one-row
//! `revision` counter. That row lock serialises writers, so commit order equals revision order
//! (DESIGN.md: a sequence would not), and a write that fails rolls back its revision too, so
//! revisions have no gaps. The audit rows of a change are written in the same transaction,
//! and the commit returns what they record as a typed [`Change`]. Reading changes back from
//! the log ([`log`]) gives the same values, for changes another process committed.
//!
//! # Between replicas
//! On PostgreSQL each process announces its commits with NOTIFY and hears the others' with
//! LISTEN ([`notify`]); what a process does with what it hears is the change feed's business
//! ([`crate::feed`]).

pub mod access;
mod accreditations;
pub mod backup;
mod bcn;
mod claim;
mod coes;
pub mod commit;
mod commit_metrics;
pub mod dump;
mod dump_platforms;
mod durability;
mod gp;
pub mod health;
pub mod history;
mod kr_sources;
mod log;
pub mod notify;
mod primers;
mod projects;
mod reads;
mod report_rows;
mod rows;
mod series;
mod trainings;
mod write;
mod writes;

pub(crate) use rows::{
    Val, bind_values, insert_rows, numbered_parameters, push_values, rows_per_statement,
};

use std::sync::atomic::AtomicI64;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::Mutex;

use crate::domain::{CYCLE, CYCLE_FIRST_YEAR, CYCLE_LAST_YEAR, Pillar};
use crate::error::Result;
use crate::records::{Actor, Change};

pub use bcn::BcnFilter;
pub use health::{StoreHealth, StoreState};
pub use notify::{Heard, REVISION_CHANNEL};
pub use primers::{PrimerSummary, Review, Workflow};
pub use reads::{ActualFilter, AuditFilter, KeyResultRow};
pub(crate) use write::Tx;
pub use write::Write;
pub use writes::Duplicates;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!(
                "unsupported database URL {:?}: use sqlite://FILE or postgres://…",
                redact(url)
            )
        }
    }
}

/// A cheap-to-clone handle on the database.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer at a time and answers a second one with SQLITE_BUSY, which the
    /// driver then retries with sleeps. Queueing writers here instead is fairer and faster. On
    /// PostgreSQL the revision row lock does the same job across processes, so this is unused.
    sqlite_writer: Arc<Mutex<()>>,
    /// The URL, for a replica's LISTEN connection.
    url: String,
    /// The latest revision this process committed (or read at start), and on PostgreSQL its
    /// announcement to the other replicas ([`notify`]).
    announcer: notify::Announcer,
    /// Up, or down since when ([`health`]).
    health: StoreHealth,
    /// What the committer measures ([`commit`]).
    commit_metrics: commit::CommitMetrics,
    /// Where [`Store::write`] queues writes for the committer.
    committer: commit::Committer,
    /// Publishes a change this process committed to the change feed, in revision order, before
    /// its writer is answered (set by [`crate::feed::Feed::start`]).
    publisher: OnceLock<Publisher>,
    /// For the ingest benchmark's reference only ([`Store::open_stubbed`]): writes touch no
    /// database; revisions come from this counter.
    stub: bool,
    stub_rev: AtomicI64,
}

/// What publishes a committed change ([`Inner::publisher`]).
pub type Publisher = Box<dyn Fn(Change) -> Arc<Change> + Send + Sync>;

/// How long a request waits for a connection from the pool (connecting one included) before
/// it is answered 503: the database out of reach is said within this, not after the 30 s of
/// sqlx's default (10 s before issue 19).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1500);
/// How long `open` keeps trying to reach the database at start (a server started beside its
/// database waits for it).
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// PostgreSQL, per connection: a statement running longer than this is cancelled (57014, a
/// 503), and a transaction left idle this long by a client that vanished is ended, releasing
/// the revision row it holds (other writers wait behind it). Migrations run without the first.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(15);
pub const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(10);

/// How often SQLite's write-ahead log is copied back into the database.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Bytes SQLite's write-ahead log is cut back to when it starts again (`journal_size_limit`).
/// The log starts again at the first commit that finds it copied to its end; under writes
/// that never pause that never happens, and it grows by some 4.5 KB a report (908 MB after
/// the ingest benchmark's 36 s of writes on SQLite). Without a limit its file kept that size
/// until the server stopped; with it, it is cut back at the first pause.
pub const SQLITE_LOG_LIMIT: i64 = 64 * 1024 * 1024;

/// Hides the password of a database URL in logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Waits until the pool hands out a connection, for at most [`OPEN_TIMEOUT`]: a database
/// that is starting (refusing connections, or answering that it is starting up) is waited
/// for; any other error is final.
async fn reach(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let deadline = tokio::time::Instant::now() + OPEN_TIMEOUT;
    loop {
        match pool.acquire().await {
            Ok(_) => return Ok(()),
            Err(e) if health::unreachable(&e) && tokio::time::Instant::now() < deadline => {
                tracing::debug!(error = %e, "the database does not answer yet; trying again");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

impl Store {
    /// Connects (creating a SQLite file if it is missing) and applies the migrations.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            // `mode=rwc` creates the file when it does not exist yet.
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        let options: AnyConnectOptions = url.parse().context("parsing the database URL")?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(ACQUIRE_TIMEOUT);
        if backend == Backend::Postgres {
            pool = pool.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // synchronous_commit: a commit returns once its log is flushed to disk,
                    // whatever the server's default says.
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "SET statement_timeout = {}; SET idle_in_transaction_session_timeout = {}; \
                         SET synchronous_commit = on",
                        STATEMENT_TIMEOUT.as_millis(),
                        IDLE_IN_TRANSACTION_TIMEOUT.as_millis()
                    )))
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            });
        }
        if backend == Backend::Sqlite {
            // A local file does not drop connections: the ping before each acquire is a round
            // trip to the connection's worker thread for nothing (about a tenth of a
            // millisecond on every request and every dashboard update).
            pool = pool
                .test_before_acquire(false)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        // WAL: readers never block the writer. FULL: the log is fsynced at
                        // every commit, so an acknowledged write survives a power cut, not
                        // only a crash of this process (NORMAL); the committer groups writes
                        // so that they share the fsync ([`commit`]). No checkpoint inside a
                        // commit: the one that crossed 1,000 pages of log used to copy them
                        // back and fsync while a report waited for its answer (tens of
                        // milliseconds); a background task checkpoints instead, and the log
                        // is cut back when it starts again ([`SQLITE_LOG_LIMIT`]). Pages of
                        // 1 KB in a new database (an existing one keeps its own): a commit
                        // writes every page it changed to the log, and a group of reports
                        // changes a leaf of each index at a place of its own (a member, a key
                        // result), some 3 pages a report: with 4 KB pages 197 KB of log a
                        // group of 16, with 1 KB pages 74 KB, and the ingest benchmark's
                        // fsynced rate rose by 3-60 % in alternating runs (BENCHMARKS.md).
                        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "PRAGMA page_size = 1024; PRAGMA journal_mode = WAL; \
                             PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 10000; PRAGMA wal_autocheckpoint = 0; \
                             PRAGMA journal_size_limit = {SQLITE_LOG_LIMIT};"
                        )))
                        .execute(conn)
                        .await?;
                        Ok(())
                    })
                });
        }
        let pool = pool.connect_lazy_with(options.clone());
        reach(&pool)
            .await
            .with_context(|| format!("connecting to {}", redact(&url)))?;
        let store = Self::over(pool, backend, url.clone(), false);
        store.migrate().await?;
        store.seed_reference_data().await?;
        let rev = store.current_rev().await?;
        store.inner.announcer.start_at(rev);
        store
            .inner
            .stub_rev
            .store(rev, std::sync::atomic::Ordering::Relaxed);
        if backend == Backend::Postgres {
            store.warn_unless_durable().await;
        }
        let closed = store.clone();
        tokio::spawn(
            store
                .health()
                .probe(options, move || closed.inner.pool.is_closed()),
        );
        match backend {
            Backend::Postgres => {
                tokio::spawn(store.clone().announce());
            }
            Backend::Sqlite => {
                tokio::spawn(store.clone().checkpoint());
            }
        }
        Ok(store)
    }

    fn over(pool: AnyPool, backend: Backend, url: String, stub: bool) -> Self {
        let commit_metrics = commit::CommitMetrics::default();
        Self {
            inner: Arc::new_cyclic(|inner| Inner {
                pool,
                backend,
                sqlite_writer: Arc::new(Mutex::new(())),
                url,
                announcer: notify::Announcer::default(),
                health: StoreHealth::default(),
                committer: commit::Committer::start(inner.clone(), commit_metrics.clone()),
                commit_metrics,
                publisher: OnceLock::new(),
                stub,
                stub_rev: AtomicI64::new(0),
            }),
        }
    }

    /// Opens `url` as [`Store::open`] does, but with writes stubbed out: they run the same
    /// handlers and get revisions, and touch no database (reads still do). For the ingest
    /// benchmark's reference (`serve --stub-writes`, benches/ingest.sh) only: only reports
    /// (`POST /actuals`) can be written this way; any other write fails.
    pub async fn open_stubbed(url: &str) -> anyhow::Result<Self> {
        let real = Self::open(url).await?;
        let rev = real.current_rev().await?;
        let stub = Self::over(
            real.inner.pool.clone(),
            real.inner.backend,
            real.inner.url.clone(),
            true,
        );
        stub.inner
            .stub_rev
            .store(rev, std::sync::atomic::Ordering::Relaxed);
        stub.inner.announcer.start_at(rev);
        Ok(stub)
    }

    /// Installs what publishes this process's commits ([`Inner::publisher`]); once.
    pub fn publish_with(&self, publisher: Publisher) {
        if self.inner.publisher.set(publisher).is_err() {
            tracing::warn!("a second publisher for the store's commits was ignored");
        }
    }

    /// A change this process committed, published if a feed listens.
    pub(crate) fn publish(&self, change: Change) -> Arc<Change> {
        match self.inner.publisher.get() {
            Some(publish) => publish(change),
            None => Arc::new(change),
        }
    }

    /// SQLite: copies the write-ahead log back into the database now and then, beside the
    /// writes rather than inside one, and without waiting for readers or the writer (PASSIVE):
    /// what it cannot copy now is copied next time. Until the pool closes.
    async fn checkpoint(self) {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if self.inner.pool.is_closed() {
                return;
            }
            if let Err(e) = sqlx::raw_sql("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.inner.pool)
                .await
            {
                if self.inner.pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "could not checkpoint the SQLite log");
            }
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.inner.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let mut conn = self.inner.pool.acquire().await?;
        if self.inner.backend == Backend::Postgres {
            // A migration may rewrite a large table: no statement timeout for it, and the
            // connection is not returned to the pool without its timeout.
            conn.close_on_drop();
            sqlx::raw_sql("SET statement_timeout = 0")
                .execute(&mut *conn)
                .await?;
        }
        migrator
            .run(&mut *conn)
            .await
            .context("applying migrations")?;
        Ok(())
    }

    /// Members, pillars and the cycle: reference data, upserted on every start so that a
    /// corrected name in `data/members.csv` reaches existing databases. Not a revisioned change.
    async fn seed_reference_data(&self) -> anyhow::Result<()> {
        let mut tx = self.begin_tx().await?;
        let mut members = csv::Reader::from_reader(crate::domain::MEMBERS_CSV.as_bytes());
        for row in members.records() {
            let row = row.context("data/members.csv")?;
            sqlx::query(
                "INSERT INTO members (iso3, iso_num, name, short_name) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (iso3) DO UPDATE SET iso_num = excluded.iso_num,
                     name = excluded.name, short_name = excluded.short_name",
            )
            .bind(row[0].to_owned())
            .bind(row[1].to_owned())
            .bind(row[2].to_owned())
            .bind(row[3].to_owned())
            .execute(&mut *tx)
            .await?;
        }
        for (id, name) in Pillar::ALL {
            sqlx::query(
                "INSERT INTO pillars (id, name) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            )
            .bind(id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO cycles (code, first_year, last_year) VALUES ($1, $2, $3)
             ON CONFLICT (code) DO NOTHING",
        )
        .bind(CYCLE)
        .bind(CYCLE_FIRST_YEAR)
        .bind(CYCLE_LAST_YEAR)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// A transaction on a pooled connection, begun in a task of its own. sqlx counts a
    /// transaction only once its `BEGIN` is answered: a request dropped while it waited (its
    /// client left) returned the connection to the pool with the server's transaction open and
    /// nothing to roll it back, and the next request on it failed ("there is already a
    /// transaction in progress", then SET TRANSACTION refused: a 500 in the e2e run of
    /// 2026-12-08, on GET /budgets/pillars). Begun in a task, it always completes; if nobody
    /// takes it, it is dropped and rolled back as any unfinished transaction is.
    pub(crate) async fn begin_tx(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let pool = self.inner.pool.clone();
        tokio::spawn(async move { pool.begin().await })
            .await
            .unwrap_or_else(|e| {
                Err(sqlx::Error::Protocol(format!(
                    "beginning a transaction: {e}"
                )))
            })
    }

    /// What the committer measures, for `/metrics`.
    pub fn commit_metrics(&self) -> &commit::CommitMetrics {
        &self.inner.commit_metrics
    }

    /// Whether the database answers, as the probe and the requests last found ([`health`]).
    pub fn health(&self) -> StoreHealth {
        self.inner.health.clone()
    }

    /// A request's database error: marks the store down if it means the database is out of
    /// reach (the error then becomes a 503, [`crate::error::Error`]'s `From`).
    pub(crate) fn failed(&self, e: sqlx::Error) -> crate::error::Error {
        self.inner.health.saw(&e);
        e.into()
    }

    /// Closes the pool, waiting for connections in use to be returned (on PostgreSQL after
    /// announcing the last revision, so that a short-lived `import` is heard by the replicas).
    pub async fn close(&self) {
        if self.inner.backend == Backend::Postgres {
            let _ = self.notify(self.committed_rev()).await;
        }
        self.inner.pool.close().await;
    }

    /// The database URL, for a replica's LISTEN connection.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.inner.pool)
            .await
            .map(|_| ())
            .map_err(|e| {
                self.inner.health.saw(&e);
                crate::error::Error::Unavailable("the database does not answer".into())
            })
    }

    /// The revision of the last committed change (0 for an empty database).
    pub async fn current_rev(&self) -> Result<i64> {
        let (rev,): (i64,) = sqlx::query_as("SELECT rev FROM revision WHERE id = 1")
            .fetch_one(&self.inner.pool)
            .await?;
        Ok(rev)
    }

    /// The latest revision this process committed (or read at start).
    pub fn committed_rev(&self) -> i64 {
        self.inner.announcer.committed()
    }

    /// Starts a write attributed to `actor`: takes the next revision inside a new transaction.
    pub async fn begin(&self, actor: &Actor) -> Result<Write> {
        // Out of reach: said at once, not after the pool's acquire timeout.
        let state = self.inner.health.state();
        if !state.is_up() {
            return Err(state.unavailable());
        }
        let guard = match self.inner.backend {
            Backend::Sqlite => Some(self.inner.sqlite_writer.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        let mut tx = self.begin_tx().await.map_err(|e| self.failed(e))?;
        let (rev,): (i64,) =
            sqlx::query_as("UPDATE revision SET rev = rev + 1 WHERE id = 1 RETURNING rev")
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| self.failed(e))?;
        Ok(Write::new(self, Tx(Some(tx)), rev, actor, guard))
    }
}

/// The one timestamp format of the database: RFC 3339, UTC, microseconds, fixed width, so that
/// text order is time order on both backends.
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let t = t
        .replace_nanosecond(t.microsecond() * 1000)
        .expect("in range");
    let s = t.format(&Rfc3339).expect("formattable");
    // Rfc3339 drops trailing zero fractions; pad to a fixed width.
    match s.find('.') {
        Some(dot) => format!("{}{:0<7}Z", &s[..dot], &s[dot..s.len() - 1]),
        None => format!("{}.000000Z", &s[..s.len() - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_a_fixed_width_so_text_order_is_time_order() {
        let a = timestamp(time::macros::datetime!(2026-01-30 09:00:00 UTC));
        let b = timestamp(time::macros::datetime!(2026-01-30 09:00:00.5 UTC));
        let c = timestamp(time::macros::datetime!(2026-01-30 10:00:01.123456789 +01:00));
        assert_eq!(a, "2026-01-30T09:00:00.000000Z");
        assert_eq!(b, "2026-01-30T09:00:00.500000Z");
        assert_eq!(c, "2026-01-30T09:00:01.123456Z");
        assert!(a < b && b < c);
    }

    #[test]
    fn redaction_hides_passwords_only() {
        assert_eq!(
            redact("postgres://app:secret@db:5432/apo"),
            "postgres://app:***@db:5432/apo"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
    }
}
