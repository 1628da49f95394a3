//! One live socket: a snapshot or the missed patches first, then the hub's frames, the
//! client's messages, and shutdown.
//!
//! Sending is where sockets differ, so it is done with care:
//! - the hub frames each message once, and its fan-out tasks (one per core, each with its share
//!   of the sockets) write those shared bytes to every socket themselves, as they are, with no
//!   copy and no task woken per socket: [`Conn::deliver`] queues a frame (and a ping) behind
//!   whatever is unwritten and writes them in one vectored write, at once. Only a socket whose
//!   write cannot finish (the kernel's buffer is full) is handed to its own task, which finishes
//!   the write when the socket can take it; until then the fan-out only queues frames for it.
//!   The socket's task also reads the client's messages through tokio-tungstenite (which
//!   answers the client's pings: its frames join the same queue, whole, so that no write cuts
//!   into another). A snapshot is written straight from the shared frame, so an idle socket
//!   holds no write buffer;
//! - flow control by ping ([`super::client`]): a peer that stopped reading is sent nothing
//!   more until it answers, and one silent too long is dropped with 1008. The stall limit also
//!   bounds every write: one still blocked after it (the kernel's buffers are full) drops the
//!   socket, and the browser reconnects;
//! - a socket with more frames queued than the hub's queue allows (its write blocked) gets a
//!   fresh snapshot instead of what it missed;
//! - when the server is busier than the rate of changes, the frames that queue up behind a
//!   blocked socket go out together in its next write (up to [`BATCH`] per write).

use std::io::IoSlice;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

use super::client::{Client, Refusal, catch_up, offer, queue_error};
use super::gate::{Cancelled, Gate};
use super::protocol::{ClientFrame, ErrorCode, ErrorFrame};
use super::{FanOutSlot, Frame, Hub};
use crate::domain::Year;

/// Most queued frames written together.
pub const BATCH: usize = 64;

/// The connection a handshake yields, as hyper hands it over.
pub type Raw = TokioIo<Upgraded>;

/// One socket, shared by its own task (which reads) and its period's fan-out (which writes).
pub struct Conn {
    /// A std mutex: held for a write that does not wait, never across an await, and never
    /// while a fan-out's list of sockets is locked or being locked.
    state: Mutex<State>,
    /// Wakes the socket's task: a write could not finish and is now its to finish, or the
    /// peer was held back and its silence is now timed.
    blocked: Notify,
}

struct State {
    client: Client,
    io: Raw,
    /// A write could not finish: the socket's task finishes it (it is waiting for the socket
    /// to take more); until then frames only queue, and nothing else writes.
    blocked: bool,
    /// The socket's task has ended: nothing more is queued.
    ended: bool,
}

impl Conn {
    fn new(io: Raw, client: Client) -> Self {
        Self {
            state: Mutex::new(State {
                client,
                io,
                blocked: false,
                ended: false,
            }),
            blocked: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Frames of `period` from its fan-out (after a gap, if `lagged`: the socket needs a
    /// snapshot first): queued if they move the client on, and written at once, in one write,
    /// unless a write is blocked.
    pub(super) fn deliver(&self, hub: &Hub, period: i64, lagged: bool, frames: &[Frame]) {
        let mut state = self.lock();
        let st = &mut *state;
        // Not started (its task takes the snapshot, which covers these frames), held back, or
        // watching another period now.
        if st.ended || st.client.rev.is_none() || st.client.behind || st.client.period != period {
            return;
        }
        if st.client.lagging(hub.stall()) {
            // It stopped reading: nothing more until it answers. Its task starts counting
            // the time it has to answer.
            st.client.behind = true;
            hub.count_behind();
            self.blocked.notify_one();
            return;
        }
        if lagged || (st.blocked && st.client.out.len() + frames.len() > hub.queue()) {
            // Fell behind: a snapshot now, instead of everything it missed.
            hub.count_lagged();
            st.client.restart(hub);
        }
        for frame in frames {
            offer(hub, &mut st.client, frame);
        }
        self.write_now(st);
    }

    /// Writes what is queued without waiting, unless the socket's task owns a blocked write;
    /// what the socket cannot take now becomes that task's to write.
    fn write_now(&self, st: &mut State) {
        if st.blocked {
            return;
        }
        // No waker: the socket's task registers its own if the write has to wait.
        let mut cx = Context::from_waker(Waker::noop());
        if !matches!(st.poll_write(&mut cx), Poll::Ready(Ok(()))) {
            st.blocked = true;
            self.blocked.notify_one();
        }
    }

    /// Writes everything queued, waiting for the socket to take it (at most `limit`).
    async fn flush(&self, limit: Duration) -> Sent {
        within(
            limit,
            std::future::poll_fn(|cx| {
                self.poll_flush(cx).map_err(|e| {
                    tracing::trace!(error = %e, "live socket write failed");
                    End::Gone
                })
            }),
        )
        .await
    }

    /// Writes everything queued, with the socket's task's waker: a write that has to wait is
    /// the task's to finish (and the fan-out only queues meanwhile).
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let mut st = self.lock();
        let polled = st.poll_write(cx);
        st.blocked = polled.is_pending();
        polled
    }
}

impl State {
    /// Writes the queue (with a ping if one is due) until it is empty or the socket can take
    /// no more.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let client = &mut self.client;
        // After the close frame nothing more may follow it, not even a ping.
        if !self.ended {
            client.ping_if_due();
        }
        // On the stack: this runs for every socket on every patch. A longer queue (a replay of
        // missed patches) goes out over several writes.
        while !client.out.is_empty() {
            let mut slices = [IoSlice::new(&[]); BATCH + 2];
            let count = client.out.len().min(slices.len());
            for (slice, frame) in slices.iter_mut().zip(&client.out) {
                *slice = IoSlice::new(frame);
            }
            let n = ready!(Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..count]))?;
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            client.wrote(n);
        }
        // A burst (a snapshot's worth of frames) does not stay allocated for an idle socket.
        client.out.shrink_to(BATCH + 2);
        Poll::Ready(Ok(()))
    }
}

/// The connection as tokio-tungstenite sees it: it reads the client's messages, and what it
/// writes (answers to pings, a close) joins the socket's queue as whole frames, behind the
/// frames already there, so that its bytes and the fan-out's never interleave.
struct SocketIo(Arc<Conn>);

impl AsyncRead for SocketIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0.lock().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for SocketIo {
    /// Takes all of `buf` (tungstenite writes whole frames, and a frame taken in part could
    /// have the fan-out's bytes written into its middle), and writes it now unless a write is
    /// blocked.
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let mut state = self.0.lock();
        state.client.out.push(Bytes::copy_from_slice(buf));
        self.0.write_now(&mut state);
        Poll::Ready(Ok(buf.len()))
    }

    /// tungstenite flushes as it reads (an answer to a ping), and does not wait when the
    /// socket cannot take it: then the socket's task finishes the write, within the stall
    /// limit.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let polled = self.0.poll_flush(cx);
        if polled.is_pending() {
            self.0.blocked.notify_one();
        }
        polled
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        ready!(self.0.poll_flush(cx))?;
        Pin::new(&mut self.0.lock().io).poll_shutdown(cx)
    }
}

type Socket = WebSocketStream<SocketIo>;

/// Why a socket ends early.
enum End {
    /// The peer went away or the write failed.
    Gone,
    /// A send did not finish within the stall limit.
    Stalled,
}

type Sent = Result<(), End>;

/// Serves one socket until the peer leaves, stalls or falls silent, the server stops, or
/// `ended` (the credential or session it was opened with; never, for a public read) is
/// cancelled.
pub async fn serve(
    raw: Raw,
    config: WebSocketConfig,
    hub: Hub,
    period: i64,
    since: Option<i64>,
    ended: CancellationToken,
) {
    let _viewer = hub.join();
    let stall = hub.stall();
    let conn = Arc::new(Conn::new(
        raw,
        Client::new(period, hub.heartbeat_every(), hub.resume_limit()),
    ));
    let mut socket =
        WebSocketStream::from_raw_socket(SocketIo(conn.clone()), Role::Server, Some(config)).await;
    // In the fan-out before the snapshot is taken, so that nothing falls between the two.
    let Some(mut slot) = hub.enter(period, &conn) else {
        return;
    };
    {
        let mut st = conn.lock();
        catch_up(&hub, &mut st.client, since);
        // The viewer count at once (a wall shows it), rather than at the next beat.
        offer(&hub, &mut st.client, &hub.heartbeat());
    }
    let mut result = conn.flush(stall).await;
    let mut closing = Cancelled::new(hub.closing());
    let mut ended = Cancelled::new(&ended);
    let mut reading = Gate::new();
    while result.is_ok() {
        // Held back: dropped unless it answers by then.
        let silent_at = conn.lock().client.silent_at();
        tokio::select! {
            biased;
            _ = &mut closing => {
                close(&mut socket, CloseCode::Away, "server shutting down").await;
                break;
            }
            _ = &mut ended => {
                close(&mut socket, CloseCode::Policy, "access ended: sign in again").await;
                break;
            }
            msg = next_message(&mut socket, &mut reading) => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Pong(_))) => {
                        conn.lock().client.answered(&hub);
                        result = conn.flush(stall).await;
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Err(WsError::Capacity(e))) => {
                        tracing::debug!(error = %e, "live client message refused");
                        close(&mut socket, CloseCode::Size, "message too large").await;
                        break;
                    }
                    Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                match answer(&hub, &conn, &text) {
                    Ok(Some(moved)) => slot = moved,
                    Ok(None) => {}
                    Err(Abuse) => {
                        tracing::debug!(period = period, "live socket closed: too many resumes");
                        close(&mut socket, CloseCode::Policy, "too many resumes and period switches").await;
                        break;
                    }
                }
                result = conn.flush(stall).await;
            }
            _ = conn.blocked.notified() => {
                result = conn.flush(stall).await;
            }
            _ = tokio::time::sleep_until(silent_at.unwrap_or_else(Instant::now).into()),
                if silent_at.is_some() => {
                close(&mut socket, CloseCode::Policy, "no answer to pings").await;
                break;
            }
        }
    }
    conn.lock().ended = true;
    drop(slot);
    if let Err(End::Stalled) = result {
        tracing::debug!(period = period, "live socket stalled: dropped");
    }
}

/// The client's next message, read only when the connection woke the task for it (or the last
/// read found one: more may wait in tokio-tungstenite's buffer).
fn next_message<'a>(
    socket: &'a mut Socket,
    gate: &'a mut Gate,
) -> impl Future<Output = Option<Result<Message, WsError>>> + 'a {
    std::future::poll_fn(move |cx| gate.poll(cx, |cx| socket.poll_next_unpin(cx)))
}

/// A client that kept asking for snapshots beyond its rate ([`super::client::ResumeLimit`]):
/// its socket is closed with 1008.
struct Abuse;

/// A client's message: resume, or switch period (then the socket's place in the new period's
/// fan-out, which replaces its place in the old one). Either is answered within the socket's
/// rate of snapshots, and refused beyond it.
fn answer(hub: &Hub, conn: &Arc<Conn>, text: &str) -> Result<Option<FanOutSlot>, Abuse> {
    let frame = match ClientFrame::decode(text) {
        Ok(frame) => frame,
        Err(e) => {
            queue_error(&mut conn.lock().client, e);
            return Ok(None);
        }
    };
    match frame {
        ClientFrame::Resume { since } => {
            let mut st = conn.lock();
            let client = &mut st.client;
            // A resume that misses nothing costs nothing, within the rate or not.
            let current = hub
                .patches_since(client.period, since)
                .is_some_and(|p| p.is_empty());
            if !current && !admit(client)? {
                return Ok(None);
            }
            let weight = catch_up(hub, client, Some(since));
            client.resumes.charge(weight);
            Ok(None)
        }
        ClientFrame::Period { period } => match Year::new(period) {
            Ok(p) => {
                if !admit(&mut conn.lock().client)? {
                    return Ok(None);
                }
                // In the new period's fan-out before its snapshot is taken; its frames are
                // not taken until the period changes below.
                let Some(slot) = hub.enter(p.get(), conn) else {
                    return Ok(None);
                };
                let mut st = conn.lock();
                let client = &mut st.client;
                client.period = p.get();
                client.rev = None;
                let weight = catch_up(hub, client, None);
                client.resumes.charge(weight);
                // Each period's beats keep their own time: one now, as on connecting,
                // so that the next is at most an interval away.
                offer(hub, client, &hub.heartbeat());
                Ok(Some(slot))
            }
            Err(e) => {
                let error = ErrorFrame {
                    code: ErrorCode::Invalid,
                    message: e.0,
                    field: Some("period".into()),
                };
                queue_error(&mut conn.lock().client, error);
                Ok(None)
            }
        },
    }
}

/// Whether the client may be sent a snapshot now: if not, its refusal is queued for it
/// (`false`), and one refusal too many is [`Abuse`].
fn admit(client: &mut Client) -> Result<bool, Abuse> {
    match client.resumes.admit(Instant::now()) {
        Ok(()) => Ok(true),
        Err(Refusal::Refused(error)) => {
            queue_error(client, error);
            Ok(false)
        }
        Err(Refusal::Close) => Err(Abuse),
    }
}

/// Closes with `code` and waits (a second at most) for the peer to close its side, reading
/// whatever it still sends: a socket closed with unread input is reset, and the peer might
/// then never read the code.
async fn close(socket: &mut Socket, code: CloseCode, reason: &'static str) {
    // The fan-out stops queuing for it first: a frame written after the close frame is a
    // protocol error to the browser ("data frame received after close").
    socket.get_ref().0.lock().ended = true;
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
