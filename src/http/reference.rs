//! Reference data: the members and the Vision 2030 pillars.

use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use crate::error::Result;
use crate::model::{Member, PillarInfo};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(list_pillars))
}

/// The 21 member economies, with the status of each one's primer.
#[utoipa::path(get, path = "/members", tag = "reference",
    responses((status = 200, body = Vec<Member>)))]
async fn list_members(State(app): State<AppState>) -> Result<Json<Vec<Member>>> {
    Ok(Json(app.store.members().await?))
}

/// The four Vision 2030 pillars.
#[utoipa::path(get, path = "/pillars", tag = "reference",
    responses((status = 200, body = Vec<PillarInfo>)))]
async fn list_pillars(State(app): State<AppState>) -> Result<Json<Vec<PillarInfo>>> {
    Ok(Json(app.store.pillars().await?))
}
