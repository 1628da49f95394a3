//! What a connection's requests are answered by: the router under the request timeout, and the
//! edge's own answers when it cannot pass a request on (a request too slow, no room).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::service::TowerToHyperService;

use super::{Conn, Edge, TrackedBody};
use crate::error::{ErrorBody, ErrorPayload};
use crate::http::metrics::RouteSlot;

/// The service hyper calls for each request of one connection: the router, with the peer's
/// address (`ConnectInfo`) and the edge's counters in the request's extensions, under the
/// request timeout, counted busy until its answer is sent.
#[derive(Clone)]
pub(super) struct Handler {
    pub(super) app: TowerToHyperService<Router>,
    pub(super) conn: Arc<Conn>,
    pub(super) edge: Arc<Edge>,
    pub(super) peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for Handler {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        let mut busy = self.conn.begin(&self.edge);
        req.extensions_mut().insert(ConnectInfo(self.peer));
        // The route, for a request the timeout stops (the middleware that learns it stops too).
        let route = RouteSlot::default();
        req.extensions_mut().insert(route.clone());
        let method = req.method().clone();
        // A join link's path is a secret (a delegation card's code): never logged.
        let path = match req.uri().path() {
            p if p.starts_with("/join/") => "/join/…".to_owned(),
            p => p.to_owned(),
        };
        let answer = hyper::service::Service::call(&self.app, req);
        let edge = self.edge.clone();
        Box::pin(async move {
            let started = Instant::now();
            let limit = edge.settings.request_timeout;
            let response = match tokio::time::timeout(limit, answer).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => {
                    edge.stats
                        .requests_timed_out
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%method, %path, secs = limit.as_secs(), "request timed out: stopped and answered 503");
                    let response = timed_out(limit);
                    if let Some(m) = &edge.http_metrics {
                        m.observe(&method, route.get(), response.status(), started.elapsed());
                    }
                    response
                }
            };
            busy.upgraded = response.status() == StatusCode::SWITCHING_PROTOCOLS;
            Ok(response.map(|inner| TrackedBody { inner, _busy: busy }))
        })
    }
}

/// The answer to a request stopped by the request timeout. 503 rather than 408: the server,
/// not the client, was too slow (408 says the client did not send its request in time, and
/// browsers retry a 408 on their own, which would resend a change without asking).
fn timed_out(limit: Duration) -> Response<Body> {
    let body = ErrorBody {
        error: ErrorPayload {
            code: "timeout".into(),
            message: format!(
                "the server could not answer within {} s and stopped this request; try again \
                 shortly (a change sent with an Idempotency-Key is safe to send again with the \
                 same key)",
                limit.as_secs()
            ),
            details: Vec::new(),
            request_id: crate::error::request_id(),
        },
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = Response::new(Body::from(json));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// What a newcomer is told when the cap is reached and every connection is busy or live.
pub(super) fn refusal() -> Vec<u8> {
    let body = ErrorBody {
        error: ErrorPayload {
            code: "unavailable".into(),
            message: "the server has as many connections as it can hold, all of them in use; \
                      try again in a moment"
                .into(),
            details: Vec::new(),
            request_id: crate::error::request_id(),
        },
    };
    let json = serde_json::to_string(&body).unwrap_or_default();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{json}",
        json.len()
    )
    .into_bytes()
}
