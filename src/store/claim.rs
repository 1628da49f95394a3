//! A write's `Idempotency-Key` ([`crate::http`]'s idempotency layer), kept with its revision
//! and its answer in the write's own transaction.

use super::Write;
use crate::error::Result;

impl Write {
    /// The answer the request will get when this write commits: kept in the same transaction
    /// as the change, under the request's `Idempotency-Key` if it has one, so that a retry
    /// gets it even if the process died before the answer left.
    pub fn answer(&mut self, status: u16, body: &impl serde::Serialize) {
        if self.who.idempotency.is_some() {
            match serde_json::to_string(body) {
                Ok(json) => self.answer = Some((status, json)),
                Err(e) => tracing::warn!(error = %e, "an answer to keep did not serialize"),
            }
        }
    }

    /// Writes the key's row with this revision (and the answer, if known). A key that another
    /// request (on another replica) has just used makes this write fail: the change is made
    /// once.
    pub(super) async fn keep_claim(&mut self, claim: crate::records::Claim) -> Result<()> {
        let (status, body) = self.answer.take().unwrap_or((0, String::new()));
        let inserted = sqlx::query(
            "INSERT INTO idempotency (credential, key, request, status, body, created_at, rev)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (credential, key) DO NOTHING",
        )
        .bind(claim.credential)
        .bind(claim.key)
        .bind(claim.request)
        .bind(i64::from(status))
        .bind(body)
        .bind(self.at.to_string())
        .bind(self.rev)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(crate::error::Error::Conflict(
                "a request with this Idempotency-Key was served meanwhile: send it again to get its answer".into(),
                vec![],
            ));
        }
        Ok(())
    }
}
