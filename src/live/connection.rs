//! One live socket: a snapshot or the missed patches first, then the hub's frames, the
//! client's messages, and shutdown, in one loop.
//!
//! Sending is where sockets differ, so it is done with care:
//! - the frames already queued for a socket are fed together and flushed once;
//! - a patch is one frame; a snapshot goes out as fragments of [`FRAGMENT`] bytes, each
//!   written at once, so that no socket keeps a snapshot-sized write buffer for the rest of
//!   its life (tungstenite keeps the buffer's largest size);
//! - flow control: after a flush the socket is pinged (every [`PING_EVERY`], 1 s, or sooner
//!   once half of [`WINDOW`] is written since the last answer). A peer that has not answered
//!   within the stall limit, or that has more than [`WINDOW`] bytes unacknowledged, has
//!   stopped reading (or sits on a link too slow for the room): it is sent nothing more, so
//!   the kernel's buffers do not fill with patches it would read late. Its answer, when it
//!   comes, brings a fresh snapshot; no answer within [`SILENT`] drops it. The stall limit
//!   also bounds every send: a send still blocked after it (the kernel's buffers are full)
//!   drops the socket, and the browser reconnects;
//! - a socket that falls behind the hub's queue gets a fresh snapshot instead of what it
//!   missed.

use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Frame as WireFrame};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::upgrade::Socket;
use super::{Frame, Hub};
use crate::domain::Year;

/// Largest message sent as one frame; patches are smaller. Queued frames up to this size go
/// out in one write.
pub const WHOLE: usize = 16 * 1024;
/// Larger messages (snapshots) go out in pieces of this size, each written at once:
/// tungstenite's write buffer keeps the capacity of the most it ever held, so this bounds an
/// idle socket's write buffer.
pub const FRAGMENT: usize = 2 * 1024;
/// A peer that leaves a ping unanswered this long is dropped.
pub const SILENT: Duration = Duration::from_secs(45);
/// Bytes a peer may have unread (written after its last answered ping) before it is held
/// back: well within a socket's kernel buffers, so a peer that stopped reading is held back
/// before the kernel has to hold data for it. At 20 patches a second of 2 KiB, that is
/// 0.7 s; with 64 KiB (1.45 s) the healthy sockets' p99 suffered more from the stalled ones
/// (BENCHMARKS.md).
pub const WINDOW: usize = 32 * 1024;
/// Least time between two pings of one socket, unless half the window is unacknowledged.
/// Each ping costs the server a read (the pong) and the client a write, so not on every
/// patch; a peer that stopped reading is noticed within this plus the stall limit.
pub const PING_EVERY: Duration = Duration::from_secs(1);
/// Most queued frames fed before one flush.
const BATCH: usize = 64;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum ClientMessage {
    Resume { since: i64 },
    Period { period: i64 },
}

/// What a socket holds: its period and the revision of the document it has, and where its
/// pings stand.
struct Client {
    period: i64,
    rev: Option<i64>,
    /// The unanswered ping: when it was sent, and [`Client::written`] then.
    ping: Option<(Instant, u64)>,
    last_ping: Option<Instant>,
    /// Bytes of patches and heartbeats written so far.
    written: u64,
    /// Of those, the bytes written before the last answered ping: the peer has read them.
    read: u64,
    /// Sent nothing until it answers the ping (then it gets a snapshot).
    behind: bool,
}

impl Client {
    fn new(period: i64) -> Self {
        Self {
            period,
            rev: None,
            ping: None,
            last_ping: None,
            written: 0,
            read: 0,
            behind: false,
        }
    }

    /// Whether the peer has stopped keeping up: its ping unanswered for longer than `limit`,
    /// or more than [`WINDOW`] bytes written that it has not shown it read.
    fn lagging(&self, limit: Duration) -> bool {
        self.ping
            .is_some_and(|(at, _)| at.elapsed() > limit || self.written - self.read > WINDOW as u64)
    }
}

/// Why a socket ends early.
enum End {
    /// The peer went away or the write failed.
    Gone,
    /// A send did not finish within the stall limit.
    Stalled,
}

type Sent = Result<(), End>;

/// Serves one socket until the peer leaves, stalls or falls silent, or the server stops.
pub async fn serve(mut socket: Socket, hub: Hub, period: i64, since: Option<i64>) {
    let _viewer = hub.join();
    let stall = hub.stall();
    let mut client = Client::new(period);
    let Some(mut frames) = hub.subscribe(period) else {
        return;
    };
    let mut result = within(stall, async {
        catch_up(&mut socket, &hub, &mut client, since).await?;
        ping_and_flush(&mut socket, &mut client).await
    })
    .await;
    while result.is_ok() {
        let silent_at = client.ping.map_or_else(Instant::now, |(at, _)| at + SILENT);
        tokio::select! {
            _ = hub.closing().cancelled() => {
                close(&mut socket, CloseCode::Away, "server shutting down").await;
                return;
            }
            frame = frames.recv(), if !client.behind => {
                if client.lagging(stall) {
                    // It stopped reading: nothing more until it answers.
                    client.behind = true;
                    hub.count_behind();
                    continue;
                }
                result = within(stall, pump(&mut socket, &hub, &mut client, &mut frames, frame)).await;
            }
            _ = tokio::time::sleep_until(silent_at.into()), if client.behind => {
                close(&mut socket, CloseCode::Policy, "no answer to pings").await;
                return;
            }
            msg = socket.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Pong(_))) => {
                        if let Some((_, written)) = client.ping.take() {
                            client.read = written;
                        }
                        if client.behind {
                            client.behind = false;
                            // Back: a fresh start, as on connecting.
                            let Some(rx) = hub.subscribe(client.period) else { return };
                            frames = rx;
                            result = within(stall, async {
                                catch_up(&mut socket, &hub, &mut client, None).await?;
                                ping_and_flush(&mut socket, &mut client).await
                            })
                            .await;
                        }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Err(WsError::Capacity(e))) => {
                        tracing::debug!(error = %e, "live client message refused");
                        close(&mut socket, CloseCode::Size, "message too large").await;
                        return;
                    }
                    Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                result = within(stall, async {
                    answer(&mut socket, &hub, &mut client, &mut frames, &text).await?;
                    ping_and_flush(&mut socket, &mut client).await
                })
                .await;
            }
        }
    }
    if let Err(End::Stalled) = result {
        tracing::debug!(period = client.period, "live socket stalled: dropped");
    }
}

/// Sends `first` and every frame queued behind it, then flushes once.
async fn pump(
    socket: &mut Socket,
    hub: &Hub,
    client: &mut Client,
    frames: &mut broadcast::Receiver<Frame>,
    first: Result<Frame, RecvError>,
) -> Sent {
    let mut next = first.map_err(|e| match e {
        RecvError::Lagged(n) => TryRecvError::Lagged(n),
        RecvError::Closed => TryRecvError::Closed,
    });
    for _ in 0..BATCH {
        match next {
            Ok(f) => forward(socket, hub, client, f).await?,
            // Fell behind: a snapshot now, instead of everything it missed.
            Err(TryRecvError::Lagged(_)) => {
                hub.count_lagged();
                catch_up(socket, hub, client, None).await?
            }
            Err(TryRecvError::Closed) => return Err(End::Gone),
            Err(TryRecvError::Empty) => break,
        }
        next = frames.try_recv();
    }
    ping_and_flush(socket, client).await
}

/// A client's message: resume, or switch period.
async fn answer(
    socket: &mut Socket,
    hub: &Hub,
    client: &mut Client,
    frames: &mut broadcast::Receiver<Frame>,
    text: &str,
) -> Sent {
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Resume { since }) => catch_up(socket, hub, client, Some(since)).await,
        Ok(ClientMessage::Period { period }) => match Year::new(period) {
            Ok(p) => {
                let Some(rx) = hub.subscribe(p.get()) else {
                    return Err(End::Gone);
                };
                *frames = rx;
                client.period = p.get();
                client.rev = None;
                catch_up(socket, hub, client, None).await
            }
            Err(e) => send_error(socket, "period", &e.0).await,
        },
        Err(e) => send_error(socket, "message", &e.to_string()).await,
    }
}

/// Brings the client to the current revision: the missed patches if the ring holds them,
/// else a snapshot.
async fn catch_up(socket: &mut Socket, hub: &Hub, client: &mut Client, since: Option<i64>) -> Sent {
    if let Some(patches) = since.and_then(|s| hub.patches_since(client.period, s)) {
        client.rev = since;
        for p in patches {
            client.rev = Some(p.rev);
            feed_counted(socket, client, p.text).await?;
        }
        return Ok(());
    }
    let Some(snapshot) = hub.snapshot(client.period) else {
        return Ok(());
    };
    client.rev = Some(snapshot.rev);
    feed_text(socket, snapshot.text).await?;
    // The window is for what follows a snapshot: a snapshot larger than the window must not
    // hold the peer back before it has had the time to read it.
    client.read = client.written;
    Ok(())
}

/// Queues a frame from the hub if it moves the client on; catches up on a gap.
async fn forward(socket: &mut Socket, hub: &Hub, client: &mut Client, frame: Frame) -> Sent {
    match (frame.base, client.rev) {
        // A heartbeat.
        (None, _) => feed_counted(socket, client, frame.text).await,
        (Some(_), Some(held)) if frame.rev <= held => Ok(()),
        (Some(base), Some(held)) if base == held => {
            client.rev = Some(frame.rev);
            feed_counted(socket, client, frame.text).await
        }
        _ => catch_up(socket, hub, client, client.rev).await,
    }
}

/// Queues a patch or heartbeat, counting its bytes against the window.
async fn feed_counted(socket: &mut Socket, client: &mut Client, text: Utf8Bytes) -> Sent {
    client.written += text.len() as u64;
    feed_text(socket, text).await
}

/// Queues a text message: whole up to [`WHOLE`] bytes, else written out as fragments of
/// [`FRAGMENT`] bytes cut at character boundaries.
async fn feed_text(socket: &mut Socket, text: Utf8Bytes) -> Sent {
    if text.len() <= WHOLE {
        return feed(socket, Message::Text(text)).await;
    }
    let text = Bytes::from(text);
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + FRAGMENT).min(text.len());
        // Not inside a multi-byte character (continuation bytes are 0b10xx_xxxx).
        while end < text.len() && text[end] & 0xC0 == 0x80 {
            end -= 1;
        }
        let opcode = if start == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let fragment = WireFrame::message(text.slice(start..end), opcode, end == text.len());
        feed(socket, Message::Frame(fragment)).await?;
        socket.flush().await.map_err(gone)?;
        start = end;
    }
    Ok(())
}

async fn send_error(socket: &mut Socket, field: &str, message: &str) -> Sent {
    let body = serde_json::json!({"type": "error", "field": field, "message": message});
    feed(socket, Message::Text(body.to_string().into())).await
}

async fn feed(socket: &mut Socket, message: Message) -> Sent {
    socket.feed(message).await.map_err(gone)
}

/// Flushes what was fed, with a ping first if none is unanswered and the last is old enough.
async fn ping_and_flush(socket: &mut Socket, client: &mut Client) -> Sent {
    let due = client.last_ping.is_none_or(|at| at.elapsed() >= PING_EVERY)
        || client.written - client.read >= (WINDOW / 2) as u64;
    if client.ping.is_none() && due {
        let now = Instant::now();
        client.ping = Some((now, client.written));
        client.last_ping = Some(now);
        feed(socket, Message::Ping(Bytes::new())).await?;
    }
    socket.flush().await.map_err(gone)
}

fn gone(e: WsError) -> End {
    tracing::trace!(error = %e, "live socket write failed");
    End::Gone
}

/// Closes with `code` and waits (a second at most) for the peer to close its side, reading
/// whatever it still sends: a socket closed with unread input is reset, and the peer might
/// then never read the code.
async fn close(socket: &mut Socket, code: CloseCode, reason: &'static str) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        if socket.send(frame).await.is_err() {
            return;
        }
        // Below the WebSocket framing: after a refused message the framing is not trusted.
        let raw = socket.get_mut();
        let mut sink = [0u8; 1024];
        while matches!(raw.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// Runs a send, giving up after `limit`. Almost every send finishes at its first poll, so the
/// timer is only armed for the few that have to wait.
async fn within(limit: Duration, send: impl Future<Output = Sent>) -> Sent {
    let mut send = pin!(send);
    let first = std::future::poll_fn(|cx| match send.as_mut().poll(cx) {
        Poll::Ready(r) => Poll::Ready(Some(r)),
        Poll::Pending => Poll::Ready(None),
    })
    .await;
    match first {
        Some(r) => r,
        None => tokio::time::timeout(limit, send)
            .await
            .unwrap_or(Err(End::Stalled)),
    }
}
