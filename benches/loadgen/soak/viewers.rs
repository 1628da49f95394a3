//! The soak's live clients: N WebSocket sockets that read everything the server sends, with
//! churn, as browsers in a room do.
//!
//! Each client holds the revision it has (from snapshots and patches) and checks every patch's
//! base against it: a patch that does not start where the client is counts as a gap. A client
//! told to churn closes its socket (a tab closed, a phone asleep) and comes back a few seconds
//! later as a new connection that resumes from its revision (`?since=R`, DESIGN.md "Live"): the
//! server replays what it missed, or sends a snapshot when it no longer holds the patches. A
//! socket the server closes (a replica restarting) reconnects the same way, with the browser's
//! backoff (frontend/src/live.ts), through whatever is in front (the proxy sends it to a
//! replica that is up).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::client::{Client, Kind};

/// Counters over all the clients (read as differences from one minute to the next).
#[derive(Debug, Default)]
pub struct Counts {
    /// Sockets open now.
    pub open: AtomicI64,
    /// Closed by the client (churn).
    pub churned: AtomicU64,
    /// Closed by the server, or failed.
    pub dropped: AtomicU64,
    /// Connections after a client's first that resumed without a snapshot (patches replayed,
    /// or nothing missed) and that needed a snapshot.
    pub resumed: AtomicU64,
    pub snapshots: AtomicU64,
    /// Connection attempts that failed (refused, or the handshake refused).
    pub failed_connects: AtomicU64,
    /// Patches whose base was not the revision the client held.
    pub gaps: AtomicU64,
    pub patches: AtomicU64,
}

/// The clients, running.
pub struct Viewers {
    churn: Vec<Arc<Notify>>,
    pub counts: Arc<Counts>,
    tasks: tokio::task::JoinSet<()>,
}

/// The live endpoint with a resume from `since`.
fn path(since: Option<i64>) -> String {
    match since {
        Some(rev) => format!("/api/v1/live?since={rev}"),
        None => "/api/v1/live".into(),
    }
}

/// A small random number source for waits and picks (xorshift64*): no crate needed, and the
/// same run makes the same choices.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }
}

impl Viewers {
    /// Opens `n` sockets to `host` (at most 64 handshakes at a time) and waits for each one's
    /// snapshot; then they run until `stop`.
    pub async fn open(
        host: &str,
        auth: Arc<str>,
        n: usize,
        stop: CancellationToken,
    ) -> anyhow::Result<Self> {
        let counts = Arc::new(Counts::default());
        let opened: Vec<(Client, i64)> = futures_util::stream::iter(0..n)
            .map(|i| {
                let (host, auth) = (host.to_owned(), auth.clone());
                async move {
                    let mut ws = Client::connect_to(&host, &path(None), &auth)
                        .await
                        .with_context(|| format!("opening socket {i}"))?;
                    loop {
                        match ws.next_message().await? {
                            Some(m) => {
                                if let Kind::Snapshot(rev) = m.kind {
                                    return anyhow::Ok((ws, rev));
                                }
                            }
                            None => anyhow::bail!("socket {i} closed before its snapshot"),
                        }
                    }
                }
            })
            .buffer_unordered(64)
            .try_collect()
            .await?;
        counts.open.store(opened.len() as i64, Relaxed);
        let mut viewers = Self {
            churn: Vec::with_capacity(n),
            counts,
            tasks: tokio::task::JoinSet::new(),
        };
        for (i, (ws, rev)) in opened.into_iter().enumerate() {
            let churn = Arc::new(Notify::new());
            viewers.churn.push(churn.clone());
            let client = Viewer {
                host: host.to_owned(),
                auth: auth.clone(),
                held: Some(rev),
                counts: viewers.counts.clone(),
                rng: Rng::new(i as u64 + 1),
            };
            viewers.tasks.spawn(client.run(ws, churn, stop.clone()));
        }
        Ok(viewers)
    }

    pub fn len(&self) -> usize {
        self.churn.len()
    }

    /// Tells client `i` to close and come back.
    pub fn churn(&self, i: usize) {
        self.churn[i].notify_one();
    }

    /// Waits for every client to have closed (after `stop`).
    pub async fn join(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

/// One client across its connections.
struct Viewer {
    host: String,
    auth: Arc<str>,
    /// The revision it holds.
    held: Option<i64>,
    counts: Arc<Counts>,
    rng: Rng,
}

/// How a connection ended.
enum End {
    Churn,
    Dropped,
    Stop,
}

impl Viewer {
    async fn run(mut self, first: Client, churn: Arc<Notify>, stop: CancellationToken) {
        let mut ws = Some(first);
        let mut reconnected = false;
        while let Some(mut client) = ws.take() {
            // The first connection was counted open when it was made ([`Viewers::open`]).
            let mut first_frame = std::mem::replace(&mut reconnected, true);
            if first_frame {
                self.counts.open.fetch_add(1, Relaxed);
            }
            let end = loop {
                let msg = tokio::select! {
                    biased;
                    _ = stop.cancelled() => break End::Stop,
                    _ = churn.notified() => break End::Churn,
                    m = client.next_message() => m,
                };
                let Ok(Some(m)) = msg else {
                    break End::Dropped;
                };
                if std::mem::take(&mut first_frame) {
                    let counter = match m.kind {
                        Kind::Snapshot(_) => &self.counts.snapshots,
                        _ => &self.counts.resumed,
                    };
                    counter.fetch_add(1, Relaxed);
                }
                self.apply(m.kind, m.base);
            };
            self.counts.open.fetch_sub(1, Relaxed);
            let wait = match end {
                End::Stop => {
                    client.close().await;
                    return;
                }
                End::Churn => {
                    client.close().await;
                    self.counts.churned.fetch_add(1, Relaxed);
                    // Back after 1-10 s, as a tab reopened or a phone woken.
                    Duration::from_secs_f64(1.0 + 9.0 * self.rng.unit())
                }
                End::Dropped => {
                    self.counts.dropped.fetch_add(1, Relaxed);
                    self.backoff(0)
                }
            };
            match self.reconnect(wait, &stop).await {
                Some(c) => ws = Some(c),
                None => return,
            }
        }
    }

    /// What a message does to the revision held.
    fn apply(&mut self, kind: Kind, base: Option<i64>) {
        match kind {
            Kind::Snapshot(rev) => self.held = Some(rev),
            Kind::Patch(rev) => {
                self.counts.patches.fetch_add(1, Relaxed);
                match self.held {
                    // Already applied (a replay that overlaps): ignored, as a browser does.
                    Some(h) if rev <= h => {}
                    Some(h) => {
                        if base != Some(h) {
                            self.counts.gaps.fetch_add(1, Relaxed);
                        }
                        self.held = Some(rev);
                    }
                    None => self.held = Some(rev),
                }
            }
            Kind::Other => {}
        }
    }

    /// The browser's wait before its `attempt`-th try since the last connection
    /// (frontend/src/live.ts `backoff`): exponential from 500 ms to 10 s, half fixed and half
    /// random.
    fn backoff(&mut self, attempt: u32) -> Duration {
        let ceiling = (500.0 * 2f64.powi(attempt.min(20) as i32)).min(10_000.0);
        Duration::from_secs_f64((ceiling / 2.0 + ceiling / 2.0 * self.rng.unit()) / 1000.0)
    }

    /// Connects again after `wait`, resuming from the revision held; retries after the
    /// browser's backoff until it can, or `stop` (`None`).
    async fn reconnect(&mut self, mut wait: Duration, stop: &CancellationToken) -> Option<Client> {
        let mut attempt = 0;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return None,
                _ = tokio::time::sleep(wait) => {}
            }
            let path = path(self.held);
            tokio::select! {
                _ = stop.cancelled() => return None,
                c = Client::connect_to(&self.host, &path, &self.auth) => match c {
                    Ok(c) => return Some(c),
                    Err(_) => {
                        self.counts.failed_connects.fetch_add(1, Relaxed);
                    }
                },
            }
            attempt += 1;
            wait = self.backoff(attempt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer() -> Viewer {
        Viewer {
            host: String::new(),
            auth: "".into(),
            held: Some(10),
            counts: Arc::default(),
            rng: Rng::new(1),
        }
    }

    #[test]
    fn a_patch_that_does_not_start_at_the_revision_held_is_a_gap_and_an_old_one_is_ignored() {
        let mut v = viewer();
        v.apply(Kind::Patch(11), Some(10));
        v.apply(Kind::Patch(11), Some(10));
        v.apply(Kind::Patch(13), Some(12));
        assert_eq!((v.held, v.counts.gaps.load(Relaxed)), (Some(13), 1));
        v.apply(Kind::Snapshot(20), None);
        v.apply(Kind::Patch(21), Some(20));
        assert_eq!((v.held, v.counts.gaps.load(Relaxed)), (Some(21), 1));
        assert_eq!(v.counts.patches.load(Relaxed), 4);
    }

    #[test]
    fn reconnects_wait_as_the_browser_does_from_a_quarter_second_up_to_ten_seconds() {
        let mut v = viewer();
        for _ in 0..100 {
            let first = v.backoff(0).as_secs_f64();
            assert!((0.25..=0.5).contains(&first), "{first}");
            let late = v.backoff(12).as_secs_f64();
            assert!((5.0..=10.0).contains(&late), "{late}");
        }
    }

    #[test]
    fn the_random_source_is_uniform_enough_for_waits_and_picks() {
        let mut rng = Rng::new(7);
        let mut seen = [0usize; 10];
        for _ in 0..10_000 {
            seen[rng.below(10)] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }
}
