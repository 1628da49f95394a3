//! What an import of an exported history needs beyond appending reports: finding a stored report
//! by what the file says of it, and keeping who made and who withdrew it.

use time::OffsetDateTime;

use super::{Write, timestamp};
use crate::error::Result;

/// A stored report, as an import finds it.
#[derive(Debug, Clone, Copy)]
pub struct FoundReport {
    pub id: i64,
    /// The revision that appended it.
    pub rev: i64,
    pub withdrawn: bool,
}

impl Write {
    /// The first stored report on this key result and year, made at `reported_at` with `value`.
    pub async fn find_report(
        &mut self,
        iso3: &str,
        kr_code: &str,
        year: i64,
        reported_at: OffsetDateTime,
        value: f64,
    ) -> Result<Option<FoundReport>> {
        let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, rev, withdrawn_rev FROM actuals
             WHERE iso3 = $1 AND kr_code = $2 AND year = $3 AND reported_at = $4 AND value = $5
             ORDER BY id LIMIT 1",
        )
        .bind(iso3.to_owned())
        .bind(kr_code.to_owned())
        .bind(year)
        .bind(timestamp(reported_at))
        .bind(value)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.map(|(id, rev, withdrawn)| FoundReport {
            id,
            rev,
            withdrawn: withdrawn.is_some(),
        }))
    }

    /// Credits report `id` to `by` (who made it, as an exported history says).
    pub async fn credit_report(&mut self, id: i64, by: &str) -> Result<()> {
        sqlx::query("UPDATE actuals SET reported_by = $1 WHERE id = $2")
            .bind(by.to_owned())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Credits the withdrawal of report `id` to `by`.
    pub async fn credit_withdrawal(&mut self, id: i64, by: &str) -> Result<()> {
        sqlx::query("UPDATE actuals SET withdrawn_by = $1 WHERE id = $2")
            .bind(by.to_owned())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
