//! How the live endpoint is run: the origin allow-list, the caps on connections and message
//! size, shutdown with 1001, replicas on PostgreSQL, and the load generator.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::helpers::{Backend, primer, spawn_app, spawn_replica, spawn_with};
use crate::live::{connect, post_report, with_primer_and};
use crate::metrics::scrape;

crate::on_both_backends!(
    a_foreign_origin_is_refused,
    shutdown_closes_sockets_with_going_away,
    an_oversized_message_closes_with_1009_and_the_connection_cap_answers_503,
    the_load_generator_measures_every_report_on_every_socket,
);

async fn a_foreign_origin_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    let mut req = app.live_request("");
    req.headers_mut()
        .insert("origin", "http://elsewhere.example".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 403),
        other => panic!("expected a 403, got {other:?}"),
    }
    // The server's own origin is fine.
    let mut req = app.live_request("");
    let own = app.base.clone();
    req.headers_mut().insert("origin", own.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_ok());
    app.stop().await;
}

async fn shutdown_closes_sockets_with_going_away(b: Backend) {
    let app = spawn_app(b).await;
    let mut c = connect(&app, "").await;
    assert_eq!(c.next().await["type"], "snapshot");
    let stopping = tokio::spawn(app.stop());
    assert_eq!(c.close_code().await, 1001);
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the server stops once sockets are closed")
        .unwrap();
}

/// Two `serve` processes on one PostgreSQL database: a write taken by one reaches the other's
/// sockets with the same revision, through NOTIFY (the periodic look at the revision is set to
/// an hour here, so only NOTIFY can deliver in time); when the LISTEN connections are killed,
/// the replicas reconnect and catch up by revision: nothing is missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_postgres_stream_the_same_revisions_and_survive_a_killed_listener() {
    let hourly = |c: &mut apo_dashboard::config::ServeConfig| c.revision_poll_secs = 3600;
    let a = spawn_with(Backend::Postgres, hourly).await;
    let b = spawn_replica(&a, hourly).await;
    assert_eq!(
        a.put("/primers/VNM", &primer("VNM", "draft", 4))
            .await
            .status,
        200
    );
    b.dashboard_when_current(2026).await;
    let mut on_b = connect(&b, "").await;
    on_b.until(1).await;
    let rev = post_report(&a, "VNM-KR1", 120.0).await;
    on_b.until(rev).await;
    // Every write so far was A's. A hears its own announcements after it has applied them,
    // and they wake nothing; B catches up on each it hears.
    let (known, new) = (
        r#"apo_revision_notifications_total{revision="known"}"#,
        r#"apo_revision_notifications_total{revision="new"}"#,
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let on_a = loop {
        let m = scrape(&a).await;
        if m[known] >= 1.0 || Instant::now() > deadline {
            break m;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        on_a[known] >= 1.0,
        "A heard its own announcements: {on_a:?}"
    );
    assert_eq!(on_a[new], 0.0, "nothing new to A");
    let on_b_heard = scrape(&b).await;
    assert!(on_b_heard[new] >= 1.0, "B was told of A's writes");
    assert_eq!(on_b_heard[known], 0.0, "B wrote nothing");

    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&a.database_url)
        .await
        .unwrap();
    let (killed,): (i64,) = sqlx::query_as(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'
           AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(killed, 2, "both replicas were listening");
    for v in [121.0, 122.0, 123.0] {
        post_report(&a, "VNM-KR2", v).await;
    }
    let rev = a.store.current_rev().await.unwrap();
    on_b.until(rev).await;
    on_b.assert_served(&a, 2026, "replica B's live copy vs A")
        .await;
    assert_eq!(scrape(&a).await[new], 0.0, "still nothing new to A");
    b.stop().await;
    a.stop().await;
}

async fn an_oversized_message_closes_with_1009_and_the_connection_cap_answers_503(b: Backend) {
    let app = spawn_with(b, |c| c.max_connections = 1).await;
    let mut c = connect(&app, "").await;
    assert_eq!(c.next().await["type"], "snapshot");
    // The cap: one socket is open, a second is refused before the upgrade.
    match tokio_tungstenite::connect_async(app.live_request("")).await {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!("expected a 503, got {other:?}"),
    }
    // A client message over 4 KiB closes the socket with 1009 (message too big).
    let big = format!(
        r#"{{"type":"resume","since":0,"pad":"{}"}}"#,
        "x".repeat(8 * 1024)
    );
    let _ = c.ws.send(Message::Text(big.into())).await;
    assert_eq!(c.close_code().await, 1009);
    app.stop().await;
}

async fn the_load_generator_measures_every_report_on_every_socket(b: Backend) {
    let app = with_primer_and(b, |c| c.live_stall_ms = 100).await;
    // The load generator is a binary of its own (benches/loadgen), run as a bench runs it.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_apo-loadgen"))
        .args([
            "--url",
            &app.base,
            "--clients",
            "10",
            "--updates",
            "50",
            "--rate",
            "20",
            "--token",
            &app.token,
        ])
        .args(["--server-pid", &std::process::id().to_string()])
        // Clients 4 and 9 stop reading during the posting (2.5 s; a ping goes once 12 to
        // 20 KiB are unacknowledged, and the stall limit is 0.1 s).
        .args(["--stalled", "0.2"])
        .output()
        .await
        .expect("apo-loadgen runs");
    assert!(
        out.status.success(),
        "apo-loadgen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(report["missing"], 0, "{report}");
    assert_eq!(
        report["resync_snapshots"], 0,
        "the reading clients kept up: {report}"
    );
    assert!(
        report["patch_deliveries"].as_u64().unwrap() >= 5,
        "{report}"
    );
    // Every report reached each of the 8 reading clients; the rates run over the time from
    // the first send (the 50th is sent 2.45 s after it) to the last patch.
    assert_eq!(report["report_deliveries"], 8 * 50, "{report}");
    let span = report["span_s"].as_f64().unwrap();
    assert!(span >= 2.45, "{report}");
    let rate = report["report_deliveries_per_s"].as_f64().unwrap();
    assert!((rate - 400.0 / span).abs() < 1e-6, "{report}");
    let (p50, max) = (
        report["p50_ms"].as_f64().unwrap(),
        report["max_ms"].as_f64().unwrap(),
    );
    assert!(0.0 <= p50 && p50 <= max, "{report}");
    // Each update's last delivery: the slowest of them is the slowest delivery of all.
    let last_p50 = report["update_last_p50_ms"].as_f64().unwrap();
    assert!(p50 <= report["p95_ms"].as_f64().unwrap(), "{report}");
    assert!(last_p50 <= max, "{report}");
    assert_eq!(report["update_last_max_ms"], report["max_ms"], "{report}");
    // Each report's send (the generator's own delay past its scheduled time) comes before
    // the POST's answer, so their medians are in that order.
    let late = report["send_late_p50_ms"].as_f64().unwrap();
    let answered = report["post_answered_p50_ms"].as_f64().unwrap();
    assert!(0.0 <= late && late <= answered, "{report}");
    assert!(
        report["server_rss_kib_per_connection"].is_number(),
        "{report}"
    );
    for cpu in ["server_cpu_cores", "generator_cpu_cores"] {
        assert!(report[cpu].as_f64().unwrap() >= 0.0, "{cpu}: {report}");
    }
    // The stalled clients were held back during the posting, and resynchronised by a
    // snapshot when they read again.
    assert_eq!(report["stalled_clients"], 2, "{report}");
    assert_eq!(report["stalled_resynced"], 2, "{report}");
    assert!(
        report["stalled_sent_until_s"].as_f64().unwrap() < 1.5,
        "{report}"
    );
    app.stop().await;
}
