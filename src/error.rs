//! One error type for the whole service, with a documented HTTP status per variant and the JSON
//! body of DESIGN.md: `{"error": {"code", "message", "details": [...]}}`. A 5xx never carries
//! internals: the cause is logged (by the middleware in `http`), the client gets a generic text.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One problem with a request or an import, naming where it is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Detail {
    /// The offending field: a JSON path such as `key_results[2].direction` or a CSV column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a batch or a file: the 1-based row (CSV rows count the header as row 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// For an import: the file the row is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// For an import from a workbook (`.xlsx`): the sheet the row is in, within `file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub message: String,
}

impl Detail {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            row: None,
            file: None,
            sheet: None,
            message: message.into(),
        }
    }
    pub fn message(message: impl Into<String>) -> Self {
        Self {
            field: None,
            row: None,
            file: None,
            sheet: None,
            message: message.into(),
        }
    }
    pub fn at_row(mut self, row: usize) -> Self {
        self.row = Some(row);
        self
    }
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }
    pub fn in_sheet(mut self, sheet: Option<impl Into<String>>) -> Self {
        self.sheet = sheet.map(Into::into);
        self
    }
}

impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            if let Some(sheet) = &self.sheet {
                write!(f, ", sheet {sheet}")?;
            }
            if let Some(row) = self.row {
                write!(f, " row {row}")?;
            }
            f.write_str(": ")?;
        } else if let Some(row) = self.row {
            write!(f, "row {row}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: the body is not JSON (or not UTF-8, or not the expected shape at all).
    #[error("malformed request: {0}")]
    Malformed(String, Vec<Detail>),
    /// 401: no credential, or one that is unknown, revoked or expired. The body says which.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the request is understood but not allowed: the credential's role or member scope
    /// does not cover it, or it comes from a foreign origin.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the resource named in the path does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with the current state (e.g. a primer status transition that
    /// the workflow does not allow, or removing a key result that has reports).
    #[error("{0}")]
    Conflict(String, Vec<Detail>),
    /// 409 `invalid_transition`: a status move its workflow does not allow (an accreditation
    /// from `withdrawn`, say); nothing is written.
    #[error("{0}")]
    InvalidTransition(String, Vec<Detail>),
    /// 413: the body is larger than the limit.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// 415: the body is not of a type this endpoint takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 410: a one-time code that was already used, or a workshop that has closed.
    #[error("{0}")]
    Gone(String),
    /// 429: too many attempts; retry after this many seconds.
    #[error("too many requests: {0}; retry in {1} s")]
    TooManyRequests(String, u64),
    /// 422: well-formed, but some values are invalid; every problem is listed.
    #[error("{0}")]
    Invalid(String, Vec<Detail>),
    /// 503: the database cannot be reached (or the service cannot take more now); answered
    /// with `Retry-After`. The text is shown as it is: written for people, without internals.
    #[error("{0}")]
    Unavailable(String),
    /// 500: any other database error; logged, never shown. (A database error meaning the
    /// database is out of reach becomes [`Error::Unavailable`] instead: see the `From`.)
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Seconds an answer 503 asks the client to wait before trying again.
pub const RETRY_AFTER_UNAVAILABLE: u64 = 2;

/// A database error is a 503 when it means the database cannot be reached (the socket failed,
/// no connection within the pool's timeout, PostgreSQL shutting down, …:
/// [`crate::store::health::unreachable`]), a 500 otherwise.
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if crate::store::health::unreachable(&e) {
            // The cause is logged here, inside the request's span; the client is told in
            // plain words.
            tracing::warn!(error = %e, "the database cannot be reached");
            Self::Unavailable("the database cannot be reached; try again in a few seconds".into())
        } else {
            Self::Database(e)
        }
    }
}

impl Error {
    /// 422 with one or more details.
    pub fn invalid(details: Vec<Detail>) -> Self {
        let message = match details.as_slice() {
            [one] => one.to_string(),
            many => format!("{} problems; see details", many.len()),
        };
        Self::Invalid(message, details)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Malformed(..) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Gone(_) => StatusCode::GONE,
            Self::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            Self::Conflict(..) | Self::InvalidTransition(..) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(..) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Machine-readable code of the error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(..) => "malformed_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Gone(_) => "gone",
            Self::TooManyRequests(..) => "too_many_requests",
            Self::Conflict(..) => "conflict",
            Self::InvalidTransition(..) => "invalid_transition",
            Self::TooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Invalid(..) => "invalid",
            Self::Unavailable(_) => "unavailable",
            Self::Database(_) | Self::Internal(_) => "internal",
        }
    }

    pub fn details(&self) -> &[Detail] {
        match self {
            Self::Malformed(_, d)
            | Self::Conflict(_, d)
            | Self::InvalidTransition(_, d)
            | Self::Invalid(_, d) => d,
            _ => &[],
        }
    }
}

/// The JSON error body.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorPayload,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorPayload {
    pub code: String,
    pub message: String,
    pub details: Vec<Detail>,
    /// The request's id, as in its `x-request-id` header and the server's log: what to quote
    /// when asking why a request failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

tokio::task_local! {
    static REQUEST_ID: std::sync::Arc<str>;
}

/// Runs `f` (a request's handling) with `id` as the request id that error bodies carry.
pub async fn with_request_id<F: std::future::Future>(id: std::sync::Arc<str>, f: F) -> F::Output {
    REQUEST_ID.scope(id, f).await
}

/// The id of the request being handled, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.to_string()).ok()
}

/// An error answer made outside [`Error`] (by the router, or for a panic): the same body.
pub fn error_response(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorBody {
        error: ErrorPayload {
            code: code.to_owned(),
            message,
            details: Vec::new(),
            request_id: request_id(),
        },
    };
    (status, Json(body)).into_response()
}

/// Marker put in the response extensions so that the logging middleware can log the cause of a
/// 5xx inside the request's span, which `into_response` cannot see.
#[derive(Clone)]
pub struct LoggedCause(pub std::sync::Arc<String>);

impl Error {
    /// The error body's payload: what a client is told (a 5xx tells no internals).
    pub fn payload(&self) -> ErrorPayload {
        let message = if self.status().is_server_error() {
            match self {
                // Written for people where it is made (no internals).
                Self::Unavailable(m) => m.clone(),
                _ => "internal error; the cause has been logged".to_owned(),
            }
        } else {
            self.to_string()
        };
        ErrorPayload {
            code: self.code().to_owned(),
            message,
            details: self.details().to_vec(),
            request_id: request_id(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            error: self.payload(),
        };
        let mut response = (status, Json(body)).into_response();
        match &self {
            Self::TooManyRequests(_, secs) => {
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(*secs),
                );
            }
            Self::Unavailable(_) => {
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(RETRY_AFTER_UNAVAILABLE),
                );
            }
            Self::Unauthorized(_) => {
                response.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer realm=\"apo-dashboard\""),
                );
            }
            _ => {}
        }
        if status.is_server_error() {
            response
                .extensions_mut()
                .insert(LoggedCause(std::sync::Arc::new(format!("{self:?}"))));
        }
        response
    }
}
