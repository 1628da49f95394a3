//! Liveness and readiness for an operator or an orchestrator.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use crate::error::Result;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The process is up and serving requests.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can do its work: the database answers. 503 otherwise.
async fn readyz(State(app): State<AppState>) -> Result<Json<Value>> {
    app.store.ping().await?;
    let rev = app.store.current_rev().await?;
    Ok(Json(json!({ "status": "ready", "rev": rev })))
}
