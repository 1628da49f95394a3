//! The sources of key results fed by data (contract §4), stored with the key results: the
//! source as JSON, and the revision and time of the change that gave it (its [`Stamp`]).

use std::collections::BTreeMap;

use sqlx::AnyConnection;

use crate::error::{Detail, Error, Result};
use crate::model::{KrSource, PrimerInput, SourceDataset};
use crate::records::{Stamp, source_stamp};

/// A key result's stored source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredSource {
    pub(crate) source: KrSource,
    pub(crate) stamp: Option<Stamp>,
}

/// A stored source's row: member, code, source (JSON), revision and time.
type SourceRow = (String, String, String, Option<i64>, Option<String>);

/// The key results' sources by (member, code): `iso3`'s, or everyone's.
pub(crate) async fn sources(
    conn: &mut AnyConnection,
    iso3: Option<&str>,
) -> Result<BTreeMap<(String, String), StoredSource>> {
    let rows: Vec<SourceRow> = sqlx::query_as(
        "SELECT iso3, code, source, source_rev, source_at FROM key_results
         WHERE source IS NOT NULL AND ($1 IS NULL OR iso3 = $1)",
    )
    .bind(iso3.map(str::to_owned))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(iso3, code, source, rev, at)| {
            let source = parse(&iso3, &code, &source)?;
            let stamp = rev.zip(at).map(|(rev, at)| Stamp { rev, at: at.into() });
            Ok(((iso3, code), StoredSource { source, stamp }))
        })
        .collect()
}

/// A stored source, read back.
pub(crate) fn parse(iso3: &str, code: &str, json: &str) -> Result<KrSource> {
    serde_json::from_str(json).map_err(|e| {
        Error::Internal(anyhow::anyhow!(
            "stored source of key result {iso3}/{code}: {e}"
        ))
    })
}

/// The dataset of a stored source (`None` for a key result reported by hand).
pub(crate) fn dataset_of(
    iso3: &str,
    code: &str,
    json: Option<&str>,
) -> Result<Option<SourceDataset>> {
    json.map(|j| parse(iso3, code, j).map(|s| s.dataset))
        .transpose()
}

/// Writes the sources of `new`'s key results (just written without them), each stamped by
/// [`source_stamp`] from `old` (the member's sources before the write) and `now`.
pub(crate) async fn write_sources(
    conn: &mut AnyConnection,
    iso3: &str,
    new: &PrimerInput,
    old: &BTreeMap<(String, String), StoredSource>,
    now: &Stamp,
) -> Result<()> {
    let with: Vec<_> = new
        .key_results
        .iter()
        .filter(|k| k.source.is_some())
        .collect();
    if with.is_empty() && old.is_empty() {
        return Ok(());
    }
    // Key results kept for their reports keep their row: clear what they had.
    sqlx::query(
        "UPDATE key_results SET source = NULL, source_rev = NULL, source_at = NULL
         WHERE iso3 = $1",
    )
    .bind(iso3.to_owned())
    .execute(&mut *conn)
    .await?;
    for k in with {
        let before = old.get(&(iso3.to_owned(), k.code.as_str().to_owned()));
        let stamp = source_stamp(
            Some((
                before.map(|b| &b.source),
                before.and_then(|b| b.stamp.as_ref()),
            )),
            k.source.as_ref(),
            now,
        );
        sqlx::query(
            "UPDATE key_results SET source = $1, source_rev = $2, source_at = $3
             WHERE iso3 = $4 AND code = $5",
        )
        .bind(serde_json::to_string(&k.source).expect("sources serialize"))
        .bind(stamp.as_ref().map(|s| s.rev))
        .bind(stamp.map(|s| s.at.to_string()))
        .bind(iso3.to_owned())
        .bind(k.code.as_str().to_owned())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Refuses (422) a source filtered by a theme that is not in the GP themes' list, naming each.
pub(crate) async fn check_themes(conn: &mut AnyConnection, new: &PrimerInput) -> Result<()> {
    let named: Vec<(usize, usize, &str)> = new
        .key_results
        .iter()
        .enumerate()
        .flat_map(|(i, k)| {
            k.source
                .iter()
                .flat_map(|s| s.themes.iter().enumerate())
                .map(move |(j, t)| (i, j, t.as_str()))
        })
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let known: std::collections::HashSet<String> =
        sqlx::query_as::<_, (String,)>("SELECT id FROM gp_themes")
            .fetch_all(conn)
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
    let problems: Vec<Detail> = named
        .into_iter()
        .filter(|(_, _, t)| !known.contains(*t))
        .map(|(i, j, t)| {
            Detail::field(
                format!("key_results[{i}].source.themes[{j}]"),
                format!("{t} is not one of the GP themes (GET /gp/themes)"),
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(problems))
    }
}
