//! A minimal WebSocket client for the load generator: just enough of RFC 6455 to read a
//! server's frames (reassembling fragments), answer its pings and tell snapshots from patches.
//!
//! The generator shares the server's two cores, so what it spends per frame is latency it adds
//! to what it measures. A general client validates, allocates and copies every message; this
//! one reads whatever the socket holds in one call, scans the frames in place and looks only
//! at the start and end of each message.

use std::time::Instant;

use anyhow::Context;
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
    /// Opens `ws://{host}/api/v1/live`.
    pub async fn connect(host: &str) -> anyhow::Result<Self> {
        let mut stream = TcpStream::connect(host).await?;
        stream.set_nodelay(true)?;
        let request = format!(
            "GET /api/v1/live HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
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

    /// The next complete data message and when its last byte was read; `None` once the socket
    /// is closed. Pings are answered on the way.
    pub async fn next(&mut self) -> anyhow::Result<Option<(Kind, Instant)>> {
        loop {
            while let Some((fin, opcode, payload)) = self.frame() {
                match opcode {
                    // A whole message in one frame (the usual case) is read where it lies.
                    0x1..=0x2 if fin => {
                        return Ok(Some((kind(&self.buf[payload]), Instant::now())));
                    }
                    // Text (or binary) and continuation frames: one message.
                    0x0..=0x2 => {
                        if opcode != 0x0 {
                            self.message.clear();
                        }
                        self.message.extend_from_slice(&self.buf[payload]);
                        if fin {
                            return Ok(Some((kind(&self.message), Instant::now())));
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

/// The kind of a message and its revision, from its ends only. A snapshot starts with its
/// type and revision; patches are serialized with the top-level keys in sorted order (`base`,
/// `events`, `ops`, `rev`, `type`), so the top-level `rev` is the last one in the text.
pub fn kind(t: &[u8]) -> Kind {
    if let Some(rest) = t.strip_prefix(br#"{"type":"snapshot","rev":"#) {
        return number(rest).map_or(Kind::Other, Kind::Snapshot);
    }
    if !t.ends_with(br#""type":"patch"}"#) {
        return Kind::Other;
    }
    // `"rev":N,"type":"patch"}` ends the text: only its tail is searched.
    let tail = &t[t.len().saturating_sub(48)..];
    let key = br#""rev":"#;
    let Some(at) = tail.windows(key.len()).rposition(|w| w == key) else {
        return Kind::Other;
    };
    number(&tail[at + key.len()..]).map_or(Kind::Other, Kind::Patch)
}

/// The non-negative integer `t` starts with.
fn number(t: &[u8]) -> Option<i64> {
    if !t.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    t.iter()
        .take_while(|c| c.is_ascii_digit())
        .try_fold(0i64, |n, c| {
            n.checked_mul(10)?.checked_add(i64::from(c - b'0'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_level_revision_is_read_from_a_real_patch() {
        let patch = serde_json::json!({
            "type": "patch", "rev": 42, "base": 41,
            "ops": [{"op": "set", "path": ["rev"], "value": 42}],
            "events": [{"rev": 40, "summary": "x"}, {"rev": 41, "summary": "y"}],
        })
        .to_string();
        assert_eq!(kind(patch.as_bytes()), Kind::Patch(42));
        assert_eq!(
            kind(br#"{"type":"snapshot","rev":37,"data":{"rev":37}}"#),
            Kind::Snapshot(37)
        );
        assert_eq!(
            kind(br#"{"type":"heartbeat","rev":3,"viewers":1}"#),
            Kind::Other
        );
    }
}
