//! The change feed: every committed [`Change`], in revision order, to whoever keeps up with
//! the database (the aggregator).
//!
//! Its two sources are this process's commits, published as they are made ([`Feed::write`]),
//! and the revisions other processes commit: on PostgreSQL heard by LISTEN
//! ([`crate::store::Store::listen`]), and on any backend found by a cheap look at the revision
//! now and then (a lost notification; an `import` run beside `serve` on SQLite). A subscriber
//! is told the latest revision known to be committed ([`Feed::subscribe`]) and asks for what
//! it has not applied ([`Feed::since`]): this process's recent changes come from memory, as
//! committed; revisions another process wrote are read from the log, as the same values.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::records::Change;
use crate::store::{Backend, Heard, Store, Write};

/// Changes kept in memory for [`Feed::since`]: a subscriber further behind reads the log.
/// The aggregator lags by what commits during its update and its coalescing window (up to
/// [`crate::aggregator::COALESCE_MAX`]): under sustained ingest, hundreds to thousands of
/// revisions. With 64 kept, it read 41 of its 44 updates of an 8 s ingest run at 32
/// connections back from the database, this process's own reports among them, beside the
/// committer (2026-12-07); this many cover a window at 100,000 reports a second. The map
/// holds only what its subscriber has not taken yet, so it is this full only when no
/// subscriber keeps up.
pub const KEPT: usize = 16_384;

/// A cheap-to-clone handle on the feed.
#[derive(Clone)]
pub struct Feed {
    state: Arc<FeedState>,
}

struct FeedState {
    store: Store,
    /// The latest revision known to be committed, by this process or another. Subscribers
    /// wake when it moves.
    latest: watch::Sender<i64>,
    /// This process's latest commits, by revision, until a subscriber has taken them. A std
    /// mutex: held to insert or copy, never across an await.
    kept: Mutex<BTreeMap<i64, Arc<Change>>>,
    /// What [`Feed::since`] answered from memory, and from the log (those that found any).
    from_memory: AtomicU64,
    from_log: AtomicU64,
    /// PostgreSQL NOTIFYs heard: of revisions this process had committed itself, which need
    /// nothing, and of new ones.
    heard_known: AtomicU64,
    heard_new: AtomicU64,
}

impl Feed {
    /// Starts the feed over `store`: on PostgreSQL a LISTEN task, on any backend a look at the
    /// revision every `poll`, both until `shutdown`.
    pub async fn start(store: Store, poll: Duration, shutdown: CancellationToken) -> Result<Self> {
        let rev = store.current_rev().await?;
        let feed = Self {
            state: Arc::new(FeedState {
                store: store.clone(),
                latest: watch::channel(rev).0,
                kept: Mutex::default(),
                from_memory: AtomicU64::new(0),
                from_log: AtomicU64::new(0),
                heard_known: AtomicU64::new(0),
                heard_new: AtomicU64::new(0),
            }),
        };
        // The committer publishes each commit before answering its writer, in revision order.
        let publishing = Arc::downgrade(&feed.state);
        store.publish_with(Box::new(move |change| match publishing.upgrade() {
            Some(state) => Feed { state }.publish(change),
            None => Arc::new(change),
        }));
        if store.backend() == Backend::Postgres {
            let listening = feed.clone();
            let stop = shutdown.clone();
            tokio::spawn(async move {
                let store = listening.state.store.clone();
                store.listen(stop, |h| listening.heard(h)).await;
            });
        }
        tokio::spawn(feed.clone().look_now_and_then(poll, shutdown));
        Ok(feed)
    }

    /// Runs `f` as one write attributed to `actor` ([`Store::write`]); what it committed is
    /// published before the answer comes back.
    pub async fn write<T, F>(
        &self,
        actor: &crate::records::Actor,
        f: F,
    ) -> Result<(T, Option<Arc<Change>>)>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut Write) -> futures_util::future::BoxFuture<'a, Result<T>>
            + Send
            + 'static,
    {
        self.state.store.write(actor, f).await
    }

    /// Appends reports as one write ([`Store::append_reports`]), heard of like any other.
    pub async fn append_reports(
        &self,
        actor: &crate::records::Actor,
        rows: Vec<crate::model::ActualInput>,
    ) -> Result<(usize, Option<Arc<Change>>)> {
        self.state.store.append_reports(actor, rows).await
    }

    /// The store it reads.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Publishes a change this process committed (so that subscribers apply it from memory).
    pub fn publish(&self, change: Change) -> Arc<Change> {
        let change = Arc::new(change);
        let rev = change.rev;
        {
            let mut kept = self.state.kept.lock().unwrap_or_else(|p| p.into_inner());
            kept.insert(rev, change.clone());
            while kept.len() > KEPT {
                kept.pop_first();
            }
        }
        self.advance(rev);
        change
    }

    /// Tells of the latest revision known to be committed: changed at each new one (several
    /// that come quickly may be seen as one, which is what a coalescing subscriber wants).
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.state.latest.subscribe()
    }

    /// The latest revision known to be committed.
    pub fn latest(&self) -> i64 {
        *self.state.latest.borrow()
    }

    /// The changes committed after revision `after`, oldest first: from memory when it holds
    /// every one of them, else from the log. Changes up to `after` are dropped from memory
    /// (the caller is past them).
    pub async fn since(&self, after: i64) -> Result<Vec<Arc<Change>>> {
        if let Some(found) = self.kept_since(after) {
            if !found.is_empty() {
                self.state.from_memory.fetch_add(1, Ordering::Relaxed);
            }
            return Ok(found);
        }
        let read = self.state.store.changes_since(after).await?;
        if !read.is_empty() {
            self.state.from_log.fetch_add(1, Ordering::Relaxed);
        }
        Ok(read.into_iter().map(Arc::new).collect())
    }

    /// What [`Feed::since`] would answer from memory: the kept changes from `after + 1` on, as
    /// long as they are consecutive (revisions have no gaps, so none can hide between them);
    /// `None` when memory does not start right after `after` but a later revision is known
    /// (another process wrote it). Later revisions that only the log holds are read at the
    /// next call.
    fn kept_since(&self, after: i64) -> Option<Vec<Arc<Change>>> {
        let mut kept = self.state.kept.lock().unwrap_or_else(|p| p.into_inner());
        *kept = kept.split_off(&(after + 1));
        let found: Vec<Arc<Change>> = kept
            .values()
            .zip(after + 1..)
            .take_while(|(c, rev)| c.rev == *rev)
            .map(|(c, _)| c.clone())
            .collect();
        if found.is_empty() && self.latest() > after {
            return None;
        }
        Some(found)
    }

    /// (from memory, from the log): how [`Feed::since`] found changes, for metrics and tests.
    pub fn reads(&self) -> (u64, u64) {
        (
            self.state.from_memory.load(Ordering::Relaxed),
            self.state.from_log.load(Ordering::Relaxed),
        )
    }

    /// PostgreSQL NOTIFYs heard since start: (of revisions this process committed, of new
    /// ones).
    pub fn notifications(&self) -> (u64, u64) {
        (
            self.state.heard_known.load(Ordering::Relaxed),
            self.state.heard_new.load(Ordering::Relaxed),
        )
    }

    /// Moves the latest known revision on to `rev`, waking subscribers, if it is newer.
    fn advance(&self, rev: i64) {
        self.state.latest.send_if_modified(|latest| {
            let newer = rev > *latest;
            *latest = (*latest).max(rev);
            newer
        });
    }

    /// What the LISTEN connection heard. A revision no newer than the latest this process
    /// committed needs nothing: this process announces its own writes too, and hears them
    /// after publishing them; revisions commit in order (each write holds the revision row
    /// until it commits), so any revision up to that one was committed before it and is known.
    fn heard(&self, heard: Heard) {
        match heard {
            Heard::Revision(rev) if rev <= self.state.store.committed_rev() => {
                self.state.heard_known.fetch_add(1, Ordering::Relaxed);
            }
            Heard::Revision(rev) => {
                self.state.heard_new.fetch_add(1, Ordering::Relaxed);
                self.advance(rev);
            }
            // What was announced while nobody listened is unknown: a look at the revision
            // tells.
            Heard::Look => {
                let feed = self.clone();
                tokio::spawn(async move { feed.look().await });
            }
        }
    }

    /// Reads the database's revision, and moves the latest known one on to it, unless it is
    /// no newer than this process's latest commit: that one is being published (a commit is
    /// published right after it is made), and any revision before it will be found missing
    /// from memory when it is.
    async fn look(&self) {
        match self.state.store.current_rev().await {
            Ok(rev) if rev > self.state.store.committed_rev() => self.advance(rev),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the change feed cannot read the revision"),
        }
    }

    /// Looks at the database's revision every `poll`: writes this process was not told about
    /// (another process on SQLite, a lost notification) are found within that time.
    async fn look_now_and_then(self, poll: Duration, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            self.look().await;
        }
    }
}
