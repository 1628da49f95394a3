//! Liveness and readiness for an operator or an orchestrator, and the stale marker of answers
//! served from memory while the database is out of reach.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use crate::error::LoggedCause;
use crate::live::protocol::StoreStatus;
use crate::store::health::rfc3339;

/// The header of an answer served from memory while the database is out of reach: since when
/// (RFC 3339, UTC) the data may be stale. Absent while the database answers.
pub const STALE_SINCE: &str = "x-data-stale-since";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The process is up and serving requests.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can do its work: the database answers (as the store's probe last found, every
/// second: this asks the database nothing, so it answers at once). 503 with the JSON error
/// body and [`STALE_SINCE`] while the database is out of reach.
async fn readyz(State(app): State<AppState>) -> Response {
    let state = app.store.health().state();
    if state.is_up() {
        return Json(json!({
            "status": "ready",
            "rev": app.feed.latest(),
            "store": StoreStatus::from(state),
        }))
        .into_response();
    }
    let mut response = mark_stale(&app, state.unavailable().into_response());
    // Saying so is this endpoint's job, not a failure to log at every look.
    response.extensions_mut().remove::<LoggedCause>();
    response
}

/// Adds [`STALE_SINCE`] to `response` while the database is out of reach: for answers made
/// from what the server holds in memory (the current dashboard document).
pub fn mark_stale(app: &AppState, mut response: Response) -> Response {
    if let Some(since) = app.store.health().state().down_since()
        && let Ok(value) = HeaderValue::from_str(&rfc3339(since))
    {
        response.headers_mut().insert(STALE_SINCE, value);
    }
    response
}
