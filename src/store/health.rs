//! The store's state as a value kept current: up, or down since when (issue 19).
//!
//! A probe looks every [`PROBE_EVERY`] with `SELECT 1` on a connection of its own (not the
//! pool's: a pool busy with slow requests is not a database out of reach), each look bounded
//! by [`PROBE_TIMEOUT`]. A request that meets an error meaning "the database cannot be
//! reached" ([`unreachable`]) marks the store down at once and wakes the probe, which alone
//! marks it up again (or a write that commits). While it is down, writes answer 503 at once
//! ([`super::Store::begin`]) rather than wait for the pool's acquire timeout; `/readyz`, the
//! live heartbeats, `/metrics` and the stale marker of `GET /dashboard` read this value
//! without asking the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::Connection;
use sqlx::any::AnyConnectOptions;
use time::OffsetDateTime;
use tokio::sync::{Notify, watch};

/// How often the probe looks when nothing wakes it.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long one look (connecting if needed, then `SELECT 1`) may take before the database
/// counts as out of reach.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Whether the database answers, and since when it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreState {
    Up,
    /// Found out of reach at `since`, and not reached since.
    Down {
        since: OffsetDateTime,
    },
}

impl StoreState {
    pub fn is_up(self) -> bool {
        self == Self::Up
    }

    /// When it went down, if it is down.
    pub fn down_since(self) -> Option<OffsetDateTime> {
        match self {
            Self::Up => None,
            Self::Down { since } => Some(since),
        }
    }

    /// What a 503 says to a person while it is down.
    pub fn unavailable(self) -> crate::error::Error {
        crate::error::Error::Unavailable(match self.down_since() {
            Some(since) => format!(
                "the database has been out of reach since {} UTC; try again in a few seconds",
                since.time().replace_nanosecond(0).unwrap_or(since.time())
            ),
            None => "the database cannot be reached; try again in a few seconds".into(),
        })
    }
}

/// A moment in RFC 3339, to the second, in UTC (`2026-03-02T09:30:00Z`): the form of the
/// store's `since` in headers, heartbeats and `/readyz`.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A cheap-to-clone handle on the store's state.
#[derive(Clone)]
pub struct StoreHealth {
    shared: Arc<Shared>,
}

struct Shared {
    state: watch::Sender<StoreState>,
    /// Wakes the probe before its next tick (a request saw the database fail).
    wake: Notify,
    /// Times the store went down since start.
    outages: AtomicU64,
}

impl Default for StoreHealth {
    fn default() -> Self {
        Self {
            shared: Arc::new(Shared {
                state: watch::channel(StoreState::Up).0,
                wake: Notify::new(),
                outages: AtomicU64::new(0),
            }),
        }
    }
}

impl StoreHealth {
    /// The state now.
    pub fn state(&self) -> StoreState {
        *self.shared.state.borrow()
    }

    /// Tells of every change of state (up → down, down → up).
    pub fn subscribe(&self) -> watch::Receiver<StoreState> {
        self.shared.state.subscribe()
    }

    /// Times the store went down since start.
    pub fn outages(&self) -> u64 {
        self.shared.outages.load(Ordering::Relaxed)
    }

    /// The database was found out of reach now (kept as the start of the outage if it was
    /// already down).
    pub fn mark_down(&self) {
        let changed = self.shared.state.send_if_modified(|s| match s {
            StoreState::Down { .. } => false,
            StoreState::Up => {
                *s = StoreState::Down {
                    since: OffsetDateTime::now_utc(),
                };
                true
            }
        });
        if changed {
            self.shared.outages.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("the database cannot be reached: answering 503 to what needs it");
        }
    }

    /// The database answered.
    pub fn mark_up(&self) {
        // Watchers hear of a change only (each probe that finds it up is not one: the hub
        // would send every socket a heartbeat a second).
        let mut was = None;
        self.shared.state.send_if_modified(|s| match *s {
            StoreState::Up => false,
            StoreState::Down { since } => {
                was = Some(since);
                *s = StoreState::Up;
                true
            }
        });
        if let Some(since) = was {
            let secs = (OffsetDateTime::now_utc() - since).as_seconds_f64();
            tracing::info!(down_for_s = secs, "the database answers again");
        }
    }

    /// What a request saw go wrong: an error meaning the database is out of reach marks it
    /// down, and any that might (a pool timeout: busy, or gone) has the probe look now.
    pub fn saw(&self, e: &sqlx::Error) {
        if !unreachable(e) {
            return;
        }
        if !matches!(e, sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed) {
            self.mark_down();
        }
        self.shared.wake.notify_one();
    }

    /// Looks every [`PROBE_EVERY`] (or when woken) until `stop` says so, marking the state.
    pub(super) async fn probe(self, options: AnyConnectOptions, stop: impl Fn() -> bool) {
        let mut conn: Option<AnyConnection> = None;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(PROBE_EVERY) => {}
                _ = self.shared.wake.notified() => {}
            }
            if stop() {
                if let Some(c) = conn.take() {
                    let _ = c.close().await;
                }
                return;
            }
            let look = tokio::time::timeout(PROBE_TIMEOUT, async {
                if conn.is_none() {
                    conn = Some(AnyConnection::connect_with(&options).await?);
                }
                match conn.as_mut() {
                    Some(c) => sqlx::query("SELECT 1").execute(c).await.map(|_| ()),
                    None => Ok(()),
                }
            })
            .await;
            match look {
                Ok(Ok(())) => self.mark_up(),
                Ok(Err(e)) => {
                    // A connection that failed once is not trusted again.
                    conn = None;
                    if !unreachable(&e) {
                        tracing::warn!(error = %e, "the database probe failed");
                    }
                    self.mark_down();
                }
                Err(_) => {
                    conn = None;
                    self.mark_down();
                }
            }
        }
    }
}

/// Whether `e` means the database cannot be reached (or cannot take the request now), as
/// opposed to a fault of the request or of this program: the socket failed or closed, the
/// pool timed out waiting for a connection or is closed, or PostgreSQL answered with a
/// connection exception (SQLSTATE class 08), a shutdown or start-up (57P01–57P03), too many
/// connections (53300) or a statement cancelled by `statement_timeout` (57014).
pub fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|code| {
            (code.starts_with("08") && code != "08P01")
                || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300" | "57014")
        }),
        // The driver's word for a connection closed under it (e.g. "unexpected end of file").
        sqlx::Error::Protocol(m) => {
            let m = m.to_ascii_lowercase();
            m.contains("end of file") || m.contains("connection") || m.contains("closed")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_reach_are_told_from_errors_of_the_request() {
        let io = |k| sqlx::Error::Io(std::io::Error::from(k));
        for e in [
            io(std::io::ErrorKind::ConnectionReset),
            io(std::io::ErrorKind::ConnectionRefused),
            io(std::io::ErrorKind::UnexpectedEof),
            io(std::io::ErrorKind::BrokenPipe),
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
            sqlx::Error::Protocol("unexpected end of file".into()),
        ] {
            assert!(unreachable(&e), "{e:?}");
        }
        for e in [
            sqlx::Error::RowNotFound,
            sqlx::Error::ColumnNotFound("x".into()),
            sqlx::Error::Protocol("unknown message type".into()),
        ] {
            assert!(!unreachable(&e), "{e:?}");
        }
    }

    #[test]
    fn a_request_that_cannot_reach_the_database_marks_it_down_once() {
        let h = StoreHealth::default();
        assert!(h.state().is_up());
        h.saw(&sqlx::Error::RowNotFound);
        assert!(h.state().is_up(), "not an error of reach");
        h.saw(&sqlx::Error::PoolTimedOut);
        assert!(h.state().is_up(), "a pool timeout only has the probe look");
        h.saw(&sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()));
        let since = h.state().down_since().expect("down");
        h.mark_down();
        assert_eq!(
            h.state().down_since(),
            Some(since),
            "the outage keeps its start"
        );
        assert_eq!(h.outages(), 1);
        h.mark_up();
        assert!(h.state().is_up());
        h.mark_down();
        assert_eq!(h.outages(), 2);
    }
}
