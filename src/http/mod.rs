//! The REST API under `/api/v1`, `/healthz`, `/readyz` and `/metrics`, and the built browser
//! dashboard at the root.
//!
//! Each resource module owns its routes (an `OpenApiRouter`, so that the OpenAPI document is
//! built from the handlers themselves and cannot drift from them); they are merged here. This
//! module also owns the request plumbing every handler shares: the JSON body extractor with its
//! size limit and precise errors, and request logging; [`auth`] is the edge every request
//! passes (host, credential, CSRF, rate limits, security headers).

mod access;
mod accreditations;
mod actuals;
mod audit;
pub mod auth;
mod bcn;
mod budgets;
mod coes;
mod dashboard;
mod export;
mod extract;
mod gp;
mod health;
mod idempotency;
mod import;
pub mod live;
pub mod metrics;
mod platform;
mod primers;
mod productivity;
mod projects;
mod reference;
mod series;
mod shape;
pub mod site;
mod trainings;

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{Error, LoggedCause};
use crate::store::Store;

pub use extract::{
    ApiJson, OneOrMany, Path, Query, one_or_many_schema, parse_json, reason, row_detail,
};

/// Bodies larger than this are refused with 413 before they are parsed.
pub const MAX_BODY: usize = 1024 * 1024;

/// What every handler can reach. Cheap to clone: a handle over shared state.
#[derive(Clone)]
pub struct AppState {
    /// Reads. (Writes go through the feed, so that the dashboard hears of them.)
    pub store: Store,
    /// Commits writes and publishes what they changed.
    pub feed: crate::feed::Feed,
    /// Keeps the dashboard documents current and publishes their patches.
    pub aggregator: crate::aggregator::Aggregator,
    /// Fans the patches out to the live sockets.
    pub hub: crate::live::Hub,
    pub live_config: std::sync::Arc<live::LiveConfig>,
    /// What `/metrics` shows: one registry per server, and the request counts.
    pub http_metrics: std::sync::Arc<metrics::HttpMetrics>,
    /// Credentials, sessions and workshops.
    pub access: crate::access::Access,
    /// Where the service is reached and who may reach it.
    pub edge: std::sync::Arc<auth::Edge>,
    pub limits: std::sync::Arc<auth::Limits>,
    /// Idempotency keys whose first request is being served.
    pub in_flight: idempotency::InFlight,
    /// Dashboards of past revisions, computed with bounded work.
    pub history: std::sync::Arc<crate::analytics::history::History>,
    /// The day closing dates and COE phases are judged by (settable by tests).
    pub clock: crate::clock::Clock,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "APO Productivity Dashboard",
        description = "Primers, key results, actuals, budgets, projects and productivity series \
                       of the Asian Productivity Organization's 21 member economies.",
    ),
    servers((url = "/api/v1")),
    components(schemas(
        crate::error::ErrorBody,
        crate::live::protocol::ServerFrame,
        crate::live::protocol::ClientFrame,
    ))
)]
struct ApiDoc;

/// The whole HTTP surface, with its state.
pub fn router(state: AppState, static_dir: Option<&std::path::Path>) -> Router {
    let (api, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(reference::router())
        .merge(primers::router())
        .merge(actuals::router())
        .merge(budgets::router())
        .merge(projects::router())
        .merge(bcn::router())
        .merge(coes::router())
        .merge(accreditations::router())
        .merge(gp::router())
        .merge(trainings::router())
        .merge(series::router())
        .merge(import::router())
        .merge(export::router())
        .merge(dashboard::router())
        .merge(productivity::router())
        .merge(audit::router())
        .merge(access::router())
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    declare_edge(&mut doc);
    let mut doc = serde_json::to_value(&doc).expect("the OpenAPI document serializes");
    let rules = [crate::model::schema_rules(), access::schema_rules()];
    for (at, keywords) in rules.into_iter().flatten() {
        add_keywords(&mut doc, at, keywords);
    }
    if let Some(serde_json::Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        // Not the error body's: it may quote what it refuses.
        for (name, schema) in schemas.iter_mut() {
            if !matches!(name.as_str(), "ErrorBody" | "ErrorPayload" | "Detail") {
                no_control_text(schema);
            }
        }
    }
    shape::install(&doc);
    let doc = Bytes::from(serde_json::to_vec(&doc).expect("JSON serializes"));
    let api = api.route(
        "/openapi.json",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], doc) }
        }),
    );
    let api = api.merge(live::router());
    Router::new()
        .nest("/api/v1", api.fallback(api_not_found))
        .merge(health::router())
        .merge(metrics::router())
        .merge(access::pages())
        .merge(site::router(static_dir))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), auth::edge))
        .layer(middleware::from_fn_with_state(state.clone(), log_requests))
        .with_state(state)
}

/// What the edge ([`auth`]) adds to every operation, declared in the document: the two ways to
/// present a credential, and the answers any operation may give before or beside its own
/// (a missing or ended credential, a role that does not cover it, too many writes, a body the
/// extractor refuses, a path that names nothing, the database away).
fn declare_edge(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
    };
    use utoipa::openapi::{Ref, RefOr, ResponseBuilder};
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::COOKIE))),
    );
    let error = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let open = auth::open_path(&format!("/api/v1{path}"));
        let ops = [
            (false, item.get.as_mut()),
            (true, item.put.as_mut()),
            (true, item.post.as_mut()),
            (true, item.delete.as_mut()),
        ];
        for (unsafe_method, op) in ops {
            let Some(op) = op else { continue };
            let has_path = path.contains('{');
            let has_query = op.parameters.as_ref().is_some_and(|p| {
                p.iter().any(|p| {
                    matches!(p, RefOr::T(p) if p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
                })
            });
            let has_body = op.request_body.is_some();
            let r = &mut op.responses.responses;
            let mut add = |code: &str, what: &str| {
                r.entry(code.to_owned()).or_insert_with(|| error(what));
            };
            if !open {
                add("401", "No credential, or one unknown, revoked or expired");
                add("403", "The credential's role or member does not cover this");
                op.security = Some(vec![
                    SecurityRequirement::new("bearer", Vec::<String>::new()),
                    SecurityRequirement::new("session", Vec::<String>::new()),
                ]);
            } else {
                // These answer without a credential, but a bearer token sent is checked.
                add("401", "A bearer token that is unknown, revoked or expired");
                if unsafe_method {
                    add("403", "A browser's request from another origin");
                }
            }
            if unsafe_method {
                add(
                    "429",
                    "Too many writes with this credential; see Retry-After",
                );
            }
            if has_body {
                add("400", "The body is not JSON");
                add("413", "The body is over 1 MiB");
                add("415", "The body is not sent as application/json");
                add("422", "Invalid fields, each named");
            }
            if has_query {
                add("422", "Invalid query parameters, each named");
            }
            if has_path {
                add("404", "The path names nothing");
            }
            add("503", "The database is unavailable");
        }
    }
}

/// The rule on text ([`crate::domain::control_character`]) as a pattern.
const NO_CONTROL: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";

/// States the rule on text in the document: every string schema without a pattern, a format
/// or a list of values of its own gets [`NO_CONTROL`].
fn no_control_text(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(serde_json::Value::String(t)) => t == "string",
                Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let own = ["pattern", "format", "enum", "const"]
                .iter()
                .any(|k| map.contains_key(*k));
            if is_string && !own {
                map.insert("pattern".into(), NO_CONTROL.into());
            }
            for v in map.values_mut() {
                no_control_text(v);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(no_control_text),
        _ => {}
    }
}

/// Adds JSON Schema keywords to the schema at `at` (`Component/properties/field`, under
/// `#/components/schemas`): what a derived schema cannot state, such as a rule across fields.
fn add_keywords(doc: &mut serde_json::Value, at: &str, keywords: serde_json::Value) {
    let schema = doc
        .pointer_mut(&format!("/components/schemas/{at}"))
        .and_then(serde_json::Value::as_object_mut)
        .unwrap_or_else(|| panic!("no schema {at} in the OpenAPI document"));
    let serde_json::Value::Object(keywords) = keywords else {
        panic!("the keywords for {at} are not an object");
    };
    schema.extend(keywords);
}

async fn api_not_found(uri: axum::http::Uri) -> Error {
    Error::NotFound(format!("no such endpoint: {}", uri.path()))
}

/// One span per request (its id, method, path and route template); logs its outcome, and for
/// a 5xx the cause that the client never sees; counts it for `/metrics` by route, method and
/// status. Runs after routing (a `Router::layer`), so the route is known.
async fn log_requests(
    axum::extract::State(app): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    // A join link's path is a secret (a delegation card's code): never logged.
    let path = req.uri().path();
    let path = if path.starts_with("/join/") {
        "/join/…"
    } else {
        path
    };
    // Behind a trusted proxy, its id (its access log names the request alike); else a new one.
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let id = app
        .edge
        .forwarded_request_id(peer, req.headers())
        .unwrap_or_else(auth::new_request_id);
    let route = metrics::route(&req);
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %path,
        route = %route
    );
    let api = is_api(path);
    let method = req.method().clone();
    if let Some(slot) = req.extensions().get::<metrics::RouteSlot>() {
        slot.set(route.clone());
    }
    let mut req = req;
    req.extensions_mut().insert(auth::RequestId(id.clone()));
    let controlled = control_in_path(req.uri().path());
    let id_header = id.to_string();
    crate::error::with_request_id(
        id,
        async move {
            let started = Instant::now();
            let response = if controlled {
                // Names with control characters name nothing (and PostgreSQL cannot even look
                // one up): refused before any handler, alike on both backends.
                crate::error::error_response(
                    axum::http::StatusCode::NOT_FOUND,
                    "not_found",
                    "the path holds a control character: it names nothing".to_owned(),
                )
            } else {
                next.run(req).await
            };
            let mut response = if api {
                json_errors(&method, response)
            } else {
                response
            };
            // Answers the edge did not see (a path refused before it) carry the id too.
            if !response.headers().contains_key("x-request-id")
                && let Ok(v) = axum::http::HeaderValue::from_str(&id_header)
            {
                response.headers_mut().insert("x-request-id", v);
            }
            let status = response.status();
            let took = started.elapsed();
            app.http_metrics.observe(&method, &route, status, took);
            let ms = took.as_secs_f64() * 1000.0;
            if let Some(LoggedCause(cause)) = response.extensions().get::<LoggedCause>() {
                tracing::error!(status = status.as_u16(), ms, cause = %cause, "request failed");
            } else if status.is_client_error() {
                tracing::info!(status = status.as_u16(), ms, "request refused");
            } else {
                tracing::debug!(status = status.as_u16(), ms, "request served");
            }
            response
        }
        .instrument(span),
    )
    .await
}

/// Whether a path, once its %-escapes are decoded, holds a control character.
fn control_in_path(path: &str) -> bool {
    if !path.contains('%') {
        return crate::domain::control_character(path).is_some();
    }
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                decoded.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    crate::domain::control_character(&String::from_utf8_lossy(&decoded)).is_some()
}

/// Paths whose answers are JSON (errors included): the API and the operator's endpoints.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Gives an error answer made outside our handlers (the router's 405, an extractor's plain-text
/// rejection) the JSON error body every other error has.
fn json_errors(method: &axum::http::Method, response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    use axum::http::StatusCode as S;
    let allow = response
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (code, message) = match status {
        S::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            match &allow {
                Some(a) if !a.is_empty() => {
                    format!("this endpoint does not take {method}; it takes {a}")
                }
                _ => format!("this endpoint does not take {method}"),
            },
        ),
        S::NOT_FOUND => ("not_found", "no such endpoint".to_owned()),
        S::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            format!("the request body is larger than {MAX_BODY} bytes"),
        ),
        S::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the body is not of a type this endpoint takes".to_owned(),
        ),
        S::BAD_REQUEST => (
            "malformed_request",
            "the request could not be read".to_owned(),
        ),
        S::UPGRADE_REQUIRED => (
            "upgrade_required",
            "this endpoint is a WebSocket: connect with a WebSocket client".to_owned(),
        ),
        s if s.is_server_error() => (
            "internal",
            "internal error; the cause has been logged".to_owned(),
        ),
        s => (
            "error",
            s.canonical_reason().unwrap_or("refused").to_lowercase(),
        ),
    };
    let mut answer = crate::error::error_response(status, code, message);
    // The rest of the answer's headers stay (the edge's, Allow, Retry-After…).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

/// A handler that panicked: logged with the panic's message in the request's span, answered
/// with a 500 that carries the request id. Shared state outlives it: locks are taken whether
/// or not a panic poisoned them, and the aggregator rebuilds a document an update broke.
fn panicked(cause: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = cause
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| cause.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = %what, "a request's handler panicked");
    crate::error::error_response(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error; the cause has been logged".to_owned(),
    )
}

/// The ISO3 of a path, which must name a member (404 otherwise).
pub async fn known_member(store: &Store, iso3: &str) -> Result<String, Error> {
    let code = crate::domain::Iso3::parse(iso3).map_err(|e| Error::NotFound(e.0))?;
    if store.member_exists(code.as_str()).await? {
        Ok(code.as_str().to_owned())
    } else {
        Err(Error::NotFound(format!("unknown member {iso3}")))
    }
}

/// The answer to a write: the revision it created (or the current one when nothing changed).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WriteResult {
    /// Revision of this change; unchanged when the request changed nothing.
    pub rev: i64,
    /// Whether anything was written.
    pub changed: bool,
}

impl WriteResult {
    /// The answer to a write that committed `change` (`None`: it changed nothing).
    pub async fn new(
        store: &Store,
        change: Option<&crate::records::Change>,
    ) -> Result<Self, Error> {
        Ok(match change {
            Some(c) => Self {
                rev: c.rev,
                changed: true,
            },
            None => Self {
                rev: store.current_rev().await?,
                changed: false,
            },
        })
    }
}

/// Says a [`WriteResult`] inside the write, for its `Idempotency-Key`
/// ([`crate::store::Write::answer`]).
pub fn keep_write_result(w: &mut crate::store::Write) {
    if w.changed() {
        let rev = w.rev();
        w.answer(200, &WriteResult { rev, changed: true });
    }
}

impl IntoResponse for WriteResult {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_is_answered_500_with_the_request_id() {
        let app: axum::Router = axum::Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async {
                    if true {
                        panic!("a bug");
                    }
                    "never"
                }),
            )
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                super::panicked,
            ));
        let req = Request::get("/boom").body(Body::empty()).unwrap();
        let res = crate::error::with_request_id("req-1".into(), app.oneshot(req))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 10_000).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal");
        assert_eq!(body["error"]["request_id"], "req-1");
        assert!(!body.to_string().contains("a bug"), "no internals: {body}");
    }

    #[test]
    fn control_characters_in_a_path_are_found_through_its_escapes() {
        assert!(super::control_in_path("/api/v1/primers/VN%00"));
        assert!(super::control_in_path("/api/v1/primers/VN%c2%85"));
        assert!(super::control_in_path("/api/v1/x%7F"));
        assert!(!super::control_in_path("/api/v1/primers/VNM"));
        assert!(!super::control_in_path("/api/v1/projects/25-SN%2D03"));
        assert!(!super::control_in_path("/api/v1/bad%zzescape"));
    }
}
