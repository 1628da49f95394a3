//! Project notifications (Centers of Excellence, bilateral cooperation, …): listed with their
//! closing dates' days left, one by one, and written whole by the Secretariat.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Secretariat;
use super::{ApiJson, AppState, Path, Query, WriteResult};
use crate::domain::ProjectCode;
use crate::error::{Detail, Error, ErrorBody, Result};
use crate::model::{MemberOrAll, Project, covers};
use crate::store::Store;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects))
        .routes(routes!(get_project, put_project))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ProjectFilter {
    /// Programme, as in the code's fifth segment (BCN, COE, …).
    program: Option<String>,
    /// Pillar served (1–4).
    #[param(minimum = 1, maximum = 4)]
    pillar: Option<i64>,
    /// A member hosting or taking part (a notification for all members, `*`, includes every
    /// member); `*`: the notifications for all members.
    member: Option<MemberOrAll>,
    /// Only notifications open for applications (some closing date not yet passed, today in
    /// UTC, or open all year), or only the others.
    open: Option<bool>,
    /// As of this revision (0 or more; 404 for one not yet reached); default: now.
    #[param(minimum = 0)]
    rev: Option<i64>,
}

/// A `rev` query parameter: `None` for now (or the current revision), else a revision that
/// exists (422 for a negative one, 404 for one not yet reached).
pub async fn as_of(store: &Store, rev: Option<i64>) -> Result<Option<i64>> {
    let Some(r) = rev else {
        return Ok(None);
    };
    if r < 0 {
        return Err(Error::invalid(vec![Detail::field(
            "rev",
            "a revision is 0 or more",
        )]));
    }
    let current = store.current_rev().await?;
    if r > current {
        return Err(Error::NotFound(format!(
            "revision {r} does not exist yet; the latest is {current}"
        )));
    }
    Ok((r < current).then_some(r))
}

/// Notifications by code, filtered, each with its closing dates and the days left to each
/// (`closing`), now or as of revision `rev`.
#[utoipa::path(get, path = "/projects", tag = "projects", params(ProjectFilter),
    responses((status = 200, body = Vec<Project>),
              (status = 404, description = "A revision not yet reached", body = ErrorBody),
              (status = 422, description = "Invalid filters, each named", body = ErrorBody)))]
async fn list_projects(
    State(app): State<AppState>,
    Query(f): Query<ProjectFilter>,
) -> Result<Json<Vec<Project>>> {
    if let Some(p) = f.pillar {
        crate::domain::Pillar::new(p)
            .map_err(|e| Error::invalid(vec![Detail::field("pillar", e.0)]))?;
    }
    let member = f.member;
    let rev = as_of(&app.store, f.rev).await?;
    let today = app.clock.today();
    let projects = app.store.projects(rev).await?;
    Ok(Json(
        projects
            .into_iter()
            .filter(|p| {
                f.program.as_deref().is_none_or(|g| p.program == g)
                    && f.pillar.is_none_or(|n| p.pillar.get() == n)
                    && member.as_ref().is_none_or(|m| {
                        // `*` asks for the notifications open to every member.
                        if m.is_all() {
                            covers(&p.hosts, "*") || covers(&p.participants, "*")
                        } else {
                            p.involves(m.as_str())
                        }
                    })
                    && f.open.is_none_or(|o| p.open_on(today) == o)
            })
            .map(|p| p.with_closing(today))
            .collect(),
    ))
}

/// One notification as people read it, with its closing dates' days left.
#[utoipa::path(get, path = "/projects/{code}", tag = "projects",
    params(("code" = ProjectCode, Path, description = "Project code, e.g. 25-SN-03-GE-BCN-C")),
    responses((status = 200, body = Project),
              (status = 404, description = "No such project", body = ErrorBody)))]
async fn get_project(
    State(app): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Project>> {
    let code = ProjectCode::parse(&code).map_err(|e| Error::NotFound(e.0))?;
    let project = app
        .store
        .project(code.as_str())
        .await?
        .ok_or_else(|| Error::NotFound(format!("no project {}", code.as_str())))?;
    Ok(Json(project.with_closing(app.clock.today())))
}

/// Creates or replaces a notification, whole. The code's shape is checked, and its year and
/// program are derived from it (`25-SN-03-GE-BCN-C`: 2025, BCN). What `GET` answers may be
/// sent back as it is (`closing` is ignored).
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
