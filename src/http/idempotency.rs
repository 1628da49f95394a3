//! `Idempotency-Key`: a change sent again with the same key gets the first answer instead of
//! being made twice. A phone that lost the hotel Wi-Fi keeps what the delegate typed and sends
//! it when the network returns; if the first attempt did reach the server and only the answer
//! was lost, the second one must not report the value again.
//!
//! The key belongs to the credential that sent it. The first answer (a success, or a refusal
//! that names a problem: any status below 500 but 429) is kept for [`KEEP`], with a fingerprint
//! of the request (method, path and a SHA-256 of the body); the same key with another request
//! is refused (422). While the first request is still being served, a second one with its key
//! is told to retry (409). Answers of 5xx and 429 are not kept: the request did not happen, and
//! sending it again is right.
//!
//! A change that commits keeps its key, with its revision and (when the handler says it inside
//! the write, [`crate::store::Write::answer`]) its answer, in the change's own transaction: a
//! process killed after the commit but before the answer left still answers the retry with
//! what it did, and does not do it twice. Other answers (refusals, changes that changed
//! nothing, sign-ins) are kept just after.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::auth::Caller;
use crate::error::{Detail, Error};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The answer's header saying it is a stored one.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long an answer is kept.
pub const KEEP: time::Duration = time::Duration::hours(24);
/// The longest key: a UUID is 36 characters.
pub const MAX_KEY: usize = 200;

/// Keys whose first request is being served now, on this replica.
#[derive(Default, Clone)]
pub struct InFlight(Arc<Mutex<HashSet<(String, String)>>>);

/// Removes a key from [`InFlight`] when its request is done, however it ends.
struct Serving<'a> {
    set: &'a InFlight,
    key: (String, String),
}

impl Drop for Serving<'_> {
    fn drop(&mut self) {
        self.set
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.key);
    }
}

pub async fn layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if !unsafe_method || !req.headers().contains_key(HEADER) {
        return next.run(req).await;
    }
    match keep_once(&app, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn keep_once(app: &AppState, req: Request, next: Next) -> Result<Response, Error> {
    let key = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Error::invalid(vec![Detail::field(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY} visible ASCII characters, such as a UUID"),
            )])
        })?
        .to_owned();
    let Some(principal) = req
        .extensions()
        .get::<Caller>()
        .and_then(|c| c.principal.clone())
    else {
        // No credential: the handler refuses it, and there is nobody to keep it for.
        return Ok(next.run(req).await);
    };
    let credential = principal.credential.to_string();
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, super::MAX_BODY)
        .await
        .map_err(|_| Error::TooLarge(super::MAX_BODY))?;
    let fingerprint = format!(
        "{} {} {}",
        parts.method,
        parts.uri.path(),
        crate::access::secrets::hex(&Sha256::digest(&body))
    );

    if let Some(kept) = app.store.kept_answer(&credential, &key, KEEP).await? {
        if kept.request != fingerprint {
            return Err(Error::invalid(vec![Detail::field(
                "Idempotency-Key",
                "was used for another request: make a new key for each change",
            )]));
        }
        if kept.status == 0 {
            // Committed, answer not kept: what is known is the revision it made.
            let rev = kept.rev.unwrap_or_default();
            return Ok(replay(
                200,
                serde_json::json!({ "rev": rev, "changed": true }).to_string(),
            ));
        }
        return Ok(replay(kept.status, kept.body));
    }
    let serving = {
        let mut set = app.in_flight.0.lock().unwrap_or_else(|e| e.into_inner());
        let k = (credential.clone(), key.clone());
        if !set.insert(k.clone()) {
            return Err(Error::Conflict(
                "a request with this Idempotency-Key is being served: retry in a moment".into(),
                vec![],
            ));
        }
        Serving {
            set: &app.in_flight,
            key: k,
        }
    };
    let mut req = Request::from_parts(parts, Body::from(body));
    req.extensions_mut().insert(crate::records::Claim {
        credential: credential.clone(),
        key: key.clone(),
        request: fingerprint.clone(),
    });
    let response = next.run(req).await;
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        drop(serving);
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| anyhow::anyhow!("reading an answer to keep: {e}"))?;
    let text = String::from_utf8_lossy(&body).into_owned();
    app.store
        .keep_answer(
            &credential,
            &key,
            &fingerprint,
            status.as_u16(),
            &text,
            KEEP,
        )
        .await?;
    drop(serving);
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn replay(status: i64, body: String) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut r = (status, Bytes::from(body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    r
}
