//! `POST /import`: a workbook, CSV files or a `.zip` uploaded by the Secretariat (see
//! [`crate::import`]).

use utoipa_axum::router::OpenApiRouter;

use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
