//! Actuals: reported values for a key result and year, appended and never overwritten.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Writer;
use super::{ApiJson, AppState, OneOrMany, Path, Query};
use crate::error::{Detail, Error, ErrorBody, Result};
use crate::model::{Actual, ActualInput, CorrectInput, WithdrawInput};
use crate::store::{ActualFilter, Duplicates};

/// A batch larger than this is refused: split it, or use the import.
pub const MAX_BATCH: usize = 5_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_actuals, post_actuals))
        .routes(routes!(withdraw_actual))
        .routes(routes!(correct_actual))
}

/// The schema of `POST /actuals`' body: one report, or an array of 1 to [`MAX_BATCH`].
struct Reports;

impl utoipa::PartialSchema for Reports {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        super::one_or_many_schema::<ActualInput>(1, Some(MAX_BATCH))
    }
}

impl ToSchema for Reports {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((ActualInput::name().into(), ActualInput::schema()));
        ActualInput::schemas(schemas);
    }
}

#[derive(Serialize, ToSchema)]
struct Posted {
    /// The revision this batch created.
    rev: i64,
    /// How many reports were appended.
    accepted: usize,
}

/// Reports one actual, or an array of them, all-or-nothing.
///
/// Each report is appended; the latest by `reported_at` is the current value of its key result
/// and year. A batch with any invalid row writes nothing and the error lists every bad row.
#[utoipa::path(post, path = "/actuals", tag = "actuals",
    request_body(content = inline(Reports), description = "One report, or an array of 1–5000"),
    responses((status = 201, body = Posted),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "A viewer, or an editor of another member", body = ErrorBody),
              (status = 413, description = "Body over 1 MiB", body = ErrorBody),
              (status = 422, description = "Invalid rows, each named", body = ErrorBody)))]
async fn post_actuals(
    State(app): State<AppState>,
    writer: Writer,
    OneOrMany { rows, batch }: OneOrMany<ActualInput>,
) -> Result<(StatusCode, Json<Posted>)> {
    if rows.is_empty() {
        return Err(Error::invalid(vec![Detail::message("the batch is empty")]));
    }
    for row in &rows {
        writer.may_edit(row.iso3.as_str())?;
    }
    if rows.len() > MAX_BATCH {
        return Err(Error::invalid(vec![Detail::message(format!(
            "a batch holds at most {MAX_BATCH} reports; this one has {}",
            rows.len()
        ))]));
    }
    let written = if writer.actor.idempotency.is_some() {
        // Its answer is kept with its key, in its transaction.
        app.feed
            .write(&writer.actor, move |w| {
                Box::pin(async move {
                    let accepted = w.append_actuals(&rows, Duplicates::Append).await?;
                    let rev = w.rev();
                    w.answer(201, &Posted { rev, accepted });
                    Ok(accepted)
                })
            })
            .await
    } else {
        // Written together with the other reports of its group commit.
        app.feed.append_reports(&writer.actor, rows).await
    };
    let (accepted, change) = written.map_err(|e| match e {
        // Name the row as a JSON path, as shape errors do; a single object has no rows.
        // (The message is made again from the details: a single object has no row 0.)
        Error::Invalid(_, details) => Error::invalid(
            details
                .into_iter()
                .map(|d| match (d.row, &d.field) {
                    (Some(i), Some(f)) => super::row_detail(batch, i, f, d.message),
                    _ => d,
                })
                .collect(),
        ),
        other => other,
    })?;
    let rev = change
        .ok_or_else(|| anyhow::anyhow!("a non-empty batch appended nothing"))?
        .rev;
    Ok((StatusCode::CREATED, Json(Posted { rev, accepted })))
}

/// Withdraws a report, with the reason: it stops counting (the report before it is current
/// again), and stays in the history and the log, so a replay of an earlier revision still
/// counts it. The Secretariat or the member's editor.
#[utoipa::path(post, path = "/actuals/{id}/withdraw", tag = "actuals",
    params(("id" = i64, Path, description = "The report, as `GET /actuals` names it")),
    request_body = WithdrawInput,
    responses((status = 200, body = Posted),
              (status = 403, description = "A viewer, or an editor of another member", body = ErrorBody),
              (status = 404, description = "No such report", body = ErrorBody),
              (status = 409, description = "Already withdrawn", body = ErrorBody),
              (status = 422, description = "No reason, or one too long", body = ErrorBody)))]
async fn withdraw_actual(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    writer: Writer,
    ApiJson(input): ApiJson<WithdrawInput>,
) -> Result<Json<Posted>> {
    let reason = super::reason(&input.reason)?;
    let rev = take_back(&app, &writer, id, &reason, None).await?;
    Ok(Json(Posted { rev, accepted: 0 }))
}

/// Corrects a report: withdraws it, with the reason, and reports the corrected value in its
/// place (same key result and year, dated as the withdrawn report) in the same revision.
#[utoipa::path(post, path = "/actuals/{id}/correct", tag = "actuals",
    params(("id" = i64, Path, description = "The report, as `GET /actuals` names it")),
    request_body = CorrectInput,
    responses((status = 201, body = Posted),
              (status = 403, description = "A viewer, or an editor of another member", body = ErrorBody),
              (status = 404, description = "No such report", body = ErrorBody),
              (status = 409, description = "Already withdrawn", body = ErrorBody),
              (status = 422, description = "No reason, or a value outside the key result's range", body = ErrorBody)))]
async fn correct_actual(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    writer: Writer,
    ApiJson(input): ApiJson<CorrectInput>,
) -> Result<(StatusCode, Json<Posted>)> {
    let reason = super::reason(&input.reason)?;
    let rev = take_back(&app, &writer, id, &reason, Some(input.value)).await?;
    Ok((StatusCode::CREATED, Json(Posted { rev, accepted: 1 })))
}

async fn take_back(
    app: &AppState,
    writer: &Writer,
    id: i64,
    reason: &str,
    corrected: Option<crate::domain::Finite>,
) -> Result<i64> {
    let (_, change) = app
        .feed
        .write(&writer.actor, {
            let (writer, reason) = (writer.clone(), reason.to_owned());
            move |w| {
                Box::pin(async move {
                    w.withdraw_report(id, &reason, corrected, |iso3| writer.may_edit(iso3))
                        .await?;
                    let status = if corrected.is_some() { 201 } else { 200 };
                    let rev = w.rev();
                    w.answer(status, &Posted { rev, accepted: 1 });
                    Ok(())
                })
            }
        })
        .await
        .map_err(|e| match e {
            // The corrected value is the body's `value`, not a row of a batch.
            Error::Invalid(_, details) => Error::invalid(
                details
                    .into_iter()
                    .map(|mut d| {
                        d.row = None;
                        d
                    })
                    .collect(),
            ),
            other => other,
        })?;
    Ok(change
        .ok_or_else(|| anyhow::anyhow!("a withdrawal wrote nothing"))?
        .rev)
}

/// Reported actuals, newest first: the history behind each current value.
#[utoipa::path(get, path = "/actuals", tag = "actuals", params(ActualFilter),
    responses((status = 200, body = Vec<Actual>),
              (status = 422, description = "A limit outside 1–10000", body = ErrorBody)))]
async fn list_actuals(
    State(app): State<AppState>,
    Query(f): Query<ActualFilter>,
) -> Result<Json<Vec<Actual>>> {
    let problems = f.problems();
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    Ok(Json(app.store.actuals(&f).await?))
}
