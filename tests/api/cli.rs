//! The binary as a user runs it: `serve --demo` on a fresh database prints its URLs and serves
//! the 21 members and Vietnam's primer, and on SIGTERM closes live sockets with 1001 and stops
//! cleanly; `import` and `migrate` work and report refusals on stderr with a non-zero exit.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Backend, fresh_database};

crate::on_both_backends!(
    serve_demo_from_a_fresh_database_prints_urls_serves_and_stops_on_sigterm,
    import_command_applies_a_folder_and_refuses_a_bad_one,
    token_and_workshop_commands_and_no_secret_in_any_log_line,
);

const BIN: &str = env!("CARGO_BIN_EXE_apo-dashboard");

async fn serve_demo_from_a_fresh_database_prints_urls_serves_and_stops_on_sigterm(b: Backend) {
    let (url, _dir) = fresh_database(b).await;
    let mut child = Command::new(BIN)
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = Vec::new();
    let base = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no API URL printed; got {printed:?}"));
        printed.push(line.clone());
        if let Some(u) = line.trim().strip_prefix("API:") {
            break u.trim().trim_end_matches("/api/v1/openapi.json").to_owned();
        }
    };
    // The printed links work at once: the wall's opens a viewer's session, the Secretariat's
    // signs in once.
    let link = |page: &str| -> String {
        let line = printed
            .iter()
            .find(|l| l.trim().starts_with(page))
            .unwrap_or_else(|| panic!("{page} in {printed:?}"));
        line.split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("a link in {line:?}"))
            .to_owned()
    };
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let open = async |url: &str| -> (u16, String, Option<String>) {
        let resp = no_redirects.get(url).send().await.unwrap();
        let to = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let cookie = resp
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
        (resp.status().as_u16(), to.unwrap_or_default(), cookie)
    };
    let (status, to, wall_cookie) = open(&link("wall (projector):")).await;
    assert_eq!((status, to.as_str()), (303, "/wall"));
    let wall_cookie = wall_cookie.expect("the wall's link sets a session cookie");
    let (status, to, once) = open(&link("Secretariat:")).await;
    assert_eq!((status, to.as_str()), (303, "/secretariat"));
    assert!(once.is_some());
    let (_, to, again) = open(&link("Secretariat:")).await;
    assert!(
        to.starts_with("/signin?error="),
        "a one-time link works once: {to}"
    );
    assert!(again.is_none());
    let anonymous = reqwest::Client::new()
        .get(format!("{base}/api/v1/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401, "reads need a credential");
    let client = reqwest::Client::new();
    let get = async |path: &str| -> serde_json::Value {
        let resp = client
            .get(format!("{base}/api/v1{path}"))
            .header("cookie", &wall_cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        resp.json().await.unwrap()
    };
    let members = get("/members").await;
    assert_eq!(members.as_array().unwrap().len(), 21);
    let vnm = get("/primers/VNM").await;
    assert_eq!(vnm["status"], "endorsed");
    for page in ["wall (projector):", "delegates:", "Secretariat:"] {
        assert!(
            printed.iter().any(|l| l.trim().starts_with(page)),
            "{page} in {printed:?}"
        );
    }
    // A live socket open at SIGTERM is closed with 1001 (going away), so that the browser
    // reconnects to another replica.
    let mut req =
        crate::helpers::ws_request(&(base.replace("http://", "ws://") + "/api/v1/live"), None);
    req.headers_mut()
        .insert("cookie", wall_cookie.parse().unwrap());
    let (mut live, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("live socket opens");
    let first = live.next().await.unwrap().unwrap();
    assert!(
        first
            .to_text()
            .unwrap()
            .starts_with(r#"{"type":"snapshot""#)
    );

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(10), live.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame after SIGTERM, got {other:?}"),
        }
    };
    assert_eq!(code, Some(1001));
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit on SIGTERM: {status:?}");
}

async fn import_command_applies_a_folder_and_refuses_a_bad_one(b: Backend) {
    let (url, _dir) = fresh_database(b).await;
    let migrate = Command::new(BIN)
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(migrate.status.success(), "{migrate:?}");
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("revision 0"));

    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("primers.csv"),
        "iso3,status,national_context\nSGP,submitted,Context.\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("key_results.csv"),
        "iso3,kr_code,pillar,focus_area,title,unit,direction\nSGP,SGP-KR1,2,Digital transformation,Firms digitalised,firms,increase\n",
    )
    .unwrap();
    let ok = Command::new(BIN)
        .args(["import", "--database-url", &url, "--actor", "ci"])
        .arg(folder.path())
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("changed at revision 1"));

    std::fs::write(
        folder.path().join("targets.csv"),
        "iso3,kr_code,year,target\nSGP,SGP-KR1,2035,10\n",
    )
    .unwrap();
    let refused = Command::new(BIN)
        .args(["import", "--database-url", &url])
        .arg(folder.path())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("targets.csv row 2: year:"), "{stderr}");
    assert!(stderr.contains("nothing written"), "{stderr}");
}

fn run(args: &[&str], url: &str) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .args(["--database-url", url])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `token create` prints the token once, as the last word; `token list` shows it without its
/// secret; `token revoke` (by id) ends it for a running server too. `workshop open` prints a
/// join code and 21 cards. The server's log, at debug level, never holds a token, a card's code
/// or a session's cookie.
async fn token_and_workshop_commands_and_no_secret_in_any_log_line(b: Backend) {
    let (url, _dir) = fresh_database(b).await;
    let (ok, out, err) = run(
        &[
            "token",
            "create",
            "--role",
            "editor",
            "--member",
            "VNM",
            "--expires",
            "30d",
            "--label",
            "Viet Nam desk",
        ],
        &url,
    );
    assert!(ok, "{err}");
    let token = out.split_whitespace().last().unwrap().to_owned();
    assert!(token.starts_with("apo_"), "{out}");
    let id = &token[4..12];
    let (ok, list, _) = run(&["token", "list"], &url);
    assert!(ok);
    assert!(
        list.contains(id) && list.contains("Viet Nam desk") && list.contains("VNM"),
        "{list}"
    );
    assert!(!list.contains(&token[13..]), "the list shows no secret");
    let (ok, _, err) = run(&["token", "create", "--role", "editor"], &url);
    assert!(
        !ok && err.contains("member"),
        "an editor needs a member: {err}"
    );

    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let base = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server prints its URLs");
        if let Some(u) = line.trim().strip_prefix("API:") {
            break u.trim().trim_end_matches("/api/v1/openapi.json").to_owned();
        }
    };
    let client = reqwest::Client::new();
    let members = client
        .get(format!("{base}/api/v1/members"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(members.status(), 200);
    let (ok, out, _) = run(
        &[
            "workshop",
            "open",
            "--title",
            "CLI workshop",
            "--public-url",
            "http://10.1.2.3:8080",
        ],
        &url,
    );
    assert!(ok);
    let cards: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("http://10.1.2.3:8080/join/"))
        .collect();
    assert_eq!(cards.len(), 22, "the join code and 21 cards: {out}");
    let card = cards[1]
        .split_whitespace()
        .find(|w| w.len() == 14 && w.matches('-').count() == 2)
        .unwrap()
        .to_owned();
    let joined = client
        .post(format!("{base}/api/v1/session/join"))
        .json(&serde_json::json!({ "code": card }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        joined.status(),
        200,
        "a card printed by the command line works at once"
    );
    let cookie = joined.headers()["set-cookie"].to_str().unwrap().to_owned();
    // A phone scanning a card: the code is in the path.
    let scanned = cards[2]
        .split_whitespace()
        .find(|w| w.len() == 14 && w.matches('-').count() == 2)
        .unwrap()
        .to_owned();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = no_redirects
        .get(format!("{base}/join/{}", scanned.replace('-', "")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let (ok, out, _) = run(&["token", "revoke", id], &url);
    assert!(ok && out.contains("revoked"), "{out}");
    // The running server hears of it within its next look (four a second).
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        let status = client
            .get(format!("{base}/api/v1/members"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status();
        if status == 401 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    let log = log.join().unwrap();
    assert!(log.contains("request"), "the log was captured: {log}");
    let session = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
    for (what, secret) in [
        ("token", &token[13..]),
        ("card code", &card.replace('-', "")[4..]),
        ("scanned card's code", &scanned.replace('-', "")[4..]),
        ("session", session.split('.').nth(1).unwrap()),
    ] {
        assert!(!log.contains(secret), "the {what} is in the log");
    }
}
