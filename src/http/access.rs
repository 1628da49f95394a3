//! Signing in and out, joining a workshop by code or card, and the Secretariat's tokens and
//! workshops.
//!
//! - `GET /api/v1/session`: who the caller is, and what the pages need to know (the public URL,
//!   whether reads are public, the open workshop);
//! - `POST /api/v1/session` with a token, `POST /api/v1/session/join` with a code: a session
//!   cookie; `DELETE /api/v1/session`: sign-out;
//! - `GET /join/{code}`: what a scanned card or QR code opens: the session, then the page;
//! - `/api/v1/tokens` and `/api/v1/workshops`: the Secretariat's.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::{Caller, Secretariat, cookie};
use super::{ApiJson, AppState, Path, Query};
use crate::access::{Card, Kind, NewSession, Role, TokenInfo, WorkshopInfo, parse_duration};
use crate::domain::Iso3;
use crate::error::{Detail, Error, ErrorBody, Result};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_session, sign_in, sign_out))
        .routes(routes!(join))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_workshops, open_workshop))
        .routes(routes!(close_workshop))
        .routes(routes!(reissue_cards))
}

/// `GET /join/{code}`: the address a card's QR code and the wall's QR code hold.
pub fn pages() -> axum::Router<AppState> {
    axum::Router::new().route("/join/{code}", axum::routing::get(join_page))
}

/// Who the caller is, and what the pages show.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    /// Whether the caller has a credential.
    signed_in: bool,
    role: Option<Role>,
    /// An editor's member.
    member: Option<String>,
    /// The credential's label (a card's: "Viet Nam delegation card, …").
    label: Option<String>,
    kind: Option<Kind>,
    /// Reads need no credential on this service.
    public_read: bool,
    /// The address links, QR codes and cards use.
    public_url: String,
    /// The workshop open now (for callers who may read).
    workshop: Option<WorkshopInfo>,
    /// Where the open workshop's join code leads: `{public_url}/join/{code}`.
    join_url: Option<String>,
}

fn session_info(app: &AppState, caller: &Caller) -> SessionInfo {
    let p = caller.principal.as_deref();
    let may_read = app.edge.public_read || p.is_some_and(|p| p.role != Role::Metrics);
    let workshop = may_read.then(|| app.access.current_workshop()).flatten();
    SessionInfo {
        signed_in: p.is_some(),
        role: p.map(|p| p.role),
        member: p.and_then(|p| p.member.clone()),
        label: p.map(|p| p.label.clone()),
        kind: p.map(|p| p.kind),
        public_read: app.edge.public_read,
        public_url: app.edge.public_url.clone(),
        join_url: workshop.as_ref().map(|w| join_url(app, &w.join_code)),
        workshop,
    }
}

fn join_url(app: &AppState, code: &str) -> String {
    format!("{}/join/{}", app.edge.public_url, code.replace('-', ""))
}

/// Who the caller is. Answers without a credential too (`signed_in: false`).
#[utoipa::path(get, path = "/session", tag = "access",
    responses((status = 200, body = SessionInfo),
              (status = 401, description = "An unknown, revoked or expired bearer token", body = ErrorBody)))]
async fn get_session(State(app): State<AppState>, caller: Caller) -> Json<SessionInfo> {
    Json(session_info(&app, &caller))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SignIn {
    /// A token (`apo_…`), as `token create` printed it.
    #[schema(min_length = 1, max_length = 200)]
    token: String,
}

/// The answer to a sign-in or a join: the session's cookie and who it is.
fn signed_in(app: &AppState, caller: &Caller, session: NewSession) -> Response {
    let caller = Caller {
        principal: Some(session.principal),
        ..caller.clone()
    };
    let mut response = Json(session_info(app, &caller)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(Some((&session.cookie, session.max_age)), app.edge.https),
    );
    response
}

/// Signs in with a token: the browser gets a session cookie (HttpOnly, SameSite=Strict).
#[utoipa::path(post, path = "/session", tag = "access", request_body = SignIn,
    responses((status = 200, body = SessionInfo, description = "Signed in; the session cookie is set"),
              (status = 401, description = "Unknown, revoked or expired token", body = ErrorBody),
              (status = 429, description = "Too many attempts from this address", body = ErrorBody)))]
async fn sign_in(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response> {
    let session = app.access.sign_in(body.token.trim()).await?;
    Ok(signed_in(&app, &caller, session))
}

/// Ends the browser's session (its live sockets close).
#[utoipa::path(delete, path = "/session", tag = "access",
    responses((status = 204, description = "Signed out; the cookie is cleared")))]
async fn sign_out(State(app): State<AppState>, caller: Caller) -> Result<Response> {
    if let Some(session) = caller.principal.as_ref().and_then(|p| p.session.clone()) {
        app.access.sign_out(&session).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(None, app.edge.https));
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    /// A workshop's join code (6 characters) or a delegation card's code (12); case, spaces
    /// and dashes do not matter.
    #[schema(min_length = 1, max_length = 64)]
    code: String,
}

/// Joins with a code: a workshop's join code (a viewer), or a delegation card's (that
/// member's editor; a card works once).
#[utoipa::path(post, path = "/session/join", tag = "access", request_body = JoinBody,
    responses((status = 200, body = SessionInfo, description = "Joined; the session cookie is set"),
              (status = 401, description = "No open workshop has this code", body = ErrorBody),
              (status = 410, description = "A card already used, or a workshop that has ended", body = ErrorBody),
              (status = 429, description = "Too many attempts from this address", body = ErrorBody)))]
async fn join(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<JoinBody>,
) -> Result<Response> {
    let session = app.access.join(&body.code).await?;
    Ok(signed_in(&app, &caller, session))
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// A scanned card or QR code: the session, then the page for its role; a code that does not
/// work leads to the sign-in page, which says why.
async fn join_page(
    State(app): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(next): axum::extract::Query<Next>,
) -> Response {
    match app.access.join(&code).await {
        Ok(session) => {
            let to = next
                .next
                .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
                .unwrap_or_else(
                    || match (session.principal.role, &session.principal.member) {
                        (Role::Secretariat, _) => "/secretariat".into(),
                        (Role::Editor, Some(m)) => format!("/delegate?member={m}"),
                        _ => "/delegate".into(),
                    },
                );
            let mut response = Redirect::to(&to).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                cookie(Some((&session.cookie, session.max_age)), app.edge.https),
            );
            response
        }
        Err(e) => {
            let why: String = e
                .to_string()
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            let mut response = Redirect::to(&format!("/signin?error={why}")).into_response();
            if let Ok(v) = HeaderValue::from_str(&e.status().as_u16().to_string()) {
                response.headers_mut().insert("x-join-status", v);
            }
            response
        }
    }
}

/// Every token, newest first (never their secrets).
#[utoipa::path(get, path = "/tokens", tag = "access",
    responses((status = 200, body = Vec<TokenInfo>),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_tokens(State(app): State<AppState>, _: Secretariat) -> Json<Vec<TokenInfo>> {
    Json(app.access.tokens())
}

/// A token lasts at most this long.
const MAX_EXPIRY_DAYS: i64 = 3650;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewToken {
    role: Role,
    /// The member an editor may edit; required for an editor, absent (or null) for the other
    /// roles.
    #[schema(value_type = Option<Iso3>)]
    member: Option<String>,
    /// 1–100 characters, none a control character; default: the role (or member) and the
    /// token's id.
    #[schema(
        pattern = r"^\s*[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]{0,98}[^\s\x00-\x1f\x7f-\x9f])?\s*$"
    )]
    label: Option<String>,
    /// How long it lasts, at most 10 years: `1`–`3650d`, `1`–`87600h` or `1`–`5256000m` (e.g.
    /// `30d`, `12h`, `90m`); without it, until revoked.
    #[schema(
        pattern = "^0*(?:(?:[1-9][0-9]{0,2}|[12][0-9]{3}|3[0-5][0-9]{2}|36[0-4][0-9]|3650)d|(?:[1-9][0-9]{0,3}|[1-7][0-9]{4}|8[0-6][0-9]{3}|87[0-5][0-9]{2}|87600)h|(?:[1-9][0-9]{0,5}|[1-4][0-9]{6}|5[01][0-9]{5}|52[0-4][0-9]{4}|525[0-5][0-9]{3}|5256000)m)$"
    )]
    expires: Option<String>,
}

/// The rules of [`NewToken`] across its fields, which its derived schema cannot state: an
/// editor names its member, and no other role has one.
pub(super) fn schema_rules() -> Vec<(&'static str, serde_json::Value)> {
    vec![(
        "NewToken",
        serde_json::json!({
            "if": {"properties": {"role": {"const": "editor"}}},
            "then": {"required": ["member"], "properties": {"member": {"type": "string"}}},
            "else": {"properties": {"member": {"type": "null"}}},
        }),
    )]
}

#[derive(Serialize, ToSchema)]
struct CreatedToken {
    /// The token: shown this once. Only its hash is stored.
    token: String,
    info: TokenInfo,
}

/// Creates a token. The answer holds the token itself, the only time it is shown.
#[utoipa::path(post, path = "/tokens", tag = "access", request_body = NewToken,
    responses((status = 201, body = CreatedToken),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn create_token(
    State(app): State<AppState>,
    Secretariat(who): Secretariat,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>)> {
    let expires = body
        .expires
        .as_deref()
        .map(parse_duration)
        .transpose()
        .map_err(|e| Error::invalid(vec![Detail::field("expires", e)]))?;
    // parse_duration bounds the number whatever its unit: 5256000d, 14,000 years on, is past
    // the year 9999 a time can hold (adding it panicked).
    if expires.is_some_and(|d| d > time::Duration::days(MAX_EXPIRY_DAYS)) {
        return Err(Error::invalid(vec![Detail::field(
            "expires",
            format!("a token lasts at most {MAX_EXPIRY_DAYS} days"),
        )]));
    }
    let (token, info) = app
        .access
        .create_token(body.role, body.member, body.label, expires, &who.actor.name)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, info })))
}

/// Revokes a token: requests with it are refused, its sessions end and its live sockets close
/// within a second.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "access",
    params(("id" = String, Path, description = "The token's id, as `GET /tokens` lists it")),
    responses((status = 200, body = TokenInfo),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, description = "No such token", body = ErrorBody)))]
async fn revoke_token(
    State(app): State<AppState>,
    _: Secretariat,
    Path(id): Path<String>,
) -> Result<Json<TokenInfo>> {
    Ok(Json(app.access.revoke_token(&id).await?))
}

/// Every workshop, newest first.
#[utoipa::path(get, path = "/workshops", tag = "access",
    responses((status = 200, body = Vec<WorkshopInfo>),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_workshops(State(app): State<AppState>, _: Secretariat) -> Json<Vec<WorkshopInfo>> {
    Json(app.access.workshops())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewWorkshop {
    /// 1–100 characters, none a control character; default: "SPP workshop" and the date.
    #[schema(
        pattern = r"^\s*[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]{0,98}[^\s\x00-\x1f\x7f-\x9f])?\s*$"
    )]
    title: Option<String>,
    /// How long it lasts (default 8 hours, at most a week).
    #[serde(default, deserialize_with = "crate::domain::whole_option")]
    #[schema(minimum = 1, maximum = 168)]
    hours: Option<i64>,
}

/// A delegation card, printable: its code and the address its QR code holds.
#[derive(Serialize, ToSchema)]
pub struct PrintedCard {
    #[serde(flatten)]
    card: Card,
    /// `{public_url}/join/{code}`: scanning it makes the phone this member's editor.
    url: String,
}

#[derive(Serialize, ToSchema)]
struct OpenedWorkshop {
    workshop: WorkshopInfo,
    join_url: String,
    /// One per member, shown this once (reissue them if they are lost).
    cards: Vec<PrintedCard>,
}

fn printed(app: &AppState, cards: Vec<Card>) -> Vec<PrintedCard> {
    cards
        .into_iter()
        .map(|card| PrintedCard {
            url: join_url(app, &card.code),
            card,
        })
        .collect()
}

/// Opens a workshop: a join code for viewers and a delegation card per member.
#[utoipa::path(post, path = "/workshops", tag = "access", request_body = NewWorkshop,
    responses((status = 201, body = OpenedWorkshop),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, description = "Another workshop is open", body = ErrorBody),
              (status = 422, description = "Invalid fields, each named", body = ErrorBody)))]
async fn open_workshop(
    State(app): State<AppState>,
    Secretariat(who): Secretariat,
    ApiJson(body): ApiJson<NewWorkshop>,
) -> Result<(StatusCode, Json<OpenedWorkshop>)> {
    let (workshop, cards) = app
        .access
        .open_workshop(body.title, body.hours, &who.actor.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(OpenedWorkshop {
            join_url: join_url(&app, &workshop.join_code),
            workshop,
            cards: printed(&app, cards),
        }),
    ))
}

/// Closes a workshop: its join code and cards stop working, its sessions end, and their live
/// sockets close within a second.
#[utoipa::path(post, path = "/workshops/{id}/close", tag = "access",
    params(("id" = String, Path)),
    responses((status = 200, body = WorkshopInfo),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "Already closed", body = ErrorBody)))]
async fn close_workshop(
    State(app): State<AppState>,
    _: Secretariat,
    Path(id): Path<String>,
) -> Result<Json<WorkshopInfo>> {
    Ok(Json(app.access.close_workshop(&id).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ReissueFilter {
    /// Only this member's card (its old one is withdrawn, used or not).
    #[param(value_type = Option<Iso3>)]
    iso3: Option<String>,
}

/// New delegation cards: for one member, or for every member whose card is unused.
#[utoipa::path(post, path = "/workshops/{id}/cards", tag = "access",
    params(("id" = String, Path), ReissueFilter),
    responses((status = 200, body = Vec<PrintedCard>),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "The workshop has ended", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn reissue_cards(
    State(app): State<AppState>,
    Secretariat(who): Secretariat,
    Path(id): Path<String>,
    Query(f): Query<ReissueFilter>,
) -> Result<Json<Vec<PrintedCard>>> {
    let cards = app
        .access
        .reissue_cards(&id, f.iso3.as_deref(), &who.actor.name)
        .await?;
    Ok(Json(printed(&app, cards)))
}
