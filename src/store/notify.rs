//! Revisions between replicas on PostgreSQL: each process announces the revisions it commits
//! with NOTIFY, and hears the others' with LISTEN. Both halves live here, beside the SQL; the
//! change feed ([`crate::feed`]) decides what a revision it hears of means for this process.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::Store;
use crate::error::Result;

/// The PostgreSQL channel on which every replica announces its new revisions.
pub const REVISION_CHANNEL: &str = "apo_revisions";

/// The latest revision this process committed, and the latest it announced.
pub(super) struct Announcer {
    /// Wakes the task that sends NOTIFY (PostgreSQL only): under load it announces only the
    /// latest revision.
    committed: watch::Sender<i64>,
    notified: AtomicI64,
}

impl Default for Announcer {
    fn default() -> Self {
        Self {
            committed: watch::channel(0).0,
            notified: AtomicI64::new(0),
        }
    }
}

impl Announcer {
    /// The revision the database was at when it was opened: nothing before it is announced.
    pub(super) fn start_at(&self, rev: i64) {
        self.committed.send_replace(rev);
        self.notified.store(rev, Ordering::Relaxed);
    }

    pub(super) fn committed_now(&self, rev: i64) {
        self.committed.send_if_modified(|c| {
            let newer = rev > *c;
            *c = (*c).max(rev);
            newer
        });
    }

    pub(super) fn committed(&self) -> i64 {
        *self.committed.borrow()
    }
}

/// What the LISTEN connection heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A process announced that it committed this revision (this one's own announcements
    /// included).
    Revision(i64),
    /// The connection was (re)made, or a payload that is not a revision came: whatever was
    /// announced meanwhile is unknown, so look.
    Look,
}

impl Store {
    /// Announces committed revisions to the other replicas with NOTIFY, outside the write
    /// transactions (a NOTIFY inside every write transaction made commits 12x slower,
    /// DESIGN.md) and coalesced: under load only the latest revision is announced.
    pub(super) async fn announce(self) {
        let mut committed = self.inner.announcer.committed.subscribe();
        while committed.changed().await.is_ok() {
            let rev = *committed.borrow_and_update();
            if let Err(e) = self.notify(rev).await {
                if self.pool().is_closed() {
                    return;
                }
                tracing::warn!(error = %e, rev, "could not announce the revision to other replicas");
            }
        }
    }

    pub(super) async fn notify(&self, rev: i64) -> Result<()> {
        if self
            .inner
            .announcer
            .notified
            .fetch_max(rev, Ordering::Relaxed)
            >= rev
        {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(REVISION_CHANNEL)
            .bind(rev.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// PostgreSQL: LISTENs for the revisions the processes on this database announce, and
    /// calls `heard` with each, until `shutdown`. When the connection drops it reconnects
    /// (every second until it can) and says [`Heard::Look`]: notifications sent while it was
    /// down are lost, and only a look at the revision covers them.
    pub async fn listen(&self, shutdown: CancellationToken, mut heard: impl FnMut(Heard)) {
        let url = self.url().to_owned();
        loop {
            let connected = async {
                let mut l = sqlx::postgres::PgListener::connect(&url).await?;
                l.listen(REVISION_CHANNEL).await?;
                Ok::<_, sqlx::Error>(l)
            };
            let mut listener = tokio::select! {
                _ = shutdown.cancelled() => return,
                l = connected => match l {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot LISTEN for other replicas' revisions; retrying");
                        tokio::select! {
                            _ = shutdown.cancelled() => return,
                            _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        }
                    }
                },
            };
            // Anything committed while nobody listened.
            heard(Heard::Look);
            loop {
                let next = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    n = listener.try_recv() => n,
                };
                match next {
                    Ok(Some(n)) => heard(match n.payload().parse::<i64>() {
                        Ok(rev) => Heard::Revision(rev),
                        Err(_) => Heard::Look,
                    }),
                    Ok(None) => {
                        tracing::warn!(
                            "the LISTEN connection dropped; reconnecting and catching up"
                        );
                        heard(Heard::Look);
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN failed; reconnecting");
                        break;
                    }
                }
            }
        }
    }
}
