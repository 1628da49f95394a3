//! The soak's HTTP load: requests sent at scheduled times, whatever the answers' speed, over a
//! few kept-alive connections, each timed from its scheduled time (so that a server that
//! stalls is not hidden by a sender that waits for it: the wait is in the figures).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::http::Conn;

/// One request and the status that means it was done.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    /// Header lines, each ending `\r\n`.
    pub headers: String,
    pub body: Vec<u8>,
    pub expect: u16,
}

/// What happened in one stretch of time (a minute): latencies of the requests done and the
/// failures.
#[derive(Debug, Default)]
pub struct Bucket {
    pub ms: Vec<f64>,
    pub failed: u64,
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
    fn done(&self, ms: f64) {
        self.0.lock().expect("not poisoned").ms.push(ms);
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
                match conn.request(r.method, &r.path, &r.headers, &r.body).await {
                    Ok(a) if a.status == r.expect => {
                        recorder.done(scheduled.elapsed().as_secs_f64() * 1e3);
                    }
                    Ok(a) => recorder.failed(format!(
                        "{} {}: {} {}",
                        r.method,
                        r.path,
                        a.status,
                        String::from_utf8_lossy(&a.body[..a.body.len().min(200)])
                    )),
                    Err(e) => recorder.failed(format!("{} {}: {e:#}", r.method, r.path)),
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

#[cfg(test)]
mod tests {
    use super::*;

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
