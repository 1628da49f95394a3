//! Trainings (contract §3): the courses members deliver, written by the member's editor or
//! the Secretariat, read by anyone (filtered, summed), now or as of a past revision.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Writer;
use super::platform::{AsOf, invalid, path_id};
use super::projects::as_of;
use super::{ApiJson, AppState, Path, Query, WriteResult};
use crate::domain::Iso3;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{
    RecordId, Sector, SectorInfo, TrainingInput, TrainingSummary, sectors, training_summary,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_trainings))
        .routes(routes!(list_sectors))
        .routes(routes!(trainings_summary))
        .routes(routes!(get_training, put_training, delete_training))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct Filter {
    /// The member.
    iso3: Option<Iso3>,
    sector: Option<Sector>,
    /// The year of the end date.
    year: Option<i64>,
    /// As of this revision (0 or more; 404 for one not yet reached); default: now.
    #[param(minimum = 0)]
    rev: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct SummaryFilter {
    /// The member.
    iso3: Option<Iso3>,
    /// As of this revision (0 or more; 404 for one not yet reached); default: now.
    #[param(minimum = 0)]
    rev: Option<i64>,
}

/// The trainings, by id, filtered; now or as of revision `rev`.
#[utoipa::path(get, path = "/trainings", tag = "trainings", params(Filter),
    responses((status = 200, body = Vec<TrainingInput>),
              (status = 404, description = "A revision not yet reached", body = ErrorBody),
              (status = 422, description = "Invalid parameters, each named", body = ErrorBody)))]
async fn list_trainings(
    State(app): State<AppState>,
    Query(f): Query<Filter>,
) -> Result<Json<Vec<TrainingInput>>> {
    let rev = as_of(&app.store, f.rev).await?;
    Ok(Json(
        app.store
            .trainings(rev)
            .await?
            .into_iter()
            .filter(|t| f.iso3.as_ref().is_none_or(|m| *m == t.iso3))
            .filter(|t| f.sector.is_none_or(|s| s == t.sector))
            .filter(|t| f.year.is_none_or(|y| y == t.year()))
            .collect(),
    ))
}

/// The sectors a training or a GP initiative is in, with their labels.
#[utoipa::path(get, path = "/trainings/sectors", tag = "trainings",
    responses((status = 200, body = Vec<SectorInfo>)))]
async fn list_sectors() -> Json<Vec<SectorInfo>> {
    Json(sectors())
}

/// The trainings summed (a member's, or all): courses, participants, participant-hours, by
/// sector, group, sex, year and member; now or as of revision `rev`.
#[utoipa::path(get, path = "/trainings/summary", tag = "trainings", params(SummaryFilter),
    responses((status = 200, body = TrainingSummary),
              (status = 404, description = "A revision not yet reached", body = ErrorBody)))]
async fn trainings_summary(
    State(app): State<AppState>,
    Query(f): Query<SummaryFilter>,
) -> Result<Json<TrainingSummary>> {
    let rev = as_of(&app.store, f.rev).await?;
    let all = app.store.trainings(rev).await?;
    Ok(Json(training_summary(
        all.iter()
            .filter(|t| f.iso3.as_ref().is_none_or(|m| *m == t.iso3)),
    )))
}

/// One training, now or as of revision `rev`.
#[utoipa::path(get, path = "/trainings/{id}", tag = "trainings",
    params(("id" = RecordId, Path, description = "The training's id, e.g. vnm-tr-2026-014"), AsOf),
    responses((status = 200, body = TrainingInput),
              (status = 404, description = "No such training (then), or a revision not yet reached", body = ErrorBody)))]
async fn get_training(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<AsOf>,
) -> Result<Json<TrainingInput>> {
    let rev = as_of(&app.store, q.rev).await?;
    app.store
        .trainings(rev)
        .await?
        .into_iter()
        .find(|t| t.id.as_str() == id)
        .map(Json)
        .ok_or_else(|| Error::NotFound(format!("no training {id}")))
}

/// Records or replaces a training delivered (end date not after today): the member's editor
/// (for a training of its own member, stored and written) or the Secretariat. Counts only, no
/// personal data: unknown fields are refused.
#[utoipa::path(put, path = "/trainings/{id}", tag = "trainings",
    params(("id" = RecordId, Path, description = "The training's id; the body's `id` must be the same")),
    request_body = TrainingInput,
    responses((status = 200, body = WriteResult),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Neither the Secretariat nor the editor of the member (the stored one's and the body's)", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn put_training(
    State(app): State<AppState>,
    Path(id): Path<String>,
    writer: Writer,
    ApiJson(mut t): ApiJson<TrainingInput>,
) -> Result<WriteResult> {
    writer.may_edit(t.iso3.as_str())?;
    let mut problems = t.validate(app.clock.today());
    path_id(&id, &t.id, &mut problems)?;
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let actor = writer.actor.clone();
    let (_, change) = app
        .feed
        .write(&actor, move |w| {
            Box::pin(async move {
                if let Some(old) = w.training(t.id.as_str()).await? {
                    writer.may_edit(old.iso3.as_str())?;
                }
                let done = w.put_training(&t).await?;
                super::keep_write_result(w);
                Ok(done)
            })
        })
        .await?;
    WriteResult::new(&app.store, change.as_deref()).await
}

/// Deletes a training: the editor of its member, or the Secretariat. Replay (`?rev=`) still
/// shows it as it was before.
#[utoipa::path(delete, path = "/trainings/{id}", tag = "trainings",
    params(("id" = RecordId, Path, description = "The training's id")),
    responses((status = 200, body = WriteResult),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Neither the Secretariat nor the editor of its member", body = ErrorBody),
              (status = 404, description = "No such training", body = ErrorBody)))]
async fn delete_training(
    State(app): State<AppState>,
    Path(id): Path<String>,
    writer: Writer,
) -> Result<WriteResult> {
    let actor = writer.actor.clone();
    let (_, change) = app
        .feed
        .write(&actor, move |w| {
            Box::pin(async move {
                let Some(old) = w.training(&id).await? else {
                    return Err(Error::NotFound(format!("no training {id}")));
                };
                writer.may_edit(old.iso3.as_str())?;
                w.delete_training(old).await?;
                super::keep_write_result(w);
                Ok(())
            })
        })
        .await?;
    WriteResult::new(&app.store, change.as_deref()).await
}
