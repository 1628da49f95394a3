//! The edge every request passes, in order: the `Host` it names must be one the service
//! answers to (DNS rebinding); it gets a request id; its credential (a bearer token, or a
//! session cookie) becomes a [`Principal`]; a browser's unsafe request must come from the
//! service's own origin (CSRF); reads need a credential unless `--public-read`; sign-in and join
//! attempts are rate limited per client address, writes per credential. Every response carries
//! the security headers.
//!
//! Handlers then ask for what they need with an extractor: [`Writer`] (an editor or the
//! Secretariat, with the identity the audit log records) or [`Secretariat`].

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::AppState;
use crate::access::{Principal, Role};
use crate::error::Error;
use crate::records::Actor;

/// The session cookie's name.
pub const COOKIE: &str = "apo_session";

/// The Content-Security-Policy of every response: nothing inline, nothing from elsewhere, no
/// framing. (ECharts styles its elements through the CSSOM, which a policy does not govern.)
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Where the service is reached, and who may reach it: from `serve`'s flags.
#[derive(Debug, Clone)]
pub struct Edge {
    /// What links, QR codes and cards use: `https://dashboard.example.org` (no trailing `/`).
    pub public_url: String,
    /// Whether [`Edge::public_url`] is `https`: cookies are then `Secure`.
    pub https: bool,
    /// Host names (and IP literals) the service answers to, lower case, without port.
    pub hosts: HashSet<String>,
    /// Origins besides the service's own that may open the live socket ("*": any).
    pub origins: Vec<String>,
    /// Reads need no credential.
    pub public_read: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub proxies: Vec<IpAddr>,
}

impl Edge {
    /// The request id a trusted proxy sent in `X-Request-Id` (nginx's `$request_id`), so that
    /// its access log and ours name a request alike: 1 to 64 letters, digits, `-`, `_`, `.`.
    /// From anyone else the header is ignored.
    pub fn forwarded_request_id(
        &self,
        peer: Option<IpAddr>,
        headers: &HeaderMap,
    ) -> Option<Arc<str>> {
        if !peer.is_some_and(|p| self.proxies.contains(&p)) {
            return None;
        }
        let id = headers.get("x-request-id")?.to_str().ok()?;
        let fine = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        fine.then(|| Arc::from(id))
    }

    /// The client of a request from `peer`: `peer` itself, or behind trusted proxies the last
    /// address of `X-Forwarded-For` that is not one of them (the first a proxy of ours saw).
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|a| !self.proxies.contains(a))
                .unwrap_or(peer),
        )
    }

    /// The host part of a `Host` header (or an origin's authority), lower case.
    fn host_of(authority: &str) -> String {
        let a = authority.trim().to_ascii_lowercase();
        if let Some(end) = a.strip_prefix('[').and_then(|r| r.find(']')) {
            return a[..end + 2].to_owned();
        }
        a.split(':').next().unwrap_or("").to_owned()
    }

    pub fn answers_to(&self, host_header: &str) -> bool {
        self.hosts.contains(&Self::host_of(host_header))
    }

    /// Whether `origin` is this service as the request reached it (scheme, host and port), or
    /// one configured.
    pub fn origin_allowed(&self, headers: &HeaderMap, origin: &str) -> bool {
        if self.origins.iter().any(|o| o == "*" || o == origin) {
            return true;
        }
        let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let public_host = self
            .public_url
            .split_once("://")
            .map(|(_, rest)| Self::host_of(rest.split('/').next().unwrap_or("")));
        let scheme = if self.https && public_host.as_deref() == Some(&Self::host_of(host)) {
            "https"
        } else {
            "http"
        };
        origin.eq_ignore_ascii_case(&format!("{scheme}://{host}"))
    }
}

/// Rate limits: writes per credential, sign-in and join attempts per client address.
pub struct Limits {
    writes: DefaultKeyedRateLimiter<String>,
    attempts: DefaultKeyedRateLimiter<IpAddr>,
}

impl Limits {
    /// `writes_per_second` per credential (bursts of twice that), `attempts_per_minute` per
    /// address (all at once, then one every `60 / n` seconds).
    pub fn new(writes_per_second: u32, attempts_per_minute: u32) -> Self {
        let w = NonZeroU32::new(writes_per_second.max(1)).expect("at least 1");
        let a = NonZeroU32::new(attempts_per_minute.max(1)).expect("at least 1");
        Self {
            writes: RateLimiter::keyed(
                Quota::per_second(w)
                    .allow_burst(w.saturating_mul(NonZeroU32::MIN.saturating_add(1))),
            ),
            attempts: RateLimiter::keyed(Quota::per_minute(a)),
        }
    }

    fn refuse(what: &str, not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> Error {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        Error::TooManyRequests(what.into(), wait.as_secs().max(1))
    }

    pub fn write(&self, credential: &str) -> Result<(), Error> {
        self.writes
            .check_key(&credential.to_owned())
            .map_err(|n| Self::refuse("too many writes with this credential", n))
    }

    pub fn attempt(&self, client: Option<IpAddr>) -> Result<(), Error> {
        // A request without a peer address (none in practice) shares one bucket.
        let key = client.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        self.attempts
            .check_key(&key)
            .map_err(|n| Self::refuse("too many sign-in or join attempts from this address", n))
    }

    /// Forgets buckets that are full again (called now and then, so that memory stays flat).
    pub fn forget_idle(&self) {
        self.writes.retain_recent();
        self.attempts.retain_recent();
    }
}

/// What the edge learned about a request, for the handlers.
#[derive(Clone)]
pub struct Caller {
    pub principal: Option<Arc<Principal>>,
    pub request_id: Arc<str>,
    pub client: Option<IpAddr>,
}

impl Caller {
    /// The audit identity of a write by this caller.
    pub fn actor(&self) -> Option<Actor> {
        self.principal.as_ref().map(|p| p.actor(&self.request_id))
    }
}

/// Paths of the API that answer without a credential (the OpenAPI document declares the
/// others' security from this too).
pub(super) fn open_path(path: &str) -> bool {
    matches!(
        path,
        "/api/v1/openapi.json" | "/api/v1/session" | "/api/v1/session/join"
    )
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A request's id: made when it arrives (by the logging middleware), in its log lines, its
/// `x-request-id` header, its error body and the audit rows it writes.
#[derive(Clone)]
pub struct RequestId(pub Arc<str>);

pub fn new_request_id() -> Arc<str> {
    crate::access::secrets::random_code(12)
        .to_ascii_lowercase()
        .into()
}

/// The session cookie's value, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// The middleware: see the module's documentation.
pub async fn edge(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map_or_else(new_request_id, |r| r.0.clone());
    let mut response = match admit(&app, &mut req, &request_id).await {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    };
    let h = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-request-id", v);
    }
    response
}

async fn admit(app: &AppState, req: &mut Request, request_id: &Arc<str>) -> Result<(), Error> {
    let edge = &app.edge;
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !edge.answers_to(host) {
        return Err(Error::Malformed(
            format!(
                "this service does not answer to host {host:?} (see --public-url and --allowed-host)"
            ),
            vec![],
        ));
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client = edge.client(peer, req.headers());
    let headers = req.headers();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""))
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    Error::Unauthorized(
                        "the Authorization header must be \"Bearer <token>\"".into(),
                    )
                })
        })
        .transpose()?;
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("?").to_owned());
    // A browser's unsafe request from another origin: refused whatever it carries.
    if is_unsafe(&method)
        && let Some(o) = &origin
        && !edge.origin_allowed(headers, o)
    {
        return Err(Error::Forbidden(format!(
            "a request from {o} may not change anything here"
        )));
    }
    let principal = match (bearer, session_cookie(headers)) {
        (Some(token), _) => Some(app.access.bearer(token).await?),
        (None, Some(cookie)) => {
            let p = app.access.session(cookie).await;
            // A session only acts with its own origin (CSRF): browsers send Origin with every
            // unsafe request.
            if p.is_some() && is_unsafe(&method) && origin.is_none() {
                return Err(Error::Forbidden(
                    "a browser session's changes must come from this site (no Origin header)"
                        .into(),
                ));
            }
            p
        }
        (None, None) => None,
    };
    if path == "/metrics" {
        match principal.as_ref().map(|p| p.role) {
            Some(Role::Secretariat | Role::Metrics) => {}
            Some(_) => {
                return Err(Error::Forbidden(
                    "/metrics needs a Secretariat or metrics token".into(),
                ));
            }
            None => {
                return Err(Error::Unauthorized(
                    "/metrics needs a Secretariat or metrics token".into(),
                ));
            }
        }
    } else if path.starts_with("/api/") && !open_path(&path) {
        match principal.as_ref().map(|p| p.role) {
            Some(Role::Metrics) => {
                return Err(Error::Forbidden(
                    "a metrics token reads /metrics only".into(),
                ));
            }
            None if !edge.public_read => {
                return Err(Error::Unauthorized(
                    "sign in: reading needs a credential (Authorization: Bearer <token>, a \
                     session, or a workshop's join code)"
                        .into(),
                ));
            }
            _ => {}
        }
        if is_unsafe(&method)
            && let Some(p) = &principal
        {
            app.limits.write(&p.credential)?;
        }
    }
    if (method == Method::POST
        && matches!(path.as_str(), "/api/v1/session" | "/api/v1/session/join"))
        || path.starts_with("/join/")
    {
        app.limits.attempt(client)?;
    }
    req.extensions_mut().insert(Caller {
        principal,
        request_id: request_id.clone(),
        client,
    });
    Ok(())
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the edge middleware did not run").into())
    }
}

fn signed_in(caller: &Caller) -> Result<Arc<Principal>, Error> {
    caller.principal.clone().ok_or_else(|| {
        Error::Unauthorized(
            "sign in: changes need a credential (Authorization: Bearer <token>, or a session)"
                .into(),
        )
    })
}

/// A caller who may change something: an editor (of [`Principal::member`]) or the Secretariat,
/// with the identity the audit log records.
#[derive(Clone)]
pub struct Writer {
    pub principal: Arc<Principal>,
    pub actor: Actor,
}

impl<S: Send + Sync> FromRequestParts<S> for Writer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let principal = signed_in(&caller)?;
        match principal.role {
            Role::Secretariat | Role::Editor => Ok(Writer {
                actor: claimed(principal.actor(&caller.request_id), parts),
                principal,
            }),
            Role::Viewer | Role::Metrics => Err(Error::Forbidden(format!(
                "a {} may read but not change anything",
                principal.role.as_str()
            ))),
        }
    }
}

impl Writer {
    /// 403 unless this writer may change `iso3`'s data.
    pub fn may_edit(&self, iso3: &str) -> Result<(), Error> {
        if self.principal.may_edit(iso3) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "an editor of {} may not change {iso3}'s data",
                self.principal.member.as_deref().unwrap_or("?")
            )))
        }
    }

    /// 403 unless this writer is the Secretariat.
    pub fn secretariat(&self, what: &str) -> Result<(), Error> {
        if self.principal.role == Role::Secretariat {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("only the Secretariat may {what}")))
        }
    }
}

/// The actor with the request's `Idempotency-Key`, if it has one (put there by
/// [`super::idempotency`]): the write keeps it in its own transaction.
fn claimed(mut actor: crate::records::Actor, parts: &Parts) -> crate::records::Actor {
    actor.idempotency = parts.extensions.get::<crate::records::Claim>().cloned();
    actor
}

/// The Secretariat: budgets, projects, the audit log, tokens, workshops.
pub struct Secretariat(pub Writer);

impl<S: Send + Sync> FromRequestParts<S> for Secretariat {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let principal = signed_in(&caller)?;
        if principal.role != Role::Secretariat {
            return Err(Error::Forbidden(format!(
                "only the Secretariat may do this (this credential is a {})",
                principal.role.as_str()
            )));
        }
        Ok(Secretariat(Writer {
            actor: claimed(principal.actor(&caller.request_id), parts),
            principal,
        }))
    }
}

/// The `Set-Cookie` value of a new session, or (with `None`) of its end.
pub fn cookie(value: Option<(&str, time::Duration)>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = match value {
        Some((v, max_age)) => format!(
            "{COOKIE}={v}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            max_age.whole_seconds().max(1)
        ),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).expect("cookie values are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(public_url: &str, hosts: &[&str]) -> Edge {
        Edge {
            public_url: public_url.into(),
            https: public_url.starts_with("https:"),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            origins: vec![],
            public_read: false,
            proxies: vec!["10.0.0.1".parse().unwrap()],
        }
    }

    #[test]
    fn a_request_id_is_taken_from_a_trusted_proxy_only_and_only_a_plain_one() {
        let edge = edge("http://x", &[]);
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_static("4f2a9c0e-17.b_x"));
        let proxy = Some("10.0.0.1".parse().unwrap());
        let other = Some("10.0.0.2".parse().unwrap());
        assert_eq!(
            edge.forwarded_request_id(proxy, &h).as_deref(),
            Some("4f2a9c0e-17.b_x")
        );
        assert_eq!(edge.forwarded_request_id(other, &h), None);
        assert_eq!(edge.forwarded_request_id(None, &h), None);
        for bad in ["", "a b", "x/y", &"z".repeat(65)] {
            h.insert("x-request-id", HeaderValue::from_str(bad).unwrap());
            assert_eq!(edge.forwarded_request_id(proxy, &h), None, "{bad:?}");
        }
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_last_address_it_did_not_add() {
        let e = edge("http://x", &[]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 192.168.1.7, 10.0.0.1"),
        );
        assert_eq!(
            e.client(Some(ip("10.0.0.1")), &h),
            Some(ip("192.168.1.7")),
            "a client's own header is not believed past the last hop"
        );
        assert_eq!(
            e.client(Some(ip("192.168.1.9")), &h),
            Some(ip("192.168.1.9")),
            "only a trusted proxy's header counts"
        );
        assert_eq!(
            e.client(Some(ip("10.0.0.1")), &HeaderMap::new()),
            Some(ip("10.0.0.1"))
        );
    }

    fn with_host(host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        h
    }

    #[test]
    fn hosts_are_compared_without_port_and_case() {
        let e = edge("http://10.0.0.5:8080", &["10.0.0.5", "localhost", "[::1]"]);
        assert!(e.answers_to("10.0.0.5:8080"));
        assert!(e.answers_to("LOCALHOST:1"));
        assert!(e.answers_to("[::1]:8080"));
        assert!(!e.answers_to("evil.example:8080"));
        assert!(!e.answers_to(""));
    }

    #[test]
    fn an_origin_must_match_scheme_host_and_port() {
        let e = edge("http://10.0.0.5:8080", &["10.0.0.5"]);
        let h = with_host("10.0.0.5:8080");
        assert!(e.origin_allowed(&h, "http://10.0.0.5:8080"));
        assert!(!e.origin_allowed(&h, "https://10.0.0.5:8080"), "scheme");
        assert!(!e.origin_allowed(&h, "http://10.0.0.5:9090"), "port");
        assert!(!e.origin_allowed(&h, "http://evil.example:8080"), "host");
        let tls = edge("https://dash.example.org", &["dash.example.org"]);
        let h = with_host("dash.example.org");
        assert!(tls.origin_allowed(&h, "https://dash.example.org"));
        assert!(!tls.origin_allowed(&h, "http://dash.example.org"));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_over_https() {
        let c = cookie(Some(("a.b", time::Duration::hours(1))), false);
        let c = c.to_str().unwrap();
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Max-Age=3600")
        );
        assert!(!c.contains("Secure"));
        let c = cookie(Some(("a.b", time::Duration::hours(1))), true);
        assert!(c.to_str().unwrap().ends_with("; Secure"));
        let gone = cookie(None, true);
        assert!(gone.to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; apo_session=x.y; b=2"),
        );
        assert_eq!(session_cookie(&h), Some("x.y"));
        h.insert(header::COOKIE, HeaderValue::from_static("apo_sessionx=1"));
        assert_eq!(session_cookie(&h), None);
    }
}
