//! The aggregator: the task that takes every committed change from the change feed, brings
//! the dashboard document of each cycle year up to date, and publishes a patch per change
//! (ops stamped with the change's revision, and the change's edits as events; a backlog beyond
//! [`PER_CHANGE_MAX`] changes is coalesced into one). The live layer only frames and forwards
//! these.
//!
//! Each document is applied the changes by [`CurrentDashboard::apply`]: reports through the
//! incremental path, a primer or budget through a full recomputation over the facts held in
//! memory. The database is read only at start, and by the feed for revisions another process
//! wrote.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use time::OffsetDateTime;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::analytics::current::CurrentDashboard;
use crate::domain::{CYCLE_FIRST_YEAR, CYCLE_LAST_YEAR};
use crate::feed::Feed;
use crate::live::protocol::{Event, Patch, RawDocument, events};
use crate::records::{Change, Facts};
use crate::store::timestamp;

/// Coalescing: a change that finds the aggregator idle is applied at once. A change arriving
/// within the window after the last update waits for the window's end and is applied with
/// whatever else arrived; each window that catches such a change doubles the next one, up to
/// [`COALESCE_MAX`], and an idle window resets it. So 20 reports a second, 50 ms apart, are
/// each applied at once (the live latency target), while a burst of 500 within a second costs
/// a handful of updates.
pub const COALESCE: Duration = Duration::from_millis(5);
pub const COALESCE_MAX: Duration = Duration::from_millis(160);

/// Most changes published as one patch each when the aggregator catches up on several; a
/// longer backlog is published as one patch.
pub const PER_CHANGE_MAX: usize = 32;

/// Upper bounds of the recomputation-time histogram, in seconds.
const RECOMPUTE_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Time spent bringing the documents up to date, by kind (`full` or `incremental`), for
/// `/metrics`.
pub type RecomputeSeconds = Family<[(&'static str, &'static str); 1], Histogram, fn() -> Histogram>;

/// One published change of one period's document.
#[derive(Debug, Clone)]
pub struct Update {
    pub period: i64,
    pub patch: Arc<Patch>,
}

/// A handle on the running aggregator.
#[derive(Clone)]
pub struct Aggregator {
    state: Arc<AggregatorState>,
}

struct AggregatorState {
    /// One document per cycle year. A std lock: it is held only inside blocking work (an
    /// update, a serialization), never across an await.
    documents: BTreeMap<i64, RwLock<CurrentDashboard>>,
    /// The serialized document per period and the revision it is of, so that readers share
    /// one serialization per revision.
    serialized: Mutex<BTreeMap<i64, (i64, RawDocument)>>,
    updates: broadcast::Sender<Arc<Update>>,
    full_recomputations: AtomicU64,
    incremental_updates: AtomicU64,
    recompute_seconds: RecomputeSeconds,
}

fn now() -> String {
    timestamp(OffsetDateTime::now_utc())
}

impl Aggregator {
    /// Computes every period's document from `facts` (read from the store at start) and starts
    /// the task that keeps them current with the feed's changes until `shutdown`.
    pub async fn start(
        facts: Facts,
        feed: Feed,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        let documents = tokio::task::spawn_blocking(move || {
            (CYCLE_FIRST_YEAR..=CYCLE_LAST_YEAR)
                .map(|y| {
                    Ok((
                        y,
                        RwLock::new(CurrentDashboard::new(facts.clone(), y, now())?),
                    ))
                })
                .collect::<polars::prelude::PolarsResult<BTreeMap<_, _>>>()
        })
        .await??;
        let agg = Self {
            state: Arc::new(AggregatorState {
                documents,
                serialized: Mutex::new(BTreeMap::new()),
                updates: broadcast::channel(1024).0,
                full_recomputations: AtomicU64::new(1),
                incremental_updates: AtomicU64::new(0),
                recompute_seconds: Family::new_with_constructor(|| {
                    Histogram::new(RECOMPUTE_BUCKETS)
                }),
            }),
        };
        tokio::spawn(agg.clone().run(feed, shutdown));
        Ok(agg)
    }

    /// Hears every update, for every period.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Update>> {
        self.state.updates.subscribe()
    }

    /// The current document of `period`, serialized once per revision, with its revision.
    pub fn document(&self, period: i64) -> Option<(i64, RawDocument)> {
        let doc = self.state.documents.get(&period)?;
        let doc = doc
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let rev = doc.document().rev;
        let mut cache = self
            .state
            .serialized
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((r, raw)) = cache.get(&period)
            && *r == rev
        {
            return Some((rev, raw.clone()));
        }
        let raw = RawDocument::new(doc.document());
        cache.insert(period, (rev, raw.clone()));
        Some((rev, raw))
    }

    /// The revision the documents are at.
    pub fn rev(&self) -> i64 {
        self.state.documents.values().next().map_or(0, |d| {
            d.read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .document()
                .rev
        })
    }

    /// (full recomputations, incremental updates) since start, for metrics and tests.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.state.full_recomputations.load(Ordering::Relaxed),
            self.state.incremental_updates.load(Ordering::Relaxed),
        )
    }

    /// How long the updates took, by kind: a handle for `/metrics` to register.
    pub fn recompute_seconds(&self) -> RecomputeSeconds {
        self.state.recompute_seconds.clone()
    }

    async fn run(self, feed: Feed, shutdown: CancellationToken) {
        let mut latest = feed.subscribe();
        let mut coalescing = Coalescing::new(Instant::now());
        loop {
            // Still behind after the last update (another process's revisions after this
            // process's): go on at once.
            if feed.latest() <= self.rev() {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    changed = latest.changed() => if changed.is_err() { return },
                }
            }
            let wait = coalescing.wait(Instant::now());
            if let Some(rest) = wait {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(rest) => {}
                }
            }
            latest.borrow_and_update();
            let applied = loop {
                match self.catch_up(&feed).await {
                    Ok(applied) => break applied,
                    Err(e) => {
                        tracing::error!(error = %e, "aggregator could not update the dashboard; retrying");
                        tokio::select! {
                            _ = shutdown.cancelled() => return,
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                }
            };
            coalescing.ran(wait.is_some(), applied, Instant::now());
        }
    }

    /// Applies what the feed holds after the documents' revision and publishes the patches.
    /// Returns whether there was anything to apply.
    pub async fn catch_up(&self, feed: &Feed) -> anyhow::Result<bool> {
        let started = Instant::now();
        let base = self.rev();
        let changes = feed.since(base).await?;
        if changes.is_empty() {
            return Ok(false);
        }
        let read_ms = started.elapsed().as_secs_f64() * 1e3;
        let last = changes.last().map_or(base, |c| c.rev);
        let state = self.state.clone();
        let updates = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Update>> {
            let computing = Instant::now();
            let restructures = changes
                .iter()
                .any(|c| c.edits.iter().any(|e| e.restructures()));
            // Counted before the documents change, so that whoever sees the new revision
            // also sees the count.
            let (counter, kind) = if restructures {
                (&state.full_recomputations, "full")
            } else {
                (&state.incremental_updates, "incremental")
            };
            counter.fetch_add(1, Ordering::Relaxed);
            let steps = steps(base, &changes, restructures);
            let mut out = Vec::new();
            for (&period, doc) in &state.documents {
                let mut doc = doc
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for step in &steps {
                    let ops = doc.apply(&step.changes, now())?;
                    out.push(Update {
                        period,
                        patch: Arc::new(Patch {
                            rev: step.rev,
                            base: step.base,
                            ops,
                            events: step.events.clone(),
                        }),
                    });
                }
            }
            state
                .recompute_seconds
                .get_or_create(&[("kind", kind)])
                .observe(computing.elapsed().as_secs_f64());
            Ok(out)
        })
        .await;
        let updates = match updates {
            Ok(Ok(updates)) => updates,
            // An update that failed or panicked may have left a document half changed: each is
            // computed again from the store. Sockets see a gap in the next patch's base and
            // resume (with a snapshot).
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => e.to_string(),
                    Ok(Ok(_)) => unreachable!(),
                };
                tracing::error!(error = %why, base, "a dashboard update failed: computing the documents again");
                self.rebuild(feed).await?;
                // Rebuilt short of the changes that failed (not in the store yet?): the loop
                // waits before it tries again, rather than recomputing without a pause.
                anyhow::ensure!(
                    self.rev() >= last,
                    "the documents were rebuilt at revision {}, before {last}",
                    self.rev()
                );
                return Ok(true);
            }
        };
        let rev = updates.iter().map(|u| u.patch.rev).max().unwrap_or(base);
        for u in updates {
            // No subscriber is fine: nobody is watching yet.
            let _ = self.state.updates.send(Arc::new(u));
        }
        tracing::debug!(
            base,
            rev,
            read_ms,
            total_ms = started.elapsed().as_secs_f64() * 1e3,
            "dashboard updated"
        );
        Ok(true)
    }
}

impl Aggregator {
    /// Computes every period's document again from the store's facts (after an update that
    /// failed), and counts it as a full recomputation.
    async fn rebuild(&self, feed: &Feed) -> anyhow::Result<()> {
        let facts = feed.store().facts(None).await?;
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let computing = Instant::now();
            state.full_recomputations.fetch_add(1, Ordering::Relaxed);
            for (&period, doc) in &state.documents {
                let fresh = CurrentDashboard::new(facts.clone(), period, now())?;
                *doc.write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
            }
            state
                .recompute_seconds
                .get_or_create(&[("kind", "full")])
                .observe(computing.elapsed().as_secs_f64());
            Ok(())
        })
        .await??;
        Ok(())
    }
}

/// The coalescing window (see [`COALESCE`]).
struct Coalescing {
    window: Duration,
    /// When the last update that applied changes ended.
    last_run: Instant,
}

impl Coalescing {
    fn new(now: Instant) -> Self {
        Self {
            window: COALESCE,
            last_run: now - COALESCE_MAX,
        }
    }

    /// How long a wake at `now` waits before the update: the rest of the window, if open.
    fn wait(&self, now: Instant) -> Option<Duration> {
        let since = now.saturating_duration_since(self.last_run);
        (since < self.window).then(|| self.window - since)
    }

    /// An update ended at `end`, after waiting for the window or not. Only one that applied
    /// changes counts: a wake that found nothing new (on PostgreSQL, the NOTIFY of a write
    /// this process had applied already) neither widens the window nor starts one. Counted,
    /// such wakes kept the window at its widest under a steady 20 changes a second, each
    /// waiting up to 160 ms (BENCHMARKS.md).
    fn ran(&mut self, waited: bool, applied: bool, end: Instant) {
        if !applied {
            return;
        }
        self.window = if waited {
            (self.window * 2).min(COALESCE_MAX)
        } else {
            COALESCE
        };
        // The window runs from the end of the update, so a burst that outlasts an update
        // still finds the window open and keeps widening it.
        self.last_run = end;
    }
}

/// One published patch's worth of changes: the change at `rev`, or several coalesced, and
/// their events (the same in every period's patch).
struct Step<'a> {
    base: i64,
    rev: i64,
    changes: Vec<&'a Change>,
    events: Vec<Event>,
}

impl<'a> Step<'a> {
    fn new(base: i64, rev: i64, changes: Vec<&'a Change>) -> Self {
        let events = changes.iter().flat_map(|c| events(c)).collect();
        Self {
            base,
            rev,
            changes,
            events,
        }
    }
}

/// Splits the changes caught up on together into one step per change, so that each change is
/// its own patch, as the protocol describes, while the aggregator keeps up; a longer backlog
/// (a burst), or one with a change that recomputes everything, becomes one step. The sockets
/// write the patches queued for them together, so a patch per change costs the fan-out little
/// more than one for all.
fn steps(base: i64, changes: &[Arc<Change>], restructures: bool) -> Vec<Step<'_>> {
    let rev = changes.last().map_or(base, |c| c.rev);
    if changes.len() <= 1 || changes.len() > PER_CHANGE_MAX || restructures {
        return vec![Step::new(base, rev, changes.iter().map(|c| &**c).collect())];
    }
    let mut prev = base;
    changes
        .iter()
        .map(|c| {
            let step = Step::new(prev, c.rev, vec![&**c]);
            prev = c.rev;
            step
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{ActualFact, Edit, UNLINKED};

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_change_that_finds_the_window_closed_is_applied_at_once_and_one_within_it_widens_it() {
        let t0 = Instant::now();
        let mut c = Coalescing::new(t0);
        assert_eq!(c.wait(t0), None, "idle: at once");
        c.ran(false, true, t0 + MS);
        // 2 ms after the update: the rest of the 5 ms window.
        assert_eq!(c.wait(t0 + 3 * MS), Some(3 * MS));
        c.ran(true, true, t0 + 7 * MS);
        assert_eq!(
            c.window,
            2 * COALESCE,
            "a change within the window doubles it"
        );
        assert_eq!(c.wait(t0 + 8 * MS), Some(9 * MS));
        for _ in 0..10 {
            c.ran(true, true, t0 + 20 * MS);
        }
        assert_eq!(c.window, COALESCE_MAX, "up to its widest");
        // 50 ms later (20 changes a second) the 160 ms window is still open; after it, the
        // next change is applied at once and the window is reset.
        assert!(c.wait(t0 + 70 * MS).is_some());
        assert_eq!(c.wait(t0 + 181 * MS), None);
        c.ran(false, true, t0 + 182 * MS);
        assert_eq!(c.window, COALESCE, "an idle window resets it");
    }

    #[test]
    fn wakes_that_find_nothing_new_neither_widen_the_window_nor_start_one() {
        let t0 = Instant::now();
        let mut c = Coalescing::new(t0);
        c.ran(false, true, t0);
        // The NOTIFY of that change, 2 ms later, and more every 5 ms: nothing to apply.
        let mut t = t0 + 2 * MS;
        for _ in 0..40 {
            let wait = c.wait(t);
            c.ran(wait.is_some(), false, t + wait.unwrap_or_default() + MS);
            t += 5 * MS;
        }
        assert_eq!(c.window, COALESCE, "not widened");
        assert_eq!(c.last_run, t0, "no window started");
        // The next change, 50 ms after the first, is applied at once.
        assert_eq!(c.wait(t0 + 50 * MS), None);
    }

    fn report(rev: i64, value: f64) -> Edit {
        Edit::Report(ActualFact {
            iso3: "VNM".into(),
            code: "VNM-KR1".into(),
            year: 2026,
            value,
            reported_at: format!("2026-01-01T00:00:{:02}Z", 60 - rev).into(),
            rev,
            kr: UNLINKED,
            derived: false,
        })
    }

    fn change(rev: i64, edits: Vec<Edit>) -> Arc<Change> {
        Arc::new(Change {
            rev,
            at: "2026-01-01T00:00:00Z".into(),
            actor: "test".into(),
            edits,
        })
    }

    fn shape(steps: &[Step]) -> Vec<(i64, i64, Vec<i64>)> {
        steps
            .iter()
            .map(|s| (s.base, s.rev, s.changes.iter().map(|c| c.rev).collect()))
            .collect()
    }

    #[test]
    fn each_change_of_a_short_backlog_is_its_own_step() {
        let changes = vec![
            change(11, vec![report(11, 4.0)]),
            change(12, vec![report(12, 2.0), report(12, 3.0)]),
            change(13, vec![report(13, 1.0)]),
        ];
        assert_eq!(
            shape(&steps(10, &changes, false)),
            vec![(10, 11, vec![11]), (11, 12, vec![12]), (12, 13, vec![13])]
        );
    }

    #[test]
    fn one_change_a_long_backlog_or_a_recomputation_is_one_step() {
        let one = [change(5, vec![report(5, 1.0)])];
        assert_eq!(shape(&steps(4, &one, false)), vec![(4, 5, vec![5])]);

        let last = PER_CHANGE_MAX as i64 + 1;
        let burst: Vec<_> = (1..=last)
            .map(|r| change(r, vec![report(r, 1.0)]))
            .collect();
        let coalesced = steps(0, &burst, false);
        assert_eq!(coalesced.len(), 1, "a burst is coalesced");
        assert_eq!((coalesced[0].base, coalesced[0].rev), (0, last));
        assert_eq!(coalesced[0].changes.len(), PER_CHANGE_MAX + 1);

        let most = &burst[..PER_CHANGE_MAX];
        assert_eq!(
            steps(0, most, false).len(),
            PER_CHANGE_MAX,
            "up to the limit, one step each"
        );
        assert_eq!(
            steps(0, most, true).len(),
            1,
            "a backlog that recomputes in full is recomputed once"
        );
    }
}
