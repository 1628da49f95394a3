//! The REST API under `/api/v1`, `/healthz`, `/readyz` and `/metrics`, and the built browser
//! dashboard at the root.
//!
//! Each resource module owns its routes (an `OpenApiRouter`, so that the OpenAPI document is
//! built from the handlers themselves and cannot drift from them); they are merged here. This
//! module also owns the request plumbing every handler shares: the JSON body extractor with its
//! size limit and precise errors, and request logging; [`auth`] is the edge every request
//! passes (host, credential, CSRF, rate limits, security headers).

mod access;
mod actuals;
mod audit;
pub mod auth;
mod budgets;
mod dashboard;
mod extract;
mod health;
mod idempotency;
pub mod live;
pub mod metrics;
mod primers;
mod productivity;
mod projects;
mod reference;
mod series;
mod shape;
pub mod site;

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
    /// Request counts and durations, for `/metrics`.
    pub http_metrics: std::sync::Arc<metrics::HttpMetrics>,
    /// Credentials, sessions and workshops.
    pub access: crate::access::Access,
    /// Where the service is reached and who may reach it.
    pub edge: std::sync::Arc<auth::Edge>,
    pub limits: std::sync::Arc<auth::Limits>,
    /// Idempotency keys whose first request is being served.
    pub in_flight: idempotency::InFlight,
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
pub fn router(state: AppState, static_dir: &std::path::Path) -> Router {
    let (api, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(reference::router())
        .merge(primers::router())
        .merge(actuals::router())
        .merge(budgets::router())
        .merge(projects::router())
        .merge(series::router())
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

/// One span per request; logs its outcome, and for a 5xx the cause that the client never sees;
/// counts it for `/metrics`.
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
    let span = tracing::info_span!("request", method = %req.method(), path = %path);
    async move {
        let started = Instant::now();
        let response = next.run(req).await;
        let status = response.status();
        let took = started.elapsed();
        app.http_metrics.observe(status, took);
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
    .instrument(span)
    .await
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

impl IntoResponse for WriteResult {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}
