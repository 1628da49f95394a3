//! The accept loop's two troubles: a newcomer refused for lack of room, and `accept` failing.

use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::Edge;
use super::answer::refusal;

/// Tells a newcomer there is no room, as far as it can be told without waiting, and closes.
pub(super) fn refuse(tcp: TcpStream) {
    // Read what it sent, so that closing does not reset the connection before it reads the
    // answer.
    let mut scratch = [0u8; 4096];
    let _ = tcp.try_read(&mut scratch);
    let _ = tcp.try_write(&refusal());
}

/// `accept` failures: logged once per episode, with a brief back-off so the loop never spins.
#[derive(Default)]
pub(super) struct AcceptErrors {
    /// When the current episode began, and how many failures it has had.
    episode: Option<(Instant, u64)>,
}

impl AcceptErrors {
    pub(super) async fn failed(&mut self, e: &io::Error, edge: &Edge) {
        use io::ErrorKind::*;
        if matches!(
            e.kind(),
            ConnectionRefused | ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
        ) {
            // That client gave up before we took it: nothing is wrong here.
            return;
        }
        edge.stats.accept_errors.fetch_add(1, Ordering::Relaxed);
        let out_of_descriptors = matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE));
        match &mut self.episode {
            None => {
                tracing::error!(
                    error = %e,
                    open = edge.stats.open(),
                    cap = edge.settings.max_connections,
                    "accept failed; backing off (logged once until accepting works again)"
                );
                self.episode = Some((Instant::now(), 1));
            }
            Some((_, n)) => *n += 1,
        }
        if out_of_descriptors {
            // Something besides our connections holds descriptors: make room among ours.
            for _ in 0..8 {
                if !edge.evict_one() {
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(if out_of_descriptors {
            10
        } else {
            50
        }))
        .await;
    }

    pub(super) fn recovered(&mut self) {
        if let Some((since, n)) = self.episode.take() {
            tracing::warn!(
                failures = n,
                ms = since.elapsed().as_millis() as u64,
                "accepting connections again"
            );
        }
    }
}
