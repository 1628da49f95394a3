//! Green Productivity 2.0 (contract §2): the themes (the Secretariat extends the list), the
//! members' initiatives with their outcomes (the member's editor or the Secretariat), and the
//! mapping of who does what with the outcomes summed and their coverage.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::{Secretariat, Writer};
use super::platform::{AsOf, invalid, path_id};
use super::projects::as_of;
use super::{ApiJson, AppState, Path, Query, WriteResult};
use crate::domain::Iso3;
use crate::error::{Detail, Error, ErrorBody, Result};
use crate::model::{
    GpInitiative, GpInitiativeInput, GpMapping, GpTheme, InitiativeStatus, InitiativeType,
    RecordId, ThemeId, gp_mapping,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_themes))
        .routes(routes!(put_theme))
        .routes(routes!(list_initiatives))
        .routes(routes!(get_initiative, put_initiative, delete_initiative))
        .routes(routes!(mapping))
}

/// The GP themes, in their order (the five built in first); now or as of revision `rev`.
#[utoipa::path(get, path = "/gp/themes", tag = "gp", params(AsOf),
    responses((status = 200, body = Vec<GpTheme>),
              (status = 404, description = "A revision not yet reached", body = ErrorBody)))]
async fn list_themes(
    State(app): State<AppState>,
    Query(q): Query<AsOf>,
) -> Result<Json<Vec<GpTheme>>> {
    let rev = as_of(&app.store, q.rev).await?;
    Ok(Json(app.store.gp_themes(rev).await?))
}

/// Adds a theme to the list, or relabels one (the Secretariat).
#[utoipa::path(put, path = "/gp/themes/{id}", tag = "gp",
    params(("id" = ThemeId, Path, description = "The theme's id, e.g. water_stewardship; the body's `id` must be the same")),
    request_body = GpTheme,
    responses((status = 200, body = WriteResult),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Not the Secretariat", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn put_theme(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Secretariat(writer): Secretariat,
    ApiJson(mut theme): ApiJson<GpTheme>,
) -> Result<WriteResult> {
    let id = ThemeId::parse(&id).map_err(|e| Error::invalid(vec![Detail::field("id", e.0)]))?;
    let mut problems = theme.validate();
    if theme.id != id {
        problems.push((
            "id".into(),
            format!("the body's id {} differs from the path's {id}", theme.id),
        ));
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let (_, change) = app
        .feed
        .write(&writer.actor, move |w| {
            Box::pin(async move {
                let done = w.put_gp_theme(&theme).await?;
                super::keep_write_result(w);
                Ok(done)
            })
        })
        .await?;
    WriteResult::new(&app.store, change.as_deref()).await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct Filter {
    /// The member.
    iso3: Option<Iso3>,
    theme: Option<ThemeId>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    type_: Option<InitiativeType>,
    status: Option<InitiativeStatus>,
    /// As of this revision (0 or more; 404 for one not yet reached); default: now.
    #[param(minimum = 0)]
    rev: Option<i64>,
}

/// The GP initiatives, by id, each outcome with its unit; filtered; now or as of revision
/// `rev`.
#[utoipa::path(get, path = "/gp/initiatives", tag = "gp", params(Filter),
    responses((status = 200, body = Vec<GpInitiative>),
              (status = 404, description = "A revision not yet reached", body = ErrorBody),
              (status = 422, description = "Invalid parameters, each named", body = ErrorBody)))]
async fn list_initiatives(
    State(app): State<AppState>,
    Query(f): Query<Filter>,
) -> Result<Json<Vec<GpInitiative>>> {
    let rev = as_of(&app.store, f.rev).await?;
    Ok(Json(
        app.store
            .gp_initiatives(rev)
            .await?
            .iter()
            .filter(|i| f.iso3.as_ref().is_none_or(|m| *m == i.iso3))
            .filter(|i| f.theme.as_ref().is_none_or(|t| *t == i.theme))
            .filter(|i| f.type_.is_none_or(|t| t == i.type_))
            .filter(|i| f.status.is_none_or(|s| s == i.status))
            .map(GpInitiativeInput::view)
            .collect(),
    ))
}

/// One GP initiative, now or as of revision `rev`.
#[utoipa::path(get, path = "/gp/initiatives/{id}", tag = "gp",
    params(("id" = RecordId, Path, description = "The initiative's id, e.g. vnm-gp-demo-2026"), AsOf),
    responses((status = 200, body = GpInitiative),
              (status = 404, description = "No such initiative (then), or a revision not yet reached", body = ErrorBody)))]
async fn get_initiative(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<AsOf>,
) -> Result<Json<GpInitiative>> {
    let rev = as_of(&app.store, q.rev).await?;
    app.store
        .gp_initiatives(rev)
        .await?
        .iter()
        .find(|i| i.id.as_str() == id)
        .map(|i| Json(i.view()))
        .ok_or_else(|| Error::NotFound(format!("no GP initiative {id}")))
}

/// Records or replaces an initiative with its outcomes (one per metric and year, within its
/// years and not after this year; units fixed by the server): the member's editor (for an
/// initiative of its own member, stored and written) or the Secretariat. Its theme must be in
/// `GET /gp/themes`.
#[utoipa::path(put, path = "/gp/initiatives/{id}", tag = "gp",
    params(("id" = RecordId, Path, description = "The initiative's id; the body's `id` must be the same")),
    request_body = GpInitiativeInput,
    responses((status = 200, body = WriteResult),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Neither the Secretariat nor the editor of the member (the stored one's and the body's)", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn put_initiative(
    State(app): State<AppState>,
    Path(id): Path<String>,
    writer: Writer,
    ApiJson(mut i): ApiJson<GpInitiativeInput>,
) -> Result<WriteResult> {
    writer.may_edit(i.iso3.as_str())?;
    let mut problems = i.validate(app.clock.today());
    path_id(&id, &i.id, &mut problems)?;
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let actor = writer.actor.clone();
    let (_, change) = app
        .feed
        .write(&actor, move |w| {
            Box::pin(async move {
                if let Some(old) = w.gp_initiative(i.id.as_str()).await? {
                    writer.may_edit(old.iso3.as_str())?;
                }
                let done = w.put_gp_initiative(&i).await?;
                super::keep_write_result(w);
                Ok(done)
            })
        })
        .await?;
    WriteResult::new(&app.store, change.as_deref()).await
}

/// Deletes an initiative with its outcomes: the editor of its member, or the Secretariat.
/// Replay (`?rev=`) still shows it as it was before.
#[utoipa::path(delete, path = "/gp/initiatives/{id}", tag = "gp",
    params(("id" = RecordId, Path, description = "The initiative's id")),
    responses((status = 200, body = WriteResult),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Neither the Secretariat nor the editor of its member", body = ErrorBody),
              (status = 404, description = "No such initiative", body = ErrorBody)))]
async fn delete_initiative(
    State(app): State<AppState>,
    Path(id): Path<String>,
    writer: Writer,
) -> Result<WriteResult> {
    let actor = writer.actor.clone();
    let (_, change) = app
        .feed
        .write(&actor, move |w| {
            Box::pin(async move {
                let Some(old) = w.gp_initiative(&id).await? else {
                    return Err(Error::NotFound(format!("no GP initiative {id}")));
                };
                writer.may_edit(old.iso3.as_str())?;
                w.delete_gp_initiative(old).await?;
                super::keep_write_result(w);
                Ok(())
            })
        })
        .await?;
    WriteResult::new(&app.store, change.as_deref()).await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct MappingFilter {
    theme: Option<ThemeId>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    type_: Option<InitiativeType>,
    /// As of this revision (0 or more; 404 for one not yet reached); default: now.
    #[param(minimum = 0)]
    rev: Option<i64>,
}

/// Who does what: the themes, each member's initiatives by theme, and each outcome metric
/// summed with the initiatives and members it rests on (its coverage). Cancelled initiatives
/// are left out; the filters apply to everything. Now or as of revision `rev`.
#[utoipa::path(get, path = "/gp/mapping", tag = "gp", params(MappingFilter),
    responses((status = 200, body = GpMapping),
              (status = 404, description = "A revision not yet reached", body = ErrorBody),
              (status = 422, description = "Invalid parameters, each named", body = ErrorBody)))]
async fn mapping(
    State(app): State<AppState>,
    Query(f): Query<MappingFilter>,
) -> Result<Json<GpMapping>> {
    let rev = as_of(&app.store, f.rev).await?;
    let themes = app.store.gp_themes(rev).await?;
    let initiatives = app.store.gp_initiatives(rev).await?;
    Ok(Json(gp_mapping(
        themes,
        &initiatives,
        f.theme.as_ref(),
        f.type_,
        crate::domain::member_codes().len(),
    )))
}
