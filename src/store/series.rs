//! Series: their yearly values per member (upserted by imports) and their catalogue (what each
//! series is: label, unit, source), and the catalogue as `GET /series/catalogue` lists it.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{Store, Val, Write, insert_rows};
use crate::error::{Detail, Error, Result};
use crate::model::{SeriesCoverage, SeriesEntry, SeriesInfo, SeriesPoint, pwt_catalogue};
use crate::records::{Edit, SeriesEdit};

impl Write {
    /// Upserts series values; values equal to the stored ones are left alone. One audit row per
    /// (member, series) touched, with the changed years' old and new values. Returns how many
    /// values changed.
    pub async fn put_series(&mut self, points: &[SeriesPoint]) -> Result<usize> {
        let members: HashSet<String> = sqlx::query_as::<_, (String,)>("SELECT iso3 FROM members")
            .fetch_all(&mut *self.tx)
            .await?
            .into_iter()
            .map(|(m,)| m)
            .collect();
        let unknown: Vec<Detail> = points
            .iter()
            .enumerate()
            .filter(|(_, p)| !members.contains(p.iso3.as_str()))
            .map(|(i, p)| Detail::field("iso3", format!("unknown member {}", p.iso3)).at_row(i))
            .collect();
        if !unknown.is_empty() {
            return Err(Error::invalid(unknown));
        }
        let stored: HashMap<(String, String, i64), f64> =
            sqlx::query_as::<_, (String, String, i64, f64)>(
                "SELECT iso3, series, year, value FROM series",
            )
            .fetch_all(&mut *self.tx)
            .await?
            .into_iter()
            .map(|(m, s, y, v)| ((m, s, y), v))
            .collect();
        let mut changed: Vec<(&SeriesPoint, Option<f64>)> = Vec::new();
        for p in points {
            let key = (p.iso3.as_str().to_owned(), p.series.clone(), p.year);
            let old = stored.get(&key).copied();
            if old != Some(p.value.get()) {
                changed.push((p, old));
            }
        }
        insert_rows(
            &mut self.tx,
            "INSERT INTO series (iso3, series, year, value)",
            "ON CONFLICT (iso3, series, year) DO UPDATE SET value = excluded.value",
            changed
                .iter()
                .map(|(p, _)| {
                    vec![
                        Val::Text(Some(p.iso3.as_str().to_owned())),
                        Val::Text(Some(p.series.clone())),
                        Val::Int(Some(p.year)),
                        Val::Real(Some(p.value.get())),
                    ]
                })
                .collect(),
        )
        .await?;
        // One audit row per (member, series): the changed years' old and new values.
        #[derive(Default)]
        struct Years {
            old: BTreeMap<i64, f64>,
            new: BTreeMap<i64, f64>,
        }
        let mut by_series: BTreeMap<(String, String), Years> = BTreeMap::new();
        for (p, old) in &changed {
            let years = by_series
                .entry((p.iso3.as_str().to_owned(), p.series.clone()))
                .or_default();
            if let Some(o) = old {
                years.old.insert(p.year, *o);
            }
            years.new.insert(p.year, p.value.get());
        }
        for ((iso3, series), years) in by_series {
            let edit = Edit::Series(SeriesEdit {
                iso3: iso3.into(),
                series: series.into(),
                values: years.new,
            });
            self.audit(edit, (!years.old.is_empty()).then_some(&years.old))
                .await?;
        }
        Ok(changed.len())
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
