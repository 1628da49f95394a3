//! BCN exchanges (reference 520): a sending member applies under a BCN notification, within
//! the notification's limit for the modality and before a closing date; the Secretariat
//! decides; the network of who learns from whom.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::{Secretariat, Writer};
use super::projects::as_of;
use super::{ApiJson, AppState, Path, Query};
use crate::domain::{Iso3, ProjectCode};
use crate::error::{Detail, Error, ErrorBody, Result};
use crate::model::{
    BcnApplication, BcnDecision, BcnFiled, BcnInput, BcnPair, BcnStatus, bcn_network,
};
use crate::store::BcnFilter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_applications, file_application))
        .routes(routes!(decide))
        .routes(routes!(network))
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
struct ApplicationQuery {
    /// The notification's code.
    project: Option<ProjectCode>,
    status: Option<BcnStatus>,
    /// The closing date it was filed under (YYYY-MM-DD).
    #[param(value_type = Option<String>, format = Date)]
    closing_date: Option<Date>,
    /// Sent or hosted by this member.
    member: Option<Iso3>,
    /// As of this revision (0 or more); default: now.
    #[param(minimum = 0)]
    rev: Option<i64>,
}

/// Applications, oldest first, filtered by notification, status, closing window or member,
/// now or as of revision `rev`.
#[utoipa::path(get, path = "/bcn/applications", tag = "bcn", params(ApplicationQuery),
    responses((status = 200, body = Vec<BcnApplication>),
              (status = 404, description = "A revision not yet reached", body = ErrorBody),
              (status = 422, description = "Invalid filters, each named", body = ErrorBody)))]
async fn list_applications(
    State(app): State<AppState>,
    Query(q): Query<ApplicationQuery>,
) -> Result<Json<Vec<BcnApplication>>> {
    let filter = BcnFilter {
        project: q.project.map(|p| p.as_str().to_owned()),
        status: q.status,
        closing_date: q.closing_date,
        year: None,
        member: q.member.map(|m| m.as_str().to_owned()),
    };
    let rev = as_of(&app.store, q.rev).await?;
    Ok(Json(app.store.bcn_applications(&filter, rev).await?))
}

/// Applies for an exchange: the sending member's editor, or the Secretariat. Refused (422,
/// naming the field) when the participants exceed the notification's limit for the modality,
/// sender and host are the same member, every closing date for applications has passed
/// (today, UTC; a closing date is open through its day), the notification is not a BCN one, or
/// the members are not among its hosts and participants. Otherwise filed under the next
/// closing date not passed, pending a decision.
#[utoipa::path(post, path = "/bcn/applications", tag = "bcn",
    request_body = BcnInput,
    responses((status = 201, body = BcnFiled),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Neither the Secretariat nor the sending member's editor", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn file_application(
    State(app): State<AppState>,
    writer: Writer,
    ApiJson(mut input): ApiJson<BcnInput>,
) -> Result<(StatusCode, Json<BcnFiled>)> {
    let problems = input.check();
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    writer.may_edit(input.sender.as_str())?;
    let today = app.clock.today();
    let (filed, _) = app
        .feed
        .write(&writer.actor, move |w| {
            Box::pin(async move {
                let a = w.file_application(&input, today).await?;
                let filed = BcnFiled {
                    id: a.id,
                    rev: w.rev(),
                    closing_date: a.closing_date,
                    status: a.status,
                };
                w.answer(201, &filed);
                Ok(filed)
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

/// Approves or declines an application (the Secretariat): a reason is required to decline;
/// 409 once it has been decided.
#[utoipa::path(post, path = "/bcn/applications/{id}/decision", tag = "bcn",
    params(("id" = i64, Path, description = "The application's id")),
    request_body = BcnDecision,
    responses((status = 200, body = BcnApplication),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Not the Secretariat", body = ErrorBody),
              (status = 404, description = "No such application", body = ErrorBody),
              (status = 409, description = "Already decided", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn decide(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Secretariat(writer): Secretariat,
    ApiJson(mut decision): ApiJson<BcnDecision>,
) -> Result<Json<BcnApplication>> {
    let problems = decision.check();
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let (decided, _) = app
        .feed
        .write(&writer.actor, move |w| {
            Box::pin(async move {
                let a = w.decide_application(id, &decision).await?;
                w.answer(200, &a);
                Ok(a)
            })
        })
        .await?;
    Ok(Json(decided))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct NetworkQuery {
    /// The notifications' year (from their codes); default: every year.
    #[param(minimum = 2000, maximum = 2100)]
    year: Option<i64>,
    /// As of this revision (0 or more); default: now.
    #[param(minimum = 0)]
    rev: Option<i64>,
}

/// Who learns from whom: sending → hosting member pairs with their applications counted by
/// status, for the Secretariat's page and the wall.
#[utoipa::path(get, path = "/bcn/network", tag = "bcn", params(NetworkQuery),
    responses((status = 200, body = Vec<BcnPair>),
              (status = 404, description = "A revision not yet reached", body = ErrorBody),
              (status = 422, description = "Invalid filters, each named", body = ErrorBody)))]
async fn network(
    State(app): State<AppState>,
    Query(q): Query<NetworkQuery>,
) -> Result<Json<Vec<BcnPair>>> {
    if let Some(y) = q.year.filter(|y| !(2000..=2100).contains(y)) {
        return Err(Error::invalid(vec![Detail::field(
            "year",
            format!("year {y} is outside 2000–2100"),
        )]));
    }
    let filter = BcnFilter {
        year: q.year,
        ..BcnFilter::default()
    };
    let rev = as_of(&app.store, q.rev).await?;
    let applications = app.store.bcn_applications(&filter, rev).await?;
    Ok(Json(bcn_network(&applications)))
}
