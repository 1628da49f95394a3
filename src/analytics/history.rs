//! Historical dashboards (`GET /dashboard?rev=N`), computed with bounded work.
//!
//! A past revision's document is recomputed from the append-only log ([`full::compute`] over
//! the facts as of that revision), which costs a database read and a polars computation on
//! the blocking pool. Unbounded, 50 clients asking random revisions of a 22,700-revision
//! database took 2.1 s each and an unrelated `GET /members` went from 1 ms to 1.2 s (issue 19).
//! So:
//! - at most [`Settings::concurrency`] recomputations run at once (a semaphore), and at most
//!   [`Settings::queue`] more wait for their turn; beyond that the request is refused at once
//!   ([`Refused::Busy`]: 503 with `Retry-After`), so that the blocking pool and the database's
//!   connections stay free for ordinary requests;
//! - identical requests (same revision and period) in flight at once share one computation,
//!   and its document is kept in a cache of recent documents bounded in bytes
//!   ([`Settings::cache_bytes`]); a computation goes on when its client leaves, so that the
//!   client's retry finds it cached;
//! - the facts as of N are built from the nearest checkpoint at or below N (the facts held in
//!   memory as of an earlier revision, every [`Settings::checkpoint_every`] revisions) and the
//!   changes after it, read from the log ([`Facts::apply`], as the aggregator keeps the current
//!   facts), rather than from revision 0. A checkpoint is made from a full read the first time
//!   a revision past it is asked for, so a replay of a workshop reads the whole log once per
//!   checkpoint, not once per request.
//!
//! The documents are the ones computed from zero (a test compares them on both backends).
//! A server holds one [`History`] for its database, in its state (`AppState::history`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use time::OffsetDateTime;
use tokio::sync::{OnceCell, Semaphore};

use super::full;
use crate::config::defaults;
use crate::error::Error;
use crate::records::Facts;
use crate::store::{Store, timestamp};

/// How historical recomputations are bounded (from `serve`'s flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Recomputations running at once.
    pub concurrency: usize,
    /// Requests that may wait for a running one to finish; more are refused with 503.
    pub queue: usize,
    /// Bytes of recent documents kept.
    pub cache_bytes: usize,
    /// Revisions between two checkpoints of the facts (0: none; every request reads the log
    /// from revision 0).
    pub checkpoint_every: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: defaults::HISTORY_CONCURRENCY as usize,
            queue: defaults::HISTORY_QUEUE as usize,
            cache_bytes: defaults::HISTORY_CACHE_MB as usize * 1024 * 1024,
            checkpoint_every: defaults::HISTORY_CHECKPOINT_EVERY,
        }
    }
}

impl From<&crate::config::ServeConfig> for Settings {
    fn from(c: &crate::config::ServeConfig) -> Self {
        Self {
            concurrency: c.history_concurrency as usize,
            queue: c.history_queue as usize,
            cache_bytes: (c.history_cache_mb as usize).saturating_mul(1024 * 1024),
            checkpoint_every: c.history_checkpoint_every,
        }
    }
}

/// Reports held in all checkpoints together, at most: about 150 bytes each in memory. Past
/// it, the checkpoint used least recently goes.
pub const CHECKPOINT_REPORTS: usize = 1_000_000;

/// Why a historical document is not given.
#[derive(Debug)]
pub enum Refused {
    /// Too many recomputations running and waiting: try again after this many seconds.
    Busy {
        retry_after: u64,
    },
    Failed(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Self::Failed(e)
    }
}

/// Locks `m`, also after a panic elsewhere: everything kept here stays valid between
/// statements (a cache or map entry is whole or absent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Historical documents of one database.
pub struct History {
    store: Store,
    settings: Settings,
    permits: Arc<Semaphore>,
    /// Recomputations running or waiting for a permit.
    admitted: AtomicUsize,
    running: AtomicUsize,
    /// The most that ever ran at once.
    peak: AtomicUsize,
    /// Documents asked for.
    asked: AtomicU64,
    /// Recomputations started (each request that found no cached or shared document).
    computed: AtomicU64,
    /// Recent recomputations' time, smoothed, in microseconds (for `Retry-After`).
    cost_us: AtomicU64,
    cache: Mutex<Cache>,
    in_flight: Mutex<HashMap<Key, Arc<OnceCell<Bytes>>>>,
    checkpoints: Mutex<Checkpoints>,
}

/// A document: (revision, period).
type Key = (i64, i64);

impl History {
    pub fn new(store: Store, settings: Settings) -> Self {
        Self {
            store,
            permits: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            settings,
            admitted: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            asked: AtomicU64::new(0),
            computed: AtomicU64::new(0),
            cost_us: AtomicU64::new(0),
            cache: Mutex::new(Cache::default()),
            in_flight: Mutex::new(HashMap::new()),
            checkpoints: Mutex::new(Checkpoints::default()),
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// The most recomputations that ever ran at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Recomputations started so far.
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    /// Documents asked for so far (served from the cache, shared, computed or refused).
    pub fn asked(&self) -> u64 {
        self.asked.load(Ordering::Relaxed)
    }

    /// Holds every permit until the guard is dropped: recomputations admitted meanwhile wait
    /// their turn, and once the queue is full the next are refused (tests use it to fill the
    /// queue deterministically).
    pub async fn pause(&self) -> tokio::sync::OwnedSemaphorePermit {
        let all = self.settings.concurrency.max(1) as u32;
        self.permits
            .clone()
            .acquire_many_owned(all)
            .await
            .expect("the semaphore is never closed")
    }

    /// Revisions of the checkpoints held.
    pub fn checkpoints(&self) -> Vec<i64> {
        lock(&self.checkpoints).by_rev.keys().copied().collect()
    }

    /// The document of `period` as of `rev` (a revision already reached), as JSON.
    pub async fn document(self: &Arc<Self>, rev: i64, period: i64) -> Result<Bytes, Refused> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        let key = (rev, period);
        if let Some(doc) = lock(&self.cache).get(key) {
            return Ok(doc);
        }
        let cell = lock(&self.in_flight).entry(key).or_default().clone();
        let result = cell
            .get_or_try_init(|| self.clone().compute(key))
            .await
            .cloned();
        // The next request finds it cached (or, after a refusal, tries afresh).
        let mut in_flight = lock(&self.in_flight);
        if in_flight.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            in_flight.remove(&key);
        }
        result
    }

    /// Computes a document in a task of its own (it goes on if the client leaves, and the
    /// document is cached), once admitted.
    async fn compute(self: Arc<Self>, key: Key) -> Result<Bytes, Refused> {
        let limit = self.settings.concurrency.max(1) + self.settings.queue;
        let admitted = self.admitted.fetch_add(1, Ordering::AcqRel);
        if admitted >= limit {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Refused::Busy {
                retry_after: self.retry_after(admitted),
            });
        }
        let this = self.clone();
        tokio::spawn(async move {
            let _admitted = Admitted(&this.admitted);
            let _permit = this
                .permits
                .acquire()
                .await
                .map_err(|e| Error::Internal(e.into()))?;
            let running = this.running.fetch_add(1, Ordering::AcqRel) + 1;
            let _running = Admitted(&this.running);
            this.peak.fetch_max(running, Ordering::Relaxed);
            this.computed.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let doc = this.recompute(key).await?;
            this.record_cost(started.elapsed().as_micros() as u64);
            lock(&this.cache).insert(key, doc.clone(), this.settings.cache_bytes);
            Ok(doc)
        })
        .await
        .map_err(|e| Refused::Failed(Error::Internal(e.into())))?
    }

    /// Seconds until a request refused now has a fair chance: the work admitted ahead of it,
    /// at the recent cost of one recomputation, spread over the permits; at least 1.
    fn retry_after(&self, admitted: usize) -> u64 {
        let cost = self.cost_us.load(Ordering::Relaxed).max(100_000);
        let per_permit = admitted as u64 * cost / self.settings.concurrency.max(1) as u64;
        per_permit.div_ceil(1_000_000).clamp(1, 60)
    }

    fn record_cost(&self, us: u64) {
        let old = self.cost_us.load(Ordering::Relaxed);
        let new = if old == 0 { us } else { (old * 3 + us) / 4 };
        self.cost_us.store(new, Ordering::Relaxed);
    }

    /// The facts as of `rev`, then the document, serialized.
    async fn recompute(&self, (rev, period): Key) -> Result<Bytes, Error> {
        let started = Instant::now();
        let facts = self.facts_at(rev).await?;
        let read = started.elapsed();
        let reports = facts.actuals.len();
        let doc = tokio::task::spawn_blocking(move || {
            let mut facts = facts;
            super::derived::refresh(&mut facts).map_err(anyhow::Error::from)?;
            let doc = full::compute(&facts, period, timestamp(OffsetDateTime::now_utc()))
                .map_err(anyhow::Error::from)?;
            drop(facts);
            Ok::<_, Error>(Bytes::from(
                serde_json::to_vec(&doc).map_err(anyhow::Error::from)?,
            ))
        })
        .await
        .map_err(anyhow::Error::from)??;
        tracing::debug!(
            rev,
            period,
            reports,
            facts_ms = read.as_secs_f64() * 1e3,
            compute_ms = (started.elapsed() - read).as_secs_f64() * 1e3,
            "past revision recomputed"
        );
        Ok(doc)
    }

    /// The facts as of `rev`: from the nearest checkpoint at or below it and the changes
    /// after it, making that checkpoint first from a full read if there is none within
    /// [`Settings::checkpoint_every`] revisions.
    pub async fn facts_at(&self, rev: i64) -> Result<Facts, Error> {
        let every = self.settings.checkpoint_every;
        if every <= 0 || rev < every {
            return self.store.facts(Some(rev)).await;
        }
        let nearest = lock(&self.checkpoints).at_or_below(rev);
        let base = match nearest {
            Some(base) if rev - base.rev < every => base,
            _ => {
                let at = rev - rev % every;
                let facts = Arc::new(self.store.facts(Some(at)).await?);
                lock(&self.checkpoints).insert(facts.clone());
                facts
            }
        };
        if base.rev == rev {
            return Ok(Facts::clone(&base));
        }
        let changes = self.store.changes_in(base.rev, rev).await?;
        let mut facts = Facts::clone(&base);
        drop(base);
        // On the blocking pool: a clone and a sort of every report held.
        tokio::task::spawn_blocking(move || {
            for change in &changes {
                facts.apply(change);
            }
            // As the store reads them at `rev`, even when no change was logged after the
            // checkpoint's revision (writes that changed nothing are not committed, so
            // revisions are consecutive, but a replica may lag: `rev` is what was asked).
            facts.rev = rev;
            facts.settle();
            // The ticker's reports as the store reads them: by name, not by a link (the
            // links `apply` gave them may not be the settled ones).
            for logged in &mut facts.recent {
                if let crate::records::Edit::Report(a) = &mut logged.edit {
                    a.kr = crate::records::UNLINKED;
                }
            }
            facts
        })
        .await
        .map_err(|e| Error::Internal(e.into()))
    }
}

/// Decrements a counter when dropped.
struct Admitted<'a>(&'a AtomicUsize);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Recent documents, bounded in bytes; the one used least recently goes first.
#[derive(Default)]
struct Cache {
    docs: HashMap<Key, (Bytes, u64)>,
    by_use: BTreeMap<u64, Key>,
    bytes: usize,
    tick: u64,
}

impl Cache {
    fn get(&mut self, key: Key) -> Option<Bytes> {
        self.tick += 1;
        let (doc, used) = self.docs.get_mut(&key)?;
        self.by_use.remove(used);
        *used = self.tick;
        self.by_use.insert(self.tick, key);
        Some(doc.clone())
    }

    fn insert(&mut self, key: Key, doc: Bytes, limit: usize) {
        if doc.len() > limit {
            return;
        }
        self.tick += 1;
        if let Some((old, used)) = self.docs.insert(key, (doc.clone(), self.tick)) {
            self.bytes -= old.len();
            self.by_use.remove(&used);
        }
        self.by_use.insert(self.tick, key);
        self.bytes += doc.len();
        while self.bytes > limit {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            if let Some((old, _)) = self.docs.remove(&oldest) {
                self.bytes -= old.len();
            }
        }
    }
}

/// Facts as of past revisions, bounded by the reports they hold ([`CHECKPOINT_REPORTS`]).
#[derive(Default)]
struct Checkpoints {
    by_rev: BTreeMap<i64, (Arc<Facts>, u64)>,
    reports: usize,
    tick: u64,
}

impl Checkpoints {
    fn at_or_below(&mut self, rev: i64) -> Option<Arc<Facts>> {
        self.tick += 1;
        let (_, (facts, used)) = self.by_rev.range_mut(..=rev).next_back()?;
        *used = self.tick;
        Some(facts.clone())
    }

    fn insert(&mut self, facts: Arc<Facts>) {
        self.tick += 1;
        self.reports += facts.actuals.len();
        if let Some((old, _)) = self.by_rev.insert(facts.rev, (facts, self.tick)) {
            self.reports -= old.actuals.len();
        }
        while self.reports > CHECKPOINT_REPORTS && self.by_rev.len() > 1 {
            let oldest = self
                .by_rev
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(rev, _)| *rev);
            if let Some((facts, _)) = oldest.and_then(|r| self.by_rev.remove(&r)) {
                self.reports -= facts.actuals.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_the_documents_used_last_within_its_bytes() {
        let mut cache = Cache::default();
        let doc = |n: usize| Bytes::from(vec![b'x'; n]);
        cache.insert((1, 2026), doc(40), 100);
        cache.insert((2, 2026), doc(40), 100);
        assert!(cache.get((1, 2026)).is_some(), "1 is now the newest");
        cache.insert((3, 2026), doc(40), 100);
        assert!(
            cache.get((2, 2026)).is_none(),
            "2 went: used least recently"
        );
        assert!(cache.get((1, 2026)).is_some());
        assert!(cache.get((3, 2026)).is_some());
        assert_eq!(cache.bytes, 80);
        cache.insert((4, 2026), doc(101), 100);
        assert!(
            cache.get((4, 2026)).is_none(),
            "larger than the whole cache"
        );
        cache.insert((1, 2026), doc(10), 100);
        assert_eq!(
            cache.bytes, 50,
            "a replaced document's bytes are given back"
        );
    }

    #[test]
    fn checkpoints_are_found_at_or_below_a_revision_and_bounded_by_their_reports() {
        let mut points = Checkpoints::default();
        let facts = |rev: i64, reports: usize| {
            Arc::new(Facts {
                rev,
                actuals: vec![
                    crate::records::ActualFact {
                        iso3: "VNM".into(),
                        code: "VNM-KR1".into(),
                        year: 2026,
                        value: 1.0,
                        reported_at: "2026-01-01T00:00:00.000000Z".into(),
                        rev,
                        kr: crate::records::UNLINKED,
                        derived: false,
                    };
                    reports
                ],
                ..Facts::default()
            })
        };
        points.insert(facts(1000, 10));
        points.insert(facts(3000, 10));
        assert_eq!(points.at_or_below(2999).map(|f| f.rev), Some(1000));
        assert_eq!(points.at_or_below(3000).map(|f| f.rev), Some(3000));
        assert!(points.at_or_below(999).is_none());
        // 1000 used last: the big one pushes 3000 out.
        points.at_or_below(1500);
        points.insert(facts(5000, CHECKPOINT_REPORTS - 10));
        assert_eq!(
            points.by_rev.keys().copied().collect::<Vec<_>>(),
            [1000, 5000]
        );
        assert_eq!(points.reports, CHECKPOINT_REPORTS);
    }
}
