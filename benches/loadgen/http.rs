//! A minimal HTTP/1.1 client over one kept-alive connection, for the soak's reads and writes.
//!
//! The server's crates have no HTTP client (reqwest is a dev-dependency, which a `[[bin]]`
//! cannot use), and the soak needs only this: a request, its status and its body, over a
//! connection kept open as a browser keeps it. Bodies come with a length or chunked (nginx may
//! answer either way). A kept connection that the server or the proxy closed while it was idle
//! fails on its next use before any answer: the request is then sent once more on a new
//! connection, as browsers do. Writes carry an `Idempotency-Key`, so that a second send is
//! never a second report.

use std::time::Duration;

use anyhow::{Context, bail, ensure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest wait for a whole answer: past it the request counts as failed.
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Conn {
    host: String,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

/// A response: its status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// How a request on a connection ended when it did not bring an answer.
enum Failure {
    /// Closed before any byte of an answer: on a reused connection, the server had closed it.
    Unanswered(anyhow::Error),
    Other(anyhow::Error),
}

impl Conn {
    /// A connection to `host` (HOST:PORT), opened at the first request.
    pub fn new(host: &str) -> Self {
        Self {
            host: host.to_owned(),
            stream: None,
            buf: Vec::with_capacity(8192),
        }
    }

    /// Sends `method path` with the extra header lines `headers` (each ending `\r\n`) and
    /// `body` (JSON when not empty), and reads the answer.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &str,
        body: &[u8],
    ) -> anyhow::Result<Answer> {
        let reused = self.stream.is_some();
        let first = tokio::time::timeout(TIMEOUT, self.once(method, path, headers, body)).await;
        let retry = match first {
            Ok(Ok(answer)) => return Ok(answer),
            Ok(Err(Failure::Unanswered(e))) if reused => e,
            Ok(Err(Failure::Unanswered(e) | Failure::Other(e))) => {
                self.stream = None;
                return Err(e);
            }
            Err(_) => {
                self.stream = None;
                bail!("no answer within {TIMEOUT:?}");
            }
        };
        self.stream = None;
        match tokio::time::timeout(TIMEOUT, self.once(method, path, headers, body)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(Failure::Unanswered(e) | Failure::Other(e))) => {
                self.stream = None;
                Err(e.context(format!("sent again after: {retry:#}")))
            }
            Err(_) => {
                self.stream = None;
                bail!("no answer within {TIMEOUT:?}");
            }
        }
    }

    async fn once(
        &mut self,
        method: &str,
        path: &str,
        headers: &str,
        body: &[u8],
    ) -> Result<Answer, Failure> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.host)
                .await
                .with_context(|| format!("connecting to {}", self.host))
                .map_err(Failure::Other)?;
            stream
                .set_nodelay(true)
                .map_err(|e| Failure::Other(e.into()))?;
            self.stream = Some(stream);
            self.buf.clear();
        }
        let host = &self.host;
        let content = if body.is_empty() {
            String::new()
        } else {
            format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            )
        };
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}{content}\r\n")
                .into_bytes();
        request.extend_from_slice(body);
        let stream = self.stream.as_mut().expect("connected above");
        if let Err(e) = stream.write_all(&request).await {
            return Err(Failure::Unanswered(e.into()));
        }
        self.buf.clear();
        let head_end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end;
            }
            match self.fill().await {
                Ok(0) | Err(_) if self.buf.is_empty() => {
                    return Err(Failure::Unanswered(anyhow::anyhow!(
                        "the connection closed before an answer"
                    )));
                }
                Ok(0) => return Err(Failure::Other(anyhow::anyhow!("the answer was cut off"))),
                Ok(_) => {}
                Err(e) => return Err(Failure::Other(e)),
            }
        };
        self.answer(head_end).await.map_err(Failure::Other)
    }

    /// Reads the rest of an answer whose head ends at `head_end` in the buffer.
    async fn answer(&mut self, head_end: usize) -> anyhow::Result<Answer> {
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP answer: {head:.80}"))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().context("a bad Content-Length")?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
        self.buf.drain(..head_end + 4);
        let body = if chunked {
            self.chunked().await?
        } else if let Some(n) = length {
            self.exactly(n).await?
        } else {
            // Neither: the body runs to the end of the connection.
            while self.fill().await? > 0 {}
            close = true;
            std::mem::take(&mut self.buf)
        };
        if close {
            self.stream = None;
        }
        Ok(Answer { status, body })
    }

    /// The next `n` bytes of the buffer, reading as needed.
    async fn exactly(&mut self, n: usize) -> anyhow::Result<Vec<u8>> {
        while self.buf.len() < n {
            ensure!(self.fill().await? > 0, "the answer was cut off");
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// The next line, without its `\r\n`.
    async fn line(&mut self) -> anyhow::Result<String> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 2);
                return Ok(line);
            }
            ensure!(self.fill().await? > 0, "the answer was cut off");
        }
    }

    /// A chunked body (RFC 9112 §7.1), trailers skipped.
    async fn chunked(&mut self) -> anyhow::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let size = self.line().await?;
            let size = size.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size, 16)
                .with_context(|| format!("a bad chunk size {size:?}"))?;
            if size == 0 {
                while !self.line().await?.is_empty() {}
                return Ok(body);
            }
            body.extend(self.exactly(size).await?);
            ensure!(self.line().await?.is_empty(), "a chunk without its CRLF");
        }
    }

    /// Reads what the socket holds onto the buffer; 0 when it is closed.
    async fn fill(&mut self) -> anyhow::Result<usize> {
        let stream = self.stream.as_mut().context("not connected")?;
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        Ok(stream.read_buf(&mut self.buf).await?)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A server that answers each request on a connection with the next of `answers`, then
    /// closes it.
    async fn serve(answers: Vec<&'static [u8]>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            for answer in answers {
                let _ = socket.read(&mut buf).await.unwrap();
                socket.write_all(answer).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn bodies_with_a_length_and_chunked_bodies_are_read_whole_on_one_connection() {
        let addr = serve(vec![
            b"HTTP/1.1 201 Created\r\nContent-Length: 11\r\n\r\n{\"rev\":42}\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[1,2\r\n2;x=y\r\n,3\r\n1\r\n]\r\n0\r\n\r\n",
        ])
        .await;
        let mut conn = Conn::new(&addr);
        let a = conn.request("POST", "/a", "", b"{}").await.unwrap();
        assert_eq!((a.status, a.body.as_slice()), (201, &b"{\"rev\":42}\n"[..]));
        let b = conn.request("GET", "/b", "", b"").await.unwrap();
        assert_eq!((b.status, b.body.as_slice()), (200, &b"[1,2,3]"[..]));
    }

    #[tokio::test]
    async fn a_connection_closed_before_any_answer_is_a_failure_the_first_time() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            drop(socket);
        });
        let err = Conn::new(&addr)
            .request("GET", "/", "", b"")
            .await
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("closed before an answer"),
            "{err:#}"
        );
    }
}
