//! Productivity series as stored (Penn World Table names and units).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{AppState, Query};
use crate::error::Result;
use crate::model::SeriesPoint;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_series))
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
