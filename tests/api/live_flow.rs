//! Slow and stalled live clients (tokio-tungstenite) against the real server: a client that
//! does not read delays no one, one that stops reading is held back (by the stall limit or by
//! the window of unacknowledged bytes) and resynchronised by snapshot, and one that falls
//! behind its queue gets a snapshot instead of what it missed.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Backend, spawn_with};
use crate::live::{connect, post_report, with_primer, with_primer_and, write_elsewhere};

crate::on_both_backends!(
    a_client_that_does_not_read_delays_no_one_and_converges,
    a_client_that_stops_reading_is_held_back_then_resynced_by_snapshot,
    a_client_with_a_window_of_unread_patches_is_held_back,
    a_client_that_falls_behind_its_queue_gets_a_snapshot,
    a_peer_that_never_answers_a_ping_is_closed_with_1008,
);

async fn a_client_that_does_not_read_delays_no_one_and_converges(b: Backend) {
    let app = with_primer(b).await;
    let mut stalled = connect(&app, "").await;
    let mut reader = connect(&app, "").await;
    reader.until(1).await;
    for i in 0..60 {
        post_report(&app, &format!("VNM-KR{}", i % 4 + 1), 100.0 + i as f64).await;
        // The reading client keeps up while the other reads nothing.
        let rev = app.store.current_rev().await.unwrap();
        if i % 10 == 9 {
            reader.until(rev).await;
        }
    }
    let rev = app.store.current_rev().await.unwrap();
    reader.until(rev).await;
    stalled.until(rev).await;
    stalled
        .assert_served(&app, 2026, "the stalled client converged")
        .await;
    app.stop().await;
}

/// Flow control: a client that stops reading does not answer the next ping (each heartbeat
/// carries one; here they are a second apart); once that ping is older than
/// the stall limit the server sends it nothing more (the kernel's buffers do not fill with
/// patches it would read late). When it reads again it answers, and gets a snapshot at the
/// current revision.
async fn a_client_that_stops_reading_is_held_back_then_resynced_by_snapshot(b: Backend) {
    let app = with_primer_and(b, |c| {
        c.live_stall_ms = 300;
        c.heartbeat_secs = 1;
    })
    .await;
    let mut stalled = connect(&app, "").await;
    let mut reader = connect(&app, "").await;
    stalled.until(1).await;
    reader.until(1).await;
    // The stalled client reads nothing from here on; the reader keeps up. The heartbeat
    // within this second carries a ping, which the stalled client leaves unanswered past the
    // stall limit (300 ms here); the next patch finds it lagging.
    reader.keep_reading(Duration::from_millis(1100)).await;
    let first = post_report(&app, "VNM-KR1", 101.0).await;
    reader.until(first).await;
    reader.keep_reading(Duration::from_millis(400)).await;
    let mut last = first;
    for i in 0..5 {
        last = post_report(&app, "VNM-KR2", 110.0 + i as f64).await;
        reader.until(last).await;
    }
    assert_eq!(app.hub.behind(), 1, "the stalled client is held back");
    // Reading again: what was sent before it was held back, then a snapshot once it answers.
    stalled.until(last).await;
    assert_eq!(stalled.snapshots, 2, "resynchronised with a snapshot");
    stalled
        .assert_served(&app, 2026, "the resynchronised client")
        .await;
    assert_eq!(reader.snapshots, 1, "the reader was never held back");
    app.stop().await;
}

/// The window: a peer that has more than 32 KiB of patches it has not shown it read (no
/// answer to the ping sent before them) is held back long before the stall limit (an hour
/// here), and resynchronised by a snapshot when it reads again.
async fn a_client_with_a_window_of_unread_patches_is_held_back(b: Backend) {
    let app = spawn_with(b, |c| {
        c.demo = true;
        c.live_stall_ms = 3_600_000;
    })
    .await;
    let mut stalled = connect(&app, "").await;
    let mut reader = connect(&app, "").await;
    let start = app.store.current_rev().await.unwrap();
    stalled.until(start).await;
    reader.until(start).await;
    let mut rev = start;
    for i in 0..200 {
        rev = post_report(&app, "VNM-KR1", 300.0 + i as f64).await;
        reader.until(rev).await;
        if app.hub.behind() > 0 {
            break;
        }
    }
    let patches = rev - start;
    assert_eq!(app.hub.behind(), 1, "held back after {patches} patches");
    assert!(
        patches > 5,
        "not before the window is used: {patches} patches"
    );
    stalled.until(rev).await;
    assert_eq!(stalled.snapshots, 2, "resynchronised with a snapshot");
    stalled
        .assert_served(&app, 2026, "the held-back client")
        .await;
    app.stop().await;
}

/// A socket whose sends are blocked (the kernel's buffers are full) cannot take the frames
/// published meanwhile; once more than the queue's worth of them wait, what waits (but for a
/// frame cut short) is replaced by one fresh snapshot, and the client converges.
async fn a_client_that_falls_behind_its_queue_gets_a_snapshot(b: Backend) {
    let app = spawn_with(b, |c| {
        c.demo = true;
        c.live_queue = 2;
        c.live_stall_ms = 60_000;
        // It asks for 200 snapshots on purpose: not refused here (tests/api/live_abuse.rs
        // holds the server to refusing them by default).
        c.live_resume_burst = 1_000;
        c.live_resumes_per_minute = 100_000;
    })
    .await;
    let mut slow = connect(&app, "").await;
    let mut reader = connect(&app, "").await;
    slow.until(app.store.current_rev().await.unwrap()).await;
    reader.until(slow.rev).await;
    // The slow client asks for snapshots (too old a revision) without reading them: its
    // socket's buffers fill and its sends block; the frames published meanwhile overflow its
    // queue. (200 demo snapshots are far more than the kernel's buffers hold.)
    let mut rev = slow.rev;
    let mut asked = 0;
    for round in 0..10 {
        for _ in 0..20 {
            slow.send(json!({"type": "resume", "since": -1})).await;
        }
        asked += 20;
        for i in 0..4 {
            rev = post_report(&app, "VNM-KR1", 200.0 + (round * 4 + i) as f64).await;
            reader.until(rev).await;
        }
    }
    // Reading again: what was written or cut short before it fell behind, then snapshots (the
    // ones it asked for that were not dropped, and one for each time it fell behind), the
    // last one current; every patch it is sent applies to the revision it holds.
    slow.until(rev).await;
    slow.keep_reading(Duration::from_millis(300)).await;
    let lagged = app.hub.lagged();
    assert!(lagged >= 1, "the slow socket fell behind its queue");
    assert!(
        (2..=1 + asked + lagged).contains(&slow.snapshots),
        "{} snapshots for {asked} asked and {lagged} times behind",
        slow.snapshots
    );
    assert_eq!(slow.rev, rev);
    slow.assert_served(&app, 2026, "the slow client").await;
    app.stop().await;
}

/// On one thread, as the hub publishes a burst of changes (another process's writes, heard of
/// together) before a fan-out task can take any, the fan-out falls more than `--live-queue`
/// (here 1) frames behind the hub: its sockets get a snapshot instead of what it missed, and
/// converge. On SQLite the burst is certain (this server finds another process's writes at
/// its next look); on PostgreSQL each write is heard of as it commits, and the fan-out may keep
/// up.
async fn a_fan_out_that_falls_behind_the_hub_sends_a_snapshot(b: Backend) {
    let app = with_primer_and(b, |c| c.live_queue = 1).await;
    let mut c = connect(&app, "").await;
    c.until(1).await;
    let revs = write_elsewhere(
        &app,
        &["VNM-KR1", "VNM-KR2", "VNM-KR3", "VNM-KR4", "VNM-KR1"],
    )
    .await;
    c.until(*revs.last().unwrap()).await;
    c.assert_served(&app, 2026, "after the fan-out fell behind")
        .await;
    if b == Backend::Sqlite {
        assert!(app.hub.lagged() >= 1, "the fan-out fell behind the hub");
        assert!(c.snapshots >= 2, "resynchronised by a snapshot");
    }
    app.stop().await;
}

mod fan_out_behind_the_hub {
    use crate::helpers::Backend;

    #[tokio::test(flavor = "current_thread")]
    async fn sqlite() {
        super::a_fan_out_that_falls_behind_the_hub_sends_a_snapshot(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "current_thread")]
    async fn postgres() {
        super::a_fan_out_that_falls_behind_the_hub_sends_a_snapshot(Backend::Postgres).await
    }
}

/// A peer that is gone (here: one that never reads, so it never answers a ping) is held back,
/// then closed with 1008 after three heartbeat intervals without an answer, and stops being
/// counted as a viewer. A raw socket: a WebSocket library would answer the ping as soon as it
/// read anything.
async fn a_peer_that_never_answers_a_ping_is_closed_with_1008(b: Backend) {
    let app = with_primer_and(b, |c| {
        c.heartbeat_secs = 1;
        c.live_stall_ms = 300;
    })
    .await;
    let host = app.base.strip_prefix("http://").unwrap().to_owned();
    let mut raw = tokio::net::TcpStream::connect(&host).await.unwrap();
    raw.write_all(
        format!(
            "GET /api/v1/live HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {}\r\n\r\n",
            app.token
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // Pinged with the snapshot, held back at the next heartbeat (the ping is older than the
    // stall limit), closed three heartbeats after the ping; the server waits a second more
    // for the peer's close before it drops the connection.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.hub.viewers() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "never connected");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    while app.hub.viewers() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still open after 10 s (held back: {})",
            app.hub.behind()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.hub.behind(), 1, "held back before it was closed");
    let mut bytes = Vec::new();
    raw.read_to_end(&mut bytes).await.unwrap();
    let body = &bytes[bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    // The server's frames, unmasked: the last is the close, with its code.
    let (mut at, mut last) = (0, None);
    while at + 2 <= body.len() {
        let (opcode, short) = (body[at] & 0x0F, usize::from(body[at + 1] & 0x7F));
        let (len, header) = match short {
            126 => (
                usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]])),
                4,
            ),
            127 => (
                u64::from_be_bytes(body[at + 2..at + 10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n, 2),
        };
        last = Some((opcode, &body[at + header..at + header + len]));
        at += header + len;
    }
    assert_eq!(at, body.len(), "whole frames");
    let (opcode, payload) = last.expect("frames");
    assert_eq!(opcode, 0x8, "the last frame closes");
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1008);
    assert_eq!(&payload[2..], b"no answer to pings");
    app.stop().await;
}
