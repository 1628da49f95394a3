//! How an acknowledged write reaches the disk: what the pooled connections report (SQLite's
//! `synchronous`, PostgreSQL's `synchronous_commit` and `fsync`), logged at start and checked by
//! the tests, and a loud warning when PostgreSQL does not flush its log.

use super::{Backend, Store};
use crate::error::Result;

impl Store {
    /// How a commit reaches the disk, as a pooled connection reports it: SQLite's
    /// `synchronous` (2 is FULL: the log is fsynced at every commit), with its page size (what
    /// a commit writes to the log for each page it changed), or PostgreSQL's
    /// `synchronous_commit` and `fsync`. Logged at start; the tests check it.
    pub async fn durability(&self) -> Result<String> {
        Ok(match self.inner.backend {
            Backend::Sqlite => {
                let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous")
                    .fetch_one(&self.inner.pool)
                    .await?;
                let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode")
                    .fetch_one(&self.inner.pool)
                    .await?;
                let (page,): (i64,) = sqlx::query_as("PRAGMA page_size")
                    .fetch_one(&self.inner.pool)
                    .await?;
                let level = match sync {
                    0 => "OFF",
                    1 => "NORMAL",
                    2 => "FULL",
                    3 => "EXTRA",
                    _ => "?",
                };
                format!("sqlite synchronous={level} journal_mode={journal} page_size={page}")
            }
            Backend::Postgres => {
                let mut conn = self.inner.pool.acquire().await?;
                let (commit,): (String,) = sqlx::query_as("SHOW synchronous_commit")
                    .fetch_one(&mut *conn)
                    .await?;
                let (fsync,): (String,) =
                    sqlx::query_as("SHOW fsync").fetch_one(&mut *conn).await?;
                format!("postgres synchronous_commit={commit} fsync={fsync}")
            }
        })
    }

    /// PostgreSQL: says so loudly when the server does not flush its log (`fsync=off`): then
    /// no setting of ours makes an acknowledged write durable.
    pub(super) async fn warn_unless_durable(&self) {
        match sqlx::query_as::<_, (String,)>("SELECT setting FROM pg_settings WHERE name = 'fsync'")
            .fetch_one(&self.inner.pool)
            .await
        {
            Ok((on,)) if on == "on" => {}
            Ok((off,)) => tracing::warn!(
                fsync = %off,
                "PostgreSQL runs with fsync off: acknowledged writes can be lost in a power cut"
            ),
            Err(e) => tracing::warn!(error = %e, "could not read PostgreSQL's fsync setting"),
        }
    }
}
