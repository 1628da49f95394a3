//! The export's reads of issue 23's platforms: accreditations, GP themes, GP initiatives with
//! their outcomes, trainings, every stored row as the record the API takes (so that the
//! workbook's sheets read back into the same records), in the dump's transaction. The rows are
//! read as the platforms' own stores read them.

use sqlx::AnyConnection;

use super::dump::Dump;
use crate::error::Result;

pub(super) async fn read(
    conn: &mut AnyConnection,
    only: Option<&str>,
    dump: &mut Dump,
) -> Result<()> {
    let only = only.map(str::to_owned);
    let sources: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT iso3, code, source FROM key_results
         WHERE source IS NOT NULL AND ($1 IS NULL OR iso3 = $1)",
    )
    .bind(only.clone())
    .fetch_all(&mut *conn)
    .await?;
    for (iso3, code, json) in sources {
        let source = super::kr_sources::parse(&iso3, &code, &json)?;
        dump.kr_sources.insert((iso3, code), source);
    }
    let only = only.as_deref();
    dump.accreditations = super::accreditations::read(conn, None, only).await?;
    dump.gp_themes = super::gp::read_themes(conn).await?;
    dump.gp_initiatives = super::gp::read(conn, None, only).await?;
    let mut trainings = super::trainings::read(conn, None, only).await?;
    // The sheet lists a member's courses in the order they ended.
    trainings.sort_by(|a, b| {
        (a.iso3.as_str(), a.end_date, a.id.as_str()).cmp(&(
            b.iso3.as_str(),
            b.end_date,
            b.id.as_str(),
        ))
    });
    dump.trainings = trainings;
    Ok(())
}
