//! The browser dashboard: the files Vite built into `--static-dir`, served at the root.
//!
//! The dashboard is one page application: every page address (`/wall`, `/delegate`,
//! `/secretariat`, `/secretariat/review`, `/productivity`, `/signin`, `/cards`, `/members/{iso3}`) answers with `index.html`, which routes on
//! the path; everything else is a file of the build. Vite names the files under `assets/` by their
//! content's hash, so they can be cached for good; `index.html` is revalidated on every load so a
//! new build reaches the projector at its next reload.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::services::ServeDir;

/// The addresses the page application answers, besides `/members/{iso3}`.
pub const PAGES: [&str; 8] = [
    "/",
    "/wall",
    "/delegate",
    "/secretariat",
    "/secretariat/review",
    "/productivity",
    "/signin",
    "/cards",
];

/// Routes for the pages and the built files in `dir`.
pub fn router<S: Clone + Send + Sync + 'static>(dir: &Path) -> Router<S> {
    let index = dir.join("index.html");
    let mut router = Router::new();
    for page in PAGES {
        router = router.route(page, page_route(&index));
    }
    router = router.route("/members/{iso3}", page_route(&index));
    let files = ServeDir::new(dir).append_index_html_on_directories(false);
    router.fallback(get(move |req: Request<Body>| {
        serve_file(files.clone(), req)
    }))
}

fn page_route<S: Clone + Send + Sync + 'static>(index: &Path) -> axum::routing::MethodRouter<S> {
    let index: PathBuf = index.to_owned();
    get(move || {
        let index = index.clone();
        async move { page(&index).await }
    })
}

async fn page(index: &Path) -> Response {
    match tokio::fs::read(index).await {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(path = %index.display(), error = %e, "the dashboard is not built");
            (StatusCode::SERVICE_UNAVAILABLE, Html(NOT_BUILT)).into_response()
        }
    }
}

async fn serve_file(mut files: ServeDir, req: Request<Body>) -> Response {
    let immutable = req.uri().path().starts_with("/assets/");
    let mut response = match files.try_call(req).await {
        Ok(r) => r.map(Body::new),
        Err(e) => {
            tracing::error!(error = %e, "reading a dashboard file");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if response.status().is_success() && immutable {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    response
}

const NOT_BUILT: &str = concat!(
    "<!doctype html><html lang=en><meta charset=utf-8><title>APO Productivity Dashboard</title>",
    "<h1>The browser dashboard is not built</h1>",
    "<p>Build it with <code>npm --prefix frontend ci &amp;&amp; npm --prefix frontend run build</code> ",
    "(<code>scripts/run</code> does this), or point <code>--static-dir</code> at a built copy. ",
    "The API is running: <a href=/api/v1/openapi.json>/api/v1/openapi.json</a>.</p></html>"
);
