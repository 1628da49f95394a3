//! The built dashboard served at the root: every page address answers with `index.html`
//! (revalidated on each load), Vite's hashed files are cached for good, nothing outside the
//! folder is reachable, and an unbuilt dashboard says how to build it; without `--static-dir`
//! the binary serves the dashboard built into it, wherever it runs from.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

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
    let app = spawn_with(b, |c| c.static_dir = Some(dist.path().to_owned())).await;
    for page in [
        "/",
        "/wall",
        "/delegate",
        "/secretariat",
        "/productivity",
        "/members/VNM",
        "/projects",
        "/accreditations",
        "/gp",
        "/trainings",
        "/projects/25-SN-03-GE-BCN-C",
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
    let app = spawn_with(b, |c| c.static_dir = Some(empty.path().join("dist"))).await;
    let (status, _, _, body) = raw_get(&app.base, "/wall").await;
    assert_eq!(status, 503);
    assert!(body.contains("npm --prefix frontend ci"), "{body}");
    // The API is unaffected.
    assert_eq!(app.get("/members").await.status, 200);
    app.stop().await;
}

/// The binary with neither `--static-dir` nor `APO_STATIC_DIR`, run from a folder with no
/// `frontend/dist` in it: the dashboard comes from inside the binary, with the same headers
/// as from a folder. In this debug build rust-embed reads this source tree's `frontend/dist`
/// at run time (a release build carries the files compiled in; its bytes are the same files),
/// so what is proven here is the choice: no folder given, the built-in set is served, whatever
/// the working directory. The dashboard is built first when it is not (`scripts/frontend`,
/// which needs npm and says how to install it). SQLite only: the database plays no part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_static_dir_the_binary_serves_the_dashboard_built_into_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dist = root.join("frontend/dist");
    if !dist.join("index.html").is_file() {
        let built = Command::new(root.join("scripts/frontend"))
            .stdout(Stdio::null())
            .output()
            .expect("scripts/frontend runs");
        assert!(
            built.status.success(),
            "this test needs the dashboard built, and scripts/frontend failed: {}",
            String::from_utf8_lossy(&built.stderr)
        );
    }
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap();
    let asset = index
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .filter(|src| src.starts_with("/assets/"))
        .unwrap_or_else(|| panic!("a script under /assets/ in index.html: {index}"))
        .to_owned();
    let asset_bytes = std::fs::read(dist.join(asset.trim_start_matches('/'))).unwrap();

    let elsewhere = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let db = format!("sqlite://{}", elsewhere.path().join("apo.db").display());
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_apo-dashboard"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .args(["--database-url", &db])
            .env_remove("APO_STATIC_DIR")
            .env("RUST_LOG", "warn")
            .current_dir(elsewhere.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("the binary starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..600 {
        if reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server did not answer /healthz within 30 s");

    for page in ["/", "/wall", "/members/VNM"] {
        let (status, cache, ty, body) = raw_get(&base, page).await;
        assert_eq!((status, cache.as_str()), (200, "no-cache"), "{page}");
        assert!(ty.starts_with("text/html"), "{page}: {ty}");
        assert_eq!(body, index, "{page}: the built index.html");
    }
    let r = reqwest::get(format!("{base}{asset}")).await.unwrap();
    assert_eq!(r.status(), 200, "{asset}");
    let h = r.headers().clone();
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert!(
        h["content-type"].to_str().unwrap().contains("javascript"),
        "{h:?}"
    );
    assert_eq!(r.bytes().await.unwrap()[..], asset_bytes[..], "{asset}");
    // A revalidation with the file's ETag costs nothing.
    let etag = h["etag"].to_str().unwrap().to_owned();
    let again = reqwest::Client::new()
        .get(format!("{base}{asset}"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304, "{etag}");
    for missing in ["/assets/nope.js", "/wal", "/%2e%2e/Cargo.toml", "/assets/"] {
        assert_eq!(raw_get(&base, missing).await.0, 404, "{missing}");
    }
    drop(server);
}

/// The server process, killed however the test ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
