//! Centers of Excellence (reference 515): the registry with each COE's phase in the 1-3-1 life
//! cycle, the Secretariat's assessments, proposals and applications for new COEs; and a
//! member's programmes (its COEs, projects and exchanges) in one answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::{Secretariat, Writer};
use super::projects::as_of;
use super::{ApiJson, AppState, Path, Query, WriteResult};
use crate::domain::Iso3;
use crate::error::{Detail, Error, ErrorBody, Result};
use crate::model::{
    AssessmentInput, Coe, CoeId, CoeInput, CoeProposal, CoeProposalInput, MemberProgrammes,
};
use crate::store::BcnFilter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_coes))
        .routes(routes!(put_coe))
        .routes(routes!(assess))
        .routes(routes!(list_proposals, file_proposal))
        .routes(routes!(programmes))
}

fn invalid(problems: Vec<(String, String)>) -> Error {
    Error::invalid(
        problems
            .into_iter()
            .map(|(f, m)| Detail::field(f, m))
            .collect(),
    )
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct AsOf {
    /// As of this revision (0 or more; 404 for one not yet reached); default: now.
    #[param(minimum = 0)]
    rev: Option<i64>,
}

/// The registry, by id: each COE with its phase today (UTC), where the phase comes from
/// (computed from the designation date, or an assessment), its phases with their dates, and
/// its assessments; now or as of revision `rev`.
#[utoipa::path(get, path = "/coes", tag = "coes", params(AsOf),
    responses((status = 200, body = Vec<Coe>),
              (status = 404, description = "A revision not yet reached", body = ErrorBody)))]
async fn list_coes(State(app): State<AppState>, Query(q): Query<AsOf>) -> Result<Json<Vec<Coe>>> {
    let rev = as_of(&app.store, q.rev).await?;
    let today = app.clock.today();
    Ok(Json(
        app.store
            .coes(rev)
            .await?
            .iter()
            .map(|c| c.view(today))
            .collect(),
    ))
}

/// Registers a COE or changes its entry (the Secretariat); its assessments stay.
#[utoipa::path(put, path = "/coes/{id}", tag = "coes",
    params(("id" = CoeId, Path, description = "The COE's id, e.g. twn-green-productivity; the body's `id` must be the same")),
    request_body = CoeInput,
    responses((status = 200, body = WriteResult),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Not the Secretariat", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn put_coe(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Secretariat(writer): Secretariat,
    ApiJson(mut coe): ApiJson<CoeInput>,
) -> Result<WriteResult> {
    let id = CoeId::parse(&id).map_err(|e| Error::invalid(vec![Detail::field("id", e.0)]))?;
    let mut problems = coe.check();
    if coe.id != id {
        problems.push((
            "id".into(),
            format!(
                "the body's id {} differs from the path's {}",
                coe.id.as_str(),
                id.as_str()
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let (_, change) = app
        .feed
        .write(&writer.actor, move |w| {
            Box::pin(async move {
                let done = w.put_coe(&coe).await?;
                super::keep_write_result(w);
                Ok(done)
            })
        })
        .await?;
    WriteResult::new(&app.store, change.as_deref()).await
}

/// Records an assessment (the Secretariat): from its date the phase is held (the phase of that
/// day starts again) or advanced (the next phase starts), instead of the computed one. Dated
/// from the designation to today, not before the latest assessment; answers the COE as it
/// now stands.
#[utoipa::path(post, path = "/coes/{id}/assessments", tag = "coes",
    params(("id" = CoeId, Path, description = "The COE's id")),
    request_body = AssessmentInput,
    responses((status = 201, body = Coe),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Not the Secretariat", body = ErrorBody),
              (status = 404, description = "No such COE", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn assess(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Secretariat(writer): Secretariat,
    ApiJson(input): ApiJson<AssessmentInput>,
) -> Result<(StatusCode, Json<Coe>)> {
    let id = CoeId::parse(&id).map_err(|e| Error::NotFound(e.0))?;
    let today = app.clock.today();
    let (coe, _) = app
        .feed
        .write(&writer.actor, move |w| {
            Box::pin(async move {
                let c = w.assess_coe(id.as_str(), &input, today).await?.view(today);
                w.answer(201, &c);
                Ok(c)
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(coe)))
}

/// Proposals by existing COEs and applications for new ones, oldest first; now or as of
/// revision `rev`.
#[utoipa::path(get, path = "/coes/proposals", tag = "coes", params(AsOf),
    responses((status = 200, body = Vec<CoeProposal>),
              (status = 404, description = "A revision not yet reached", body = ErrorBody)))]
async fn list_proposals(
    State(app): State<AppState>,
    Query(q): Query<AsOf>,
) -> Result<Json<Vec<CoeProposal>>> {
    let rev = as_of(&app.store, q.rev).await?;
    Ok(Json(app.store.coe_proposals(rev).await?))
}

/// Files a proposal by an existing COE (`coe` set), refused after the notification's closing
/// date for proposals (reference 515: 31 March), or an application for a new COE (`coe`
/// null), taken throughout the notification's year. The member's editor, or the Secretariat.
#[utoipa::path(post, path = "/coes/proposals", tag = "coes",
    request_body = CoeProposalInput,
    responses((status = 201, body = CoeProposal),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Neither the Secretariat nor the member's editor", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn file_proposal(
    State(app): State<AppState>,
    writer: Writer,
    ApiJson(mut input): ApiJson<CoeProposalInput>,
) -> Result<(StatusCode, Json<CoeProposal>)> {
    let problems = input.check();
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    writer.may_edit(input.iso3.as_str())?;
    let today = app.clock.today();
    let (filed, _) = app
        .feed
        .write(&writer.actor, move |w| {
            Box::pin(async move {
                let p = w.file_proposal(&input, today).await?;
                w.answer(201, &p);
                Ok(p)
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

/// What a member takes part in: its COEs (with their phases today), the notifications it
/// hosts or joins (`*` included), its COE proposals, and the BCN applications it sent and
/// hosts.
#[utoipa::path(get, path = "/members/{iso3}/programmes", tag = "coes",
    params(("iso3" = Iso3, Path, description = "Member, e.g. VNM")),
    responses((status = 200, body = MemberProgrammes),
              (status = 404, description = "No such member", body = ErrorBody)))]
async fn programmes(
    State(app): State<AppState>,
    Path(iso3): Path<String>,
) -> Result<Json<MemberProgrammes>> {
    let iso3 = super::known_member(&app.store, &iso3).await?;
    let today = app.clock.today();
    let coes = app
        .store
        .coes(None)
        .await?
        .into_iter()
        .filter(|c| c.iso3.as_str() == iso3)
        .map(|c| c.view(today))
        .collect();
    let projects = app
        .store
        .projects(None)
        .await?
        .into_iter()
        .filter(|p| p.involves(&iso3))
        .map(|p| p.with_closing(today))
        .collect();
    let coe_proposals = app
        .store
        .coe_proposals(None)
        .await?
        .into_iter()
        .filter(|p| p.iso3.as_str() == iso3)
        .collect();
    let filter = BcnFilter {
        member: Some(iso3.clone()),
        ..BcnFilter::default()
    };
    let (bcn_sent, bcn_hosted): (Vec<_>, Vec<_>) = app
        .store
        .bcn_applications(&filter, None)
        .await?
        .into_iter()
        .partition(|a| a.sender.as_str() == iso3);
    Ok(Json(MemberProgrammes {
        iso3,
        coes,
        projects,
        coe_proposals,
        bcn_sent,
        bcn_hosted,
    }))
}
