//! The aggregator: a task that hears every committed change, brings the dashboard of each
//! cycle year up to date, and publishes a patch per change (ops stamped with the change's
//! revision, and the change that caused it; a burst beyond [`PER_CHANGE_MAX`] is coalesced
//! into one). The live layer only forwards these.
//!
//! Reports go through the incremental path ([`Live::apply_actuals`]); any other change
//! (primers, key results, targets, budgets) through a full recomputation and a diff.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use time::OffsetDateTime;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::analytics::document::Op;
use crate::analytics::facts::{ActualFact, Recent};
use crate::analytics::incremental::Live;
use crate::domain::{CYCLE_FIRST_YEAR, CYCLE_LAST_YEAR};
use crate::store::{Backend, REVISION_CHANNEL, Store, timestamp};

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

/// How often, by default, the aggregator looks for writes it was not told about.
pub const POLL: Duration = Duration::from_secs(2);

/// One published change of one period's document.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Update {
    pub period: i64,
    pub rev: i64,
    /// The revision the ops apply to.
    pub base: i64,
    pub ops: Vec<Op>,
    /// The changes that caused it, oldest first.
    pub events: Vec<Recent>,
}

/// A handle on the running aggregator.
#[derive(Clone)]
pub struct Aggregator {
    shared: Arc<Shared>,
}

struct Shared {
    /// One document per cycle year. A std lock: it is held only inside blocking work (an
    /// update, a serialization), never across an await.
    lives: BTreeMap<i64, RwLock<Live>>,
    /// The serialized document per period and the revision it is of, so that readers share
    /// one serialization per revision.
    serialized: Mutex<BTreeMap<i64, (i64, Bytes)>>,
    updates: broadcast::Sender<Arc<Update>>,
    full_recomputations: AtomicU64,
    incremental_updates: AtomicU64,
    /// PostgreSQL NOTIFYs heard: of revisions this process had committed (or seen committed)
    /// already, which need nothing, and of new ones, which wake the aggregator.
    notified_known: AtomicU64,
    notified_new: AtomicU64,
}

fn now() -> String {
    timestamp(OffsetDateTime::now_utc())
}

impl Aggregator {
    /// Computes every period's document from the store and starts the task that keeps them
    /// current until `shutdown`.
    pub async fn start(
        store: Store,
        poll: Duration,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        let facts = store.facts(None).await?;
        let lives = tokio::task::spawn_blocking(move || {
            (CYCLE_FIRST_YEAR..=CYCLE_LAST_YEAR)
                .map(|y| Ok((y, RwLock::new(Live::new(facts.clone(), y, now())?))))
                .collect::<polars::prelude::PolarsResult<BTreeMap<_, _>>>()
        })
        .await??;
        let shared = Arc::new(Shared {
            lives,
            serialized: Mutex::new(BTreeMap::new()),
            updates: broadcast::channel(1024).0,
            full_recomputations: AtomicU64::new(1),
            incremental_updates: AtomicU64::new(0),
            notified_known: AtomicU64::new(0),
            notified_new: AtomicU64::new(0),
        });
        let agg = Self { shared };
        let wake = Arc::new(tokio::sync::Notify::new());
        if store.backend() == Backend::Postgres {
            tokio::spawn(listen(
                agg.clone(),
                store.clone(),
                wake.clone(),
                shutdown.clone(),
            ));
        }
        tokio::spawn(agg.clone().run(store, poll, wake, shutdown));
        Ok(agg)
    }

    /// Hears every update, for every period.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Update>> {
        self.shared.updates.subscribe()
    }

    /// The current document of `period` as JSON with its revision, serialized once per
    /// revision.
    pub fn document_json(&self, period: i64) -> Option<(i64, Bytes)> {
        let live = self.shared.lives.get(&period)?;
        let live = live.read().expect("lock poisoned only by a panic");
        let rev = live.document().rev;
        let mut cache = self.shared.serialized.lock().expect("not poisoned");
        if let Some((r, bytes)) = cache.get(&period)
            && *r == rev
        {
            return Some((rev, bytes.clone()));
        }
        let bytes = Bytes::from(serde_json::to_vec(live.document()).expect("serializes"));
        cache.insert(period, (rev, bytes.clone()));
        Some((rev, bytes))
    }

    /// The revision the documents are at.
    pub fn rev(&self) -> i64 {
        self.shared
            .lives
            .values()
            .next()
            .map_or(0, |l| l.read().expect("not poisoned").document().rev)
    }

    /// (full recomputations, incremental updates) since start, for metrics and tests.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.shared.full_recomputations.load(Ordering::Relaxed),
            self.shared.incremental_updates.load(Ordering::Relaxed),
        )
    }

    /// PostgreSQL NOTIFYs heard since start: (of revisions already known, of new ones).
    pub fn notifications(&self) -> (u64, u64) {
        (
            self.shared.notified_known.load(Ordering::Relaxed),
            self.shared.notified_new.load(Ordering::Relaxed),
        )
    }

    async fn run(
        self,
        store: Store,
        poll: Duration,
        wake: Arc<tokio::sync::Notify>,
        shutdown: CancellationToken,
    ) {
        let mut revisions = store.subscribe();
        let mut coalescing = Coalescing::new(Instant::now());
        // Writes by another process (an `import` beside `serve`, another replica) are not
        // signalled in-process: on PostgreSQL a NOTIFY wakes us, and on any backend a cheap
        // look at the revision now and then catches what a lost notification missed.
        let mut poll = tokio::time::interval(poll);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                changed = revisions.changed() => if changed.is_err() { return },
                _ = wake.notified() => {}
                _ = poll.tick() => match store.current_rev().await {
                    Ok(rev) if rev > self.rev() => {}
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "aggregator cannot read the revision");
                        continue;
                    }
                },
            }
            let wait = coalescing.wait(Instant::now());
            if let Some(rest) = wait {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(rest) => {}
                }
            }
            revisions.borrow_and_update();
            let applied = loop {
                match self.catch_up(&store).await {
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

    /// Brings every period's document to the store's latest revision and publishes the patches.
    /// Returns whether there was anything to apply.
    pub async fn catch_up(&self, store: &Store) -> anyhow::Result<bool> {
        let started = Instant::now();
        let base = self.rev();
        let (changes, mut actuals) = store.changes_since(base).await?;
        if changes.is_empty() {
            return Ok(false);
        }
        let read_ms = started.elapsed().as_secs_f64() * 1e3;
        let only_reports = changes.iter().all(|c| c.entity == "actual");
        let facts = if only_reports {
            None
        } else {
            Some(store.facts(None).await?)
        };
        let shared = self.shared.clone();
        let updates = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Update>> {
            let rev = facts
                .as_ref()
                .map_or_else(|| changes.last().map_or(base, |c| c.rev), |f| f.rev);
            // Both lists were read after the same revision; keep them to the same end.
            let events: Vec<Recent> = changes.into_iter().filter(|c| c.rev <= rev).collect();
            actuals.retain(|a| a.rev <= rev);
            // Counted before the documents change, so that whoever sees the new revision
            // also sees the count.
            let counter = if facts.is_some() {
                &shared.full_recomputations
            } else {
                &shared.incremental_updates
            };
            counter.fetch_add(1, Ordering::Relaxed);
            let mut out = Vec::new();
            let steps = match &facts {
                None => steps(base, rev, events, actuals),
                Some(_) => vec![Step {
                    base,
                    rev,
                    events,
                    actuals: Vec::new(),
                }],
            };
            for (&period, live) in &shared.lives {
                let mut live = live.write().expect("not poisoned");
                for step in &steps {
                    let ops = match &facts {
                        None => live.apply_actuals(&step.actuals, &step.events, step.rev, now()),
                        Some(f) => live.recompute(f.clone(), now())?,
                    };
                    out.push(Update {
                        period,
                        rev: step.rev,
                        base: step.base,
                        ops,
                        events: step.events.clone(),
                    });
                }
            }
            Ok(out)
        })
        .await??;
        let rev = updates.iter().map(|u| u.rev).max().unwrap_or(base);
        for u in updates {
            // No subscriber is fine: nobody is watching yet.
            let _ = self.shared.updates.send(Arc::new(u));
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

/// One published patch's worth of reports: the change at `rev`, or several coalesced.
struct Step {
    base: i64,
    rev: i64,
    events: Vec<Recent>,
    actuals: Vec<ActualFact>,
}

/// Splits reports read together into one step per change (revision), so that each change is
/// its own patch, as the protocol describes, while the aggregator keeps up; a longer backlog
/// (a burst) becomes one step. The sockets write the patches queued for them together, so a
/// patch per change costs the fan-out little more than one for all.
fn steps(base: i64, rev: i64, events: Vec<Recent>, actuals: Vec<ActualFact>) -> Vec<Step> {
    let mut revs: Vec<i64> = events.iter().map(|e| e.rev).collect();
    revs.extend(actuals.iter().map(|a| a.rev));
    revs.sort_unstable();
    revs.dedup();
    if revs.len() <= 1 || revs.len() > PER_CHANGE_MAX {
        return vec![Step {
            base,
            rev,
            events,
            actuals,
        }];
    }
    let mut prev = base;
    revs.into_iter()
        .map(|r| {
            let step = Step {
                base: prev,
                rev: r,
                events: events.iter().filter(|e| e.rev == r).cloned().collect(),
                // Report order is kept within each change.
                actuals: actuals.iter().filter(|a| a.rev == r).cloned().collect(),
            };
            prev = r;
            step
        })
        .collect()
}

/// A replica's ear on PostgreSQL: LISTEN for the revisions other replicas (and imports)
/// announce, and wake the aggregator, which reads the changes from the database by revision.
/// When the listening connection drops, the aggregator is woken as well: notifications sent
/// while it was down are lost, and catching up by revision covers them.
///
/// A notification of a revision no newer than the latest this process committed is not
/// passed on: this process announces its own writes too, and hears them after it has applied
/// them. Revisions commit in order (each write holds the revision row until it commits), so
/// any revision up to that one was committed before it, and the wake of that commit covers it.
async fn listen(
    agg: Aggregator,
    store: Store,
    wake: Arc<tokio::sync::Notify>,
    shutdown: CancellationToken,
) {
    let url = store.url().to_owned();
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
        // Anything committed while we were not listening.
        wake.notify_one();
        loop {
            let next = tokio::select! {
                _ = shutdown.cancelled() => return,
                n = listener.try_recv() => n,
            };
            match next {
                Ok(Some(n)) => match n.payload().parse::<i64>() {
                    Ok(rev) if rev <= store.committed_rev() => {
                        agg.shared.notified_known.fetch_add(1, Ordering::Relaxed);
                    }
                    // A new revision, or a payload not ours to read: look.
                    _ => {
                        agg.shared.notified_new.fetch_add(1, Ordering::Relaxed);
                        wake.notify_one();
                    }
                },
                Ok(None) => {
                    tracing::warn!("the LISTEN connection dropped; reconnecting and catching up");
                    wake.notify_one();
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

#[cfg(test)]
mod tests {
    use super::*;

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

    fn event(rev: i64) -> Recent {
        Recent {
            rev,
            at: "2026-01-01T00:00:00Z".into(),
            actor: "test".into(),
            action: "create".into(),
            entity: "actual".into(),
            key: "VNM/VNM-KR1/2026".into(),
            summary: format!("change {rev}"),
        }
    }

    fn report(rev: i64, value: f64) -> ActualFact {
        ActualFact {
            iso3: "VNM".into(),
            code: "VNM-KR1".into(),
            year: 2026,
            value,
            reported_at: format!("2026-01-01T00:00:{:02}Z", 60 - rev).into(),
            rev,
            kr: 0,
        }
    }

    #[test]
    fn each_change_of_a_short_backlog_is_its_own_step() {
        // Report order (reported_at) differs from revision order: each step keeps its own.
        let actuals = vec![
            report(13, 1.0),
            report(12, 2.0),
            report(12, 3.0),
            report(11, 4.0),
        ];
        let steps = steps(10, 13, (11..=13).map(event).collect(), actuals);
        let shape: Vec<_> = steps
            .iter()
            .map(|s| {
                let values: Vec<f64> = s.actuals.iter().map(|a| a.value).collect();
                let events: Vec<i64> = s.events.iter().map(|e| e.rev).collect();
                (s.base, s.rev, events, values)
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (10, 11, vec![11], vec![4.0]),
                (11, 12, vec![12], vec![2.0, 3.0]),
                (12, 13, vec![13], vec![1.0]),
            ]
        );
    }

    #[test]
    fn one_change_or_a_long_backlog_is_one_step() {
        let one = steps(4, 5, vec![event(5)], vec![report(5, 1.0)]);
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].base, one[0].rev), (4, 5));

        let last = PER_CHANGE_MAX as i64 + 1;
        let burst = steps(
            0,
            last,
            (1..=last).map(event).collect(),
            (1..=last).map(|r| report(r, r as f64)).collect(),
        );
        assert_eq!(burst.len(), 1, "a burst is coalesced");
        assert_eq!((burst[0].base, burst[0].rev), (0, last));
        assert_eq!(burst[0].events.len(), PER_CHANGE_MAX + 1);
        assert_eq!(burst[0].actuals.len(), PER_CHANGE_MAX + 1);

        let most = PER_CHANGE_MAX as i64;
        let split = steps(0, most, (1..=most).map(event).collect(), Vec::new());
        assert_eq!(
            split.len(),
            PER_CHANGE_MAX,
            "up to the limit, one step each"
        );
    }
}
