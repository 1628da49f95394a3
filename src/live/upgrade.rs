//! The HTTP/1.1 WebSocket handshake (RFC 6455 §4.2), done here rather than by axum's
//! `WebSocketUpgrade` so that the live module gets the connection itself: the hub's fan-out
//! writes its framed bytes to it, shared by every socket, and tokio-tungstenite reads.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::connection::Raw;
use crate::error::{Detail, Error};

/// A request to upgrade to a WebSocket, checked. Anything else is refused with 400 (426 for a
/// protocol version other than 13) naming the header at fault.
pub struct WsUpgrade {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
}

impl<S: Send + Sync> FromRequestParts<S> for WsUpgrade {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let refuse = |header: &str, message: &str| {
            Error::Malformed(
                format!("not a WebSocket handshake: {message}"),
                vec![Detail::field(header, message)],
            )
            .into_response()
        };
        if parts.method != Method::GET {
            return Err(refuse("method", "the handshake must be a GET"));
        }
        if !has_token(&parts.headers, header::CONNECTION, "upgrade") {
            return Err(refuse(
                "connection",
                "the Connection header must include \"upgrade\"",
            ));
        }
        if !has_token(&parts.headers, header::UPGRADE, "websocket") {
            return Err(refuse(
                "upgrade",
                "the Upgrade header must be \"websocket\"",
            ));
        }
        if !has_token(&parts.headers, header::SEC_WEBSOCKET_VERSION, "13") {
            let mut response = refuse("sec-websocket-version", "only version 13 is spoken");
            *response.status_mut() = StatusCode::UPGRADE_REQUIRED;
            response.headers_mut().insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
            return Err(response);
        }
        let Some(key) = parts.headers.get(header::SEC_WEBSOCKET_KEY).cloned() else {
            return Err(refuse(
                "sec-websocket-key",
                "the Sec-WebSocket-Key header is missing",
            ));
        };
        let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
            return Err(refuse("connection", "this connection cannot be upgraded"));
        };
        Ok(Self { key, on_upgrade })
    }
}

impl WsUpgrade {
    /// Answers 101 and runs `serve` on the connection once the client has the answer.
    pub fn serve<F, Fut>(self, serve: F) -> Response
    where
        F: FnOnce(Raw) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => serve(TokioIo::new(upgraded)).await,
                Err(e) => tracing::debug!(error = %e, "WebSocket upgrade failed"),
            }
        });
        let accept = derive_accept_key(self.key.as_bytes());
        (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, "upgrade"),
                (header::UPGRADE, "websocket"),
                (header::SEC_WEBSOCKET_ACCEPT, accept.as_str()),
            ],
        )
            .into_response()
    }
}

/// Whether a comma-separated header holds `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}
