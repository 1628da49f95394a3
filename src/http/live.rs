//! `GET /api/v1/live`: the dashboard over a WebSocket (DESIGN.md, "Live").
//!
//! This module decides who may connect (origin, connection cap, period); the socket itself is
//! served by [`crate::live::connection`].

use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

use super::auth::Caller;
use super::{AppState, Query};
use crate::error::{Error, Result};
use crate::live::connection;
use crate::live::upgrade::WsUpgrade;

/// A client message larger than this closes the socket (1009): clients send only small
/// control messages.
pub const MAX_CLIENT_MESSAGE: usize = 4 * 1024;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/live", get(live))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveQuery {
    period: Option<i64>,
    since: Option<i64>,
}

/// The request's `Origin`, refused unless it is this service as the request reached it
/// (scheme, host and port) or allowed by configuration. Clients that send no Origin (not
/// browsers) are let in: they still need a credential.
pub struct AllowedOrigin;

impl FromRequestParts<AppState> for AllowedOrigin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self> {
        let Some(origin) = parts.headers.get(header::ORIGIN) else {
            return Ok(AllowedOrigin);
        };
        let origin = origin.to_str().unwrap_or("?");
        if app.edge.origin_allowed(&parts.headers, origin) {
            Ok(AllowedOrigin)
        } else {
            Err(Error::Forbidden(format!(
                "origin {origin} may not open the live connection"
            )))
        }
    }
}

async fn live(
    State(app): State<AppState>,
    _origin: AllowedOrigin,
    caller: Caller,
    Query(q): Query<LiveQuery>,
    upgrade: WsUpgrade,
) -> Result<Response> {
    let period = super::dashboard::period_param(q.period)?;
    if app.hub.viewers() >= app.live_config.max_connections {
        return Err(Error::Unavailable(
            "the live connection limit is reached".into(),
        ));
    }
    let hub = app.hub.clone();
    // Small buffers: tungstenite's defaults cost about 135 KiB per idle socket. Clients send
    // only small control messages (1 KiB reads; a larger message grows the buffer as needed).
    // tungstenite writes only its answers to the client's pings and closes, at once; the
    // dashboard's frames are written by the hub's fan-out, from its shared bytes.
    let config = WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_CLIENT_MESSAGE))
        .max_frame_size(Some(MAX_CLIENT_MESSAGE));
    // The socket closes (1008) when the credential or session it was opened with ends (a
    // public read has none: its token is never cancelled).
    let ended = caller
        .principal
        .map_or_else(CancellationToken::new, |p| p.ended.clone());
    Ok(upgrade.serve(move |raw| connection::serve(raw, config, hub, period, q.since, ended)))
}

/// Live settings, from `serve`'s flags.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    pub max_connections: usize,
}
