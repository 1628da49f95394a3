//! Accreditations (contract §1): the Secretariat records each body's accreditation and moves
//! it along its workflow; anyone reads them, with the days left and whether renewal is due
//! soon, now or as of a past revision, and the summary by member and status.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Secretariat;
use super::platform::{AsOf, invalid, path_id};
use super::projects::as_of;
use super::{ApiJson, AppState, Path, Query, WriteResult};
use crate::domain::Iso3;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{
    Accreditation, AccreditationInput, AccreditationStatus, AccreditationSummary, RecordId,
    accreditation_summary,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accreditations))
        .routes(routes!(accreditations_summary))
        .routes(routes!(get_accreditation, put_accreditation))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct Filter {
    /// The member.
    iso3: Option<Iso3>,
    status: Option<AccreditationStatus>,
    /// The scheme, exactly.
    scheme: Option<String>,
    /// Only accredited or renewal_due records whose `valid_until` is at most this many days
    /// from today (passed ones included).
    #[param(minimum = 0)]
    renewal_within_days: Option<i64>,
    /// As of this revision (0 or more; 404 for one not yet reached); default: now.
    #[param(minimum = 0)]
    rev: Option<i64>,
}

/// The accreditations, by id, each with `days_left` and `renewal_due_soon` (today, UTC);
/// filtered; now or as of revision `rev`.
#[utoipa::path(get, path = "/accreditations", tag = "accreditations", params(Filter),
    responses((status = 200, body = Vec<Accreditation>),
              (status = 404, description = "A revision not yet reached", body = ErrorBody),
              (status = 422, description = "Invalid parameters, each named", body = ErrorBody)))]
async fn list_accreditations(
    State(app): State<AppState>,
    Query(f): Query<Filter>,
) -> Result<Json<Vec<Accreditation>>> {
    if f.renewal_within_days.is_some_and(|d| d < 0) {
        return Err(invalid(vec![(
            "renewal_within_days".into(),
            "is 0 or more".into(),
        )]));
    }
    let rev = as_of(&app.store, f.rev).await?;
    let today = app.clock.today();
    Ok(Json(
        app.store
            .accreditations(rev)
            .await?
            .iter()
            .filter(|a| f.iso3.as_ref().is_none_or(|m| *m == a.iso3))
            .filter(|a| f.status.is_none_or(|s| s == a.status))
            .filter(|a| f.scheme.as_ref().is_none_or(|s| *s == a.scheme))
            .map(|a| a.view(today))
            .filter(|v| {
                f.renewal_within_days.is_none_or(|n| {
                    v.status.counts_as_accredited() && v.days_left.is_some_and(|d| d <= n)
                })
            })
            .collect(),
    ))
}

/// How many members have an accredited body, each status's count, each member's most
/// advanced status, and the ids due for renewal soon (today, UTC); now or as of revision
/// `rev`.
#[utoipa::path(get, path = "/accreditations/summary", tag = "accreditations", params(AsOf),
    responses((status = 200, body = AccreditationSummary),
              (status = 404, description = "A revision not yet reached", body = ErrorBody)))]
async fn accreditations_summary(
    State(app): State<AppState>,
    Query(q): Query<AsOf>,
) -> Result<Json<AccreditationSummary>> {
    let rev = as_of(&app.store, q.rev).await?;
    let records = app.store.accreditations(rev).await?;
    Ok(Json(accreditation_summary(
        &records,
        app.clock.today(),
        crate::domain::member_codes().len(),
    )))
}

/// One accreditation, now or as of revision `rev`.
#[utoipa::path(get, path = "/accreditations/{id}", tag = "accreditations",
    params(("id" = RecordId, Path, description = "The accreditation's id, e.g. vnm-vnpi"), AsOf),
    responses((status = 200, body = Accreditation),
              (status = 404, description = "No such accreditation (then), or a revision not yet reached", body = ErrorBody)))]
async fn get_accreditation(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<AsOf>,
) -> Result<Json<Accreditation>> {
    let rev = as_of(&app.store, q.rev).await?;
    app.store
        .accreditations(rev)
        .await?
        .into_iter()
        .find(|a| a.id.as_str() == id)
        .map(|a| Json(a.view(app.clock.today())))
        .ok_or_else(|| Error::NotFound(format!("no accreditation {id}")))
}

/// Records an accreditation or changes it (the Secretariat). The status moves along its
/// workflow only (a new id may start in any): applied → under_assessment | withdrawn;
/// under_assessment → accredited | applied | withdrawn; accredited → renewal_due | expired |
/// withdrawn; renewal_due → under_assessment | accredited (renewed: a later valid_until) |
/// expired | withdrawn; expired → applied; withdrawn is final. A refused move is a 409
/// `invalid_transition` and writes nothing.
#[utoipa::path(put, path = "/accreditations/{id}", tag = "accreditations",
    params(("id" = RecordId, Path, description = "The accreditation's id; the body's `id` must be the same")),
    request_body = AccreditationInput,
    responses((status = 200, body = WriteResult),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Not the Secretariat", body = ErrorBody),
              (status = 409, description = "A status move the workflow does not allow (`invalid_transition`)", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn put_accreditation(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Secretariat(writer): Secretariat,
    ApiJson(mut a): ApiJson<AccreditationInput>,
) -> Result<WriteResult> {
    let mut problems = a.validate(app.clock.today());
    path_id(&id, &a.id, &mut problems)?;
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let (_, change) = app
        .feed
        .write(&writer.actor, move |w| {
            Box::pin(async move {
                let done = w.put_accreditation(&a).await?;
                super::keep_write_result(w);
                Ok(done)
            })
        })
        .await?;
    WriteResult::new(&app.store, change.as_deref()).await
}
