//! The committer's short way for a group of reports alone (`POST /actuals` without an
//! idempotency key), the bulk of a workshop's writes: checked in memory against the key results
//! the committer already holds ([`Warm`]), given their revisions, and written with the move of
//! the revision row in one round trip that takes effect only if the row still holds the
//! revision they were counted from, its commit and fsync included: on PostgreSQL one statement
//! (its own transaction), on SQLite one query of several statements, from `BEGIN IMMEDIATE` to
//! `COMMIT`.
//!
//! If anything else wrote in between (another replica, an `import` beside `serve`), nothing is
//! written and the same writes go the long way ([`super::long::group`]), which locks the revision row
//! first and reads the key results again. So does a report the committer's key results refuse:
//! a refusal is an answer too, and only the long way checks it against the store as it is.

use std::collections::VecDeque;
use std::time::Instant;

use tracing::Instrument;

use super::{CommitMetrics, MAX_GROUP, Queued, Tx, Warm, Way, Work, answer, finished};
use crate::error::Result;
use crate::store::report_rows::{Applied, ReportRows};
use crate::store::writes::check_reports;
use crate::store::{Backend, Store, Write, rows_per_statement};

/// Columns of an audit row: the widest of the statement's rows.
const AUDIT_WIDTH: usize = 14;

/// Runs the reports at the head of `waiting` the short way, if the committer's key results
/// stand at the revision this process last committed and know every key result they name.
/// Returns whether it answered them; `false` leaves `waiting` as it was, for [`super::long::group`].
pub(super) async fn reports(
    store: &Store,
    waiting: &mut VecDeque<Queued>,
    metrics: &CommitMetrics,
    warm: &mut Warm,
    held: &mut Held,
    started: Instant,
) -> bool {
    if store.inner.stub {
        return false;
    }
    let Some(base) = warm.at.filter(|at| *at == store.committed_rev()) else {
        tracing::trace!(warm = ?warm.at, committed = store.committed_rev(), "no short way");
        return false;
    };
    // The reports at the head of the queue, as many as one statement takes.
    let mut count = 0;
    let mut rows = 0;
    for q in waiting.iter().take(MAX_GROUP) {
        let Work::Reports(reports) = &q.work else {
            break;
        };
        // A report the committer's key results refuse goes the long way: they may be out of
        // date, and only a write they accept is checked against the revision before it is kept.
        if rows + reports.len() > rows_per_statement(AUDIT_WIDTH)
            || !reports.iter().all(|r| warm.krs.knows(r))
            || check_reports(reports, &warm.krs.ranges).is_err()
        {
            break;
        }
        rows += reports.len();
        count += 1;
    }
    if count == 0 {
        return false;
    }
    let taken: Vec<Queued> = waiting.drain(..count).collect();
    let mut buffer = ReportRows::default();
    let mut last = base;
    let mut group = Vec::with_capacity(taken.len());
    let mut outcomes = Vec::with_capacity(taken.len());
    for q in taken {
        let mut w = Write::new(store, Tx(None), last + 1, &q.actor, None);
        let appended = q.span.in_scope(|| match &q.work {
            // Checked when they were taken.
            Work::Reports(reports) => Ok(w.buffer_checked_actuals(reports, &mut buffer)),
            Work::Job(_) => unreachable!("only reports were taken"),
        });
        let (span, request_id) = (q.span.clone(), q.request_id.clone());
        group.push(q);
        let checked = async { finished(&mut w, appended).await }.instrument(span);
        let outcome = match request_id {
            Some(id) => crate::error::with_request_id(id, checked).await,
            None => checked.await,
        };
        if matches!(outcome, Ok((_, Some(_)))) {
            last += 1;
        }
        outcomes.push(outcome);
    }
    let kept = last - base;
    let committed = if kept == 0 {
        // Nothing to write (no reports in them).
        Ok(())
    } else {
        let started = Instant::now();
        let applied = write(store, held, &mut buffer, base, last).await;
        match applied {
            Ok(Applied::No) => {
                // Another process wrote: the long way, with what the store holds now.
                tracing::debug!(base, "the revision moved under the committer: the long way");
                *warm = Warm::default();
                for q in group.into_iter().rev() {
                    waiting.push_front(q);
                }
                return false;
            }
            Ok(Applied::Yes) => {
                metrics
                    .commit_seconds
                    .observe(started.elapsed().as_secs_f64());
                metrics.group_writes.observe(kept as f64);
                warm.at = Some(last);
                store.inner.announcer.committed_now(last);
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, writes = kept, "a group commit failed: none of its writes is kept");
                *warm = Warm::default();
                Err(e)
            }
        }
    };
    // Counted before the answers, so that a writer who has its answer finds its group counted.
    metrics.group_ran(Way::Short, started);
    for (q, outcome) in group.into_iter().zip(outcomes) {
        metrics.queued.dec();
        let _ = q.reply.send(answer(store, metrics, outcome, &committed));
    }
    true
}

/// The connection the short way writes on, kept from one group to the next: taking one from
/// the pool costs a round trip on PostgreSQL (the pool pings it first). Dropped after an error.
pub(super) type Held = Option<sqlx::pool::PoolConnection<sqlx::Any>>;

/// Writes the buffered reports and moves the revision row from `base` to `last`, if it holds
/// `base`, and commits.
async fn write(
    store: &Store,
    held: &mut Held,
    buffer: &mut ReportRows,
    base: i64,
    last: i64,
) -> Result<Applied> {
    let _writer = match store.inner.backend {
        Backend::Sqlite => Some(store.inner.sqlite_writer.clone().lock_owned().await),
        Backend::Postgres => None,
    };
    let mut conn = match held.take() {
        Some(conn) => conn,
        None => store
            .inner
            .pool
            .acquire()
            .await
            .map_err(|e| store.failed(e))?,
    };
    let written = buffer.insert_if_at(store, &mut conn, base, last).await;
    if written.is_ok() {
        *held = Some(conn);
    }
    written
}
