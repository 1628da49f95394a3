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
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Instant;

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

mod fast;
mod long;

use super::writes::KrCache;
use super::{Store, Tx, Write};
use crate::error::{Error, Result};
use crate::model::ActualInput;
use crate::records::{Actor, Change};

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
        long::group(&store, &mut waiting, &mut rx, &metrics, &mut warm, started).await;
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

/// The same error again, for each write of a group whose commit failed.
fn share(e: &Error) -> Error {
    match e {
        Error::Unavailable(m) => Error::Unavailable(m.clone()),
        other => Error::Internal(anyhow::anyhow!("the commit failed: {other}")),
    }
}
