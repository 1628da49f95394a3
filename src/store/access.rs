//! The access tables: credentials (tokens, delegation cards, links), browser sessions and
//! workshops, and the access revision every change to them bumps. What they mean is
//! [`crate::access`]'s business; this is their SQL.

use sqlx::FromRow;
use time::OffsetDateTime;

use super::{Store, timestamp};
use crate::error::{Error, Result};

/// A credential as stored: the hash of its secret, never the secret.
#[derive(Debug, Clone, FromRow)]
pub struct CredentialRow {
    pub id: String,
    pub kind: String,
    pub secret_hash: String,
    pub role: String,
    pub member: Option<String>,
    pub label: String,
    pub workshop: Option<String>,
    pub one_time: i64,
    pub created_at: String,
    pub created_by: String,
    pub expires_at: Option<String>,
    pub used_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub id: String,
    pub secret_hash: String,
    pub credential: String,
    pub created_at: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct WorkshopRow {
    pub id: String,
    pub title: String,
    pub join_code: String,
    pub opened_at: String,
    pub opened_by: String,
    pub expires_at: String,
    pub closed_at: Option<String>,
}

/// Everything the access registry keeps in memory, as of `rev`.
pub struct AccessRows {
    pub rev: i64,
    pub credentials: Vec<CredentialRow>,
    pub sessions: Vec<SessionRow>,
    pub workshops: Vec<WorkshopRow>,
}

/// One change to the access tables, applied in one transaction with the access revision.
pub enum AccessWrite<'a> {
    Credential(&'a CredentialRow),
    Session(&'a SessionRow),
    Workshop(&'a WorkshopRow),
    Revoke {
        id: &'a str,
    },
    /// Marks a one-time credential used; refused (`Ok(false)`) if it already was.
    Use {
        id: &'a str,
    },
    EndSession {
        id: &'a str,
    },
    CloseWorkshop {
        id: &'a str,
    },
}

const CREDENTIAL_COLUMNS: &str = "id, kind, secret_hash, role, member, label, workshop, one_time, \
     created_at, created_by, expires_at, used_at, revoked_at";

impl Store {
    /// The access revision: bumped by every change to credentials, sessions and workshops.
    pub async fn access_rev(&self) -> Result<i64> {
        let (rev,): (i64,) = sqlx::query_as("SELECT rev FROM access_revision WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        Ok(rev)
    }

    /// Every credential and workshop, and the sessions that have not ended or expired.
    pub async fn access_rows(&self) -> Result<AccessRows> {
        let mut tx = self.begin_tx().await?;
        let (rev,): (i64,) = sqlx::query_as("SELECT rev FROM access_revision WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let credentials = sqlx::query_as::<_, CredentialRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials ORDER BY created_at, id"
        )))
        .fetch_all(&mut *tx)
        .await?;
        let sessions = sqlx::query_as::<_, SessionRow>(
            "SELECT id, secret_hash, credential, created_at, expires_at FROM sessions
             WHERE ended_at IS NULL AND expires_at > $1",
        )
        .bind(timestamp(OffsetDateTime::now_utc()))
        .fetch_all(&mut *tx)
        .await?;
        let workshops = sqlx::query_as::<_, WorkshopRow>(
            "SELECT id, title, join_code, opened_at, opened_by, expires_at, closed_at
             FROM workshops ORDER BY opened_at",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(AccessRows {
            rev,
            credentials,
            sessions,
            workshops,
        })
    }

    /// Applies `writes` in one transaction that bumps the access revision. Returns false (and
    /// writes nothing) when a [`AccessWrite::Use`] finds its credential already used, or a
    /// revoke, end or close finds nothing to change.
    pub async fn access_write(&self, writes: &[AccessWrite<'_>]) -> Result<bool> {
        let now = timestamp(OffsetDateTime::now_utc());
        let mut tx = self.begin_tx().await?;
        sqlx::query("UPDATE access_revision SET rev = rev + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        for write in writes {
            let changed = match write {
                AccessWrite::Credential(c) => sqlx::query(
                    "INSERT INTO credentials (id, kind, secret_hash, role, member, label, workshop,
                         one_time, created_at, created_by, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(c.id.clone())
                .bind(c.kind.clone())
                .bind(c.secret_hash.clone())
                .bind(c.role.clone())
                .bind(c.member.clone())
                .bind(c.label.clone())
                .bind(c.workshop.clone())
                .bind(c.one_time)
                .bind(c.created_at.clone())
                .bind(c.created_by.clone())
                .bind(c.expires_at.clone())
                .execute(&mut *tx)
                .await
                .map_err(conflict_as_retry)?
                .rows_affected(),
                AccessWrite::Session(s) => sqlx::query(
                    "INSERT INTO sessions (id, secret_hash, credential, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(s.id.clone())
                .bind(s.secret_hash.clone())
                .bind(s.credential.clone())
                .bind(s.created_at.clone())
                .bind(s.expires_at.clone())
                .execute(&mut *tx)
                .await
                .map_err(conflict_as_retry)?
                .rows_affected(),
                AccessWrite::Workshop(w) => sqlx::query(
                    "INSERT INTO workshops (id, title, join_code, opened_at, opened_by, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(w.id.clone())
                .bind(w.title.clone())
                .bind(w.join_code.clone())
                .bind(w.opened_at.clone())
                .bind(w.opened_by.clone())
                .bind(w.expires_at.clone())
                .execute(&mut *tx)
                .await
                .map_err(conflict_as_retry)?
                .rows_affected(),
                AccessWrite::Revoke { id } => sqlx::query(
                    "UPDATE credentials SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(id.to_string())
                .bind(now.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected(),
                AccessWrite::Use { id } => sqlx::query(
                    "UPDATE credentials SET used_at = $2
                     WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
                )
                .bind(id.to_string())
                .bind(now.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected(),
                AccessWrite::EndSession { id } => sqlx::query(
                    "UPDATE sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL",
                )
                .bind(id.to_string())
                .bind(now.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected(),
                AccessWrite::CloseWorkshop { id } => {
                    sqlx::query(
                        "UPDATE credentials SET revoked_at = $2
                         WHERE workshop = $1 AND revoked_at IS NULL",
                    )
                    .bind(id.to_string())
                    .bind(now.clone())
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE workshops SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL",
                    )
                    .bind(id.to_string())
                    .bind(now.clone())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                }
            };
            if changed == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// A random identifier that collided with a stored one (once in billions): the caller's next
/// attempt draws another. Other database errors stay what they are.
fn conflict_as_retry(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            Error::Conflict("an identifier collided; try again".into(), vec![])
        }
        // Out of reach: a 503, like any other (the `From` sorts it).
        _ => e.into(),
    }
}

/// An answer kept for an `Idempotency-Key` (`crate::http` idempotency).
#[derive(Debug, sqlx::FromRow)]
pub struct KeptAnswer {
    /// The fingerprint of the request it answered.
    pub request: String,
    /// 0 when the change committed but its answer was not kept (the process stopped between
    /// the two, or the handler does not say its answer inside the write).
    pub status: i64,
    pub body: String,
    /// The revision the request produced, when it changed something.
    pub rev: Option<i64>,
}

impl Store {
    /// The answer kept for `key` of `credential` in the last `keep`, if one is.
    pub async fn kept_answer(
        &self,
        credential: &str,
        key: &str,
        keep: time::Duration,
    ) -> Result<Option<KeptAnswer>> {
        let oldest = timestamp(OffsetDateTime::now_utc() - keep);
        Ok(sqlx::query_as(
            "SELECT request, status, body, rev FROM idempotency
             WHERE credential = $1 AND key = $2 AND created_at >= $3",
        )
        .bind(credential.to_owned())
        .bind(key.to_owned())
        .bind(oldest)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Keeps the answer to `key` of `credential` for `keep` (and forgets answers older than
    /// that). A key kept already (by a request on another replica, or by the write itself with
    /// its answer) keeps its first answer; one kept by its write without an answer gets it.
    pub async fn keep_answer(
        &self,
        credential: &str,
        key: &str,
        request: &str,
        status: u16,
        body: &str,
        keep: time::Duration,
    ) -> Result<()> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.begin_tx().await?;
        sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
            .bind(timestamp(now - keep))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO idempotency (credential, key, request, status, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (credential, key) DO UPDATE SET status = excluded.status, body = excluded.body
             WHERE idempotency.status = 0",
        )
        .bind(credential.to_owned())
        .bind(key.to_owned())
        .bind(request.to_owned())
        .bind(i64::from(status))
        .bind(body.to_owned())
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
