//! The audit log: every change, who made it, when, and the old and new values.

use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Secretariat;
use super::{AppState, Query};
use crate::error::{Error, ErrorBody, Result};
use crate::model::AuditEntry;
pub use crate::store::AuditFilter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// The audit log, newest first, a page at a time: the Secretariat's only. Nothing edits or
/// deletes it.
///
/// The next page is the same filter with `before_id` set to the last entry's `id`.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditFilter),
    responses((status = 200, body = Vec<AuditEntry>),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Not the Secretariat", body = ErrorBody),
              (status = 422, description = "An invalid filter", body = ErrorBody)))]
async fn list_audit(
    State(app): State<AppState>,
    _: Secretariat,
    Query(mut f): Query<AuditFilter>,
) -> Result<Json<Vec<AuditEntry>>> {
    let problems = f.check();
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    Ok(Json(app.store.audit(&f).await?))
}
