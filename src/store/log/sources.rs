//! The rows key results fed by data are derived from ([`SourceFacts`]), as of a revision:
//! folded from the logged training and GP initiative edits, in the order written, so that a
//! member's latest change (a deletion too) is known with its revision and time, and the facts
//! now and as of the current revision are the same.

use sqlx::AnyConnection;

use super::{LOG_COLUMNS, LogRow, edit_of};
use crate::error::Result;
use crate::records::{Entity, SourceFacts, Stamp};

/// The trainings and GP initiatives as of `rev`.
pub(in crate::store) async fn source_facts(
    conn: &mut AnyConnection,
    rev: i64,
) -> Result<SourceFacts> {
    let rows: Vec<LogRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOG_COLUMNS} FROM audit_log WHERE rev <= $1 AND entity IN ('{}', '{}')
         ORDER BY id",
        Entity::Training.as_str(),
        Entity::GpInitiative.as_str()
    )))
    .bind(rev)
    .fetch_all(conn)
    .await?;
    let mut facts = SourceFacts::default();
    for row in &rows {
        let now = Stamp {
            rev: row.rev,
            at: row.at.as_str().into(),
        };
        facts.apply(&edit_of(row)?, &now);
    }
    Ok(facts)
}
