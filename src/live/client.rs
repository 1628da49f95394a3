//! What a live socket holds, and how the hub's frames move it on: the revision of its
//! document, what is queued for it, and flow control by ping ([`super::connection`] writes the
//! queue).
//!
//! Flow control: a socket is pinged once about half of [`WINDOW`] is written since the last
//! answer (each socket at its own point between 3/8 and 5/8 of it: sockets that get the same
//! bytes would otherwise all be pinged by the same patch, and all their answers would arrive
//! together and slow that patch down), on its first write, and with a heartbeat unless the
//! peer answered one in the last three quarters of an interval. A peer that has not answered
//! within the stall limit, or that has more than [`WINDOW`] bytes unacknowledged, has stopped
//! reading (or sits on a link too slow for the room): it is sent nothing more, so the kernel's
//! buffers do not fill with patches it would read late. Its answer, when it comes, brings a
//! fresh snapshot; no answer within [`SILENT_BEATS`] heartbeat intervals (45 s by default)
//! drops it with 1008: a peer that is gone is found.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};

use super::protocol::{ErrorCode, ErrorFrame, ServerFrame};
use super::{Frame, Hub, text_frame};

/// A peer that leaves a ping unanswered for this many heartbeat intervals is dropped.
pub const SILENT_BEATS: u32 = 3;
/// Bytes a peer may have unread (written after its last answered ping) before it is held
/// back: well within a socket's kernel buffers, so a peer that stopped reading is held back
/// before the kernel has to hold data for it. At 20 patches a second of 2 KiB, that is
/// 0.7 s; with 64 KiB (1.45 s) the healthy sockets' p99 suffered more from the stalled ones
/// (BENCHMARKS.md).
///
/// Pings go once about half of it is written ([`ping_after`]), so their number follows the
/// bytes sent rather than the clock: each costs the peer a write and the server a read, about
/// what a patch costs. A heartbeat carries one unless the peer answered one in the last three
/// quarters of an interval, to find peers that are gone.
pub const WINDOW: usize = 32 * 1024;
/// Where a new socket is pinged: after between 3/8 and 5/8 of [`WINDOW`] unacknowledged,
/// spread evenly over the sockets in the order they come (a golden-ratio sequence), so that
/// sockets sent the same patches are not all pinged by the same one.
fn ping_after() -> u64 {
    static SOCKETS: AtomicU64 = AtomicU64::new(0);
    let n = SOCKETS.fetch_add(1, Ordering::Relaxed);
    ping_after_for(n)
}

fn ping_after_for(n: u64) -> u64 {
    const SPREAD: u64 = WINDOW as u64 / 4;
    // The fractional part of n times the golden ratio, in 32 bits: evenly spread for any run
    // of consecutive n.
    let fraction = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    WINDOW as u64 * 3 / 8 + ((fraction * SPREAD) >> 32)
}

/// How many snapshots a socket may ask for with `resume` and `period` messages: `burst` at
/// once, then `per_minute` (`serve --live-resume-burst`, `--live-resumes-per-minute`).
///
/// A snapshot is what such a message costs: tens of kilobytes for a message of 33 bytes
/// (2,000 resumes drew 95.5 MB in 5 s, issue 19). So each answer is counted as the snapshots
/// it weighs: a snapshot 1, a replay of missed patches the fraction of a snapshot's bytes that
/// they are (a resume after a dropped connection replays a few patches and costs next to
/// nothing), a resume that misses nothing 0. A browser resumes once per gap and switches
/// period when a person clicks; beyond the rate a message is refused with an error frame
/// (`rate_limited`), and [`REFUSALS`] refusals in a row close the socket with 1008.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumeLimit {
    pub per_minute: u32,
    pub burst: u32,
}

/// Refused `resume` and `period` messages in a row after which the socket is closed with 1008
/// (policy violation).
pub const REFUSALS: u32 = 10;

impl Default for ResumeLimit {
    fn default() -> Self {
        Self {
            per_minute: crate::config::defaults::LIVE_RESUMES_PER_MINUTE,
            burst: crate::config::defaults::LIVE_RESUME_BURST,
        }
    }
}

impl From<&crate::config::ServeConfig> for ResumeLimit {
    fn from(c: &crate::config::ServeConfig) -> Self {
        Self {
            per_minute: c.live_resumes_per_minute,
            burst: c.live_resume_burst,
        }
    }
}

/// A token bucket of snapshots ([`ResumeLimit`]): full at first, refilled continuously. An
/// answer is given while the bucket is not empty and charged what it weighs, which may take it
/// below zero (a long replay): it is then paid back at the rate before the next.
#[derive(Debug)]
pub(super) struct Bucket {
    limit: ResumeLimit,
    tokens: f64,
    at: Instant,
    /// Messages refused in a row.
    refused: u32,
}

/// Why a `resume` or `period` message is not answered.
pub(super) enum Refusal {
    /// Refused with this error frame; the socket stays open.
    Refused(ErrorFrame),
    /// Refused [`REFUSALS`] times in a row: the socket is closed.
    Close,
}

impl Bucket {
    pub(super) fn new(limit: ResumeLimit) -> Self {
        Self {
            limit,
            tokens: f64::from(limit.burst),
            at: Instant::now(),
            refused: 0,
        }
    }

    fn refill(&mut self, now: Instant) {
        let per_second = f64::from(self.limit.per_minute) / 60.0;
        let gained = now.saturating_duration_since(self.at).as_secs_f64() * per_second;
        self.tokens = (self.tokens + gained).min(f64::from(self.limit.burst));
        self.at = now;
    }

    /// Whether a message may be answered now; if not, the refusal.
    pub(super) fn admit(&mut self, now: Instant) -> Result<(), Refusal> {
        self.refill(now);
        if self.tokens > 0.0 {
            return Ok(());
        }
        self.refused += 1;
        if self.refused >= REFUSALS {
            return Err(Refusal::Close);
        }
        let per_second = f64::from(self.limit.per_minute) / 60.0;
        let wait = ((f64::EPSILON - self.tokens) / per_second).ceil().max(1.0);
        Err(Refusal::Refused(ErrorFrame {
            code: ErrorCode::RateLimited,
            message: format!(
                "too many resumes and period switches on this connection: at most {} snapshots \
                 at once, then {} a minute; try again in {wait} s",
                self.limit.burst, self.limit.per_minute
            ),
            field: Some("type".into()),
        }))
    }

    /// An answer was given that weighed `snapshots`.
    pub(super) fn charge(&mut self, snapshots: f64) {
        self.tokens -= snapshots;
        self.refused = 0;
    }
}

/// An empty ping, unmasked (a server's frame).
const PING: &[u8] = &[0x89, 0x00];

/// What a socket holds: its period and the revision of the document it has, and where its
/// pings stand.
pub(super) struct Client {
    pub(super) period: i64,
    /// The heartbeat interval: a peer silent for [`SILENT_BEATS`] of them is dropped.
    beat_every: Duration,
    pub(super) rev: Option<i64>,
    /// The unanswered ping: when it was sent, and [`Client::written`] then.
    ping: Option<(Instant, u64)>,
    /// A ping goes with the next write: the first write, and a heartbeat's to a peer that has
    /// answered no ping for three quarters of a heartbeat interval.
    ping_due: bool,
    /// Unacknowledged bytes after which a ping goes ([`ping_after`]).
    ping_after: u64,
    /// When the peer last answered a ping.
    answered: Option<Instant>,
    /// Bytes of patches and heartbeats written so far.
    written: u64,
    /// Of those, the bytes written before the last answered ping: the peer has read them.
    read: u64,
    /// Sent nothing until it answers the ping (then it gets a snapshot).
    pub(super) behind: bool,
    /// Frames queued for the next write; the first may be partly written already.
    pub(super) out: Vec<Bytes>,
    /// What the client's `resume` and `period` messages may still ask for.
    pub(super) resumes: Bucket,
    /// The first frame of `out` is partly written: it must go out whole before anything else.
    started: bool,
}

impl Client {
    pub(super) fn new(period: i64, beat_every: Duration, resumes: ResumeLimit) -> Self {
        Self {
            period,
            beat_every,
            rev: None,
            ping: None,
            ping_due: true,
            ping_after: ping_after(),
            answered: None,
            written: 0,
            read: 0,
            behind: false,
            out: Vec::new(),
            resumes: Bucket::new(resumes),
            started: false,
        }
    }

    /// Whether a heartbeat carries a ping: unless the peer answered one in the last three
    /// quarters of an interval (a peer sent patches is pinged for them, and its answers show
    /// it is there; with no patches, heartbeats are an interval apart and each pings).
    fn heartbeat_pings(&self) -> bool {
        self.answered
            .is_none_or(|at| at.elapsed() >= self.beat_every * 3 / 4)
    }

    /// A fresh start, as on connecting: what waits (but for a frame partly written, which goes
    /// out whole) is replaced by a snapshot.
    pub(super) fn restart(&mut self, hub: &Hub) {
        self.drop_queued();
        catch_up(hub, self, None);
    }

    /// The peer answered a ping: what was written before it has been read. A peer held back
    /// is back, and starts afresh.
    pub(super) fn answered(&mut self, hub: &Hub) {
        if let Some((_, written)) = self.ping.take() {
            self.read = written;
            self.answered = Some(Instant::now());
        }
        if self.behind {
            self.behind = false;
            self.restart(hub);
        }
    }

    /// When a peer held back is dropped unless it answers: [`SILENT_BEATS`] heartbeat
    /// intervals after the ping it left unanswered.
    pub(super) fn silent_at(&self) -> Option<Instant> {
        self.behind.then(|| {
            self.ping
                .map_or_else(Instant::now, |(at, _)| at + self.beat_every * SILENT_BEATS)
        })
    }

    /// Queues a ping after what is queued, if none is unanswered and one is due: with a
    /// heartbeat, or once the socket's share of the window is unacknowledged.
    pub(super) fn ping_if_due(&mut self) {
        let due = self.ping_due || self.written - self.read >= self.ping_after;
        if self.ping.is_none() && due && !self.out.is_empty() {
            self.ping = Some((Instant::now(), self.written));
            self.ping_due = false;
            self.out.push(Bytes::from_static(PING));
        }
    }

    /// The first `n` bytes of the queue went out.
    pub(super) fn wrote(&mut self, n: usize) {
        self.started = written(&mut self.out, n);
    }

    /// Drops the queued frames, but for one partly written (it goes out whole). A ping dropped
    /// unsent is not waited for.
    fn drop_queued(&mut self) {
        let keep = usize::from(self.started);
        if self.out[keep.min(self.out.len())..]
            .iter()
            .any(|f| f.as_ptr() == PING.as_ptr())
        {
            self.ping = None;
        }
        self.out.truncate(keep);
    }

    /// Whether the peer has stopped keeping up: its ping unanswered for longer than `limit`,
    /// or more than [`WINDOW`] bytes written that it has not shown it read.
    pub(super) fn lagging(&self, limit: Duration) -> bool {
        self.ping
            .is_some_and(|(at, _)| at.elapsed() > limit || self.written - self.read > WINDOW as u64)
    }
}

/// Brings the client to the current revision: the missed patches if the ring holds them,
/// else a snapshot. Returns what that weighs in snapshots ([`ResumeLimit`]): 1 for a
/// snapshot, the patches' share of a snapshot's bytes for a replay, 0 for nothing.
pub(super) fn catch_up(hub: &Hub, client: &mut Client, since: Option<i64>) -> f64 {
    if let Some(patches) = since.and_then(|s| hub.patches_since(client.period, s)) {
        client.rev = since;
        let mut bytes = 0;
        hub.count_patches(patches.len(), true);
        for p in patches {
            client.rev = Some(p.rev);
            bytes += p.wire.len();
            queue_counted(client, p.wire);
        }
        if bytes == 0 {
            return 0.0;
        }
        let snapshot = hub.snapshot(client.period).map_or(bytes, |s| s.wire.len());
        return bytes as f64 / snapshot.max(1) as f64;
    }
    let Some(snapshot) = hub.snapshot(client.period) else {
        return 0.0;
    };
    client.rev = Some(snapshot.rev);
    client.out.push(snapshot.wire);
    hub.count_snapshot();
    // The window is for what follows a snapshot: a snapshot larger than the window must not
    // hold the peer back before it has had the time to read it.
    client.read = client.written;
    1.0
}

/// Offers the client a frame from the hub: queued if it moves the client on; a gap is caught
/// up on. A heartbeat (on its own, or carried by the patch) goes in any case.
pub(super) fn offer(hub: &Hub, client: &mut Client, frame: &Frame) {
    if frame.base.is_none() || frame.beat.is_some() {
        // With a heartbeat, a ping.
        client.ping_due = client.heartbeat_pings();
    }
    match (frame.base, client.rev) {
        (None, _) => queue_counted(client, frame.wire.clone()),
        (Some(base), Some(held)) if base == held => {
            client.rev = Some(frame.rev);
            queue_counted(client, frame.wire.clone());
            hub.count_patches(1, false);
        }
        (Some(_), held) => {
            if held.is_none_or(|held| frame.rev > held) {
                catch_up(hub, client, client.rev);
            }
            if let Some(beat) = &frame.beat {
                queue_counted(client, beat.clone());
            }
        }
    }
}

/// Queues a patch or heartbeat, counting its bytes against the window.
fn queue_counted(client: &mut Client, wire: Bytes) {
    client.written += wire.len() as u64;
    client.out.push(wire);
}

/// Queues the answer to a client frame the server refuses.
pub(super) fn queue_error(client: &mut Client, error: ErrorFrame) {
    client
        .out
        .push(text_frame(&ServerFrame::Error(error).encode()));
}

/// Drops the first `n` bytes of `out`, which went out: whole frames, and the start of a frame
/// cut short. Returns whether a frame was cut short (its rest is first in `out`).
fn written(out: &mut Vec<Bytes>, mut n: usize) -> bool {
    let done = out
        .iter()
        .take_while(|b| {
            let whole = n >= b.len();
            if whole {
                n -= b.len();
            }
            whole
        })
        .count();
    out.drain(..done);
    match out.first_mut() {
        Some(first) if n > 0 => {
            first.advance(n);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_pings_a_peer_unless_it_answered_within_three_quarters_of_an_interval() {
        let mut client = Client::new(2026, Duration::from_secs(15), ResumeLimit::default());
        assert!(client.heartbeat_pings(), "never answered");
        client.answered = Some(Instant::now());
        assert!(!client.heartbeat_pings(), "answered just now");
        client.answered = Instant::now().checked_sub(Duration::from_secs(10));
        assert!(!client.heartbeat_pings(), "answered 10 s ago");
        client.answered = Instant::now().checked_sub(Duration::from_secs(12));
        assert!(client.heartbeat_pings(), "answered 12 s ago");
    }

    #[test]
    fn sockets_are_pinged_at_points_spread_over_the_middle_of_the_window() {
        let (low, high) = (WINDOW as u64 * 3 / 8, WINDOW as u64 * 5 / 8);
        // Any run of consecutive sockets, counted in eighths of the span.
        for first in [0u64, 1, 12_345, u64::MAX - 2_000] {
            let mut eighths = [0usize; 8];
            for n in first..first + 1_000 {
                let at = ping_after_for(n);
                assert!((low..high).contains(&at), "socket {n}: {at}");
                eighths[((at - low) * 8 / (high - low)) as usize] += 1;
            }
            for (i, count) in eighths.iter().enumerate() {
                assert!(
                    (110..=140).contains(count),
                    "from {first}: eighth {i} has {count}"
                );
            }
        }
    }

    #[test]
    fn the_bucket_answers_a_burst_then_the_rate_and_closes_after_refusals_in_a_row() {
        let limit = ResumeLimit {
            per_minute: 60,
            burst: 3,
        };
        let start = Instant::now();
        let mut bucket = Bucket::new(limit);
        for _ in 0..3 {
            assert!(bucket.admit(start).is_ok());
            bucket.charge(1.0);
        }
        let Err(Refusal::Refused(e)) = bucket.admit(start) else {
            panic!("the burst is spent");
        };
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(
            e.message
                .contains("at most 3 snapshots at once, then 60 a minute"),
            "{}",
            e.message
        );
        assert!(e.message.ends_with("try again in 1 s"), "{}", e.message);
        // One a second: a second later, one more.
        let later = start + Duration::from_secs(1);
        assert!(bucket.admit(later).is_ok());
        bucket.charge(1.0);
        // A replay of a tenth of a snapshot's bytes costs a tenth.
        let later = later + Duration::from_millis(150);
        assert!(bucket.admit(later).is_ok());
        bucket.charge(0.1);
        assert!(bucket.tokens < 0.1, "{}", bucket.tokens);
        // Refusals in a row close the socket at the REFUSALS-th.
        let mut bucket = Bucket::new(limit);
        bucket.charge(3.0);
        for i in 1..REFUSALS {
            assert!(
                matches!(bucket.admit(start), Err(Refusal::Refused(_))),
                "{i}"
            );
        }
        assert!(matches!(bucket.admit(start), Err(Refusal::Close)));
        // An answer given in between starts the count again.
        let mut bucket = Bucket::new(limit);
        bucket.charge(3.0);
        for _ in 1..REFUSALS {
            assert!(bucket.admit(start).is_err());
        }
        let later = start + Duration::from_secs(2);
        for _ in 0..2 {
            assert!(bucket.admit(later).is_ok(), "two seconds gave two");
            bucket.charge(1.0);
        }
        for i in 1..REFUSALS {
            assert!(
                matches!(bucket.admit(later), Err(Refusal::Refused(_))),
                "{i}"
            );
        }
    }

    #[test]
    fn a_short_write_keeps_exactly_the_bytes_not_written() {
        let frames = || {
            vec![
                Bytes::from_static(b"abc"),
                Bytes::from_static(b"de"),
                Bytes::from_static(b"fghi"),
            ]
        };
        let rest = |n| {
            let mut out = frames();
            written(&mut out, n);
            out.concat()
        };
        let all = frames().concat();
        for n in 0..=all.len() {
            assert_eq!(rest(n), all[n..], "after {n} bytes");
        }
        let mut out = frames();
        written(&mut out, 5);
        assert_eq!(
            out,
            vec![Bytes::from_static(b"fghi")],
            "whole frames are dropped"
        );
    }
}
