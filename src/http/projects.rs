//! APO projects (Centers of Excellence, bilateral cooperation, …).

use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Secretariat;
use super::{ApiJson, AppState, Path, WriteResult};
use crate::domain::ProjectCode;
use crate::error::{Detail, Error, ErrorBody, Result};
use crate::model::Project;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects))
        .routes(routes!(put_project))
}

/// All projects, by code.
#[utoipa::path(get, path = "/projects", tag = "projects",
    responses((status = 200, body = Vec<Project>)))]
async fn list_projects(State(app): State<AppState>) -> Result<Json<Vec<Project>>> {
    Ok(Json(app.store.projects().await?))
}

/// Creates or replaces a project. The code's shape is checked, and its year and program are
/// derived from it (`25-SN-03-GE-BCN-C`: 2025, BCN).
#[utoipa::path(put, path = "/projects/{code}", tag = "projects",
    params(("code" = ProjectCode, Path, description = "Project code, e.g. 25-SN-03-GE-BCN-C; the body's `code` must be the same")),
    request_body = Project,
    responses((status = 200, body = WriteResult),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Not the Secretariat", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn put_project(
    State(app): State<AppState>,
    Path(code): Path<String>,
    Secretariat(writer): Secretariat,
    ApiJson(mut project): ApiJson<Project>,
) -> Result<WriteResult> {
    let code =
        ProjectCode::parse(&code).map_err(|e| Error::invalid(vec![Detail::field("code", e.0)]))?;
    let mut problems: Vec<Detail> = project
        .check()
        .into_iter()
        .map(|(f, m)| Detail::field(f, m))
        .collect();
    if project.code != code {
        problems.push(Detail::field(
            "code",
            format!(
                "the body's code {} differs from the path's {}",
                project.code.as_str(),
                code.as_str()
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    let (_, change) = app
        .feed
        .write(&writer.actor, move |w| {
            Box::pin(async move {
                let done = w.put_project(&project).await?;
                super::keep_write_result(w);
                Ok(done)
            })
        })
        .await?;
    WriteResult::new(&app.store, change.as_deref()).await
}
