//! Writes other than primers, series and programmes: actuals (append-only), budgets, and the
//! audit rows that go with every change.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use sqlx::FromRow;

use super::log::logged_value;
use super::reads::budgets;
use super::report_rows::ReportRows;
use super::{Val, Write, insert_rows, timestamp};
use crate::domain::KrCode;
use crate::error::{Detail, Error, Result};
use crate::model::{ActualInput, Budget};
use crate::records::{ActualFact, Edit, UNLINKED, Withdrawal};

/// Most distinct key results of a batch of reports looked up one by one (in one statement);
/// a larger batch reads the whole table.
const KR_LOOKUPS: usize = 64;
/// Lookups by key of one group before it reads every key result instead (an import).
const KR_LOOKUP_QUERIES: usize = 4;

/// A report, as written.
pub(super) const ACTUALS_INSERT: &str =
    "INSERT INTO actuals (iso3, kr_code, year, value, reported_at, reported_by, rev)";

/// An audit row, as written.
pub(super) const AUDIT_INSERT: &str = "INSERT INTO audit_log (rev, at, actor, action, entity, entity_key, \
     old_value, new_value, role, scope, credential, request_id, member, note)";

/// How far ahead of the server's clock a report may be dated (the clocks of phones and
/// laptops differ by a little).
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// A stored report as a withdrawal reads it: member, key result, year, value, when, the
/// revision that appended it, the one that withdrew it.
type StoredReportRow = (String, String, i64, f64, String, i64, Option<i64>);

/// Key results' ranges by (member, code), and the dataset of those fed by data: what a report
/// is checked against.
pub(crate) type KrRanges = HashMap<
    (String, String),
    (
        Option<f64>,
        Option<f64>,
        Option<crate::model::SourceDataset>,
    ),
>;

/// A key result's row as a report is checked against it.
type KrRangeRow = (String, String, Option<f64>, Option<f64>, Option<String>);

/// What to do with a report that is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicates {
    /// Append anyway: a delegate who reports the same value again has reported again.
    Append,
    /// Skip it, so that importing the same file twice changes nothing the second time. A row
    /// with `reported_at` is a duplicate of the identical stored report; a row without one is a
    /// duplicate when the current value for its key result and year already equals it.
    Skip,
}

impl Write {
    /// Records one edit in this write's transaction: its audit row (with the value it
    /// replaced, if any), and its place in the [`crate::records::Change`] the commit returns.
    pub(crate) async fn audit(&mut self, edit: Edit, old: Option<&impl Serialize>) -> Result<()> {
        let old = old.map(|v| serde_json::to_string(v).expect("records serialize"));
        let row = self.audit_row(&edit, old);
        insert_rows(&mut self.tx, AUDIT_INSERT, "", vec![row]).await?;
        self.edits.push(edit);
        Ok(())
    }

    /// The audit row of `edit` in this write, with the value it replaced (JSON text), as
    /// [`AUDIT_INSERT`] names the columns.
    pub(super) fn audit_row(&self, e: &Edit, old: Option<String>) -> Vec<Val> {
        vec![
            Val::Int(Some(self.rev)),
            Val::Text(Some(self.at.to_string())),
            Val::Text(Some(self.actor.to_string())),
            Val::Text(Some(e.action().as_str().to_owned())),
            Val::Text(Some(e.entity().as_str().to_owned())),
            Val::Text(Some(e.key())),
            Val::Text(old),
            Val::Text(Some(logged_value(e))),
            Val::Text(Some(self.who.role.clone())),
            Val::Text(self.who.scope.clone()),
            Val::Text(self.who.credential.clone()),
            Val::Text(self.who.request_id.clone()),
            Val::Text(e.iso3().map(str::to_owned)),
            Val::Text(e.note().map(str::to_owned)),
        ]
    }

    /// Appends reports. Every row is checked against the stored members and key results first;
    /// any unknown one fails the whole batch with a 422 listing each bad row (by its index in
    /// `rows`, from 0). Returns how many rows were appended.
    pub async fn append_actuals(&mut self, rows: &[ActualInput], dup: Duplicates) -> Result<usize> {
        if self.tx.stubbed() {
            return Ok(self.stub_actuals(rows));
        }
        self.check_against_key_results(rows).await?;
        let existing = match dup {
            Duplicates::Append => None,
            Duplicates::Skip => Some(self.stored_reports().await?),
        };
        let reports: Vec<ActualFact> = rows
            .iter()
            .filter(|r| !existing.as_ref().is_some_and(|stored| stored.holds(r)))
            .map(|r| self.report(r))
            .collect();
        let mut rows = ReportRows::default();
        let count = self.report_rows(reports, &mut rows);
        rows.insert(&mut self.tx).await?;
        Ok(count)
    }

    /// Appends reports as [`Write::append_actuals`] does (`Duplicates::Append`), checked
    /// against `krs` (the key results they report on), with their rows added to `rows` rather than written:
    /// the committer writes a group's reports together ([`super::commit`]). Nothing is read or
    /// written here.
    pub(super) fn buffer_actuals(
        &mut self,
        rows: &[ActualInput],
        krs: &KrRanges,
        buffer: &mut ReportRows,
    ) -> Result<usize> {
        check_reports(rows, krs)?;
        Ok(self.buffer_checked_actuals(rows, buffer))
    }

    /// As [`Write::buffer_actuals`], for reports already checked ([`check_reports`]). Returns
    /// how many.
    pub(super) fn buffer_checked_actuals(
        &mut self,
        rows: &[ActualInput],
        buffer: &mut ReportRows,
    ) -> usize {
        let reports = rows.iter().map(|r| self.report(r)).collect();
        self.report_rows(reports, buffer)
    }

    /// The report `r` appended by this write.
    fn report(&self, r: &ActualInput) -> ActualFact {
        ActualFact {
            iso3: r.iso3.as_str().to_owned(),
            code: r.kr_code.as_str().to_owned(),
            year: r.year.get(),
            value: r.value.get(),
            reported_at: r
                .reported_at
                .map_or_else(|| self.at.to_string(), timestamp)
                .into(),
            rev: self.rev,
            kr: UNLINKED,
            derived: false,
        }
    }

    /// Adds the rows of `reports` (the report and its audit row) to `rows`, and the reports to
    /// this write's edits. Returns how many.
    fn report_rows(&mut self, reports: Vec<ActualFact>, rows: &mut ReportRows) -> usize {
        let actor = self.actor.to_string();
        let count = reports.len();
        for a in reports {
            rows.actuals.push(vec![
                Val::Text(Some(a.iso3.clone())),
                Val::Text(Some(a.code.clone())),
                Val::Int(Some(a.year)),
                Val::Real(Some(a.value)),
                Val::Text(Some(a.reported_at.to_string())),
                Val::Text(Some(actor.clone())),
                Val::Int(Some(self.rev)),
            ]);
            let edit = Edit::Report(a);
            rows.audit.push(self.audit_row(&edit, None));
            self.edits.push(edit);
        }
        count
    }

    /// The ingest benchmark's reference ([`super::Store::open_stubbed`]): the reports become
    /// the edits of the change, as [`Write::append_actuals`] makes them, with nothing read or
    /// written (so nothing checked against the stored key results either).
    fn stub_actuals(&mut self, rows: &[ActualInput]) -> usize {
        let edits: Vec<Edit> = rows.iter().map(|r| Edit::Report(self.report(r))).collect();
        let count = edits.len();
        self.edits.extend(edits);
        count
    }

    /// Withdraws report `id` with `reason`; with `corrected`, appends the corrected value in
    /// its place (same key result and year, dated as the withdrawn one unless that lies in the
    /// future). The report stays in the table, marked with this revision, so a replay of an
    /// earlier revision still counts it. `may` is asked whether the writer may change the
    /// report's member. Returns the member.
    pub async fn withdraw_report(
        &mut self,
        id: i64,
        reason: &str,
        corrected: Option<crate::domain::Finite>,
        may: impl FnOnce(&str) -> Result<()>,
    ) -> Result<String> {
        let row: Option<StoredReportRow> = sqlx::query_as(
            "SELECT iso3, kr_code, year, value, reported_at, rev, withdrawn_rev
             FROM actuals WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some((iso3, code, year, value, reported_at, rev, withdrawn)) = row else {
            return Err(Error::NotFound(format!("there is no report {id}")));
        };
        may(&iso3)?;
        if let Some(w) = withdrawn {
            return Err(Error::Conflict(
                format!("report {id} was already withdrawn (revision {w})"),
                vec![Detail::field("id", "already withdrawn")],
            ));
        }
        sqlx::query(
            "UPDATE actuals SET withdrawn_rev = $1, withdrawn_reason = $2, withdrawn_by = $3
             WHERE id = $4",
        )
        .bind(self.rev)
        .bind(reason.to_owned())
        .bind(self.actor.to_string())
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        let report = ActualFact {
            iso3: iso3.clone(),
            code: code.clone(),
            year,
            value,
            reported_at: reported_at.as_str().into(),
            rev,
            kr: UNLINKED,
            derived: false,
        };
        let old = serde_json::json!({"value": value, "reported_at": reported_at, "rev": rev});
        self.audit(
            Edit::Withdraw(Withdrawal {
                report,
                reason: reason.into(),
            }),
            Some(&old),
        )
        .await?;
        if let Some(value) = corrected {
            let dated = time::OffsetDateTime::parse(
                &reported_at,
                &time::format_description::well_known::Rfc3339,
            )
            .ok()
            .filter(|t| *t <= time::OffsetDateTime::now_utc());
            let row = ActualInput {
                iso3: crate::domain::Iso3::parse(&iso3)
                    .map_err(|e| anyhow::anyhow!("stored member {iso3}: {}", e.0))?,
                kr_code: KrCode::parse(&code)
                    .map_err(|e| anyhow::anyhow!("stored key result {code}: {}", e.0))?,
                year: crate::domain::Year::new(year)
                    .map_err(|e| anyhow::anyhow!("stored year {year}: {}", e.0))?,
                value,
                reported_at: dated,
            };
            self.append_actuals(std::slice::from_ref(&row), Duplicates::Append)
                .await?;
        }
        Ok(iso3)
    }

    /// Checks reports against the stored members and key results: those of the group's cache
    /// when the write runs in a group ([`super::commit`]), which it fills in, else looked up
    /// for this write alone.
    async fn check_against_key_results(&mut self, rows: &[ActualInput]) -> Result<()> {
        let in_group = self.known_krs.is_some();
        let mut cache = self.known_krs.take().unwrap_or_default();
        let looked = cache.ensure(&mut self.tx, rows).await;
        let checked = looked.and_then(|()| check_reports(rows, &cache.ranges));
        if in_group {
            self.known_krs = Some(cache);
        }
        checked
    }

    /// Every stored report, and the current value per (member, key result, year).
    async fn stored_reports(&mut self) -> Result<StoredReports> {
        let rows: Vec<StoredReport> = sqlx::query_as(
            "SELECT iso3, kr_code, year, value, reported_at FROM actuals
             ORDER BY reported_at, rev, id",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        let mut stored = StoredReports {
            all: HashSet::with_capacity(rows.len()),
            latest: HashMap::new(),
        };
        for r in rows {
            let key = (r.iso3, r.kr_code, r.year);
            stored.latest.insert(key.clone(), r.value);
            stored.all.insert((key, r.reported_at, r.value.to_bits()));
        }
        Ok(stored)
    }

    /// Sets the budget of a pillar and year (APO-wide, or for one member). Returns whether it
    /// changed.
    pub async fn put_budget(&mut self, b: &Budget) -> Result<bool> {
        let scope = b.iso3.as_ref().map_or("", |m| m.as_str()).to_owned();
        if !scope.is_empty() && !super::reads::member_exists(&mut self.tx, &scope).await? {
            return Err(Error::invalid(vec![Detail::field(
                "iso3",
                format!("unknown member {scope}"),
            )]));
        }
        let old = budgets(&mut self.tx, Some(b.year.get()))
            .await?
            .into_iter()
            .find(|o| o.pillar == b.pillar && o.iso3 == b.iso3);
        if old.as_ref() == Some(b) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO budgets (pillar, year, scope, planned, spent) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (pillar, year, scope) DO UPDATE SET planned = excluded.planned,
                 spent = excluded.spent",
        )
        .bind(b.pillar.get())
        .bind(b.year.get())
        .bind(scope.clone())
        .bind(b.planned.get())
        .bind(b.spent.get())
        .execute(&mut *self.tx)
        .await?;
        self.audit(Edit::Budget(b.clone()), old.as_ref()).await?;
        Ok(true)
    }
}

impl StoredReports {
    /// Whether `r` is already stored ([`Duplicates::Skip`]): with `reported_at`, the identical
    /// report; without, the current value of its key result and year equals it.
    fn holds(&self, r: &ActualInput) -> bool {
        let key = (
            r.iso3.as_str().to_owned(),
            r.kr_code.as_str().to_owned(),
            r.year.get(),
        );
        match r.reported_at {
            Some(t) => self
                .all
                .contains(&(key, timestamp(t), r.value.get().to_bits())),
            None => self.latest.get(&key).is_some_and(|v| *v == r.value.get()),
        }
    }
}

/// The key results' ranges looked up so far, by (member, code), and every key looked up (found
/// or not): a group of writes ([`super::commit`]) reads each once. A few are looked up by key (a
/// POST reports on one or a handful, a group its writes' together, [`KR_LOOKUPS`] a query);
/// more than [`KR_LOOKUP_QUERIES`] queries' worth at once (an import) read them all. Reading them all for every report made a POST take 147 ms instead of 1.0 ms with
/// 100,000 key results (national scale) in the database (BENCHMARKS.md).
#[derive(Default)]
pub(crate) struct KrCache {
    pub(crate) ranges: KrRanges,
    looked: HashSet<(String, String)>,
    /// Every key result has been read.
    all: bool,
}

impl KrCache {
    /// Looks up the key results `rows` report on that are not known yet.
    pub(crate) async fn ensure<'r>(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        rows: impl IntoIterator<Item = &'r ActualInput>,
    ) -> Result<()> {
        if self.all {
            return Ok(());
        }
        let wanted: BTreeSet<(String, String)> = rows
            .into_iter()
            .map(|r| (r.iso3.as_str().to_owned(), r.kr_code.as_str().to_owned()))
            .filter(|k| !self.looked.contains(k))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        if wanted.len() > KR_LOOKUPS * KR_LOOKUP_QUERIES {
            self.all = true;
            self.ranges.clear();
            let all = sqlx::query_as::<_, KrRangeRow>(
                "SELECT iso3, code, min_value, max_value, source FROM key_results",
            );
            for row in all.fetch_all(&mut *conn).await? {
                self.keep(row)?;
            }
            return Ok(());
        }
        let keys: Vec<&(String, String)> = wanted.iter().collect();
        for chunk in keys.chunks(KR_LOOKUPS) {
            let sql = format!(
                "SELECT iso3, code, min_value, max_value, source FROM key_results WHERE {}",
                (0..chunk.len())
                    .map(|i| format!("(iso3 = ${} AND code = ${})", 2 * i + 1, 2 * i + 2))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            );
            let query = chunk.iter().fold(
                sqlx::query_as::<_, KrRangeRow>(sqlx::AssertSqlSafe(sql)),
                |q, (iso3, code)| q.bind(iso3.clone()).bind(code.clone()),
            );
            for row in query.fetch_all(&mut *conn).await? {
                self.keep(row)?;
            }
        }
        self.looked.extend(wanted);
        Ok(())
    }

    /// Whether the key result of `r` has been looked up (found or not).
    pub(crate) fn knows(&self, r: &ActualInput) -> bool {
        self.all
            || self
                .looked
                .contains(&(r.iso3.as_str().to_owned(), r.kr_code.as_str().to_owned()))
    }

    /// Keeps a key result's range, and the dataset it is fed by, if any.
    fn keep(&mut self, (iso3, code, min, max, source): KrRangeRow) -> Result<()> {
        let dataset = super::kr_sources::dataset_of(&iso3, &code, source.as_deref())?;
        self.ranges.insert((iso3, code), (min, max, dataset));
        Ok(())
    }
}

/// Checks reports against the members and `krs` (the key results they report on, with their
/// ranges): any problem fails the batch with a 422 naming each bad row (by its index, from 0).
pub(super) fn check_reports(rows: &[ActualInput], krs: &KrRanges) -> Result<()> {
    // The members table is seeded from this list at every start.
    let members: HashSet<&str> = crate::domain::member_codes()
        .iter()
        .map(String::as_str)
        .collect();
    let mut problems = Vec::new();
    let latest = time::OffsetDateTime::now_utc() + CLOCK_SKEW;
    for (i, r) in rows.iter().enumerate() {
        if let Some(t) = r.reported_at.filter(|t| *t > latest) {
            // The latest report is the current value: one dated ahead would pin its key
            // result until that date.
            problems.push(
                Detail::field(
                    "reported_at",
                    format!(
                        "{} is in the future: a report is dated when it is made (up to {} minutes ahead of the server's clock)",
                        timestamp(t),
                        CLOCK_SKEW.whole_minutes()
                    ),
                )
                .at_row(i),
            );
        }
        if let Some(t) = r
            .reported_at
            .filter(|t| *t < crate::domain::EARLIEST_REPORT)
        {
            problems.push(
                Detail::field(
                    "reported_at",
                    format!(
                        "{} is before {}: a report of this cycle is not dated so early",
                        timestamp(t),
                        crate::domain::EARLIEST_REPORT.date()
                    ),
                )
                .at_row(i),
            );
        }
        if let Some(why) = crate::domain::magnitude_problem(r.value.get()) {
            problems.push(Detail::field("value", why).at_row(i));
        }
        let iso3 = r.iso3.as_str();
        if !members.contains(iso3) {
            problems.push(Detail::field("iso3", format!("unknown member {iso3}")).at_row(i));
        } else {
            match krs.get(&(iso3.to_owned(), r.kr_code.as_str().to_owned())) {
                None => problems.push(
                    Detail::field("kr_code", format!("{iso3} has no key result {}", r.kr_code))
                        .at_row(i),
                ),
                // A key result fed by data takes no report by hand (contract §4).
                Some(&(_, _, Some(dataset))) => problems.push(
                    Detail::field(
                        "kr_code",
                        format!("{iso3}'s key result {} {}", r.kr_code, dataset.refusal()),
                    )
                    .at_row(i),
                ),
                Some(&(min, max, None)) => {
                    if let Some(why) = crate::model::range_problem(r.value.get(), min, max) {
                        problems.push(Detail::field("value", why).at_row(i));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(problems))
    }
}

/// A stored report, for telling duplicates.
#[derive(FromRow)]
struct StoredReport {
    iso3: String,
    kr_code: String,
    year: i64,
    value: f64,
    reported_at: String,
}

/// Every stored report as (key, reported_at, value bits), and the current value per key.
struct StoredReports {
    all: HashSet<((String, String, i64), String, u64)>,
    latest: HashMap<(String, String, i64), f64>,
}
