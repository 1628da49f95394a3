//! Retries never double-count: the binary is killed with SIGKILL again and again while clients
//! send reports, each with its own `Idempotency-Key`, and resend every one that got no answer
//! with the same key until it does. Whatever moment each kill hit (before the commit, between
//! the commit and the answer, after the answer), every report is stored exactly once, and a
//! retry's answer names the revision that stored it.

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::{Backend, free_port, fresh_database};

crate::on_both_backends!(
    killed_during_retried_writes_every_report_is_stored_exactly_once,
    killed_during_group_committed_bursts_every_acknowledged_write_is_kept_in_its_own_revision
);

const BIN: &str = env!("CARGO_BIN_EXE_apo-dashboard");
/// Reports sent, by this many clients at once.
const REPORTS: usize = 600;
const CLIENTS: usize = 12;
/// Kills while they are sent.
const KILLS: usize = 4;

/// The server on `port`, answering `/healthz`.
async fn start(url: &str, port: u16) -> Child {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--demo",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--writes-per-second",
            "100000",
        ])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill9(&mut child);
    panic!("the server did not answer /healthz within 30 s");
}

/// Every stored report, newest first.
async fn reports(client: &reqwest::Client, base: &str, token: &str) -> Vec<Value> {
    let r: Value = client
        .get(format!("{base}/actuals?limit=10000"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r.as_array().expect("a list of reports").clone()
}

/// The server process, killed however the test ends (a failed assertion included).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kill9(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap();
}

async fn killed_during_retried_writes_every_report_is_stored_exactly_once(b: Backend) {
    let (url, _dir) = fresh_database(b).await;
    let token = secretariat_token(&url, "retrying script");
    let port = free_port();
    let mut server = Server(start(&url, port).await);
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let before = reports(&client, &base, &token).await.len();

    // Report i carries the value i/10 (in every key result's range) on VNM-KR1 or VNM-KR2,
    // so that the stored rows say which report each is.
    let next = Arc::new(Mutex::new(0usize));
    let answers: Arc<Mutex<BTreeMap<usize, (i64, bool)>>> = Arc::default();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (next, answers, client, base, token) = (
            next.clone(),
            answers.clone(),
            client.clone(),
            base.clone(),
            token.clone(),
        );
        clients.push(tokio::spawn(async move {
            loop {
                let i = {
                    let mut n = next.lock().await;
                    if *n == REPORTS {
                        return;
                    }
                    *n += 1;
                    *n - 1
                };
                let body = json!({
                    "iso3": "VNM",
                    "kr_code": if i % 2 == 0 { "VNM-KR1" } else { "VNM-KR2" },
                    "year": 2026,
                    "value": i as f64 / 10.0,
                });
                let key = format!("report-{i}");
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    assert!(attempts < 2000, "report {i} never got an answer");
                    let sent = client
                        .post(format!("{base}/actuals"))
                        .bearer_auth(&token)
                        .header("idempotency-key", &key)
                        .json(&body)
                        .send()
                        .await;
                    let Ok(r) = sent else {
                        // The server is down: it comes back on the same port.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    let status = r.status().as_u16();
                    let replayed = r.headers().contains_key("idempotent-replayed");
                    let Ok(answer) = r.json::<Value>().await else {
                        continue;
                    };
                    match status {
                        201 | 200 => {
                            let rev = answer["rev"].as_i64().expect("a revision");
                            answers.lock().await.insert(i, (rev, replayed));
                            break;
                        }
                        // Being served by the process that is still up, or the database was
                        // away a moment: the same key again.
                        409 | 503 => tokio::time::sleep(Duration::from_millis(20)).await,
                        other => panic!("report {i}: {other} {answer}"),
                    }
                }
            }
        }));
    }
    for k in 0..KILLS {
        // Let some reports through, then kill in the middle of the stream.
        loop {
            let done = answers.lock().await.len();
            if done >= (k + 1) * REPORTS / (KILLS + 2) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        kill9(&mut server.0);
        tokio::time::sleep(Duration::from_millis(100)).await;
        server = Server(start(&url, port).await);
    }
    for c in clients {
        c.await.unwrap();
    }
    let answers = answers.lock().await.clone();
    assert_eq!(answers.len(), REPORTS);

    let rows = reports(&client, &base, &token).await;
    assert_eq!(
        rows.len() - before,
        REPORTS,
        "each report once: {} rows were added for {REPORTS} reports",
        rows.len() - before
    );
    // Each report's row is at the revision its answer named (a replayed answer included).
    let mut stored: HashMap<i64, i64> = HashMap::new();
    for r in rows
        .iter()
        .filter(|r| r["reported_by"] == "retrying script")
    {
        let value = (r["value"].as_f64().unwrap() * 10.0).round() as i64;
        assert!(
            stored.insert(value, r["rev"].as_i64().unwrap()).is_none(),
            "report {value} is stored twice"
        );
    }
    assert_eq!(stored.len(), REPORTS);
    let replays = answers.values().filter(|(_, replayed)| *replayed).count();
    for (i, (rev, _)) in &answers {
        assert_eq!(stored.get(&(*i as i64)), Some(rev), "report {i}'s revision");
    }
    eprintln!(
        "{b:?}: {REPORTS} reports, {KILLS} kills, {replays} answered from the kept key after a retry"
    );
    kill9(&mut server.0);
}

/// Writers at once in a burst: enough that writes queue behind each commit and share the next.
const BURST_CLIENTS: usize = 48;
/// Acknowledged reports to wait for before each kill.
const BURST_ACKS: usize = 300;

/// Group commit keeps every acknowledged write: 48 clients send reports as fast as they are
/// answered (no retries, no idempotency keys), the server is killed with SIGKILL in the middle
/// of the stream, twice, and restarted. Every report that was answered 201 is stored, at the
/// revision its answer named, and no two answers named the same revision; the revisions have
/// no gaps (each a row of the audit log); and the bursts were really grouped (the committer's
/// group sizes in `/metrics`).
async fn killed_during_group_committed_bursts_every_acknowledged_write_is_kept_in_its_own_revision(
    b: Backend,
) {
    let (url, _dir) = fresh_database(b).await;
    let token = secretariat_token(&url, "burst");
    let port = free_port();
    let mut server = Server(start(&url, port).await);
    let root = format!("http://127.0.0.1:{port}");
    let base = format!("{root}/api/v1");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let start_rev = current_rev(&client, &base, &token).await;

    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Report number → the revision its 201 named.
    let acked: Arc<Mutex<BTreeMap<usize, i64>>> = Arc::default();
    let mut grouped = 0.0f64;
    for round in 0..2 {
        let mut clients = Vec::new();
        for _ in 0..BURST_CLIENTS {
            let (next, acked, client, base, token) = (
                next.clone(),
                acked.clone(),
                client.clone(),
                base.clone(),
                token.clone(),
            );
            clients.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    // A distinct (key result, value) per report, in every key result's range.
                    let body = json!({
                        "iso3": "VNM",
                        "kr_code": if i % 2 == 0 { "VNM-KR1" } else { "VNM-KR2" },
                        "year": 2026,
                        "value": i as f64 / 100.0,
                    });
                    let Ok(r) = client
                        .post(format!("{base}/actuals"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                    else {
                        return; // killed: this report's fate is unknown, and allowed to be
                    };
                    let status = r.status().as_u16();
                    let Ok(answer) = r.json::<Value>().await else {
                        return;
                    };
                    assert_eq!(status, 201, "report {i}: {answer}");
                    let rev = answer["rev"].as_i64().expect("a revision");
                    acked.lock().await.insert(i, rev);
                }
            }));
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while acked.lock().await.len() < (round + 1) * BURST_ACKS {
            // A client stops only when the server dies: one that stopped before has failed.
            if let Some(i) = clients.iter().position(|c| c.is_finished()) {
                clients.swap_remove(i).await.unwrap();
                panic!("a client stopped while the server was up");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} reports acknowledged in 120 s",
                acked.lock().await.len()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if round == 0 {
            grouped = mean_group(&client, &root, &token).await;
        }
        kill9(&mut server.0);
        for c in clients {
            c.await.unwrap();
        }
        server = Server(start(&url, port).await);
    }
    let acked = acked.lock().await.clone();
    assert!(
        grouped > 1.0,
        "the committer grouped nothing under {BURST_CLIENTS} writers (mean group {grouped})"
    );

    // No two answers named the same revision.
    let mut revs: Vec<i64> = acked.values().copied().collect();
    revs.sort_unstable();
    revs.dedup();
    assert_eq!(
        revs.len(),
        acked.len(),
        "two acknowledged reports share a revision"
    );
    // Every acknowledged report is stored, at its revision.
    let stored: HashMap<i64, i64> = reports(&client, &base, &token)
        .await
        .iter()
        .filter(|r| r["reported_by"] == "burst")
        .map(|r| {
            let i = (r["value"].as_f64().unwrap() * 100.0).round() as i64;
            (i, r["rev"].as_i64().unwrap())
        })
        .collect();
    for (i, rev) in &acked {
        assert_eq!(
            stored.get(&(*i as i64)),
            Some(rev),
            "acknowledged report {i} (revision {rev}) after the kills"
        );
    }
    // The revisions after the start have no gaps: each is one write with its audit row.
    let end_rev = current_rev(&client, &base, &token).await;
    let audit: Value = client
        .get(format!(
            "{base}/audit?from_rev={}&limit=10000",
            start_rev + 1
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut audited: Vec<i64> = audit
        .as_array()
        .expect("audit rows")
        .iter()
        .map(|a| a["rev"].as_i64().unwrap())
        .collect();
    audited.sort_unstable();
    let expected: Vec<i64> = (start_rev + 1..=end_rev).collect();
    assert_eq!(audited, expected, "one audit row per revision, no gaps");
    assert!(stored.len() >= acked.len());
    eprintln!(
        "{b:?}: {} acknowledged, {} stored, mean group {grouped:.1} before the first kill",
        acked.len(),
        stored.len()
    );
    kill9(&mut server.0);
}

/// A Secretariat token made with the binary, labelled `label` (the audit log's actor).
fn secretariat_token(url: &str, label: &str) -> String {
    let created = Command::new(BIN)
        .args(["token", "create", "--role", "secretariat", "--label", label])
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    String::from_utf8_lossy(&created.stdout)
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .to_owned()
}

/// The dashboard's revision.
async fn current_rev(client: &reqwest::Client, base: &str, token: &str) -> i64 {
    let d: Value = client
        .get(format!("{base}/dashboard"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    d["rev"].as_i64().expect("the dashboard's revision")
}

/// Writes per commit so far, from `/metrics`.
async fn mean_group(client: &reqwest::Client, root: &str, token: &str) -> f64 {
    let text = client
        .get(format!("{root}/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sample = |name: &str| {
        text.lines()
            .find_map(|l| {
                l.strip_prefix(name)
                    .and_then(|v| v.trim().parse::<f64>().ok())
            })
            .unwrap_or_else(|| panic!("{name} is not in /metrics:\n{text}"))
    };
    sample("apo_store_group_commit_writes_sum") / sample("apo_store_group_commit_writes_count")
}
