//! Waiting on several sources of wakes at once, cheaply: a task woken for one of them polls
//! only that one. The live sockets' loops (and the load generator's readers) are woken many
//! thousands of times a second, each time for one source among several.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// Polls a source of wakes (the server's closing, a client's messages) only when it is what
/// woke the task, or when it may have more at once (it was never polled, or its last poll was
/// ready). A socket's loop is woken for every patch, and polling each source at every wake
/// cost more than the wake itself: a cancellation token's wait takes two locks that all the
/// sockets share (perf: 2-3 % of the server's time at 10,000 sockets), and a read through
/// tokio-tungstenite registers wakers, clears a read buffer and goes down five layers of
/// streams to find nothing there. Skipped, each costs a few atomic operations on the socket's
/// own memory.
pub struct Gate {
    woken: Arc<Woken>,
    /// Wakes `woken`: what the source is polled with.
    waker: Waker,
    /// The source holds `waker`: it need not be polled until that wakes.
    armed: bool,
}

/// Whether the source woke the task since it was last polled, and the task to wake.
#[derive(Default)]
struct Woken {
    flag: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.flag.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    pub fn new() -> Self {
        let woken = Arc::new(Woken::default());
        Self {
            waker: Waker::from(woken.clone()),
            woken,
            armed: false,
        }
    }

    /// `poll` with the gate's waker, if the source woke the task or may have more.
    pub fn poll<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        // Registered before the flag is read: a wake in between finds this task.
        self.woken.task.register(cx.waker());
        if self.armed && !self.woken.flag.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let polled = poll(&mut Context::from_waker(&self.waker));
        self.armed = polled.is_pending();
        polled
    }
}

/// A cancellation token's wait (the server's closing, the end of a run), gated.
pub struct Cancelled {
    wait: Pin<Box<WaitForCancellationFutureOwned>>,
    gate: Gate,
}

impl Cancelled {
    pub fn new(token: &CancellationToken) -> Self {
        Self {
            wait: Box::pin(token.clone().cancelled_owned()),
            gate: Gate::new(),
        }
    }
}

impl Future for Cancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let wait = &mut this.wait;
        this.gate.poll(cx, |cx| wait.as_mut().poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A gated source is polled at first, again at once after each ready poll (more may wait),
    /// and after a pending poll only once it has woken the task: never for another's wakes.
    #[tokio::test]
    async fn a_gate_polls_its_source_only_when_it_may_have_something() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
        let mut gate = Gate::new();
        let mut polls = 0;
        let mut poll = |gate: &mut Gate, polls: &mut u32| {
            let waker = Waker::from(Arc::new(Woken::default()));
            let mut cx = Context::from_waker(&waker);
            gate.poll(&mut cx, |cx| {
                *polls += 1;
                rx.poll_recv(cx)
            })
        };
        assert_eq!(poll(&mut gate, &mut polls), Poll::Pending);
        assert_eq!(polls, 1, "polled at first");
        for _ in 0..3 {
            assert_eq!(poll(&mut gate, &mut polls), Poll::Pending);
        }
        assert_eq!(
            polls, 1,
            "not polled again while the source has not woken the task"
        );
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(poll(&mut gate, &mut polls), Poll::Ready(Some(1)));
        assert_eq!(
            poll(&mut gate, &mut polls),
            Poll::Ready(Some(2)),
            "more waited"
        );
        assert_eq!(poll(&mut gate, &mut polls), Poll::Pending);
        assert_eq!(polls, 4);
        assert_eq!(poll(&mut gate, &mut polls), Poll::Pending);
        assert_eq!(polls, 4);
        drop(tx);
        assert_eq!(
            poll(&mut gate, &mut polls),
            Poll::Ready(None),
            "the close wakes it"
        );
    }

    /// The loop's other wakes (here a timer every millisecond) leave the token's wait
    /// unpolled, and the cancellation still ends it, whether it comes before the first poll
    /// or after many.
    #[tokio::test]
    async fn closing_ends_the_wait_however_often_the_task_is_woken_for_other_things() {
        for cancel_first in [true, false] {
            let token = CancellationToken::new();
            if cancel_first {
                token.cancel();
            }
            let mut closing = Cancelled::new(&token);
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            let mut ticks = 0;
            let ended = tokio::time::timeout(Duration::from_secs(5), async {
                loop {
                    tokio::select! {
                        biased;
                        _ = &mut closing => return,
                        _ = tick.tick() => {
                            ticks += 1;
                            if ticks == 50 {
                                token.cancel();
                            }
                        }
                    }
                }
            })
            .await;
            assert!(ended.is_ok(), "cancel first: {cancel_first}, {ticks} ticks");
            assert_eq!(ticks, if cancel_first { 0 } else { 50 });
        }
    }
}
