//! A minimal WebSocket client for the load generator: just enough of RFC 6455 to read a
//! server's frames (reassembling fragments), answer its pings and tell snapshots from patches.
//!
//! The generator shares the server's two cores, so what it spends per frame is latency it adds
//! to what it measures. A general client validates, allocates and copies every message; this
//! one reads whatever the socket holds in one call, scans the frames in place and looks only
//! at the start and end of each message.

use std::time::Instant;

use anyhow::Context;
use apo_dashboard::live::protocol::{FrameKind, peek};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a complete message was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A snapshot, with its revision.
    Snapshot(i64),
    Patch(i64),
    Other,
}

pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Unparsed bytes are `buf[at..]`.
    at: usize,
    /// The message being reassembled from fragments.
    message: Vec<u8>,
}

impl Client {
    /// Opens `ws://{host}/api/v1/live`, with `auth` (a header line, or nothing) in the
    /// handshake.
    pub async fn connect(host: &str, auth: &str) -> anyhow::Result<Self> {
        Self::connect_to(host, "/api/v1/live", auth).await
    }

    /// Opens `ws://{host}{path}` (the live endpoint with a query, e.g. `?since=R`).
    pub async fn connect_to(host: &str, path: &str, auth: &str) -> anyhow::Result<Self> {
        let mut stream = TcpStream::connect(host).await?;
        stream.set_nodelay(true)?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n{auth}\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut client = Self {
            stream,
            buf: Vec::with_capacity(4096),
            at: 0,
            message: Vec::new(),
        };
        loop {
            if let Some(end) = client.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&client.buf[..end]).into_owned();
                anyhow::ensure!(
                    head.starts_with("HTTP/1.1 101"),
                    "the server refused the WebSocket: {head}"
                );
                client.at = end + 4;
                return Ok(client);
            }
            anyhow::ensure!(client.fill().await? > 0, "closed during the handshake");
        }
    }

    /// The next complete data message, when its last byte was read, and its length; `None`
    /// once the socket is closed. Pings are answered on the way.
    pub async fn next(&mut self) -> anyhow::Result<Option<(Kind, Instant, usize)>> {
        Ok(self.next_message().await?.map(|m| (m.kind, m.at, m.len)))
    }

    /// As [`Client::next`], with a patch's base revision too (what a client checks for gaps).
    pub async fn next_message(&mut self) -> anyhow::Result<Option<Message>> {
        loop {
            while let Some((fin, opcode, payload)) = self.frame() {
                match opcode {
                    // A whole message in one frame (the usual case) is read where it lies.
                    0x1..=0x2 if fin => {
                        let len = payload.len();
                        return Ok(Some(Message::read(&self.buf[payload], len)));
                    }
                    // Text (or binary) and continuation frames: one message.
                    0x0..=0x2 => {
                        if opcode != 0x0 {
                            self.message.clear();
                        }
                        self.message.extend_from_slice(&self.buf[payload]);
                        if fin {
                            let len = self.message.len();
                            return Ok(Some(Message::read(&self.message, len)));
                        }
                    }
                    0x8 => return Ok(None),
                    // A ping: a masked, empty pong (mask 0).
                    0x9 => self.stream.write_all(&[0x8A, 0x80, 0, 0, 0, 0]).await?,
                    _ => {}
                }
            }
            if self.fill().await? == 0 {
                return Ok(None);
            }
        }
    }

    /// Sends a close frame (1000, masked as a client must) and shuts the connection: a browser
    /// tab closed, rather than a phone gone out of reach.
    pub async fn close(mut self) {
        // FIN + close, masked, 2 bytes of payload (the code) under a zero mask.
        let frame = [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8];
        let _ = self.stream.write_all(&frame).await;
        let _ = self.stream.shutdown().await;
    }

    /// The next whole frame in the buffer, consumed: (FIN, opcode, payload range).
    fn frame(&mut self) -> Option<(bool, u8, std::ops::Range<usize>)> {
        let b = &self.buf[self.at..];
        if b.len() < 2 {
            return None;
        }
        let (fin, opcode, short) = (b[0] & 0x80 != 0, b[0] & 0x0F, (b[1] & 0x7F) as usize);
        let (len, header) = match short {
            126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
            127 if b.len() >= 10 => (
                u64::from_be_bytes(b[2..10].try_into().expect("8 bytes")) as usize,
                10,
            ),
            126 | 127 => return None,
            n => (n, 2),
        };
        if b.len() < header + len {
            return None;
        }
        let start = self.at + header;
        self.at = start + len;
        Some((fin, opcode, start..start + len))
    }

    /// Reads what the socket holds; returns the bytes read (0: closed).
    async fn fill(&mut self) -> anyhow::Result<usize> {
        if self.at > 0 {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        if self.buf.capacity() - self.buf.len() < 2048 {
            self.buf.reserve(4096);
        }
        self.stream
            .read_buf(&mut self.buf)
            .await
            .context("reading the live socket")
    }
}

/// A complete message as [`Client::next_message`] gives it.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    pub kind: Kind,
    /// For a patch, the revision it applies to (when it could be read).
    pub base: Option<i64>,
    /// When its last byte was read.
    pub at: Instant,
    pub len: usize,
}

impl Message {
    fn read(text: &[u8], len: usize) -> Self {
        let kind = kind(text);
        let base = matches!(kind, Kind::Patch(_))
            .then(|| patch_base(text))
            .flatten();
        Self {
            kind,
            base,
            at: Instant::now(),
            len,
        }
    }
}

/// A patch's base revision, from its start: a patch is written
/// `{"type":"patch","rev":R,"base":B,...` (the fields of
/// [`apo_dashboard::live::protocol::Patch`] in order), so `base` is right after the revision.
pub fn patch_base(t: &[u8]) -> Option<i64> {
    let head = &t[..t.len().min(64)];
    let key = br#","base":"#;
    let at = head.windows(key.len()).position(|w| w == key)?;
    let digits = &head[at + key.len()..];
    let end = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

/// The kind of a message and its revision, from its start only
/// ([`apo_dashboard::live::protocol::peek`]). A patch of a server built before the protocol
/// module (up to 7f0a62f), which ended `"rev":N,"type":"patch"}`, is recognised too, so that
/// `benches/ab-live.sh` can drive such a server with this generator.
pub fn kind(t: &[u8]) -> Kind {
    match peek(t) {
        Some((FrameKind::Snapshot, rev)) => Kind::Snapshot(rev),
        Some((FrameKind::Patch, rev)) => Kind::Patch(rev),
        Some(_) => Kind::Other,
        None => legacy_patch(t).map_or(Kind::Other, Kind::Patch),
    }
}

/// The revision of a patch in the layout before the protocol module: its keys sorted, so its
/// text ends with `"rev":N,"type":"patch"}`.
fn legacy_patch(t: &[u8]) -> Option<i64> {
    if !t.ends_with(br#""type":"patch"}"#) {
        return None;
    }
    let tail = &t[t.len().saturating_sub(48)..];
    let key = br#""rev":"#;
    let at = tail.windows(key.len()).rposition(|w| w == key)?;
    let digits = &tail[at + key.len()..];
    let end = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use apo_dashboard::live::protocol::{ServerFrame, examples};

    #[test]
    fn snapshots_and_patches_are_told_apart_with_their_revision_from_the_servers_frames() {
        for frame in examples().server {
            let expected = match &frame {
                ServerFrame::Snapshot(s) => Kind::Snapshot(s.rev),
                ServerFrame::Patch(p) => Kind::Patch(p.rev),
                ServerFrame::Heartbeat(_) | ServerFrame::Error(_) => Kind::Other,
            };
            assert_eq!(kind(&frame.encode()), expected, "{frame:?}");
            if let ServerFrame::Patch(p) = &frame {
                assert_eq!(patch_base(&frame.encode()), Some(p.base), "{frame:?}");
            }
        }
        assert_eq!(
            kind(br#"{"base":41,"events":[],"ops":[],"rev":42,"type":"patch"}"#),
            Kind::Patch(42),
            "a patch of the earlier layout"
        );
    }
}
