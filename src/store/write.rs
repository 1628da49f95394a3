//! A write in progress ([`Write`]) and its transaction ([`Tx`]): what every write method of the
//! store (`writes`, `primers`, `series`, `history`, `claim`) works on, and what the committer
//! ([`super::commit`]) and [`super::Store::begin`] hand out.

use sqlx::{Any, Transaction};
use time::OffsetDateTime;
use tokio::sync::OwnedMutexGuard;

use super::{Store, timestamp, writes};
use crate::error::Result;
use crate::records::{Actor, Change, Edit, Text};

/// The transaction of a write. Dereferences to its connection, as sqlx's transaction does;
/// empty only for a stubbed store (the benchmark's reference), where nothing may query it.
pub(crate) struct Tx(pub(crate) Option<Transaction<'static, Any>>);

const STUBBED: &str =
    "the store is stubbed (the ingest benchmark's reference): this write cannot run";

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        self.0.as_deref().expect(STUBBED)
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0.as_deref_mut().expect(STUBBED)
    }
}

impl Tx {
    /// Whether this is a stubbed store's write (nothing is stored).
    pub(crate) fn stubbed(&self) -> bool {
        self.0.is_none()
    }
}

/// A write in progress: one transaction, one revision, its audit rows.
pub struct Write {
    pub(super) tx: Tx,
    pub(super) rev: i64,
    pub(super) at: Text,
    pub(super) actor: Text,
    /// The actor's role, scope, credential and request, for the audit rows.
    pub(super) who: Actor,
    /// What it did, one edit per audit row: the [`Change`] it commits. A write that changed
    /// nothing rolls back, so an idempotent re-import does not consume a revision.
    pub(super) edits: Vec<Edit>,
    /// The answer the request will get (status, JSON), kept with its `Idempotency-Key` when
    /// the actor has one ([`Write::answer`]).
    pub(super) answer: Option<(u16, String)>,
    /// For the announcement of the commit.
    pub(super) store: Store,
    /// In a group: the key results looked up so far, shared by the group's writes
    /// ([`super::commit`]); `None` alone.
    pub(crate) known_krs: Option<writes::KrCache>,
    pub(super) _writer: Option<OwnedMutexGuard<()>>,
}

impl Write {
    pub(super) fn new(
        store: &Store,
        tx: Tx,
        rev: i64,
        actor: &Actor,
        writer: Option<OwnedMutexGuard<()>>,
    ) -> Self {
        Self {
            tx,
            rev,
            at: timestamp(OffsetDateTime::now_utc()).into(),
            actor: actor.name.as_str().into(),
            who: actor.clone(),
            edits: Vec::new(),
            answer: None,
            store: store.clone(),
            known_krs: None,
            _writer: writer,
        }
    }

    pub fn rev(&self) -> i64 {
        self.rev
    }

    /// Ends the write's own work: keeps its idempotency key beside it, and returns what it
    /// changed (`None`: nothing, and it is to be rolled back). The transaction is committed by
    /// whoever holds it: [`Write::commit`], or the committer for a group ([`commit`]).
    pub(super) async fn finish(&mut self) -> Result<Option<Change>> {
        if self.edits.is_empty() {
            return Ok(None);
        }
        if let Some(claim) = &self.who.idempotency
            && !self.tx.stubbed()
        {
            self.keep_claim(claim.clone()).await?;
        }
        Ok(Some(Change {
            rev: self.rev,
            at: self.at.clone(),
            actor: self.actor.clone(),
            edits: std::mem::take(&mut self.edits),
        }))
    }

    /// The transaction, back to the committer.
    pub(super) fn into_tx(self) -> Tx {
        self.tx
    }

    /// Commits a write begun alone ([`Store::begin`]: an import); returns what it committed,
    /// or `None` when nothing changed (and nothing was kept).
    pub async fn commit(mut self) -> Result<Option<Change>> {
        let change = self.finish().await?;
        let Some(tx) = self.tx.0.take() else {
            return Ok(change);
        };
        match change {
            None => tx.rollback().await?,
            Some(ref c) => {
                tx.commit().await?;
                self.store.inner.announcer.committed_now(c.rev);
            }
        }
        Ok(change)
    }

    /// Whether the write has changed anything so far (a write that has not is rolled back).
    pub fn changed(&self) -> bool {
        !self.edits.is_empty()
    }

    /// Abandons the write: nothing it did is kept.
    pub async fn rollback(mut self) -> Result<()> {
        if let Some(tx) = self.tx.0.take() {
            tx.rollback().await?;
        }
        Ok(())
    }
}
