//! Group commit: writes that arrive together share one transaction and one fsync.
//!
//! Every acknowledged write is on disk: SQLite runs with `synchronous=FULL` (the log is
//! fsynced at each commit) and PostgreSQL with `synchronous_commit=on`. An fsync per write
//! would cap the rate at what the disk syncs per second and make every writer wait behind the
//! others' syncs, so one task, the committer ([`run`]), runs the writes: those that queue while
//! it commits go into the next transaction together, each in a savepoint with its own revision
//! and audit rows, and are answered when that transaction's one commit returns. A single write
//! on a quiet server is its own group: no waiting for company.
//!
//! Reports posted without an idempotency key (`POST /actuals`, [`Store::append_reports`]) take
//! a shorter way: checked against the key results the group read once, they are given their
//! revisions and audit rows in memory, and the group's reports are inserted together (one
//! statement for the reports, one for their audit rows) before the commit, or before a write
//! that may read them. A refused one has written nothing, so it needs no savepoint.
//!
//! A group of such reports alone, when the committer already holds their key results as they
//! stood at the revision it last committed ([`Warm`]), goes shorter still ([`fast`]): written
//! together with the move of the revision row, in one round trip that takes effect only if the
//! row still holds that revision, so that another process's write in between sends them the
//! long way instead.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Instant;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

mod fast;

use super::report_rows::ReportRows;
use super::writes::KrCache;
use super::{Backend, Store, Tx, Write};
use crate::error::{Error, Result};
use crate::model::ActualInput;
use crate::records::{Actor, Change, Edit};

pub use super::commit_metrics::{CommitMetrics, Outcome, OutcomeLabel, Way};

/// Most writes one commit carries. PostgreSQL keeps the subtransactions of 64 savepoints in
/// each backend's cache; more would make every other session's snapshots look further.
pub const MAX_GROUP: usize = 64;

/// Writes waiting for the committer before a new one waits to be queued (back pressure: the
/// request waits, it is not refused).
const QUEUE: usize = 4096;

/// What a write returns, boxed to cross the channel.
type Value = Box<dyn Any + Send>;

/// A write's work, run by the committer inside the group's transaction.
pub(crate) type Job = Box<dyn for<'a> FnOnce(&'a mut Write) -> BoxFuture<'a, Result<Value>> + Send>;

/// What a queued write is to do.
pub(crate) enum Work {
    /// Anything, in a savepoint of the group's transaction.
    Job(Job),
    /// Append reports (`POST /actuals`): checked against the group's key results and written
    /// with the group's other reports in one statement before the commit, with no savepoint
    /// (nothing is written until it is known to be kept).
    Reports(Vec<ActualInput>),
}

/// A write waiting for the committer.
pub(crate) struct Queued {
    actor: Actor,
    work: Work,
    /// The request's span, so that what the write logs is logged under its request.
    span: tracing::Span,
    request_id: Option<Arc<str>>,
    reply: oneshot::Sender<Result<(Value, Option<Arc<Change>>)>>,
}

/// The writer side: where [`Store::write`] queues its work.
pub(crate) struct Committer {
    queue: mpsc::Sender<Queued>,
}

impl Committer {
    /// Starts the committer task for the store behind `inner`; it ends when the store is
    /// dropped (the queue's sender goes with it).
    ///
    /// (On a thread and runtime of its own, measured on 2026-12-07: the fsynced writes' rate
    /// was the same, and the stubbed reference's 9–14 % lower, each write crossing two threads.)
    pub(super) fn start(inner: Weak<super::Inner>, metrics: CommitMetrics) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(inner, rx, metrics));
        Self { queue }
    }
}

impl Store {
    /// Runs `f` as one write attributed to `actor`, with a revision of its own: commits when
    /// it succeeds and returns what it committed (`None` when it changed nothing), rolls back
    /// all it did when it fails. Answers once the write is on disk.
    ///
    /// The work runs in the committer's task, so a client that goes away cannot cut it off
    /// halfway; writes queued together share one transaction and one fsync ([`run`]).
    /// (Writes that the dashboard should hear of go through [`crate::feed::Feed::write`].)
    pub async fn write<T, F>(&self, actor: &Actor, f: F) -> Result<(T, Option<Arc<Change>>)>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut Write) -> BoxFuture<'a, Result<T>> + Send + 'static,
    {
        let job: Job = Box::new(boxed(move |w| {
            Box::pin(async move { Ok(Box::new(f(w).await?) as Value) })
        }));
        self.enqueue(actor, Work::Job(job)).await
    }

    /// Appends reports as one write attributed to `actor` (as [`Write::append_actuals`] does
    /// with `Duplicates::Append`): the fast path of `POST /actuals`, whose reports the
    /// committer writes together with the rest of its group. Returns how many were appended.
    /// (A write with an idempotency key keeps its answer: it goes through [`Store::write`].)
    pub async fn append_reports(
        &self,
        actor: &Actor,
        rows: Vec<ActualInput>,
    ) -> Result<(usize, Option<Arc<Change>>)> {
        self.enqueue(actor, Work::Reports(rows)).await
    }

    async fn enqueue<T: 'static>(
        &self,
        actor: &Actor,
        work: Work,
    ) -> Result<(T, Option<Arc<Change>>)> {
        // Out of reach: said at once, not after the pool's acquire timeout.
        let state = self.inner.health.state();
        if !state.is_up() {
            return Err(state.unavailable());
        }
        let (reply, answer) = oneshot::channel();
        let queued = Queued {
            actor: actor.clone(),
            work,
            span: tracing::Span::current(),
            request_id: crate::error::request_id().map(Arc::from),
            reply,
        };
        let metrics = &self.inner.commit_metrics;
        metrics.queued.inc();
        if self.inner.committer.queue.send(queued).await.is_err() {
            metrics.queued.dec();
            return Err(stopped());
        }
        let (value, change) = answer.await.map_err(|_| stopped())??;
        let value = value
            .downcast::<T>()
            .map_err(|_| anyhow::anyhow!("a write's value came back as another type"))?;
        Ok((*value, change))
    }
}

/// Pins down the closure's signature (a borrow of the write for as long as its future lives),
/// which the compiler does not infer through `Box::new`.
fn boxed<F>(f: F) -> F
where
    F: for<'a> FnOnce(&'a mut Write) -> BoxFuture<'a, Result<Value>> + Send + 'static,
{
    f
}

fn stopped() -> Error {
    Error::Unavailable("the service is stopping; try again in a few seconds".into())
}

/// The committer: takes the first queued write, begins a transaction, and runs it; then, as
/// long as more writes are queued (they came while the last commit's fsync ran, or while this
/// group ran), runs them in the same transaction, each inside a savepoint, up to
/// [`MAX_GROUP`]; then commits once and answers them all.
///
/// Each write takes its own revision (`UPDATE revision … RETURNING` inside its savepoint) and
/// writes its own audit rows, so revisions stay gapless and one per write. One that fails, or
/// changes nothing, is rolled back to its savepoint, revision included; the others go on. If
/// the commit itself fails, every write of the group is told so and none is kept.
async fn run(inner: Weak<super::Inner>, mut rx: mpsc::Receiver<Queued>, metrics: CommitMetrics) {
    // Writes taken from the queue and not run yet (a full group leaves the rest to the next).
    let mut waiting: VecDeque<Queued> = VecDeque::new();
    let mut warm = Warm::default();
    let mut held: fast::Held = None;
    loop {
        if waiting.is_empty() {
            let holds = held.is_some();
            let next = match (holds, inner.upgrade()) {
                // The pool's close waits for the connection the committer holds: it lets go.
                (true, Some(store)) => {
                    let closing = store.pool.close_event();
                    drop(store);
                    tokio::select! {
                        q = rx.recv() => q,
                        () = closing => {
                            held = None;
                            rx.recv().await
                        }
                    }
                }
                _ => rx.recv().await,
            };
            match next {
                Some(q) => waiting.push_back(q),
                None => return,
            }
        }
        let Some(inner) = inner.upgrade() else { return };
        let store = Store { inner };
        take_queued(&mut waiting, &mut rx, 0);
        let started = Instant::now();
        if fast::reports(
            &store,
            &mut waiting,
            &metrics,
            &mut warm,
            &mut held,
            started,
        )
        .await
        {
            continue;
        }
        group(&store, &mut waiting, &mut rx, &metrics, &mut warm, started).await;
    }
}

/// The key results the committer has looked up, as they stood at revision `at`. Kept from one
/// group to the next while the revision moves only by this committer's reports (a write that
/// changes anything else empties it), so that a steady stream of reports looks each key result
/// up once, not once a group; a group that finds the revision anywhere else reads them again.
#[derive(Default)]
struct Warm {
    krs: KrCache,
    at: Option<i64>,
}

/// Takes what is queued now into `waiting`, up to a group's [`MAX_GROUP`] with the `ran`
/// writes already run.
fn take_queued(waiting: &mut VecDeque<Queued>, rx: &mut mpsc::Receiver<Queued>, ran: usize) {
    while ran + waiting.len() < MAX_GROUP {
        match rx.try_recv() {
            Ok(q) => waiting.push_back(q),
            Err(_) => return,
        }
    }
}

/// A write of a group, run, waiting for the commit.
struct Ran {
    reply: oneshot::Sender<Result<(Value, Option<Arc<Change>>)>>,
    outcome: Result<(Value, Option<Change>)>,
}

/// Runs one group: the writes `waiting` (at least one) and those queued meanwhile, up to
/// [`MAX_GROUP`]; the rest stay in `waiting` for the next group.
async fn group(
    store: &Store,
    waiting: &mut VecDeque<Queued>,
    rx: &mut mpsc::Receiver<Queued>,
    metrics: &CommitMetrics,
    warm: &mut Warm,
    started: Instant,
) {
    let stub = store.inner.stub;
    let _writer = match (stub, store.inner.backend) {
        (false, Backend::Sqlite) => Some(store.inner.sqlite_writer.clone().lock_owned().await),
        _ => None,
    };
    let tx = if stub {
        Tx(None)
    } else {
        match store.inner.pool.begin().await {
            Ok(tx) => Tx(Some(tx)),
            Err(e) => {
                let e = store.failed(e);
                if let Some(first) = waiting.pop_front() {
                    metrics.queued.dec();
                    let _ = first.reply.send(Err(share(&e)));
                }
                return;
            }
        }
    };
    let mut at = Group {
        tx,
        base: None,
        row: None,
        last_kept: None,
        krs: KrCache::default(),
        warm: std::mem::take(warm),
        reports: ReportRows::default(),
    };
    let mut ran: Vec<Ran> = Vec::new();
    let mut broken = None;
    while let Some(q) = waiting.pop_front() {
        metrics.queued.dec();
        let (outcome, sound) = match q.work {
            Work::Job(job) => run_one(store, &mut at, (q.actor, job, q.span, q.request_id)).await,
            Work::Reports(rows) => {
                // The reports waiting behind it: their key results are looked up with its own.
                let upcoming: Vec<&ActualInput> = waiting
                    .iter()
                    .flat_map(|q| match &q.work {
                        Work::Reports(rows) => rows.as_slice(),
                        Work::Job(_) => &[],
                    })
                    .collect();
                let reports = run_reports(store, &mut at, &q.actor, &rows, &upcoming);
                let reports = reports.instrument(q.span);
                match q.request_id {
                    Some(id) => crate::error::with_request_id(id, reports).await,
                    None => reports.await,
                }
            }
        };
        ran.push(Ran {
            reply: q.reply,
            outcome,
        });
        if let Err(e) = sound {
            // A write could not be undone alone: nothing of this group may be kept.
            broken = Some(e);
            break;
        }
        take_queued(waiting, rx, ran.len());
        if ran.len() >= MAX_GROUP {
            break;
        }
    }
    let kept = ran
        .iter()
        .filter(|r| matches!(r.outcome, Ok((_, Some(_)))))
        .count();
    // What the group read of the key results, and the revision it found: warm for the next.
    let (krs, base) = (std::mem::take(&mut at.krs), at.base);
    let committed = if let Some(e) = broken {
        drop(at);
        Err(e)
    } else if kept == 0 {
        // Nothing to keep (refused or unchanged): no commit, no fsync.
        match at.tx.0 {
            Some(tx) => tx.rollback().await.map_err(|e| store.failed(e)),
            None => Ok(()),
        }
    } else {
        let started = Instant::now();
        let done = match at.tx.0 {
            Some(mut tx) => {
                // The reports not written yet; then the revision row, which holds the first
                // write's revision: the others' were counted here.
                let to = match (at.row, at.last_kept) {
                    (Some(row), Some(last)) if last != row => Some(last),
                    _ => None,
                };
                let moved = at.reports.insert_and_move(store, &mut tx, to).await;
                match moved {
                    Ok(()) => tx.commit().await.map_err(|e| store.failed(e)),
                    Err(e) => Err(e),
                }
            }
            None => Ok(()),
        };
        metrics
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        metrics.group_writes.observe(kept as f64);
        done
    };
    drop(_writer);
    if let Err(e) = &committed {
        tracing::error!(error = %e, writes = kept, "a group commit failed: none of its writes is kept");
    }
    let last = ran
        .iter()
        .filter_map(|r| match &r.outcome {
            Ok((_, Some(c))) => Some(c.rev),
            _ => None,
        })
        .max();
    *warm = match (&committed, last) {
        (Ok(()), Some(rev)) => Warm { krs, at: Some(rev) },
        // Rolled back: as they stood at the revision the group found.
        (Ok(()), None) => Warm { krs, at: base },
        (Err(_), _) => Warm::default(),
    };
    if let (Ok(()), Some(rev)) = (&committed, last) {
        store.inner.announcer.committed_now(rev);
    }
    // Counted before the answers, so that a writer who has its answer finds its group counted.
    metrics.group_ran(Way::Long, started);
    for r in ran {
        let _ = r.reply.send(answer(store, metrics, r.outcome, &committed));
    }
}

/// What a write of a group is answered, the group's commit having ended as `committed`.
fn answer(
    store: &Store,
    metrics: &CommitMetrics,
    outcome: Result<(Value, Option<Change>)>,
    committed: &Result<()>,
) -> Result<(Value, Option<Arc<Change>>)> {
    let counted = |o: Outcome| metrics.writes.get_or_create(&label(o)).inc();
    match (outcome, committed) {
        (Ok((value, Some(change))), Ok(())) => {
            counted(Outcome::Committed);
            Ok((value, Some(store.publish(change))))
        }
        (Ok((value, None)), Ok(())) => {
            counted(Outcome::Unchanged);
            Ok((value, None))
        }
        (Ok(_), Err(e)) => {
            counted(Outcome::Failed);
            Err(share(e))
        }
        (Err(e), _) => {
            counted(Outcome::Failed);
            Err(e)
        }
    }
}

fn label(outcome: Outcome) -> OutcomeLabel {
    OutcomeLabel { outcome }
}

/// One write of a group: its revision, its work, its idempotency key. When earlier writes of
/// the transaction are to be kept, it runs inside a savepoint and is rolled back to it when it
/// fails or changes nothing; the first one runs without (one round trip less for a lone
/// write), and is undone by rolling back the whole transaction, which then begins again.
/// Returns its outcome, and whether the transaction is still sound (`Err`: it could not be
/// undone, so nothing of the group may be kept).
async fn run_one(
    store: &Store,
    at: &mut Group,
    q: (Actor, Job, tracing::Span, Option<Arc<str>>),
) -> (Result<(Value, Option<Change>)>, Result<()>) {
    let (actor, job, span, request_id) = q;
    // Nothing done in the transaction yet: no savepoint needed.
    let alone = at.base.is_none();
    if let Some(conn) = at.tx.0.as_mut()
        && !at.reports.is_empty()
    {
        // The reports before it, written first: the job may read them.
        if let Err(e) = at.reports.insert(conn).await {
            let again = share(&e);
            return (Err(e), Err(again));
        }
    }
    let rev = match at.tx.0.as_mut() {
        None => stub_rev(store),
        Some(conn) => match next_rev(conn, at.base, at.last_kept).await {
            Ok(rev) => {
                if alone {
                    at.locked(rev);
                }
                rev
            }
            // Nothing of this write was done; what state the transaction is in is unknown.
            Err(e) => {
                let e = store.failed(e);
                let again = share(&e);
                return (Err(e), Err(again));
            }
        },
    };
    let mut w = Write::new(
        store,
        std::mem::replace(&mut at.tx, Tx(None)),
        rev,
        &actor,
        None,
    );
    w.known_krs = Some(std::mem::take(&mut at.krs));
    let work = async {
        let value = job(&mut w).await?;
        let change = w.finish().await?;
        Ok::<_, Error>((value, change))
    };
    let work = AssertUnwindSafe(work.instrument(span));
    let outcome = match request_id {
        Some(id) => crate::error::with_request_id(id, work.catch_unwind()).await,
        None => work.catch_unwind().await,
    };
    let outcome = outcome.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(anyhow::anyhow!("a write panicked: {what}").into())
    });
    // What the write read of the key results holds for the rest of the group, unless it
    // changed more than reports (key results may have changed with it).
    let krs = w.known_krs.take().unwrap_or_default();
    at.tx = w.into_tx();
    if let Ok((_, Some(change))) = &outcome {
        if change.edits.iter().all(|e| matches!(e, Edit::Report(_))) {
            at.krs = krs;
        }
        at.last_kept = Some(rev);
        return (outcome, Ok(()));
    }
    // Undone: what it read may include its own changes, so the group reads them again (a
    // write undone alone ends the transaction, and what was read in it may be stale in the
    // next).
    drop(krs);
    let sound = match at.tx.0.take() {
        None => Ok(()),
        Some(mut conn) if !alone => {
            // Undoes this write alone, its revision included.
            let undone = sqlx::query("ROLLBACK TO SAVEPOINT w")
                .execute(&mut *conn)
                .await;
            at.tx.0 = Some(conn);
            undone.map(|_| ()).map_err(|e| store.failed(e))
        }
        Some(conn) => {
            // Nothing before it to keep: the whole transaction goes, and a new one begins.
            at.base = None;
            at.row = None;
            match conn.rollback().await {
                Ok(()) => match store.inner.pool.begin().await {
                    Ok(fresh) => {
                        at.tx.0 = Some(fresh);
                        Ok(())
                    }
                    Err(e) => Err(store.failed(e)),
                },
                Err(e) => Err(store.failed(e)),
            }
        }
    };
    (outcome, sound)
}

/// The next revision, for a write that has the transaction to itself (`base` unknown: it
/// takes the revision from the row) or runs in a savepoint. The first write of a transaction
/// takes it from the revision row, which locks the row until the commit: on PostgreSQL no
/// other replica's write can take one meanwhile. The next ones count on from the last kept
/// (in a savepoint each); the row is moved to the last before the commit ([`group`]).
async fn next_rev(
    conn: &mut sqlx::AnyConnection,
    base: Option<i64>,
    last_kept: Option<i64>,
) -> Result<i64, sqlx::Error> {
    match base {
        Some(base) => {
            sqlx::query("SAVEPOINT w").execute(&mut *conn).await?;
            Ok(last_kept.unwrap_or(base) + 1)
        }
        None => lock_rev(conn).await,
    }
}

/// Locks the revision row for this transaction and takes the next revision from it.
async fn lock_rev(conn: &mut sqlx::AnyConnection) -> Result<i64, sqlx::Error> {
    let (rev,): (i64,) =
        sqlx::query_as("UPDATE revision SET rev = rev + 1 WHERE id = 1 RETURNING rev")
            .fetch_one(&mut *conn)
            .await?;
    Ok(rev)
}

/// A write that appends reports ([`Work::Reports`]): checked against the group's key results
/// (each looked up once per group), given the next revision, and its rows added to the group's, written
/// before the commit. A refused one has written nothing, so there is nothing to undo and no
/// savepoint is needed. Returns its outcome, and whether the transaction is still sound.
async fn run_reports(
    store: &Store,
    at: &mut Group,
    actor: &Actor,
    rows: &[ActualInput],
    upcoming: &[&ActualInput],
) -> (Result<(Value, Option<Change>)>, Result<()>) {
    let Some(conn) = at.tx.0.as_mut() else {
        // Stubbed: answered as it would be, nothing read or written.
        let mut w = Write::new(store, Tx(None), stub_rev(store), actor, None);
        let appended = w.append_actuals(rows, super::Duplicates::Append).await;
        return (finished(&mut w, appended).await, Ok(()));
    };
    let broken = |e: Error| {
        let again = share(&e);
        (Err(e), Err(again))
    };
    let base = match at.base {
        Some(base) => base,
        None => match lock_rev(conn).await {
            Ok(rev) => {
                at.locked(rev);
                rev - 1
            }
            Err(e) => return broken(store.failed(e)),
        },
    };
    let conn = at.tx.0.as_mut().expect("the transaction, checked above");
    // The key results of the reports waiting behind it too, in the same query: one lookup a
    // group rather than one a write (a job that changes more than reports empties the cache).
    if let Err(e) = at
        .krs
        .ensure(conn, rows.iter().chain(upcoming.iter().copied()))
        .await
    {
        return broken(e);
    }
    let rev = at.last_kept.unwrap_or(base) + 1;
    let mut w = Write::new(store, Tx(None), rev, actor, None);
    let appended = w.buffer_actuals(rows, &at.krs.ranges, &mut at.reports);
    let outcome = finished(&mut w, appended).await;
    if matches!(outcome, Ok((_, Some(_)))) {
        at.last_kept = Some(rev);
    }
    (outcome, Ok(()))
}

/// What a report write answers: how many it appended, and its change.
async fn finished(w: &mut Write, appended: Result<usize>) -> Result<(Value, Option<Change>)> {
    let appended = appended?;
    Ok((Box::new(appended) as Value, w.finish().await?))
}

/// The next revision of a stubbed store: after whatever was committed for real (the demo
/// data, an import).
fn stub_rev(store: &Store) -> i64 {
    let stub = &store.inner.stub_rev;
    stub.fetch_max(store.committed_rev(), Ordering::Relaxed);
    stub.fetch_add(1, Ordering::Relaxed) + 1
}

/// A group's transaction and what its writes share.
struct Group {
    tx: Tx,
    /// The revision committed before this transaction, once it has locked the revision row.
    base: Option<i64>,
    /// The revision the row holds in this transaction (the first write's).
    row: Option<i64>,
    /// The last revision kept in this transaction.
    last_kept: Option<i64>,
    /// The key results looked up in this group, each once ([`Write::append_actuals`]).
    krs: KrCache,
    /// The committer's key results from earlier groups, taken as this group's own if they
    /// stood at the revision this group finds.
    warm: Warm,
    /// The reports of [`Work::Reports`] writes, written before the commit (or before the next
    /// write that may read them).
    reports: ReportRows,
}

impl Group {
    /// The transaction has taken revision `rev` from the revision row (and locked it).
    fn locked(&mut self, rev: i64) {
        self.base = Some(rev - 1);
        self.row = Some(rev);
        let warm = std::mem::take(&mut self.warm);
        if warm.at == self.base {
            self.krs = warm.krs;
        }
    }
}

/// The same error again, for each write of a group whose commit failed.
fn share(e: &Error) -> Error {
    match e {
        Error::Unavailable(m) => Error::Unavailable(m.clone()),
        other => Error::Internal(anyhow::anyhow!("the commit failed: {other}")),
    }
}
