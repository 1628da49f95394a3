//! Makes Cargo compile the server again when the browser dashboard it embeds changes.
//!
//! A release build carries `frontend/dist` inside the binary (src/http/site.rs, rust-embed).
//! Cargo tracks the files that were embedded, but not a folder that was missing when the
//! binary was compiled, nor files added to it later: without this, a release binary compiled
//! before the first `npm run build` (a fresh clone's `cargo build --release`, a benchmark)
//! would go on serving "not built" after it, `scripts/run` included. Debug builds read the
//! folder at run time and need nothing.
//!
//! Also the migrations, in every build: `sqlx::migrate!` reads them when the server compiles,
//! and Cargo would not notice a new one (seen: a test ran the binary without migration 0006).

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=migrations");
    if std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_some() {
        return;
    }
    // Cargo looks for the newest file under a folder it watches; a path that does not exist
    // would count as changed at every build (and compile the server every time), so until the
    // dashboard is built the folder it will appear in is watched instead.
    if std::path::Path::new("frontend/dist").is_dir() {
        println!("cargo::rerun-if-changed=frontend/dist");
    } else {
        println!("cargo::rerun-if-changed=frontend");
    }
}
