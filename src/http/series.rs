//! Series as stored: their yearly values (Penn World Table's and the members' own), and their
//! catalogue (what each is, and who has it).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{AppState, Query, known_member};
use crate::error::Result;
use crate::model::{SeriesEntry, SeriesPoint};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_series))
        .routes(routes!(series_catalogue))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct SeriesFilter {
    /// Only this member, e.g. JPN.
    iso3: Option<String>,
    /// Only this series, e.g. rgdpo.
    series: Option<String>,
}

/// Yearly series values, by member, series and year.
#[utoipa::path(get, path = "/series", tag = "series", params(SeriesFilter),
    responses((status = 200, body = Vec<SeriesPoint>)))]
async fn list_series(
    State(app): State<AppState>,
    Query(f): Query<SeriesFilter>,
) -> Result<Json<Vec<SeriesPoint>>> {
    Ok(Json(
        app.store
            .series(f.iso3.as_deref(), f.series.as_deref())
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct CatalogueFilter {
    /// Only the series this member has (and only its values counted), e.g. VNM.
    iso3: Option<String>,
}

/// Every series, by name: its label, unit and source (built in for the Penn World Table
/// series, imported from a `series_catalogue` sheet for the others, or the name alone for a
/// series without an entry), whether the productivity measures read it (`pwt`), and which
/// members have values of it (how many, from which year to which). Without `iso3`, series
/// catalogued but without values yet are listed too.
#[utoipa::path(get, path = "/series/catalogue", tag = "series", params(CatalogueFilter),
    responses((status = 200, body = Vec<SeriesEntry>),
              (status = 404, description = "`iso3` names no member", body = crate::error::ErrorBody)))]
async fn series_catalogue(
    State(app): State<AppState>,
    Query(f): Query<CatalogueFilter>,
) -> Result<Json<Vec<SeriesEntry>>> {
    let iso3 = match f.iso3 {
        Some(m) => Some(known_member(&app.store, &m).await?),
        None => None,
    };
    Ok(Json(app.store.series_catalogue(iso3.as_deref()).await?))
}
