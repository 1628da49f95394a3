//! The built dashboard served at the root: every page address answers with `index.html`
//! (revalidated on each load), Vite's hashed files are cached for good, nothing outside the
//! folder is reachable, and an unbuilt dashboard says how to build it.

use std::path::Path;

use crate::helpers::{Backend, spawn_with};

crate::on_both_backends!(
    pages_answer_with_the_built_index_and_assets_are_immutable,
    an_unbuilt_dashboard_says_how_to_build_it,
);

fn built(dir: &Path) {
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>built</title>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/index-1a2b3c.js"), "console.log('hi')").unwrap();
}

async fn raw_get(base: &str, path: &str) -> (u16, String, String, String) {
    let r = reqwest::get(format!("{base}{path}")).await.unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (cache, ty) = (header("cache-control"), header("content-type"));
    (r.status().as_u16(), cache, ty, r.text().await.unwrap())
}

async fn pages_answer_with_the_built_index_and_assets_are_immutable(b: Backend) {
    let dist = tempfile::tempdir().unwrap();
    built(dist.path());
    let app = spawn_with(b, |c| c.static_dir = dist.path().to_owned()).await;
    for page in [
        "/",
        "/wall",
        "/delegate",
        "/secretariat",
        "/productivity",
        "/members/VNM",
    ] {
        let (status, cache, ty, body) = raw_get(&app.base, page).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(cache, "no-cache", "{page}");
        assert!(ty.starts_with("text/html"), "{page}: {ty}");
        assert!(body.contains("<title>built</title>"), "{page}: {body}");
    }
    let (status, cache, ty, body) = raw_get(&app.base, "/assets/index-1a2b3c.js").await;
    assert_eq!(status, 200);
    assert_eq!(cache, "public, max-age=31536000, immutable");
    assert!(ty.contains("javascript"), "{ty}");
    assert_eq!(body, "console.log('hi')");
    for missing in ["/assets/nope.js", "/wal", "/members", "/%2e%2e/Cargo.toml"] {
        assert_eq!(raw_get(&app.base, missing).await.0, 404, "{missing}");
    }
    // The API keeps its own JSON 404 for unknown endpoints (behind the credential check: an
    // anonymous caller learns nothing of which exist).
    let (status, _, ty, _) = raw_get(&app.base, "/api/v1/nope").await;
    assert_eq!((status, ty.as_str()), (401, "application/json"));
    let r = app.get("/api/v1/nope").await;
    assert_eq!(r.status, 404, "{}", r.body);
    app.stop().await;
}

async fn an_unbuilt_dashboard_says_how_to_build_it(b: Backend) {
    let empty = tempfile::tempdir().unwrap();
    let app = spawn_with(b, |c| c.static_dir = empty.path().join("dist")).await;
    let (status, _, _, body) = raw_get(&app.base, "/wall").await;
    assert_eq!(status, 503);
    assert!(body.contains("npm --prefix frontend ci"), "{body}");
    // The API is unaffected.
    assert_eq!(app.get("/members").await.status, 200);
    app.stop().await;
}
