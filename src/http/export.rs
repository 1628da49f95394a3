//! `GET /export`: the dashboard's tables and the raw data as a workbook (see [`crate::export`]).

use utoipa_axum::router::OpenApiRouter;

use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
