//! Primers: a member's SPP primer with its focus areas, key results and targets, read and
//! written as one document; and the key results across members.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Writer;
use super::{ApiJson, AppState, Path, Query, known_member};
use crate::domain::{Iso3, PrimerStatus};
use crate::error::Detail;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{
    AmendInput, MAX_COMMENT, Primer, PrimerInput, PrimerStep, ReviewDecision, ReviewInput,
};
use crate::store::{KeyResultRow, PrimerSummary, Review, Workflow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_primers))
        .routes(routes!(get_primer, put_primer))
        .routes(routes!(review_primer))
        .routes(routes!(amend_primer))
        .routes(routes!(primer_history))
        .routes(routes!(list_key_results))
}

/// Every primer of the cycle, in brief.
#[utoipa::path(get, path = "/primers", tag = "primers",
    responses((status = 200, body = Vec<PrimerSummary>)))]
async fn list_primers(State(app): State<AppState>) -> Result<Json<Vec<PrimerSummary>>> {
    Ok(Json(app.store.primers().await?))
}

/// A member's primer: status, national context, focus areas, key results with their targets.
#[utoipa::path(get, path = "/primers/{iso3}", tag = "primers",
    params(("iso3" = Iso3, Path, description = "Member, e.g. VNM")),
    responses((status = 200, body = Primer),
              (status = 404, description = "Unknown member, or no primer yet", body = ErrorBody)))]
async fn get_primer(State(app): State<AppState>, Path(iso3): Path<String>) -> Result<Json<Primer>> {
    let iso3 = known_member(&app.store, &iso3).await?;
    match app.store.primer(&iso3).await? {
        Some(p) => Ok(Json(p)),
        None => Err(Error::NotFound(format!("{iso3} has no primer yet"))),
    }
}

#[derive(Serialize, ToSchema)]
struct PutPrimerResult {
    /// Revision of this change (the current one when nothing changed).
    rev: i64,
    changed: bool,
    primer: Primer,
}

/// Creates or replaces a member's primer as a whole.
///
/// Status moves follow the workflow: `draft → submitted → endorsed`, and a submitted primer can
/// be returned to `draft`. Content changes only while the primer is a draft (or in the edit
/// that submits it). A key result that has reported actuals cannot be removed.
#[utoipa::path(put, path = "/primers/{iso3}", tag = "primers",
    params(("iso3" = Iso3, Path, description = "Member, e.g. VNM")),
    request_body = PrimerInput,
    responses((status = 200, body = PutPrimerResult),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "A viewer, an editor of another member, or an editor endorsing or returning a primer", body = ErrorBody),
              (status = 404, description = "Unknown member", body = ErrorBody),
              (status = 409, description = "Status move not allowed, or a reported key result removed", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn put_primer(
    State(app): State<AppState>,
    Path(iso3): Path<String>,
    writer: Writer,
    ApiJson(mut input): ApiJson<PrimerInput>,
) -> Result<Json<PutPrimerResult>> {
    let iso3 = known_member(&app.store, &iso3).await?;
    writer.may_edit(&iso3)?;
    if input.status == PrimerStatus::Endorsed {
        writer.secretariat("endorse a primer")?;
    }
    let problems = input.check();
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    let (changed, change) = app
        .feed
        .write(&writer.actor.clone(), {
            let iso3 = iso3.clone();
            move |w| {
                Box::pin(async move {
                    if input.status == PrimerStatus::Draft {
                        let from = w.primer(&iso3).await?.map(|p| p.status);
                        if from == Some(PrimerStatus::Submitted) {
                            writer.secretariat("return a submitted primer to draft")?;
                        }
                    }
                    let changed = w.put_primer(&iso3, &input, Workflow::Enforce).await?;
                    keep_answer(w, &iso3, changed).await?;
                    Ok(changed)
                })
            }
        })
        .await?;
    let written = super::WriteResult::new(&app.store, change.as_deref()).await?;
    let primer = app
        .store
        .primer(&iso3)
        .await?
        .ok_or_else(|| anyhow::anyhow!("primer {iso3} vanished after its write"))?;
    Ok(Json(PutPrimerResult {
        rev: written.rev,
        changed,
        primer,
    }))
}

/// The Secretariat's review of a submitted primer: return it to its delegation with a comment
/// (it becomes a draft again; the delegation sees the comment on its phone), or endorse it.
#[utoipa::path(post, path = "/primers/{iso3}/review", tag = "primers",
    params(("iso3" = Iso3, Path, description = "Member, e.g. VNM")),
    request_body = ReviewInput,
    responses((status = 200, body = PutPrimerResult),
              (status = 403, description = "Not the Secretariat", body = ErrorBody),
              (status = 404, description = "Unknown member, or no primer yet", body = ErrorBody),
              (status = 409, description = "The primer is not submitted", body = ErrorBody),
              (status = 422, description = "A return without a comment, or a comment too long", body = ErrorBody)))]
async fn review_primer(
    State(app): State<AppState>,
    Path(iso3): Path<String>,
    writer: Writer,
    ApiJson(input): ApiJson<ReviewInput>,
) -> Result<Json<PutPrimerResult>> {
    let iso3 = known_member(&app.store, &iso3).await?;
    writer.secretariat("review a primer")?;
    let comment = match input.comment.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) if c.chars().count() > MAX_COMMENT => {
            return Err(Error::invalid(vec![Detail::field(
                "comment",
                format!("is longer than {MAX_COMMENT} characters"),
            )]));
        }
        Some(c) => Some(c.to_owned()),
    };
    let review = match input.decision {
        ReviewDecision::Return => {
            let mut problems = Vec::new();
            if input.endorsed_on.is_some() {
                problems.push(Detail::field(
                    "endorsed_on",
                    "only an endorsement has a date",
                ));
            }
            if comment.is_none() {
                problems.push(Detail::field(
                    "comment",
                    "say what the delegation should change: a return needs a comment",
                ));
            }
            let (Some(comment), true) = (comment, problems.is_empty()) else {
                return Err(Error::invalid(problems));
            };
            Review::Return { comment }
        }
        ReviewDecision::Endorse => {
            if let Some(why) = input.endorsed_on.and_then(crate::domain::date_problem) {
                return Err(Error::invalid(vec![Detail::field("endorsed_on", why)]));
            }
            Review::Endorse {
                on: input
                    .endorsed_on
                    .unwrap_or_else(|| time::OffsetDateTime::now_utc().date()),
                comment,
            }
        }
    };
    reviewed(&app, &iso3, &writer, review).await
}

/// Reopens an endorsed primer as an amendment: a draft of its next version, which the
/// delegation edits and submits again. The endorsed version stays readable in the primer's
/// history. The Secretariat or the member's editor.
#[utoipa::path(post, path = "/primers/{iso3}/amend", tag = "primers",
    params(("iso3" = Iso3, Path, description = "Member, e.g. VNM")),
    request_body = AmendInput,
    responses((status = 200, body = PutPrimerResult),
              (status = 403, description = "A viewer, or an editor of another member", body = ErrorBody),
              (status = 404, description = "Unknown member, or no primer yet", body = ErrorBody),
              (status = 409, description = "The primer is not endorsed", body = ErrorBody),
              (status = 422, description = "No reason, or one too long", body = ErrorBody)))]
async fn amend_primer(
    State(app): State<AppState>,
    Path(iso3): Path<String>,
    writer: Writer,
    ApiJson(input): ApiJson<AmendInput>,
) -> Result<Json<PutPrimerResult>> {
    let iso3 = known_member(&app.store, &iso3).await?;
    writer.may_edit(&iso3)?;
    let reason = super::reason(&input.reason)?;
    reviewed(&app, &iso3, &writer, Review::Amend { reason }).await
}

async fn reviewed(
    app: &AppState,
    iso3: &str,
    writer: &Writer,
    review: Review,
) -> Result<Json<PutPrimerResult>> {
    let ((), change) = app
        .feed
        .write(&writer.actor, {
            let iso3 = iso3.to_owned();
            move |w| {
                Box::pin(async move {
                    w.review_primer(&iso3, review).await?;
                    let changed = w.changed();
                    keep_answer(w, &iso3, changed).await
                })
            }
        })
        .await?;
    let written = super::WriteResult::new(&app.store, change.as_deref()).await?;
    let primer = app
        .store
        .primer(iso3)
        .await?
        .ok_or_else(|| anyhow::anyhow!("primer {iso3} vanished after its review"))?;
    Ok(Json(PutPrimerResult {
        rev: written.rev,
        changed: written.changed,
        primer,
    }))
}

/// Says the answer inside the write (for its `Idempotency-Key`): the primer as it commits.
async fn keep_answer(w: &mut crate::store::Write, iso3: &str, changed: bool) -> Result<()> {
    if changed && let Some(primer) = w.primer(iso3).await? {
        let rev = w.rev();
        w.answer(
            200,
            &PutPrimerResult {
                rev,
                changed,
                primer,
            },
        );
    }
    Ok(())
}

/// Every change to a member's primer, oldest first, each with the primer as it was after it:
/// what the review desk compares with the last return, and where an endorsed version stays
/// readable after an amendment.
#[utoipa::path(get, path = "/primers/{iso3}/history", tag = "primers",
    params(("iso3" = Iso3, Path, description = "Member, e.g. VNM")),
    responses((status = 200, body = Vec<PrimerStep>),
              (status = 404, description = "Unknown member", body = ErrorBody)))]
async fn primer_history(
    State(app): State<AppState>,
    Path(iso3): Path<String>,
) -> Result<Json<Vec<PrimerStep>>> {
    let iso3 = known_member(&app.store, &iso3).await?;
    Ok(Json(app.store.primer_history(&iso3).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct KeyResultFilter {
    /// Only this member's key results.
    iso3: Option<String>,
    /// Only this pillar's key results (1–4).
    pillar: Option<i64>,
}

/// Key results across members, in primer order.
#[utoipa::path(get, path = "/key_results", tag = "primers", params(KeyResultFilter),
    responses((status = 200, body = Vec<KeyResultRow>)))]
async fn list_key_results(
    State(app): State<AppState>,
    Query(f): Query<KeyResultFilter>,
) -> Result<Json<Vec<KeyResultRow>>> {
    Ok(Json(
        app.store.key_results(f.iso3.as_deref(), f.pillar).await?,
    ))
}
