//! The live hub: turns the aggregator's updates into wire frames once, and fans them out.
//!
//! Each patch is serialized once and the same bytes go to every socket of its period. A
//! period's sockets are split among fan-out tasks, one per core; each task writes every frame
//! to each of its sockets in turn, without waiting for any ([`connection::Conn::deliver`]: a
//! socket that cannot take it now queues it for its own task to write, and one that falls too
//! far behind is sent a fresh snapshot instead). A ring of recent patches per period answers
//! resumes; the snapshot of each revision is serialized once and shared.
//!
//! Heartbeats ride along with patches: a patch published once half the heartbeat interval has
//! passed since a period's last beat carries the next one, in the same bytes, so each socket
//! writes both at once. One task sends a heartbeat on its own only to a period that has had
//! none for three quarters of the interval (no patches lately). A beat on its own is a write
//! to every socket, as costly as a patch: sent at its own moment it would delay whichever
//! patch came during it. The wire protocol is DESIGN.md's "Live" section, typed in
//! [`protocol`]: this module frames what that module encodes, and nothing else.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio_util::sync::CancellationToken;

use connection::Conn;

use crate::aggregator::{Aggregator, Update};
use crate::domain::{CYCLE_FIRST_YEAR, CYCLE_LAST_YEAR};
use crate::store::StoreHealth;
use protocol::{Heartbeat, ServerFrame, Snapshot};

pub mod client;
pub mod connection;
pub mod gate;
pub mod protocol;
pub mod upgrade;

/// Patches kept per period for resumes.
pub const RING: usize = 512;
/// How the hub treats sockets (from `serve`'s flags).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Time between heartbeats (and pings).
    pub heartbeat: Duration,
    /// Frames a socket may have waiting behind a blocked write before they are replaced by a
    /// snapshot (and frames the fan-out tasks may fall behind the hub).
    pub queue: usize,
    /// A send blocked this long means the peer stopped reading: the socket is dropped.
    pub stall: Duration,
    /// Snapshots a socket may ask for ([`client::ResumeLimit`]).
    pub resumes: client::ResumeLimit,
}

/// A message for the sockets of one period, framed once: every socket writes the same bytes.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Revision the frame brings the client to (heartbeats: the current one).
    pub rev: i64,
    /// For a patch: the revision it applies to.
    pub base: Option<i64>,
    /// The whole WebSocket frame (header and text), as written to a socket; for a patch that
    /// carries the heartbeat, both frames.
    pub wire: Bytes,
    /// The heartbeat a patch carries, on its own: what a socket that does not take the patch
    /// (it has it already, or needs a snapshot instead) is still sent.
    pub beat: Option<Bytes>,
}

/// A final, unmasked text frame (RFC 6455 §5.2) holding `text`, a server's frame to any client.
pub fn text_frame(text: &[u8]) -> Bytes {
    let mut wire = BytesMut::with_capacity(text.len() + 10);
    wire.put_u8(0x81);
    match text.len() {
        n @ 0..=125 => wire.put_u8(n as u8),
        n @ 126..=0xFFFF => {
            wire.put_u8(126);
            wire.put_u16(n as u16);
        }
        n => {
            wire.put_u8(127);
            wire.put_u64(n as u64);
        }
    }
    wire.put_slice(text);
    wire.freeze()
}

/// A cheap-to-clone handle on the hub.
#[derive(Clone)]
pub struct Hub {
    state: Arc<HubState>,
}

struct HubState {
    aggregator: Aggregator,
    /// Whether the store answers, told in every heartbeat once set ([`Hub::watch_store`]).
    store: std::sync::OnceLock<StoreHealth>,
    periods: BTreeMap<i64, Period>,
    stall: Duration,
    queue: usize,
    heartbeat: Duration,
    resumes: client::ResumeLimit,
    viewers: AtomicUsize,
    /// Times a socket was held back because its peer stopped keeping up (a ping unanswered past
    /// the stall limit, or more than the window unacknowledged).
    behind: AtomicUsize,
    /// Times a socket fell behind its queue and was sent a snapshot instead.
    lagged: AtomicUsize,
    /// Heartbeats sent to a period's sockets: on their own, and carried by a patch.
    beats_alone: AtomicUsize,
    beats_carried: AtomicUsize,
    /// Patches queued on a socket: as they were published, and replayed on a resume.
    patches_live: AtomicUsize,
    patches_replayed: AtomicUsize,
    /// Snapshots queued on a socket.
    snapshots: AtomicUsize,
    /// Cancelled when the server stops: sockets close with 1001 (going away).
    pub closing: CancellationToken,
}

struct Period {
    /// To the period's fan-out tasks.
    frames: broadcast::Sender<Frame>,
    /// The period's sockets, split among its fan-out tasks.
    shards: Vec<Arc<Shard>>,
    /// Recent patches in revision order. A std mutex: held for a push or a copy, never across
    /// an await.
    ring: Mutex<VecDeque<Frame>>,
    snapshot: Mutex<Option<Frame>>,
    /// When the period's sockets were last sent a heartbeat.
    beaten: Mutex<Instant>,
}

impl Period {
    /// Whether any socket watches the period: a heartbeat to nobody is not counted as sent.
    fn watched(&self) -> bool {
        self.shards
            .iter()
            .any(|s| s.count.load(Ordering::Relaxed) > 0)
    }
}

impl Hub {
    /// Starts forwarding the aggregator's updates and the heartbeat until `closing`.
    pub fn start(aggregator: Aggregator, settings: Settings, closing: CancellationToken) -> Self {
        // One fan-out task per core, for each period.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
        let periods = (CYCLE_FIRST_YEAR..=CYCLE_LAST_YEAR)
            .map(|p| {
                (
                    p,
                    Period {
                        frames: broadcast::channel(settings.queue).0,
                        shards: (0..cores).map(|_| Arc::default()).collect(),
                        ring: Mutex::new(VecDeque::with_capacity(RING)),
                        snapshot: Mutex::new(None),
                        beaten: Mutex::new(Instant::now()),
                    },
                )
            })
            .collect();
        let hub = Self {
            state: Arc::new(HubState {
                aggregator,
                store: std::sync::OnceLock::new(),
                periods,
                stall: settings.stall,
                queue: settings.queue,
                heartbeat: settings.heartbeat,
                resumes: settings.resumes,
                viewers: AtomicUsize::new(0),
                behind: AtomicUsize::new(0),
                lagged: AtomicUsize::new(0),
                beats_alone: AtomicUsize::new(0),
                beats_carried: AtomicUsize::new(0),
                patches_live: AtomicUsize::new(0),
                patches_replayed: AtomicUsize::new(0),
                snapshots: AtomicUsize::new(0),
                closing,
            }),
        };
        for (&period, p) in &hub.state.periods {
            for shard in &p.shards {
                let fan_out = hub
                    .clone()
                    .fan_out(period, shard.clone(), p.frames.subscribe());
                // Unconstrained: its writes would otherwise use up the task's budget after a
                // hundred sockets, and the rest would all wait for their own tasks. It yields
                // now and then instead.
                tokio::spawn(tokio::task::unconstrained(fan_out));
            }
        }
        tokio::spawn(hub.clone().relay());
        tokio::spawn(hub.clone().beat());
        hub
    }

    /// Tells the sockets whether the store answers: every heartbeat says so from now on, and
    /// a change (down, or up again) is sent to every watched period at once, as a heartbeat.
    /// Set once; later calls change nothing.
    pub fn watch_store(&self, health: StoreHealth) {
        if self.state.store.set(health.clone()).is_err() {
            return;
        }
        let hub = self.clone();
        let mut changes = health.subscribe();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = hub.state.closing.cancelled() => return,
                    changed = changes.changed() => if changed.is_err() { return },
                }
                changes.borrow_and_update();
                for p in hub.state.periods.values() {
                    if p.watched() {
                        // Counts as the period's beat: the next one comes an interval later.
                        hub.beat_due(p, Duration::ZERO);
                        hub.state.beats_alone.fetch_add(1, Ordering::Relaxed);
                        let _ = p.frames.send(hub.heartbeat());
                    }
                }
            }
        });
    }

    pub fn closing(&self) -> &CancellationToken {
        &self.state.closing
    }

    pub fn viewers(&self) -> usize {
        self.state.viewers.load(Ordering::Relaxed)
    }

    /// Frames a socket may have queued (its write blocked) before it is sent a snapshot instead.
    pub fn queue(&self) -> usize {
        self.state.queue
    }

    /// How long a socket's send may stay blocked before the socket is dropped.
    pub fn stall(&self) -> Duration {
        self.state.stall
    }

    /// Time between heartbeats (each also carries a ping to the socket it goes to).
    pub fn heartbeat_every(&self) -> Duration {
        self.state.heartbeat
    }

    /// The snapshots a socket may ask for.
    pub fn resume_limit(&self) -> client::ResumeLimit {
        self.state.resumes
    }

    /// Times a socket was held back because its peer stopped keeping up (a ping unanswered past
    /// the stall limit, or more than the window unacknowledged).
    pub fn behind(&self) -> usize {
        self.state.behind.load(Ordering::Relaxed)
    }

    pub(crate) fn count_behind(&self) {
        self.state.behind.fetch_add(1, Ordering::Relaxed);
    }

    /// Times a socket fell behind its queue and was sent a snapshot instead.
    pub fn lagged(&self) -> usize {
        self.state.lagged.load(Ordering::Relaxed)
    }

    pub(crate) fn count_lagged(&self) {
        self.state.lagged.fetch_add(1, Ordering::Relaxed);
    }

    /// Heartbeats sent to a period's sockets on their own (no patch to carry them lately).
    pub fn beats_alone(&self) -> usize {
        self.state.beats_alone.load(Ordering::Relaxed)
    }

    /// Heartbeats carried to a period's sockets by a patch.
    pub fn beats_carried(&self) -> usize {
        self.state.beats_carried.load(Ordering::Relaxed)
    }

    /// Patches sent to sockets since start: (as they were published, replayed on a resume).
    pub fn patches_sent(&self) -> (usize, usize) {
        (
            self.state.patches_live.load(Ordering::Relaxed),
            self.state.patches_replayed.load(Ordering::Relaxed),
        )
    }

    /// Counts patches queued on a socket, `replayed` or as published.
    pub(crate) fn count_patches(&self, n: usize, replayed: bool) {
        let counter = if replayed {
            &self.state.patches_replayed
        } else {
            &self.state.patches_live
        };
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Snapshots sent to sockets since start.
    pub fn snapshots_sent(&self) -> usize {
        self.state.snapshots.load(Ordering::Relaxed)
    }

    pub(crate) fn count_snapshot(&self) {
        self.state.snapshots.fetch_add(1, Ordering::Relaxed);
    }

    /// Waits, at most `limit`, until every socket has closed (on shutdown, so that each has
    /// sent its 1001 before the process exits).
    pub async fn closed(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.viewers() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Counts a viewer for as long as the guard lives.
    pub fn join(&self) -> ViewerGuard {
        self.state.viewers.fetch_add(1, Ordering::Relaxed);
        ViewerGuard(self.clone())
    }

    /// Puts `conn` in `period`'s fan-out (the least loaded of its tasks), for as long as the
    /// returned place lives: it is delivered the frames of `period` from now on. Enter before
    /// taking a snapshot, so nothing falls between the two.
    pub(crate) fn enter(&self, period: i64, conn: &Arc<Conn>) -> Option<FanOutSlot> {
        let p = self.state.periods.get(&period)?;
        let shard = p
            .shards
            .iter()
            .min_by_key(|s| s.count.load(Ordering::Relaxed))?
            .clone();
        let key = shard.insert(conn.clone());
        Some(FanOutSlot { shard, key })
    }

    /// The current snapshot frame of `period`, serialized once per revision.
    pub fn snapshot(&self, period: i64) -> Option<Frame> {
        let p = self.state.periods.get(&period)?;
        // The revision comes with the document, read under the same lock, so the frame's
        // revision is the data's.
        let (rev, data) = self.state.aggregator.document(period)?;
        let mut cached = p
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(f) = cached.as_ref().filter(|f| f.rev == rev) {
            return Some(f.clone());
        }
        let frame = Frame {
            rev,
            base: None,
            wire: text_frame(&ServerFrame::Snapshot(Snapshot { rev, data }).encode()),
            beat: None,
        };
        *cached = Some(frame.clone());
        Some(frame)
    }

    /// The patches after `since`, if the ring still holds all of them (an empty list when
    /// `since` is current); `None` when a snapshot is needed instead.
    pub fn patches_since(&self, period: i64, since: i64) -> Option<Vec<Frame>> {
        let p = self.state.periods.get(&period)?;
        let ring = p
            .ring
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = ring.back().map_or(self.state.aggregator.rev(), |f| f.rev);
        if since == current {
            return Some(Vec::new());
        }
        let first = ring.front()?;
        if since < first.base.unwrap_or(first.rev) || since > current {
            return None;
        }
        Some(ring.iter().filter(|f| f.rev > since).cloned().collect())
    }

    /// Frames each of the aggregator's updates and hands it to its period's fan-out tasks.
    async fn relay(self) {
        let mut updates = self.state.aggregator.subscribe();
        loop {
            let update = tokio::select! {
                _ = self.state.closing.cancelled() => return,
                u = updates.recv() => u,
            };
            match update {
                Ok(u) => self.publish(&u),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    // Sockets will see a gap in `base` and ask to resume; the ring cannot
                    // bridge it, so they get a snapshot.
                    tracing::warn!(skipped = n, "live hub fell behind the aggregator");
                    for p in self.state.periods.values() {
                        p.ring
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .clear();
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    fn publish(&self, u: &Update) {
        let Some(p) = self.state.periods.get(&u.period) else {
            return;
        };
        let patch = Frame {
            rev: u.patch.rev,
            base: Some(u.patch.base),
            wire: text_frame(&ServerFrame::encode_patch(&u.patch)),
            beat: None,
        };
        {
            let mut ring = p
                .ring
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if ring.len() == RING {
                ring.pop_front();
            }
            ring.push_back(patch.clone());
        }
        // Half an interval since the last beat: this patch carries the next one.
        let frame = if p.watched() && self.beat_due(p, self.state.heartbeat / 2) {
            self.state.beats_carried.fetch_add(1, Ordering::Relaxed);
            let beat = self.heartbeat_at(u.patch.rev).wire;
            let mut both = BytesMut::with_capacity(patch.wire.len() + beat.len());
            both.extend_from_slice(&patch.wire);
            both.extend_from_slice(&beat);
            let wire = both.freeze();
            Frame {
                beat: Some(wire.slice(patch.wire.len()..)),
                wire,
                ..patch
            }
        } else {
            patch
        };
        // No receiver is fine: nobody watches this period.
        let _ = p.frames.send(frame);
    }

    /// Whether `p` has had no heartbeat for `after`; if so, the one about to go counts as its
    /// last.
    fn beat_due(&self, p: &Period, after: Duration) -> bool {
        let mut beaten = p
            .beaten
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = beaten.elapsed() >= after;
        if due {
            *beaten = Instant::now();
        }
        due
    }

    /// A heartbeat: the current revision and the viewer count.
    pub fn heartbeat(&self) -> Frame {
        self.heartbeat_at(self.state.aggregator.rev())
    }

    fn heartbeat_at(&self, rev: i64) -> Frame {
        let beat = ServerFrame::Heartbeat(Heartbeat {
            rev,
            viewers: self.viewers(),
            store: self.state.store.get().map(|h| h.state().into()),
        });
        Frame {
            rev,
            base: None,
            wire: text_frame(&beat.encode()),
            beat: None,
        }
    }

    /// Heartbeats on their own, to the periods that no patch has carried one to for three
    /// quarters of the interval. Checked every quarter interval, so no socket waits longer
    /// than the interval between two beats.
    async fn beat(self) {
        let every = self.state.heartbeat;
        let mut tick = tokio::time::interval(every / 4);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = self.state.closing.cancelled() => return,
                _ = tick.tick() => {}
            }
            for p in self.state.periods.values() {
                if p.watched() && self.beat_due(p, every * 3 / 4) {
                    self.state.beats_alone.fetch_add(1, Ordering::Relaxed);
                    let _ = p.frames.send(self.heartbeat());
                }
            }
        }
    }
}

impl Hub {
    /// Writes each frame of `period` to the sockets of `shard`, in turn, without waiting for
    /// any of them. Frames that came while it was writing (it fell behind: more changes a
    /// second than it can write to every socket one by one) go to each socket together, in one
    /// write, so that it catches up rather than falls further behind.
    async fn fan_out(self, period: i64, shard: Arc<Shard>, mut frames: broadcast::Receiver<Frame>) {
        let mut conns = Vec::new();
        let mut batch = Vec::with_capacity(connection::BATCH);
        loop {
            let first = tokio::select! {
                _ = self.state.closing.cancelled() => return,
                f = frames.recv() => f,
            };
            let mut lagged = false;
            let mut next = first.map_err(|e| match e {
                RecvError::Lagged(n) => TryRecvError::Lagged(n),
                RecvError::Closed => TryRecvError::Closed,
            });
            while batch.len() < connection::BATCH {
                match next {
                    Ok(frame) => batch.push(frame),
                    Err(TryRecvError::Lagged(n)) => {
                        tracing::warn!(period, skipped = n, "live fan-out fell behind the hub");
                        // What came before the gap is not sent: a snapshot replaces it.
                        batch.clear();
                        lagged = true;
                    }
                    Err(TryRecvError::Closed) => return,
                    Err(TryRecvError::Empty) => break,
                }
                next = frames.try_recv();
            }
            shard.copy_into(&mut conns);
            for (i, conn) in conns.iter().enumerate() {
                conn.deliver(&self, period, lagged, &batch);
                // The other tasks of this core get their turn now and then (a POST, the
                // aggregator).
                if i % FAN_OUT_TURN == FAN_OUT_TURN - 1 {
                    tokio::task::yield_now().await;
                }
            }
            // The sockets that ended meanwhile are not kept alive until the next frames.
            conns.clear();
            batch.clear();
        }
    }
}

/// Sockets a fan-out task writes to before it lets the other tasks of its core run.
const FAN_OUT_TURN: usize = 128;

/// The sockets of one fan-out task. A std mutex: held to add, remove or list, never across an
/// await, and never while a socket's own lock is held.
#[derive(Default)]
struct Shard {
    slots: Mutex<Slots>,
    /// Sockets in it, read without the lock: to place a new socket, and to tell whether a
    /// period is watched.
    count: AtomicUsize,
}

#[derive(Default)]
struct Slots {
    conns: Vec<Option<Arc<Conn>>>,
    free: Vec<usize>,
}

impl Shard {
    fn insert(&self, conn: Arc<Conn>) -> usize {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.count.fetch_add(1, Ordering::Relaxed);
        match slots.free.pop() {
            Some(key) => {
                slots.conns[key] = Some(conn);
                key
            }
            None => {
                slots.conns.push(Some(conn));
                slots.conns.len() - 1
            }
        }
    }

    fn remove(&self, key: usize) {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slots.conns[key].take().is_some() {
            slots.free.push(key);
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The sockets now, into `conns`: a frame goes to the sockets there when it is sent (one
    /// that comes after has a snapshot taken after the frame, which covers it).
    fn copy_into(&self, conns: &mut Vec<Arc<Conn>>) {
        let slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        conns.extend(slots.conns.iter().flatten().cloned());
    }
}

/// A socket's place in a period's fan-out; leaving it when dropped.
pub(crate) struct FanOutSlot {
    shard: Arc<Shard>,
    key: usize,
}

impl Drop for FanOutSlot {
    fn drop(&mut self) {
        self.shard.remove(self.key);
    }
}

/// Decrements the viewer count when a socket ends, however it ends.
pub struct ViewerGuard(Hub);

impl Drop for ViewerGuard {
    fn drop(&mut self) {
        self.0.state.viewers.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_frames_carry_their_length_in_the_shortest_form() {
        // (length, header bytes): 7-bit, 16-bit and 64-bit lengths (RFC 6455 §5.2).
        for (len, header) in [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            let text = vec![b'x'; len];
            let wire = text_frame(&text);
            assert_eq!(wire.len(), header + len, "{len}");
            assert_eq!(wire[0], 0x81, "final text frame");
            assert_eq!(&wire[header..], &text[..]);
            let declared = match header {
                2 => usize::from(wire[1]),
                4 => {
                    assert_eq!(wire[1], 126);
                    usize::from(u16::from_be_bytes([wire[2], wire[3]]))
                }
                _ => {
                    assert_eq!(wire[1], 127);
                    u64::from_be_bytes(wire[2..10].try_into().unwrap()) as usize
                }
            };
            assert_eq!(declared, len);
        }
    }
}
