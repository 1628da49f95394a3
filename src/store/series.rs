//! Series: their yearly values per member (upserted by imports) and their catalogue (what each
//! series is: label, unit, source), and the catalogue as `GET /series/catalogue` lists it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use super::writes::AUDIT_INSERT;
use super::{Backend, Store, Write, insert_rows};
use crate::error::{Detail, Error, Result};
use crate::model::{SeriesCoverage, SeriesEntry, SeriesInfo, SeriesPoint, pwt_catalogue};
use crate::records::{Edit, SeriesEdit};

/// Rows per statement when series values are written to SQLite: one prepared statement of
/// 4,000 anonymous (`?`) parameters, run again for each chunk. (Numbered `$n` parameters cost
/// sqlx a lookup by name per parameter that grows with their number, which made large
/// statements slower, not faster: see [`super::insert_rows`].)
const SQLITE_ROWS: usize = 1_000;
/// Rows per statement when series values are written to PostgreSQL: four array parameters,
/// sent as text and unnested by the server.
const POSTGRES_ROWS: usize = 50_000;
/// Series names per lookup of the stored values of one member.
const NAMES_PER_LOOKUP: usize = 500;

impl Write {
    /// Upserts series values; values equal to the stored ones are left alone. One audit row per
    /// (member, series) touched, with the changed years' old and new values. Returns how many
    /// values changed.
    ///
    /// Made for files of a million values (BENCHMARKS.md, "Importing big files"): only the
    /// stored values of the (member, series) pairs in `points` are read back, member by member;
    /// the changed values are written in large statements (SQLite: one prepared statement
    /// of a thousand rows; PostgreSQL: arrays unnested by the server) and the audit rows in
    /// multi-row statements, all in this write's transaction.
    pub async fn put_series(&mut self, points: &[SeriesPoint]) -> Result<usize> {
        let members: HashSet<String> = sqlx::query_as::<_, (String,)>("SELECT iso3 FROM members")
            .fetch_all(&mut *self.tx)
            .await?
            .into_iter()
            .map(|(m,)| m)
            .collect();
        // Each (member, series) pair gets a number, so that values are keyed by (pair, year)
        // without a string per value.
        let mut pairs: HashMap<(&str, &str), u32> = HashMap::new();
        let mut names: Vec<(&str, &str)> = Vec::new();
        let mut keys: Vec<(u32, i64)> = Vec::with_capacity(points.len());
        let mut seen: HashMap<(u32, i64), usize> = HashMap::with_capacity(points.len());
        let mut problems = Vec::new();
        for (i, p) in points.iter().enumerate() {
            if !members.contains(p.iso3.as_str()) {
                problems
                    .push(Detail::field("iso3", format!("unknown member {}", p.iso3)).at_row(i));
            }
            let pair = (p.iso3.as_str(), p.series.as_str());
            let n = *pairs.entry(pair).or_insert_with(|| {
                names.push(pair);
                u32::try_from(names.len() - 1).expect("fewer than 2³² series")
            });
            let key = (n, p.year);
            if let Some(first) = seen.insert(key, i) {
                problems.push(
                    Detail::field(
                        "year",
                        format!(
                            "{} {} {} is given twice (also at row {first} of this batch)",
                            p.iso3, p.series, p.year
                        ),
                    )
                    .at_row(i),
                );
            }
            keys.push(key);
        }
        drop(seen);
        if !problems.is_empty() {
            return Err(Error::invalid(problems));
        }
        let started = std::time::Instant::now();
        let stored = self.stored_values(&pairs, &names).await?;
        let read = started.elapsed();
        let mut changed: Vec<(&SeriesPoint, Option<f64>)> = Vec::new();
        for (p, key) in points.iter().zip(&keys) {
            let old = stored.get(key).copied();
            if old.map(f64::to_bits) != Some(p.value.get().to_bits()) {
                changed.push((p, old));
            }
        }
        drop(stored);
        // In the primary key's order: each insert then lands beside the previous one in the
        // index, instead of anywhere in it (a file ordered by series, then member, made
        // PostgreSQL's index insertions five times slower than the table's).
        changed.sort_unstable_by(|(a, _), (b, _)| {
            (a.iso3.as_str(), a.series.as_str(), a.year).cmp(&(
                b.iso3.as_str(),
                b.series.as_str(),
                b.year,
            ))
        });
        let compared = started.elapsed();
        self.write_values(&changed).await?;
        let written = started.elapsed();

        // One audit row per (member, series): the changed years' old and new values.
        #[derive(Default)]
        struct Years {
            old: BTreeMap<i64, f64>,
            new: BTreeMap<i64, f64>,
        }
        let mut by_series: BTreeMap<(&str, &str), Years> = BTreeMap::new();
        for (p, old) in &changed {
            let years = by_series
                .entry((p.iso3.as_str(), p.series.as_str()))
                .or_default();
            if let Some(o) = old {
                years.old.insert(p.year, *o);
            }
            years.new.insert(p.year, p.value.get());
        }
        let edits: Vec<(Edit, Option<String>)> = by_series
            .into_iter()
            .map(|((iso3, series), years)| {
                let old = (!years.old.is_empty())
                    .then(|| serde_json::to_string(&years.old).expect("numbers serialize"));
                let edit = Edit::Series(SeriesEdit {
                    iso3: iso3.into(),
                    series: series.into(),
                    values: years.new,
                });
                (edit, old)
            })
            .collect();
        let audits = edits.len();
        self.audit_all(edits).await?;
        tracing::debug!(
            values = points.len(),
            changed = changed.len(),
            audits,
            read_ms = read.as_millis(),
            compare_ms = (compared - read).as_millis(),
            write_ms = (written - compared).as_millis(),
            audit_ms = (started.elapsed() - written).as_millis(),
            "series upserted"
        );
        Ok(changed.len())
    }

    /// The stored values of the (member, series) pairs `names` (numbered by `pairs`), by
    /// (pair, year): read member by member, a few hundred series names at a time, along the
    /// primary key.
    async fn stored_values(
        &mut self,
        pairs: &HashMap<(&str, &str), u32>,
        names: &[(&str, &str)],
    ) -> Result<HashMap<(u32, i64), f64>> {
        let mut by_member: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (iso3, series) in names {
            by_member.entry(iso3).or_default().push(series);
        }
        let mut stored = HashMap::new();
        for (iso3, series) in by_member {
            for chunk in series.chunks(NAMES_PER_LOOKUP) {
                let list = (2..chunk.len() + 2)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "SELECT series, year, value FROM series WHERE iso3 = $1 AND series IN ({list})"
                );
                let query = chunk.iter().fold(
                    sqlx::query_as::<_, (String, i64, f64)>(sqlx::AssertSqlSafe(sql))
                        .bind(iso3.to_owned()),
                    |q, s| q.bind((*s).to_owned()),
                );
                for (series, year, value) in query.fetch_all(&mut *self.tx).await? {
                    if let Some(&n) = pairs.get(&(iso3, series.as_str())) {
                        stored.insert((n, year), value);
                    }
                }
            }
        }
        Ok(stored)
    }

    /// Writes `changed` values in large statements: the new ones inserted, the stored ones
    /// updated. (The new ones are plain inserts: this write's transaction read them as absent
    /// and holds the revision row, so no other write can have added them since. With `ON
    /// CONFLICT` PostgreSQL took 12.6 s to write a million new values, without it 8.5 s.)
    async fn write_values(&mut self, changed: &[(&SeriesPoint, Option<f64>)]) -> Result<()> {
        let (new, stored): (Vec<_>, Vec<_>) = changed.iter().partition(|(_, old)| old.is_none());
        self.insert_values(&new, "").await?;
        self.insert_values(
            &stored,
            "ON CONFLICT (iso3, series, year) DO UPDATE SET value = excluded.value",
        )
        .await
    }

    /// Inserts `rows` in large statements, ending each with `tail` (an `ON CONFLICT` clause).
    async fn insert_values(
        &mut self,
        rows: &[&(&SeriesPoint, Option<f64>)],
        tail: &str,
    ) -> Result<()> {
        match self.store.backend() {
            Backend::Sqlite => {
                for chunk in rows.chunks(SQLITE_ROWS) {
                    let mut sql = String::with_capacity(64 + chunk.len() * 14);
                    sql.push_str("INSERT INTO series (iso3, series, year, value) VALUES ");
                    for i in 0..chunk.len() {
                        sql.push_str(if i == 0 {
                            "(?, ?, ?, ?)"
                        } else {
                            ", (?, ?, ?, ?)"
                        });
                    }
                    sql.push(' ');
                    sql.push_str(tail);
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (p, _) in chunk {
                        query = query
                            .bind(p.iso3.as_str().to_owned())
                            .bind(p.series.clone())
                            .bind(p.year)
                            .bind(p.value.get());
                    }
                    query.execute(&mut *self.tx).await?;
                }
            }
            Backend::Postgres => {
                for chunk in rows.chunks(POSTGRES_ROWS) {
                    // Array literals: each text quoted (a series named "null" is not NULL; the
                    // name rule leaves no quote or backslash to escape), each number in Rust's
                    // shortest form that reads back as the same double.
                    let (mut iso3, mut series, mut years, mut values) = (
                        String::from("{"),
                        String::from("{"),
                        String::from("{"),
                        String::from("{"),
                    );
                    for (i, (p, _)) in chunk.iter().enumerate() {
                        if i > 0 {
                            for a in [&mut iso3, &mut series, &mut years, &mut values] {
                                a.push(',');
                            }
                        }
                        let _ = write!(iso3, "\"{}\"", p.iso3.as_str());
                        let _ = write!(series, "\"{}\"", p.series);
                        let _ = write!(years, "{}", p.year);
                        let _ = write!(values, "{:?}", p.value.get());
                    }
                    for a in [&mut iso3, &mut series, &mut years, &mut values] {
                        a.push('}');
                    }
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO series (iso3, series, year, value)
                         SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::float8[])
                         {tail}"
                    )))
                    .bind(iso3)
                    .bind(series)
                    .bind(years)
                    .bind(values)
                    .execute(&mut *self.tx)
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Records many edits of this write, each with the old value it replaced (JSON text), in
    /// multi-row statements: what [`Write::audit`] does for one.
    async fn audit_all(&mut self, edits: Vec<(Edit, Option<String>)>) -> Result<()> {
        let rows = edits
            .iter()
            .map(|(e, old)| self.audit_row(e, old.clone()))
            .collect();
        insert_rows(&mut self.tx, AUDIT_INSERT, "", rows).await?;
        self.edits.extend(edits.into_iter().map(|(e, _)| e));
        Ok(())
    }

    /// Upserts catalogue entries (label, unit, source of a series). Each row is checked
    /// ([`SeriesInfo::check`]) and a series may be named once; any problem fails the whole
    /// batch with a 422 listing each bad row (by its index in `rows`, from 0). An entry equal
    /// to the one in force (the stored one, else the built-in entry of a Penn World Table
    /// series) is left alone; each other is audited with the entry it replaced. Returns how
    /// many entries changed.
    pub async fn put_series_catalogue(&mut self, rows: &[SeriesInfo]) -> Result<usize> {
        let mut problems = Vec::new();
        let mut checked = Vec::with_capacity(rows.len());
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let entry = row.trimmed();
            for (field, message) in row.check() {
                problems.push(Detail::field(field, message).at_row(i));
            }
            if let Some(first) = seen.insert(row.series.as_str(), i) {
                problems.push(
                    Detail::field(
                        "series",
                        format!(
                            "series {:?} is catalogued twice (also at row {first} of this batch)",
                            row.series
                        ),
                    )
                    .at_row(i),
                );
            }
            checked.push(entry);
        }
        if !problems.is_empty() {
            return Err(Error::invalid(problems));
        }
        let mut in_force: HashMap<String, SeriesInfo> = pwt_catalogue()
            .into_iter()
            .map(|e| (e.series.clone(), e))
            .collect();
        in_force.extend(
            stored_catalogue(&mut self.tx)
                .await?
                .into_iter()
                .map(|e| (e.series.clone(), e)),
        );
        let mut changed = 0;
        for entry in checked {
            let old = in_force.get(&entry.series);
            if old == Some(&entry) {
                continue;
            }
            sqlx::query(
                "INSERT INTO series_catalogue (series, label, unit, source)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (series) DO UPDATE SET label = excluded.label,
                     unit = excluded.unit, source = excluded.source",
            )
            .bind(entry.series.clone())
            .bind(entry.label.clone())
            .bind(entry.unit.clone())
            .bind(entry.source.clone())
            .execute(&mut *self.tx)
            .await?;
            let old = old.cloned();
            self.audit(Edit::SeriesInfo(entry), old.as_ref()).await?;
            changed += 1;
        }
        Ok(changed)
    }
}

/// The stored catalogue entries (not the built-in ones).
async fn stored_catalogue(conn: &mut sqlx::AnyConnection) -> Result<Vec<SeriesInfo>> {
    Ok(sqlx::query_as::<_, (String, String, String, String)>(
        "SELECT series, label, unit, source FROM series_catalogue ORDER BY series",
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|(series, label, unit, source)| SeriesInfo {
        series,
        label,
        unit,
        source,
    })
    .collect())
}

impl Store {
    /// The catalogue entries in force: the built-in Penn World Table ones, overridden or added
    /// to by the stored ones, by series name.
    pub async fn series_info(&self) -> Result<BTreeMap<String, SeriesInfo>> {
        let mut conn = self.pool().acquire().await?;
        let mut entries: BTreeMap<String, SeriesInfo> = pwt_catalogue()
            .into_iter()
            .map(|e| (e.series.clone(), e))
            .collect();
        for e in stored_catalogue(&mut conn).await? {
            entries.insert(e.series.clone(), e);
        }
        Ok(entries)
    }

    /// Every series with its catalogue entry and which members have values of it (how many,
    /// from which year to which). With `iso3`, only the series that member has, and only its
    /// values counted; without, every catalogued series too, even one without values yet. A
    /// series with values but no catalogue entry is listed under its name.
    pub async fn series_catalogue(&self, iso3: Option<&str>) -> Result<Vec<SeriesEntry>> {
        let info = self.series_info().await?;
        let coverage: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT iso3, series, COUNT(*), MIN(year), MAX(year) FROM series
             WHERE ($1 IS NULL OR iso3 = $1)
             GROUP BY iso3, series",
        )
        .bind(iso3.map(str::to_owned))
        .fetch_all(self.pool())
        .await?;
        let mut by_series: BTreeMap<String, Vec<SeriesCoverage>> = BTreeMap::new();
        for (member, series, values, first_year, last_year) in coverage {
            by_series.entry(series).or_default().push(SeriesCoverage {
                iso3: member,
                values,
                first_year,
                last_year,
            });
        }
        if iso3.is_none() {
            for name in info.keys() {
                by_series.entry(name.clone()).or_default();
            }
        }
        Ok(by_series
            .into_iter()
            .map(|(series, mut members)| {
                members.sort_by(|a, b| a.iso3.cmp(&b.iso3));
                let entry = info.get(&series);
                SeriesEntry::new(series, entry, members)
            })
            .collect())
    }
}
