//! The files generated from the server's types for the browser, checked to be current: the
//! OpenAPI document (the REST types and the live frames' schemas, from which the frontend
//! generates its TypeScript) and one example of every live frame (which the frontend's tests
//! read back through its own code). A change to the server's types fails here until the files
//! are regenerated (`scripts/generate`), and the frontend's checks then fail until its side
//! follows; so neither side can change the contract alone.
//!
//! `APO_UPDATE_GENERATED=1` rewrites the files instead of comparing.

use std::path::PathBuf;

use crate::helpers::{Backend, spawn_app};

fn generated(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("frontend/src/generated")
        .join(name)
}

/// Compares `text` with the committed file `name`, or writes it when asked to.
fn check(name: &str, text: String) {
    let path = generated(name);
    if std::env::var_os("APO_UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != text {
        let line = committed
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .map_or(committed.lines().count().min(text.lines().count()), |l| l);
        panic!(
            "{} is stale: the server's types changed (first difference at line {}).\n\
             Regenerate it, and the frontend's types from it, with `scripts/generate`; \
             then make the frontend follow.",
            path.display(),
            line + 1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_openapi_document_is_the_servers() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc = app.get("/openapi.json").await;
    assert_eq!(doc.status, 200);
    for schema in ["ServerFrame", "ClientFrame", "Dashboard", "Op"] {
        assert!(
            doc.body["components"]["schemas"][schema].is_object(),
            "{schema} is in the document"
        );
    }
    check(
        "openapi.json",
        serde_json::to_string_pretty(&doc.body).unwrap() + "\n",
    );
    app.stop().await;
}

#[test]
fn the_committed_frame_examples_are_the_servers() {
    let examples = apo_dashboard::live::protocol::examples();
    check(
        "frames.json",
        serde_json::to_string_pretty(&examples).unwrap() + "\n",
    );
}
