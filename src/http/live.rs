//! `GET /api/v1/live`: the dashboard over a WebSocket (DESIGN.md, "Live").
//!
//! Every connection has the same shape: subscribe before the first send, then one loop that
//! forwards the hub's frames, answers the client's messages and hears shutdown. A client that
//! falls behind gets a snapshot when it can take one; on shutdown sockets close with 1001 so
//! browsers reconnect elsewhere.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderMap, header, request::Parts};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::{AppState, Query};
use crate::domain::Year;
use crate::error::{Error, Result};
use crate::live::{Frame, Hub};

/// A client message larger than this closes the socket (1009): clients send only small
/// control messages.
pub const MAX_CLIENT_MESSAGE: usize = 4 * 1024;
/// A peer silent (no pong, no message) for this long is dropped.
const SILENT: Duration = Duration::from_secs(45);

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/live", get(live))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveQuery {
    period: Option<i64>,
    since: Option<i64>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum ClientMessage {
    Resume { since: i64 },
    Period { period: i64 },
}

/// The request's `Origin`, refused unless it is this server (same host) or allowed by
/// configuration. Clients that send no Origin (not browsers) are let in.
pub struct AllowedOrigin;

impl FromRequestParts<AppState> for AllowedOrigin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self> {
        match origin_allowed(&parts.headers, &app.live_config.allowed_origins) {
            true => Ok(AllowedOrigin),
            false => Err(Error::Forbidden(format!(
                "origin {} may not open the live connection",
                parts
                    .headers
                    .get(header::ORIGIN)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("?")
            ))),
        }
    }
}

fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    host == Some(origin_host) || allowed.iter().any(|a| a == origin || a == "*")
}

async fn live(
    State(app): State<AppState>,
    _origin: AllowedOrigin,
    Query(q): Query<LiveQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response> {
    let period = super::dashboard::period_param(q.period)?;
    if app.hub.viewers() >= app.live_config.max_connections {
        return Err(Error::Unavailable(
            "the live connection limit is reached".into(),
        ));
    }
    let hub = app.hub.clone();
    Ok(ws
        // Small buffers: tungstenite's defaults cost about 135 KiB per idle socket.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| connection(socket, hub, period, q.since)))
}

/// What a socket holds: its period and the revision of the document it has.
struct Client {
    period: i64,
    rev: Option<i64>,
}

async fn connection(mut socket: WebSocket, hub: Hub, period: i64, since: Option<i64>) {
    let _viewer = hub.join();
    let mut client = Client { period, rev: None };
    let Some(mut frames) = hub.subscribe(period) else {
        return;
    };
    if catch_up(&mut socket, &hub, &mut client, since)
        .await
        .is_err()
    {
        return;
    }
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            _ = hub.closing().cancelled() => {
                let _ = socket.send(close(close_code::AWAY, "server shutting down")).await;
                return;
            }
            frame = frames.recv() => {
                let sent = match frame {
                    Ok(f) => forward(&mut socket, &hub, &mut client, f).await,
                    // Fell behind: a snapshot now, instead of everything it missed.
                    Err(RecvError::Lagged(_)) => catch_up(&mut socket, &hub, &mut client, None).await,
                    Err(RecvError::Closed) => return,
                };
                if sent.is_err() {
                    return;
                }
                if last_heard.elapsed() > SILENT {
                    let _ = socket.send(close(close_code::POLICY, "no answer to pings")).await;
                    return;
                }
            }
            msg = socket.recv() => {
                last_heard = Instant::now();
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Err(e)) => {
                        // Over the size limit (or broken framing): say so, then go.
                        tracing::debug!(error = %e, "live client message refused");
                        let _ = socket.send(close(close_code::SIZE, "message too large")).await;
                        return;
                    }
                    Some(Ok(_)) => continue,
                };
                let reply = match serde_json::from_str::<ClientMessage>(&text) {
                    Ok(ClientMessage::Resume { since }) => {
                        catch_up(&mut socket, &hub, &mut client, Some(since)).await
                    }
                    Ok(ClientMessage::Period { period }) => match Year::new(period) {
                        Ok(p) => {
                            let Some(rx) = hub.subscribe(p.get()) else { return };
                            frames = rx;
                            client = Client { period: p.get(), rev: None };
                            catch_up(&mut socket, &hub, &mut client, None).await
                        }
                        Err(e) => send_error(&mut socket, "period", &e.0).await,
                    },
                    Err(e) => send_error(&mut socket, "message", &e.to_string()).await,
                };
                if reply.is_err() {
                    return;
                }
            }
        }
    }
}

/// Brings the client to the current revision: the missed patches if the ring holds them,
/// else a snapshot.
async fn catch_up(
    socket: &mut WebSocket,
    hub: &Hub,
    client: &mut Client,
    since: Option<i64>,
) -> std::result::Result<(), axum::Error> {
    if let Some(patches) = since.and_then(|s| hub.patches_since(client.period, s)) {
        client.rev = since;
        for p in patches {
            send_frame(socket, client, p).await?;
        }
        return Ok(());
    }
    let Some(snapshot) = hub.snapshot(client.period) else {
        return Ok(());
    };
    client.rev = Some(snapshot.rev);
    socket.send(Message::Text(snapshot.text)).await
}

/// Sends a frame from the hub if it moves the client on; asks for a catch-up on a gap.
async fn forward(
    socket: &mut WebSocket,
    hub: &Hub,
    client: &mut Client,
    frame: Frame,
) -> std::result::Result<(), axum::Error> {
    match (frame.base, client.rev) {
        // A heartbeat, and a ping to find dead peers.
        (None, _) => {
            socket.send(Message::Text(frame.text)).await?;
            socket.send(Message::Ping(Default::default())).await
        }
        (Some(_), Some(held)) if frame.rev <= held => Ok(()),
        (Some(base), Some(held)) if base == held => send_frame(socket, client, frame).await,
        _ => catch_up(socket, hub, client, client.rev).await,
    }
}

async fn send_frame(
    socket: &mut WebSocket,
    client: &mut Client,
    frame: Frame,
) -> std::result::Result<(), axum::Error> {
    client.rev = Some(frame.rev);
    socket.send(Message::Text(frame.text)).await
}

async fn send_error(
    socket: &mut WebSocket,
    field: &str,
    message: &str,
) -> std::result::Result<(), axum::Error> {
    let body = serde_json::json!({"type": "error", "field": field, "message": message});
    socket.send(Message::Text(body.to_string().into())).await
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Live settings, from `serve`'s flags.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Origins besides this server's own that may open the live connection ("*": any).
    pub allowed_origins: Vec<String>,
    pub max_connections: usize,
}
