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
