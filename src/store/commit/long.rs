//! The committer's long way: the writes of a group in one transaction that locks the revision
//! row first, each in a savepoint with its own revision and audit rows ([`group`]). Every kind
//! of write can go this way; reports alone go the short way when they can ([`super::fast`]).

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use super::{
    CommitMetrics, Job, MAX_GROUP, Queued, Value, Warm, Way, Work, answer, finished, share,
    stub_rev, take_queued,
};
use crate::error::{Error, Result};
use crate::model::ActualInput;
use crate::records::{Actor, Change, Edit};
use crate::store::report_rows::ReportRows;
use crate::store::writes::KrCache;
use crate::store::{Backend, Store, Tx, Write};

/// A write of a group, run, waiting for the commit.
struct Ran {
    reply: oneshot::Sender<Result<(Value, Option<Arc<Change>>)>>,
    outcome: Result<(Value, Option<Change>)>,
}

/// Runs one group: the writes `waiting` (at least one) and those queued meanwhile, up to
/// [`MAX_GROUP`]; the rest stay in `waiting` for the next group.
pub(super) async fn group(
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
        let appended = w
            .append_actuals(rows, crate::store::Duplicates::Append)
            .await;
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
