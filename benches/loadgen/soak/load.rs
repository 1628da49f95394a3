//! The soak's HTTP load: requests sent at scheduled times, whatever the answers' speed, over a
//! few kept-alive connections, each timed from its scheduled time (so that a server that
//! stalls is not hidden by a sender that waits for it: the wait is in the figures).
//!
//! A write is done when it is acknowledged. As the delegate's phone does
//! (frontend/src/offline-queue.ts), one that gets no answer, a 5xx, 408, 429 or a 409 for its
//! idempotency key still in flight is sent again, unchanged (same key), every 5 s, on a
//! connection of its own; its time runs from its schedule to the acknowledgement. Past
//! [`GIVE_UP`] without one, it counts as failed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::http::{Answer, Conn};

/// The phone's outbox tries again this often (`retryMs` in frontend/src/offline-queue.ts).
const RETRY_EVERY: Duration = Duration::from_secs(5);
/// A write not acknowledged this long after its schedule is a failure.
const GIVE_UP: Duration = Duration::from_secs(60);

/// One request and the status that means it was done.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    /// Header lines, each ending `\r\n`.
    pub headers: String,
    pub body: Vec<u8>,
    pub expect: u16,
    /// Sent again until acknowledged, as a phone's outbox does (writes).
    pub retry: bool,
}

/// What happened in one stretch of time (a minute): latencies of the requests done and the
/// failures.
#[derive(Debug, Default)]
pub struct Bucket {
    pub ms: Vec<f64>,
    pub failed: u64,
    /// Of those done, how many needed more than one send.
    pub retried: u64,
    /// The first failure's reason, to print.
    pub first_failure: Option<String>,
}

impl Bucket {
    /// The `p`-quantile of the latencies (nearest rank), if any.
    pub fn quantile(&mut self, p: f64) -> Option<f64> {
        if self.ms.is_empty() {
            return None;
        }
        self.ms.sort_by(f64::total_cmp);
        let rank = ((self.ms.len() as f64 * p).ceil() as usize).clamp(1, self.ms.len());
        Some(self.ms[rank - 1])
    }
}

/// Collects the results of one kind of request; [`Recorder::take`] starts the next minute.
#[derive(Debug, Default)]
pub struct Recorder(Mutex<Bucket>);

impl Recorder {
    fn done(&self, scheduled: Instant, retried: bool) {
        let mut b = self.0.lock().expect("not poisoned");
        b.ms.push(scheduled.elapsed().as_secs_f64() * 1e3);
        b.retried += u64::from(retried);
    }

    pub fn failed(&self, why: String) {
        let mut b = self.0.lock().expect("not poisoned");
        b.failed += 1;
        b.first_failure.get_or_insert(why);
    }

    pub fn take(&self) -> Bucket {
        std::mem::take(&mut *self.0.lock().expect("not poisoned"))
    }
}

/// Sends `make(i)` for i = 0, 1, ... from `start` until `end`, at `rate(elapsed)` per
/// second, over `connections` kept-alive connections to `host`. A request that finds every
/// connection busy waits its turn (its wait counts); more than `connections * 1000` waiting
/// means the generator cannot keep up, and those are counted as failures.
pub async fn open_loop(
    host: String,
    connections: usize,
    start: Instant,
    end: Instant,
    rate: impl Fn(Duration) -> f64,
    make: Arc<dyn Fn(usize) -> Request + Send + Sync>,
    recorder: Arc<Recorder>,
) {
    let (tx, rx) = mpsc::channel::<(Instant, usize)>(connections * 1000);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let mut workers = JoinSet::new();
    for _ in 0..connections {
        let (rx, host, make, recorder) = (rx.clone(), host.clone(), make.clone(), recorder.clone());
        workers.spawn(async move {
            let mut conn = Conn::new(&host);
            loop {
                let Some((scheduled, i)) = rx.lock().await.recv().await else {
                    return;
                };
                let r = make(i);
                let sent = conn.request(r.method, &r.path, &r.headers, &r.body).await;
                match outcome(&r, sent) {
                    Outcome::Done => recorder.done(scheduled, false),
                    Outcome::Again(_) if r.retry => {
                        tokio::spawn(send_again(host.clone(), r, scheduled, recorder.clone()));
                    }
                    Outcome::Again(why) | Outcome::Refused(why) => recorder.failed(why),
                }
            }
        });
    }
    let mut next = start;
    let mut i = 0;
    while next < end {
        tokio::time::sleep_until(next.into()).await;
        if tx.try_send((next, i)).is_err() {
            recorder.failed("the generator's queue is full: it cannot keep up".into());
        }
        i += 1;
        next += Duration::from_secs_f64(1.0 / rate(next - start));
    }
    drop(tx);
    while workers.join_next().await.is_some() {}
}

/// What an answer means for a request.
enum Outcome {
    Done,
    /// Worth sending again (for a write): no answer, 5xx, 408, 429, or its key in flight.
    Again(String),
    Refused(String),
}

fn outcome(r: &Request, sent: anyhow::Result<Answer>) -> Outcome {
    let a = match sent {
        Ok(a) if a.status == r.expect => return Outcome::Done,
        Ok(a) => a,
        Err(e) => return Outcome::Again(format!("{} {}: {e:#}", r.method, r.path)),
    };
    let body = String::from_utf8_lossy(&a.body[..a.body.len().min(200)]).into_owned();
    let why = format!("{} {}: {} {body}", r.method, r.path, a.status);
    let key_in_flight = a.status == 409 && body.to_ascii_lowercase().contains("idempotency-key");
    if a.status >= 500 || matches!(a.status, 408 | 429) || key_in_flight {
        Outcome::Again(why)
    } else {
        Outcome::Refused(why)
    }
}

/// Sends `r` again every [`RETRY_EVERY`] on a connection of its own until it is done, refused
/// or [`GIVE_UP`] has passed since `scheduled`.
async fn send_again(host: String, r: Request, scheduled: Instant, recorder: Arc<Recorder>) {
    let mut conn = Conn::new(&host);
    loop {
        tokio::time::sleep(RETRY_EVERY).await;
        let sent = conn.request(r.method, &r.path, &r.headers, &r.body).await;
        match outcome(&r, sent) {
            Outcome::Done => return recorder.done(scheduled, true),
            Outcome::Again(why) if scheduled.elapsed() >= GIVE_UP => {
                return recorder.failed(format!("not acknowledged within {GIVE_UP:?}: {why}"));
            }
            Outcome::Again(_) => {}
            Outcome::Refused(why) => return recorder.failed(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_is_sent_again_when_the_phone_would_send_it_again_and_not_when_refused() {
        let write = Request {
            method: "POST",
            path: "/api/v1/actuals".into(),
            headers: String::new(),
            body: Vec::new(),
            expect: 201,
            retry: true,
        };
        let answer = |status, body: &str| {
            Ok(Answer {
                status,
                body: body.as_bytes().to_vec(),
            })
        };
        let again = |o| matches!(o, Outcome::Again(_));
        assert!(matches!(outcome(&write, answer(201, "")), Outcome::Done));
        for status in [500, 502, 503, 408, 429] {
            assert!(again(outcome(&write, answer(status, ""))), "{status}");
        }
        assert!(again(outcome(
            &write,
            answer(409, "the Idempotency-Key is still being served")
        )));
        assert!(again(outcome(&write, Err(anyhow::anyhow!("refused")))));
        for (status, body) in [(409, "a conflict"), (422, "value out of range"), (403, "")] {
            assert!(
                matches!(outcome(&write, answer(status, body)), Outcome::Refused(_)),
                "{status}"
            );
        }
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let mut b = Bucket {
            ms: (1..=100).rev().map(f64::from).collect(),
            ..Bucket::default()
        };
        assert_eq!(b.quantile(0.5), Some(50.0));
        assert_eq!(b.quantile(0.99), Some(99.0));
        assert_eq!(b.quantile(1.0), Some(100.0));
        assert_eq!(Bucket::default().quantile(0.5), None);
    }
}
