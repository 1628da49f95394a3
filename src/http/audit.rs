//! The audit log: every change, who made it, when, and the old and new values.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{AppState, Query};
use crate::error::Result;
use crate::model::AuditEntry;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct AuditFilter {
    /// At most this many entries (default 100, at most 10000), newest first.
    limit: Option<i64>,
    /// Only entries of revisions after this one.
    since_rev: Option<i64>,
}

/// The audit log, newest first. (Access control, in a later change, limits it to the
/// Secretariat.)
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditFilter),
    responses((status = 200, body = Vec<AuditEntry>)))]
async fn list_audit(
    State(app): State<AppState>,
    Query(f): Query<AuditFilter>,
) -> Result<Json<Vec<AuditEntry>>> {
    Ok(Json(
        app.store.audit(f.limit.unwrap_or(100), f.since_rev).await?,
    ))
}
