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
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{Detail, Error, LoggedCause};
use crate::store::Store;

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

/// A JSON object body, parsed with errors that name the offending field
/// (`key_results[2].direction`). 400 for text that is not JSON, 413 above [`MAX_BODY`], 415 for
/// a body that does not say it is JSON, 422 for JSON that is not an object, or of the wrong
/// shape, or with invalid values.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + utoipa::ToSchema> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        let body = json_body(req).await?;
        if !body.trim_ascii_start().starts_with(b"{") {
            // Not an object: say so, once it is known to be JSON at all (400 otherwise).
            parse_json::<serde::de::IgnoredAny>(&body)?;
            return Err(Error::invalid(vec![Detail::message(
                "the body must be a JSON object",
            )]));
        }
        parse_json::<JsonObject<T>>(&body)
            .map(|o| ApiJson(o.0))
            .map_err(|e| every_problem::<T>(&body, e))
    }
}

/// Instead of serde's first problem (`first`), every problem the body's schema finds, when it
/// finds any ([`shape`]).
fn every_problem<T: utoipa::ToSchema>(body: &Bytes, first: Error) -> Error {
    if !matches!(first, Error::Invalid(..)) {
        return first;
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return first;
    };
    let name = T::name();
    let problems = match &value {
        serde_json::Value::Array(rows) => rows
            .iter()
            .enumerate()
            .flat_map(|(i, row)| {
                shape::problems(&name, row, &format!("[{i}]."))
                    .into_iter()
                    .map(move |d| d.at_row(i))
            })
            .collect(),
        one => shape::problems(&name, one, ""),
    };
    if problems.is_empty() {
        first
    } else {
        Error::invalid(problems)
    }
}

/// A `T` read from a JSON object only. serde's derived structs also read JSON arrays, by
/// position (`[null, null]` is a struct whose two optional fields are absent); the API's bodies
/// and rows are objects, as the document says.
struct JsonObject<T>(T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for JsonObject<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Only<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Only<T> {
            type Value = JsonObject<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(JsonObject)
            }
        }
        d.deserialize_map(Only(std::marker::PhantomData))
    }
}

/// The bytes of a JSON body, within the size limit.
async fn json_body(req: Request) -> Result<Bytes, Error> {
    require_json(req.headers())?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(Error::TooLarge(MAX_BODY));
    }
    // The only way reading a body within the limit fails is the limit (or a peer that left,
    // who will not read the answer).
    axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|_| Error::TooLarge(MAX_BODY))
}

fn require_json(headers: &HeaderMap) -> Result<(), Error> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if ok {
        Ok(())
    } else {
        Err(Error::UnsupportedMediaType(
            "the body must be JSON, sent with Content-Type: application/json".into(),
        ))
    }
}

/// Parses JSON, turning serde's error into a [`Detail`] naming the field.
pub fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let err = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => match de.end() {
            Ok(()) => return Ok(v),
            Err(trailing) => {
                return Err(Error::Malformed(
                    format!("the body is not valid JSON: {trailing}"),
                    vec![],
                ));
            }
        },
        Err(e) => e,
    };
    let path = err.path().to_string();
    let inner = err.into_inner();
    let full = inner.to_string();
    // serde_json appends " at line L column C"; the field path says more to a person.
    let message = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i])
        .to_owned();
    let row = path
        .strip_prefix('[')
        .and_then(|p| p.split(']').next()?.parse::<usize>().ok());
    let detail = |message: String| {
        let d = if path == "." {
            Detail::message(message)
        } else {
            Detail::field(path.clone(), message)
        };
        match row {
            Some(r) => d.at_row(r),
            None => d,
        }
    };
    use serde_json::error::Category;
    match inner.classify() {
        Category::Data => Err(Error::invalid(vec![detail(shape::plain_serde(&message))])),
        // JSON has no NaN or infinity; a literal too large for a double is as close as it gets.
        _ if message.starts_with("number out of range") => Err(Error::invalid(vec![detail(
            "number out of range: values must be finite".into(),
        )])),
        _ => Err(Error::Malformed(
            format!("the body is not valid JSON: {full}"),
            vec![detail(message)],
        )),
    }
}

/// The `reason` of a withdrawal, a correction or an amendment: 1 to
/// [`crate::model::MAX_REASON`] characters once trimmed, kept in the audit log.
pub fn reason(raw: &str) -> Result<String, Error> {
    crate::domain::text(raw, crate::model::MAX_REASON)
        .map_err(|e| Error::invalid(vec![Detail::field("reason", e.0)]))
}

/// Either one object or an array of them: `POST /actuals` takes both (and nothing else: a row
/// that is not an object is refused, naming it). `batch` says which it was, so that errors can
/// name a row only where there are rows.
pub struct OneOrMany<T> {
    pub rows: Vec<T>,
    pub batch: bool,
}

impl<S: Send + Sync, T: DeserializeOwned + utoipa::ToSchema> FromRequest<S> for OneOrMany<T> {
    type Rejection = Error;

    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        let body = json_body(req).await?;
        if body.trim_ascii_start().starts_with(b"[") {
            parse_json::<Vec<JsonObject<T>>>(&body)
                .map(|rows| OneOrMany {
                    rows: rows.into_iter().map(|r| r.0).collect(),
                    batch: true,
                })
                .map_err(|e| every_problem::<T>(&body, e))
        } else {
            parse_json::<JsonObject<T>>(&body)
                .map(|one| OneOrMany {
                    rows: vec![one.0],
                    batch: false,
                })
                .map_err(|e| every_problem::<T>(&body, e))
        }
    }
}

/// The schema of a [`OneOrMany`] body of `T`s: one object, or an array of at least `min` and at
/// most `max` (if any).
pub fn one_or_many_schema<T: utoipa::ToSchema>(
    min: usize,
    max: Option<usize>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::{ArrayBuilder, OneOfBuilder, Ref};
    let row = || Ref::from_schema_name(T::name());
    OneOfBuilder::new()
        .item(row())
        .item(
            ArrayBuilder::new()
                .items(row())
                .min_items(Some(min))
                .max_items(max),
        )
        .into()
}

/// A problem with row `i` of a body that was a `batch` (named `[i].field`, with its row), or
/// with the single object it was (named `field`).
pub fn row_detail(batch: bool, i: usize, field: &str, message: impl Into<String>) -> Detail {
    if batch {
        Detail::field(format!("[{i}].{field}"), message).at_row(i)
    } else {
        Detail::field(field, message)
    }
}

/// A query string, with every parameter the server cannot read named at once, in plain words
/// (`limit: must be a whole number, not "abc"`), instead of the parser's first complaint
/// ("Failed to deserialize query string: limit: invalid digit found in string").
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Error> {
        let query = parts.uri.query().unwrap_or_default();
        let first = match serde_urlencoded::from_str::<T>(query) {
            Ok(v) => return Ok(Query(v)),
            Err(e) => e.to_string(),
        };
        // Each parameter on its own: what it alone breaks (a parameter missing is said once,
        // by the whole query).
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let mut problems = Vec::new();
        for (name, value) in &pairs {
            let one = serde_urlencoded::to_string([(name, value)]).unwrap_or_default();
            if let Err(e) = serde_urlencoded::from_str::<T>(&one) {
                let message = e.to_string();
                if !message.starts_with("missing field") {
                    problems.push(Detail::field(name.clone(), query_words(&message, value)));
                }
            }
        }
        if problems.is_empty() {
            let field = first
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
                .unwrap_or("query")
                .to_owned();
            problems.push(Detail::field(field, shape::plain_serde(&first)));
        }
        Err(Error::invalid(problems))
    }
}

/// The parser's complaint about one query parameter whose text is `value`, in plain words.
fn query_words(message: &str, value: &str) -> String {
    if message.contains("invalid digit") || message.contains("number too large") {
        format!("must be a whole number, not {value:?}")
    } else if message.contains("invalid float") {
        format!("must be a number, not {value:?}")
    } else if message.contains("provided string was not `true` or `false`") {
        format!("must be true or false, not {value:?}")
    } else if message.starts_with("unknown field") {
        "is not a parameter of this request".into()
    } else {
        shape::plain_serde(message)
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for Error {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        Error::NotFound(e.body_text())
    }
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
