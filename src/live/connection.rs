//! One live socket: a snapshot or the missed patches first, then the hub's frames, the
//! client's messages, and shutdown, in one loop.
//!
//! Sending is where sockets differ, so it is done with care:
//! - the hub frames each message once; a socket writes those shared bytes as they are, with
//!   no copy of its own: the frames already queued for it (and a ping) go out in one vectored
//!   write, and a snapshot is written straight from the shared frame, so an idle socket holds
//!   no write buffer. tokio-tungstenite reads the client's messages (and answers its pings);
//!   it is only read from when nothing of ours is half-written and the connection woke the
//!   task (not at every patch: see [`Gate`]), and flushed before we write after a read;
//! - flow control: a socket is pinged once about half of [`WINDOW`] is written since the last
//!   answer (each socket at its own point between 3/8 and 5/8 of it: sockets that get the
//!   same bytes would otherwise all be pinged by the same patch, and all their answers would
//!   arrive together and slow that patch down), on its first write, and with a heartbeat
//!   unless the peer answered one in the last three quarters of an interval. A peer that has
//!   not answered within the stall limit, or that has more than [`WINDOW`] bytes
//!   unacknowledged, has
//!   stopped reading (or sits on a link too slow for the room): it is sent nothing more, so
//!   the kernel's buffers do not fill with patches it would read late. Its answer, when it
//!   comes, brings a fresh snapshot; no answer within [`SILENT_BEATS`] heartbeat intervals
//!   (45 s by default) drops it with 1008: a peer that is gone is found. The stall limit
//!   also bounds every write: one still blocked after it (the kernel's buffers are full)
//!   drops the socket, and the browser reconnects;
//! - a socket that falls behind the hub's queue gets a fresh snapshot instead of what it
//!   missed;
//! - when the server is busier than the rate of changes, the frames that queue up behind a
//!   socket while it waits its turn go out together in its next write (up to [`BATCH`]):
//!   fewer, larger writes, so the fan-out keeps up instead of falling behind.

use std::io::IoSlice;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::gate::{Cancelled, Gate};
use super::upgrade::Socket;
use super::{Frame, Hub, text_frame};
use crate::domain::Year;

/// A peer that leaves a ping unanswered for this many heartbeat intervals is dropped.
pub const SILENT_BEATS: u32 = 3;
/// Bytes a peer may have unread (written after its last answered ping) before it is held
/// back: well within a socket's kernel buffers, so a peer that stopped reading is held back
/// before the kernel has to hold data for it. At 20 patches a second of 2 KiB, that is
/// 0.7 s; with 64 KiB (1.45 s) the healthy sockets' p99 suffered more from the stalled ones
/// (BENCHMARKS.md).
///
/// Pings go once about half of it is written ([`ping_after`]), so their number follows the
/// bytes sent rather than the clock: each costs the peer a write and the server a read, about
/// what a patch costs. A heartbeat carries one unless the peer answered one in the last three
/// quarters of an interval, to find peers that are gone.
pub const WINDOW: usize = 32 * 1024;
/// Where a new socket is pinged: after between 3/8 and 5/8 of [`WINDOW`] unacknowledged,
/// spread evenly over the sockets in the order they come (a golden-ratio sequence), so that
/// sockets sent the same patches are not all pinged by the same one.
fn ping_after() -> u64 {
    static SOCKETS: AtomicU64 = AtomicU64::new(0);
    let n = SOCKETS.fetch_add(1, Ordering::Relaxed);
    ping_after_for(n)
}

fn ping_after_for(n: u64) -> u64 {
    const SPREAD: u64 = WINDOW as u64 / 4;
    // The fractional part of n times the golden ratio, in 32 bits: evenly spread for any run
    // of consecutive n.
    let fraction = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    WINDOW as u64 * 3 / 8 + ((fraction * SPREAD) >> 32)
}

/// Most queued frames written together.
pub const BATCH: usize = 64;
/// An empty ping, unmasked (a server's frame).
const PING: &[u8] = &[0x89, 0x00];

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
    /// The heartbeat interval: a peer silent for [`SILENT_BEATS`] of them is dropped.
    beat_every: Duration,
    rev: Option<i64>,
    /// The unanswered ping: when it was sent, and [`Client::written`] then.
    ping: Option<(Instant, u64)>,
    /// A ping goes with the next write: the first write, and a heartbeat's to a peer that has
    /// answered no ping for three quarters of a heartbeat interval.
    ping_due: bool,
    /// Unacknowledged bytes after which a ping goes ([`ping_after`]).
    ping_after: u64,
    /// When the peer last answered a ping.
    answered: Option<Instant>,
    /// Bytes of patches and heartbeats written so far.
    written: u64,
    /// Of those, the bytes written before the last answered ping: the peer has read them.
    read: u64,
    /// Sent nothing until it answers the ping (then it gets a snapshot).
    behind: bool,
    /// Frames queued for the next write; the first may be partly written already.
    out: Vec<Bytes>,
    /// tokio-tungstenite may hold a frame for the peer (a pong, after a read): flush it before
    /// writing ours.
    owes_flush: bool,
}

impl Client {
    fn new(period: i64, beat_every: Duration) -> Self {
        Self {
            period,
            beat_every,
            rev: None,
            ping: None,
            ping_due: true,
            ping_after: ping_after(),
            answered: None,
            written: 0,
            read: 0,
            behind: false,
            out: Vec::new(),
            owes_flush: false,
        }
    }

    /// Whether a heartbeat carries a ping: unless the peer answered one in the last three
    /// quarters of an interval (a peer sent patches is pinged for them, and its answers show
    /// it is there; with no patches, heartbeats are an interval apart and each pings).
    fn heartbeat_pings(&self) -> bool {
        self.answered
            .is_none_or(|at| at.elapsed() >= self.beat_every * 3 / 4)
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
    let mut client = Client::new(period, hub.heartbeat_every());
    let Some(mut frames) = hub.subscribe(period) else {
        return;
    };
    catch_up(&hub, &mut client, since);
    // The viewer count at once (a wall shows it), rather than at the next beat.
    forward(&hub, &mut client, hub.heartbeat());
    let mut result = within(stall, ping_and_write(&mut socket, &mut client)).await;
    let mut closing = Cancelled::new(hub.closing());
    let mut reading = Gate::new();
    while result.is_ok() {
        let silent_at = client.ping.map_or_else(Instant::now, |(at, _)| {
            at + client.beat_every * SILENT_BEATS
        });
        tokio::select! {
            // The client's messages first: an answered ping that waits to be read must count
            // before the socket is judged to be lagging.
            biased;
            _ = &mut closing => {
                close(&mut socket, CloseCode::Away, "server shutting down").await;
                return;
            }
            msg = next_message(&mut socket, &mut reading, &mut client.owes_flush) => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Pong(_))) => {
                        if let Some((_, written)) = client.ping.take() {
                            client.read = written;
                            client.answered = Some(Instant::now());
                        }
                        if client.behind {
                            client.behind = false;
                            // Back: a fresh start, as on connecting.
                            let Some(rx) = hub.subscribe(client.period) else { return };
                            frames = rx;
                            catch_up(&hub, &mut client, None);
                            result = within(stall, ping_and_write(&mut socket, &mut client)).await;
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
                answer(&hub, &mut client, &mut frames, &text);
                result = within(stall, ping_and_write(&mut socket, &mut client)).await;
            }
            frame = frames.recv(), if !client.behind => {
                if client.lagging(stall) {
                    // It stopped reading: nothing more until it answers.
                    client.behind = true;
                    hub.count_behind();
                    continue;
                }
                pump(&hub, &mut client, &mut frames, frame);
                result = within(stall, ping_and_write(&mut socket, &mut client)).await;
            }
            _ = tokio::time::sleep_until(silent_at.into()), if client.behind => {
                close(&mut socket, CloseCode::Policy, "no answer to pings").await;
                return;
            }
        }
    }
    if let Err(End::Stalled) = result {
        tracing::debug!(period = client.period, "live socket stalled: dropped");
    }
}

/// The client's next message, read only when the connection woke the task for it (or the last
/// read found one: more may wait in tokio-tungstenite's buffer). A read may answer the
/// client's ping: the socket owes a flush after it.
fn next_message<'a>(
    socket: &'a mut Socket,
    gate: &'a mut Gate,
    owes_flush: &'a mut bool,
) -> impl Future<Output = Option<Result<Message, WsError>>> + 'a {
    std::future::poll_fn(move |cx| {
        gate.poll(cx, |cx| {
            *owes_flush = true;
            socket.poll_next_unpin(cx)
        })
    })
}

/// Queues `first` and the frames waiting behind it, up to [`BATCH`].
fn pump(
    hub: &Hub,
    client: &mut Client,
    frames: &mut broadcast::Receiver<Frame>,
    first: Result<Frame, RecvError>,
) {
    let mut next = first.map_err(|e| match e {
        RecvError::Lagged(n) => TryRecvError::Lagged(n),
        RecvError::Closed => TryRecvError::Closed,
    });
    for _ in 0..BATCH {
        match next {
            Ok(f) => forward(hub, client, f),
            // Fell behind: a snapshot now, instead of everything it missed.
            Err(TryRecvError::Lagged(_)) => {
                hub.count_lagged();
                catch_up(hub, client, None);
            }
            Err(TryRecvError::Closed | TryRecvError::Empty) => return,
        }
        next = frames.try_recv();
    }
}

/// A client's message: resume, or switch period.
fn answer(hub: &Hub, client: &mut Client, frames: &mut broadcast::Receiver<Frame>, text: &str) {
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Resume { since }) => catch_up(hub, client, Some(since)),
        Ok(ClientMessage::Period { period }) => match Year::new(period) {
            Ok(p) => {
                if let Some(rx) = hub.subscribe(p.get()) {
                    *frames = rx;
                    client.period = p.get();
                    client.rev = None;
                    catch_up(hub, client, None);
                    // Each period's beats keep their own time: one now, as on connecting,
                    // so that the next is at most an interval away.
                    forward(hub, client, hub.heartbeat());
                }
            }
            Err(e) => queue_error(client, "period", &e.0),
        },
        Err(e) => queue_error(client, "message", &e.to_string()),
    }
}

/// Brings the client to the current revision: the missed patches if the ring holds them,
/// else a snapshot.
fn catch_up(hub: &Hub, client: &mut Client, since: Option<i64>) {
    if let Some(patches) = since.and_then(|s| hub.patches_since(client.period, s)) {
        client.rev = since;
        for p in patches {
            client.rev = Some(p.rev);
            queue_counted(client, p.wire);
        }
        return;
    }
    let Some(snapshot) = hub.snapshot(client.period) else {
        return;
    };
    client.rev = Some(snapshot.rev);
    client.out.push(snapshot.wire);
    // The window is for what follows a snapshot: a snapshot larger than the window must not
    // hold the peer back before it has had the time to read it.
    client.read = client.written;
}

/// Queues a frame from the hub if it moves the client on; catches up on a gap. A heartbeat
/// (on its own, or carried by the patch) goes in any case.
fn forward(hub: &Hub, client: &mut Client, frame: Frame) {
    if frame.base.is_none() || frame.beat.is_some() {
        // With a heartbeat, a ping.
        client.ping_due = client.heartbeat_pings();
    }
    match (frame.base, client.rev) {
        (None, _) => queue_counted(client, frame.wire),
        (Some(base), Some(held)) if base == held => {
            client.rev = Some(frame.rev);
            queue_counted(client, frame.wire);
        }
        (Some(_), held) => {
            if held.is_none_or(|held| frame.rev > held) {
                catch_up(hub, client, client.rev);
            }
            if let Some(beat) = frame.beat {
                queue_counted(client, beat);
            }
        }
    }
}

/// Queues a patch or heartbeat, counting its bytes against the window.
fn queue_counted(client: &mut Client, wire: Bytes) {
    client.written += wire.len() as u64;
    client.out.push(wire);
}

fn queue_error(client: &mut Client, field: &str, message: &str) {
    let body = serde_json::json!({"type": "error", "field": field, "message": message});
    client.out.push(text_frame(body.to_string().as_bytes()));
}

/// Writes what is queued, with a ping if none is unanswered and one is due: with a heartbeat,
/// or once the socket's share of the window is unacknowledged.
async fn ping_and_write(socket: &mut Socket, client: &mut Client) -> Sent {
    if client.out.is_empty() {
        return Ok(());
    }
    let due = client.ping_due || client.written - client.read >= client.ping_after;
    if client.ping.is_none() && due {
        client.ping = Some((Instant::now(), client.written));
        client.ping_due = false;
        client.out.push(Bytes::from_static(PING));
    }
    // Whatever tungstenite owes the peer (an answer to its ping) goes first, whole.
    if client.owes_flush {
        socket.flush().await.map_err(gone)?;
        client.owes_flush = false;
    }
    let raw = socket.get_mut();
    // On the stack: this runs for every socket on every patch. A longer queue (a replay of
    // missed patches) goes out over several writes.
    while !client.out.is_empty() {
        let mut slices = [IoSlice::new(&[]); BATCH + 2];
        let count = client.out.len().min(slices.len());
        for (slice, frame) in slices.iter_mut().zip(&client.out) {
            *slice = IoSlice::new(frame);
        }
        let n = raw.write_vectored(&slices[..count]).await.map_err(|e| {
            tracing::trace!(error = %e, "live socket write failed");
            End::Gone
        })?;
        if n == 0 {
            return Err(End::Gone);
        }
        written(&mut client.out, n);
    }
    // A burst (a snapshot's worth of frames) does not stay allocated for an idle socket.
    client.out.shrink_to(BATCH + 2);
    Ok(())
}

/// Drops the first `n` bytes of `out`, which went out: whole frames, and the start of a frame
/// cut short.
fn written(out: &mut Vec<Bytes>, mut n: usize) {
    let done = out
        .iter()
        .take_while(|b| {
            let whole = n >= b.len();
            if whole {
                n -= b.len();
            }
            whole
        })
        .count();
    out.drain(..done);
    if let Some(first) = out.first_mut() {
        first.advance(n);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_pings_a_peer_unless_it_answered_within_three_quarters_of_an_interval() {
        let mut client = Client::new(2026, Duration::from_secs(15));
        assert!(client.heartbeat_pings(), "never answered");
        client.answered = Some(Instant::now());
        assert!(!client.heartbeat_pings(), "answered just now");
        client.answered = Instant::now().checked_sub(Duration::from_secs(10));
        assert!(!client.heartbeat_pings(), "answered 10 s ago");
        client.answered = Instant::now().checked_sub(Duration::from_secs(12));
        assert!(client.heartbeat_pings(), "answered 12 s ago");
    }

    #[test]
    fn sockets_are_pinged_at_points_spread_over_the_middle_of_the_window() {
        let (low, high) = (WINDOW as u64 * 3 / 8, WINDOW as u64 * 5 / 8);
        // Any run of consecutive sockets, counted in eighths of the span.
        for first in [0u64, 1, 12_345, u64::MAX - 2_000] {
            let mut eighths = [0usize; 8];
            for n in first..first + 1_000 {
                let at = ping_after_for(n);
                assert!((low..high).contains(&at), "socket {n}: {at}");
                eighths[((at - low) * 8 / (high - low)) as usize] += 1;
            }
            for (i, count) in eighths.iter().enumerate() {
                assert!(
                    (110..=140).contains(count),
                    "from {first}: eighth {i} has {count}"
                );
            }
        }
    }

    #[test]
    fn a_short_write_keeps_exactly_the_bytes_not_written() {
        let frames = || {
            vec![
                Bytes::from_static(b"abc"),
                Bytes::from_static(b"de"),
                Bytes::from_static(b"fghi"),
            ]
        };
        let rest = |n| {
            let mut out = frames();
            written(&mut out, n);
            out.concat()
        };
        let all = frames().concat();
        for n in 0..=all.len() {
            assert_eq!(rest(n), all[n..], "after {n} bytes");
        }
        let mut out = frames();
        written(&mut out, 5);
        assert_eq!(
            out,
            vec![Bytes::from_static(b"fghi")],
            "whole frames are dropped"
        );
    }
}
