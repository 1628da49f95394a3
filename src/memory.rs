//! Memory given back to the system after a connection flood (issue 19).
//!
//! The allocator (mimalloc, see `main.rs`) keeps the pages a thread allocated from in that
//! thread's heap. A flood of kept-alive clients fills the worker threads' heaps with
//! connection state (hyper's buffers, the requests' and answers' allocations); when the
//! clients go, the blocks are freed, often by another thread than the one that allocated them,
//! and the pages they sit on stay committed until their owner collects them, which a parked
//! thread does not do. So the edge (`serve`) tells this module how many connections are open,
//! and once that count has fallen to a quarter of its peak (a peak of at least [`FLOOD`]),
//! each worker thread collects its heap (`mi_collect(true)`) the next time it goes idle, at
//! most once every [`EVERY`]: the freed pages go back to the system at once. On the normal path
//! this costs a relaxed atomic load per connection opened, closed and per park of a worker.
//!
//! Measured with `benches/flood.sh --phases keepalive` (20,200 kept-alive clients, 2 cores):
//! RSS 30 s after the flood 341–679 MB without this, 115–119 MB with it (from about 130 MB
//! before the flood and 680 MB at its peak). Collecting on the accepting thread as well (it
//! allocates the connections' tasks) made no further difference, so it does not.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Below this many open connections at the peak, a fall is not worth a collection.
pub const FLOOD: usize = 1024;
/// The shortest time between two collections on one thread.
pub const EVERY: Duration = Duration::from_secs(3);

/// The most connections open since the last fall.
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// How many falls there have been: a thread that has not collected since the last one does.
static FALLS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The fall this thread last collected after, and when.
    static COLLECTED: Cell<(u64, Option<Instant>)> = const { Cell::new((0, None)) };
}

/// The edge accepted a connection; `open` connections are now open.
pub fn connection_opened(open: usize) {
    if open > PEAK.load(Ordering::Relaxed) {
        PEAK.fetch_max(open, Ordering::Relaxed);
    }
}

/// The edge closed a connection; `open` connections are still open.
pub fn connection_closed(open: usize) {
    let peak = PEAK.load(Ordering::Relaxed);
    if peak >= FLOOD
        && open <= peak / 4
        && PEAK
            .compare_exchange(peak, open, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        FALLS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Collects this thread's heap if the connections have fallen since it last did and it has
/// not done so in the last [`EVERY`]. Called when a runtime thread goes idle.
pub fn collect_if_fallen() {
    let falls = FALLS.load(Ordering::Relaxed);
    COLLECTED.with(|collected| {
        let (seen, at) = collected.get();
        if falls == seen {
            return;
        }
        let now = Instant::now();
        if at.is_some_and(|at| now.duration_since(at) < EVERY) {
            return;
        }
        collected.set((falls, Some(now)));
        // SAFETY: mi_collect only walks and frees the calling thread's own heap.
        unsafe { libmimalloc_sys::mi_collect(true) };
    });
}

/// The multi-threaded runtime, whose worker threads collect when they go idle after a fall.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(collect_if_fallen)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fall_to_a_quarter_of_a_flood_asks_for_one_collection() {
        // The statics are shared by the tests of this binary: only this one touches them.
        let before = FALLS.load(Ordering::Relaxed);
        for open in 1..=4 * FLOOD {
            connection_opened(open);
        }
        connection_closed(3 * FLOOD);
        assert_eq!(FALLS.load(Ordering::Relaxed), before, "not yet a quarter");
        connection_closed(FLOOD);
        assert_eq!(FALLS.load(Ordering::Relaxed), before + 1);
        // The peak is now what was left open: the next fall is to a quarter of that.
        connection_closed(FLOOD / 2);
        assert_eq!(FALLS.load(Ordering::Relaxed), before + 1);
        collect_if_fallen();
        assert_eq!(COLLECTED.with(Cell::get).0, before + 1);
    }
}
