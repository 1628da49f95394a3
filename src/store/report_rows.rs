//! Reports and their audit rows buffered to be inserted together, in multi-row statements.

use super::writes::{ACTUALS_INSERT, AUDIT_INSERT};
use super::{Val, bind_values, insert_rows, numbered_parameters, push_values, rows_per_statement};
use crate::error::Result;

/// Reports and their audit rows, to be inserted together: by one write
/// ([`Write::append_actuals`]), or by a group of them before its commit ([`super::commit`]).
#[derive(Default)]
pub(crate) struct ReportRows {
    pub(super) actuals: Vec<Vec<Val>>,
    pub(super) audit: Vec<Vec<Val>>,
}

impl ReportRows {
    pub(crate) fn is_empty(&self) -> bool {
        self.actuals.is_empty() && self.audit.is_empty()
    }

    /// Inserts them (in multi-row statements) and empties the buffer.
    pub(crate) async fn insert(&mut self, conn: &mut sqlx::AnyConnection) -> Result<()> {
        insert_rows(conn, ACTUALS_INSERT, "", std::mem::take(&mut self.actuals)).await?;
        insert_rows(conn, AUDIT_INSERT, "", std::mem::take(&mut self.audit)).await
    }

    /// Inserts them and then moves the revision row to `rev`, if given, in one round trip (a
    /// group's last statements before its commit): on SQLite as statements of one query,
    /// whose `?` are bound on across them; on PostgreSQL as one statement whose inserts are
    /// data-modifying `WITH` clauses. More rows than one statement takes go as [`Self::insert`]
    /// and an `UPDATE` of their own.
    pub(crate) async fn insert_and_move(
        &mut self,
        store: &super::Store,
        conn: &mut sqlx::AnyConnection,
        rev: Option<i64>,
    ) -> Result<()> {
        let fits = |rows: &Vec<Vec<Val>>| {
            rows.first()
                .is_none_or(|r| rows.len() <= rows_per_statement(r.len()))
        };
        if !(fits(&self.actuals) && fits(&self.audit)) {
            self.insert(conn).await?;
            if let Some(rev) = rev {
                sqlx::query("UPDATE revision SET rev = $1 WHERE id = 1")
                    .bind(rev)
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| store.failed(e))?;
            }
            return Ok(());
        }
        let numbered = numbered_parameters(conn);
        let actuals = std::mem::take(&mut self.actuals);
        let audit = std::mem::take(&mut self.audit);
        let mut n = 0;
        let mut parts = Vec::new();
        for (head, rows) in [(ACTUALS_INSERT, &actuals), (AUDIT_INSERT, &audit)] {
            if !rows.is_empty() {
                let mut sql = String::new();
                push_values(&mut sql, head, rows, numbered, &mut n);
                parts.push(sql);
            }
        }
        if let Some(_rev) = rev {
            n += 1;
            parts.push(if numbered {
                format!("UPDATE revision SET rev = ${n} WHERE id = 1")
            } else {
                "UPDATE revision SET rev = ? WHERE id = 1".to_owned()
            });
        }
        let Some(last) = parts.pop() else {
            return Ok(());
        };
        let sql = if numbered {
            let with: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, p)| format!("w{i} AS ({p})"))
                .collect();
            if with.is_empty() {
                last
            } else {
                format!("WITH {} {last}", with.join(", "))
            }
        } else {
            parts.push(last);
            parts.join("; ")
        };
        let mut query = bind_values(sqlx::query(sqlx::AssertSqlSafe(sql)), actuals);
        query = bind_values(query, audit);
        if let Some(rev) = rev {
            query = query.bind(rev);
        }
        query
            .execute(&mut *conn)
            .await
            .map_err(|e| store.failed(e))?;
        Ok(())
    }
}

/// Whether a conditional write ([`ReportRows::insert_if_at`]) took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    /// Written and committed.
    Yes,
    /// The revision row held another revision: nothing was written.
    No,
}

impl ReportRows {
    /// In a transaction of their own, inserts them and moves the revision row from `base` to
    /// `last`, if it still holds `base`, and commits; else writes nothing. The committer's
    /// short way for a group of reports ([`super::commit`]): on PostgreSQL one statement (and
    /// so its own transaction, fsynced when it returns), whose inserts are data-modifying
    /// `WITH` clauses that insert only if the revision row was moved; on SQLite the
    /// transaction's beginning, the inserts (each only if the revision row holds `base`), the
    /// move and the commit as statements of one query. Either way one round trip. Everything
    /// must fit one statement ([`rows_per_statement`]).
    pub(crate) async fn insert_if_at(
        &mut self,
        store: &super::Store,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
        base: i64,
        last: i64,
    ) -> Result<Applied> {
        let actuals = std::mem::take(&mut self.actuals);
        let audit = std::mem::take(&mut self.audit);
        let numbered = numbered_parameters(conn);
        let mut sql = String::new();
        let mut n = 0;
        if numbered {
            n = 2;
            sql.push_str(
                "WITH r AS (UPDATE revision SET rev = $1 WHERE id = 1 AND rev = $2 RETURNING rev)",
            );
            for (i, (head, rows)) in [(ACTUALS_INSERT, &actuals), (AUDIT_INSERT, &audit)]
                .into_iter()
                .enumerate()
            {
                sql.push_str(&format!(", w{i} AS ({head} SELECT * FROM ("));
                push_values(&mut sql, "", rows, true, &mut n);
                sql.push_str(") AS v WHERE EXISTS (SELECT 1 FROM r))");
            }
            sql.push_str(" SELECT rev FROM r");
        } else {
            // The write lock first, so that the revision row cannot move between the inserts'
            // look at it and the move; a stale group commits an empty transaction.
            sql.push_str("BEGIN IMMEDIATE");
            for (head, rows) in [(ACTUALS_INSERT, &actuals), (AUDIT_INSERT, &audit)] {
                sql.push_str("; ");
                sql.push_str(head);
                sql.push_str(" SELECT * FROM (");
                push_values(&mut sql, "", rows, false, &mut n);
                sql.push_str(") WHERE (SELECT rev FROM revision WHERE id = 1) = ?");
            }
            sql.push_str(
                "; UPDATE revision SET rev = ? WHERE id = 1 AND rev = ? RETURNING rev; COMMIT",
            );
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if numbered {
            query = bind_values(bind_values(query.bind(last).bind(base), actuals), audit);
        } else {
            query = bind_values(query, actuals).bind(base);
            query = bind_values(query, audit).bind(base).bind(last).bind(base);
        }
        match query.fetch_all(&mut **conn).await {
            // One query: the transaction committed (or not) as it returned.
            Ok(rows) if rows.is_empty() => Ok(Applied::No),
            Ok(_) => Ok(Applied::Yes),
            Err(e) if numbered => Err(store.failed(e)),
            Err(e) => {
                // Failed part of the way, before its commit: the transaction may have begun,
                // or not. Rolled back; if that fails, it may still be open, and the connection
                // does not go back to the pool.
                if sqlx::query("ROLLBACK").execute(&mut **conn).await.is_err() {
                    conn.close_on_drop();
                }
                Err(store.failed(e))
            }
        }
    }
}
