//! The browser dashboard, served at the root: the files Vite builds into `frontend/dist`.
//!
//! The dashboard is one page application: every page address (`/wall`, `/delegate`,
//! `/secretariat`, `/secretariat/review`, `/productivity`, `/projects`, `/signin`, `/cards`,
//! `/members/{iso3}`, `/projects/{code}`) answers with `index.html`, which routes on the path; everything else is a
//! file of the build. Vite names the files under `assets/` by their content's hash, so they can
//! be cached for good; `index.html` is revalidated on every load so a new build reaches the
//! projector at its next reload.
//!
//! Where the files come from:
//!
//! - **Inside the binary** (no `--static-dir`): `frontend/dist` is embedded with rust-embed, so
//!   copying the release binary to a meeting-room laptop is the whole installation. A release
//!   build holds the folder as it was when the binary was compiled (`scripts/run` and the
//!   Dockerfile build the frontend first; `build.rs` makes Cargo compile again when the folder
//!   appears or changes). A debug build (`cargo run`, the tests) reads the same folder of this
//!   source tree at run time instead, so a rebuilt frontend shows without compiling again.
//! - **From `--static-dir DIR`**: the files of `DIR`, read at each request (frontend
//!   development: `npm --prefix frontend run build -- --watch` beside the server).
//!
//! A binary built without the frontend (a fresh clone's `cargo build` or `cargo nextest run`:
//! the folder is allowed to be missing, so the build does not break) serves everything but the
//! dashboard: its page addresses answer 503 with a page that says how to build it, its files
//! are 404, and the API, the live endpoint and the health checks work as ever. So does a
//! `--static-dir` that holds no build.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::services::ServeDir;

/// The addresses the page application answers, besides `/members/{iso3}` and
/// `/projects/{code}`.
pub const PAGES: [&str; 12] = [
    "/",
    "/wall",
    "/delegate",
    "/secretariat",
    "/secretariat/review",
    "/productivity",
    "/projects",
    "/accreditations",
    "/gp",
    "/trainings",
    "/signin",
    "/cards",
];

/// The cache policy of Vite's content-hashed files.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The built dashboard inside the binary (see the module's documentation). `allow_missing`:
/// a build without `frontend/dist` compiles, and embeds nothing.
#[derive(rust_embed::RustEmbed)]
#[folder = "frontend/dist"]
#[allow_missing = true]
struct Embedded;

/// Where the dashboard's files are read from.
#[derive(Debug, Clone)]
enum Source {
    /// Inside the binary (a debug build: this source tree's `frontend/dist`, at run time).
    Embedded,
    /// `--static-dir`.
    Folder(PathBuf),
}

impl Source {
    /// The page application's `index.html`, or why there is none.
    async fn index(&self) -> Result<Cow<'static, [u8]>, String> {
        match self {
            Self::Embedded => Embedded::get("index.html")
                .map(|f| f.data)
                .ok_or_else(|| "this binary was built without the dashboard".to_owned()),
            Self::Folder(dir) => {
                let path = dir.join("index.html");
                tokio::fs::read(&path)
                    .await
                    .map(Cow::Owned)
                    .map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }

    /// Says at start where the dashboard comes from, and warns when there is none.
    fn announce(&self) {
        match self {
            Self::Embedded if Embedded::get("index.html").is_some() => {
                tracing::info!(
                    files = Embedded::iter().count(),
                    "the browser dashboard is served from inside the binary"
                );
            }
            Self::Embedded => tracing::warn!(
                "this binary was built without the browser dashboard: its pages say how to \
                 build it (the API is served as ever)"
            ),
            Self::Folder(dir) if dir.join("index.html").is_file() => {
                tracing::info!(dir = %dir.display(), "the browser dashboard is served from --static-dir");
            }
            Self::Folder(dir) => tracing::warn!(
                dir = %dir.display(),
                "--static-dir holds no built dashboard (no index.html): its pages say how to build it"
            ),
        }
    }
}

/// Routes for the pages and the built files: from `static_dir` when given, else from inside
/// the binary.
pub fn router<S: Clone + Send + Sync + 'static>(static_dir: Option<&Path>) -> Router<S> {
    let source = match static_dir {
        Some(dir) => Source::Folder(dir.to_owned()),
        None => Source::Embedded,
    };
    source.announce();
    let source = Arc::new(source);
    let mut router = Router::new();
    for page in PAGES {
        router = router.route(page, page_route(&source));
    }
    router = router.route("/members/{iso3}", page_route(&source));
    router = router.route("/projects/{code}", page_route(&source));
    match &*source {
        Source::Folder(dir) => {
            let files = ServeDir::new(dir).append_index_html_on_directories(false);
            router.fallback(get(move |req: Request<Body>| {
                serve_from_folder(files.clone(), req)
            }))
        }
        Source::Embedded => router.fallback(get(|req: Request<Body>| async move {
            serve_embedded(req.uri().path(), req.headers())
        })),
    }
}

fn page_route<S: Clone + Send + Sync + 'static>(
    source: &Arc<Source>,
) -> axum::routing::MethodRouter<S> {
    let source = source.clone();
    get(move || {
        let source = source.clone();
        async move { page(&source).await }
    })
}

async fn page(source: &Source) -> Response {
    match source.index().await {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            html,
        )
            .into_response(),
        Err(why) => {
            tracing::warn!(why, "the dashboard is not built");
            (StatusCode::SERVICE_UNAVAILABLE, Html(NOT_BUILT)).into_response()
        }
    }
}

async fn serve_from_folder(mut files: ServeDir, req: Request<Body>) -> Response {
    let immutable = req.uri().path().starts_with("/assets/");
    let mut response = match files.try_call(req).await {
        Ok(r) => r.map(Body::new),
        Err(e) => {
            tracing::error!(error = %e, "reading a dashboard file");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if response.status().is_success() && immutable {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    }
    response
}

/// A file from inside the binary, as [`ServeDir`] answers one from a folder: its type from
/// its name, 404 for anything else; with an `ETag` (its content's hash), so that a
/// revalidation costs a 304.
fn serve_embedded(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = file_name(path).and_then(|name| Embedded::get(&name)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let hash = file.metadata.sha256_hash();
    let etag = format!("\"{}\"", crate::access::secrets::hex(&hash[..16]));
    let mut response = if not_modified(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Body::from(file.data).into_response();
        if let Ok(v) = HeaderValue::from_str(file.metadata.mimetype()) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if path.starts_with("/assets/") {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    }
    response
}

/// Whether the request's `If-None-Match` names `etag` (or `*`).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// The name of the built file a request path asks for: percent-decoded and relative, made of
/// plain segments only (none empty, `.` or `..`, no backslash or NUL), else none: nothing
/// outside the build can be named.
fn file_name(path: &str) -> Option<String> {
    let name = percent_decode(path.strip_prefix('/')?)?;
    let plain = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']);
    name.split('/').all(plain).then_some(name)
}

/// `%XX` escapes decoded; none if one is malformed or the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

const NOT_BUILT: &str = concat!(
    "<!doctype html><html lang=en><meta charset=utf-8><title>APO Productivity Dashboard</title>",
    "<h1>The browser dashboard is not built</h1>",
    "<p>This server has no dashboard to serve: it was compiled before the dashboard was built, ",
    "or <code>--static-dir</code> names a folder without one. ",
    "Build it with <code>npm --prefix frontend ci &amp;&amp; npm --prefix frontend run build</code>, ",
    "then build the server again to carry it inside (<code>scripts/run</code> does both), ",
    "or point <code>--static-dir</code> at a built copy. ",
    "The API is running: <a href=/api/v1/openapi.json>/api/v1/openapi.json</a>.</p></html>"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_names_reach_the_build() {
        let table = [
            ("/assets/index-1a2b.js", Some("assets/index-1a2b.js")),
            ("/favicon.svg", Some("favicon.svg")),
            ("/assets/a%20b.css", Some("assets/a b.css")),
            ("/%2e%2e/Cargo.toml", None),
            ("/assets/../../Cargo.toml", None),
            ("/assets/./x.js", None),
            ("//etc/passwd", None),
            ("/assets/", None),
            ("/a%5cb", None),
            ("/a%00b", None),
            ("/bad%zz", None),
            ("/bad%2", None),
            ("/%ff", None),
            ("relative", None),
        ];
        for (path, expected) in table {
            assert_eq!(file_name(path).as_deref(), expected, "{path}");
        }
    }

    #[test]
    fn a_revalidation_names_the_etag_or_any() {
        let etag = "\"abc\"";
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(not_modified(&with("\"abc\""), etag));
        assert!(not_modified(&with("\"x\", W/\"abc\""), etag));
        assert!(not_modified(&with("*"), etag));
        assert!(!not_modified(&with("\"abd\""), etag));
        assert!(!not_modified(&HeaderMap::new(), etag));
    }
}
