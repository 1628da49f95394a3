//! What keeps a connection's counts honest: the accepted socket, open until dropped and
//! noticing the first byte of a request on an idle connection, and an answer's body, which
//! keeps its request counted as in progress until it is sent.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use hyper::body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::{Conn, Edge, EdgeStats};

/// A request in progress; its end is when this is dropped (with the answer's body).
pub(super) struct Busy {
    pub(super) conn: Arc<Conn>,
    pub(super) edge: Arc<Edge>,
    pub(super) upgraded: bool,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.conn.end(&self.edge, self.upgraded);
    }
}

/// An answer's body that keeps its request counted as in progress until it is sent.
pub struct TrackedBody {
    pub(super) inner: Body,
    pub(super) _busy: Busy,
}

impl hyper::body::Body for TrackedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The accepted socket: counts itself open until dropped (which, for a live socket, is when
/// the live module drops the upgraded connection), and tells its connection when a first byte
/// arrives on an idle kept-alive connection.
pub(super) struct Tracked {
    pub(super) io: TcpStream,
    pub(super) conn: Arc<Conn>,
    pub(super) stats: Arc<EdgeStats>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let open = self.stats.open.fetch_sub(1, Ordering::Relaxed) - 1;
        crate::memory::connection_closed(open);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.io).poll_read(cx, buf))?;
        if buf.filled().len() > before
            && self.conn.awaiting.load(Ordering::Relaxed)
            && self.conn.awaiting.swap(false, Ordering::Relaxed)
        {
            self.conn.head_started();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
