//! Whether memory and descriptors stayed bounded, from the minute samples: the rule the soak's
//! exit status follows (benches/soak.sh states it in its header).
//!
//! Minute 0 is taken once the sockets are open, before the load; minutes 1..=M under it. Two
//! windows of each server's samples are compared: an early one, once the first minutes have
//! filled what fills once (caches, the allocator's pools, the pool of database connections),
//! and the last minutes. For a 30-minute soak they are minutes 5–10 and 26–30; for M minutes,
//! round(M/6)..=round(M/3) and the last round(M/6) (each at least one minute).
//!
//! - Memory: the highest VmRSS of the last window is within `rss_growth_pct` % of the highest
//!   of the early window.
//! - Descriptors: the descriptors other than live sockets (`fds - apo_live_viewers`:
//!   listeners, database and HTTP connections, files) in the last window exceed those of the
//!   early window by at most `fd_slack`. Live sockets come and go with the clients, so the
//!   total is judged as "sockets + a constant".
//!
//! The windows compare a replica's slot, whichever process holds it: a replica restarted midway
//! is, in the last window, as old as the first process was in the early one.

use std::ops::RangeInclusive;

use super::sample::Sample;

/// The limits.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub rss_growth_pct: f64,
    pub fd_slack: u64,
}

/// The minutes compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    pub early: RangeInclusive<u32>,
    pub late: RangeInclusive<u32>,
}

pub fn windows(minutes: u32) -> Windows {
    let m = f64::from(minutes.max(1));
    let at_least_one = |x: f64| (x.round() as u32).max(1);
    let late_len = at_least_one(m / 6.0).min(minutes.max(1));
    Windows {
        early: at_least_one(m / 6.0)..=at_least_one(m / 3.0),
        late: minutes.max(1) - late_len + 1..=minutes.max(1),
    }
}

/// One server's judgement.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub rss_early_kib: u64,
    pub rss_late_kib: u64,
    pub rss_growth_pct: f64,
    pub rss_ok: bool,
    pub other_fds_early: u64,
    pub other_fds_late: u64,
    pub fds_ok: bool,
    /// Whether every sample in the windows knew its live sockets (else the total is judged).
    pub live_known: bool,
}

impl Judgement {
    pub fn bounded(&self) -> bool {
        self.rss_ok && self.fds_ok
    }
}

/// Judges one server from its samples, `(minute, sample)`; an error when a window has none
/// (the process was down through it), which is not a pass.
pub fn judge(points: &[(u32, Sample)], minutes: u32, rule: Rule) -> Result<Judgement, String> {
    let w = windows(minutes);
    let max_in = |range: &RangeInclusive<u32>, f: &dyn Fn(&Sample) -> u64| {
        points
            .iter()
            .filter(|(m, _)| range.contains(m))
            .map(|(_, s)| f(s))
            .max()
    };
    let missing = |range: &RangeInclusive<u32>| {
        format!(
            "no sample in minutes {}-{}: the process was not there",
            range.start(),
            range.end()
        )
    };
    let rss_early = max_in(&w.early, &|s| s.rss_kib).ok_or_else(|| missing(&w.early))?;
    let rss_late = max_in(&w.late, &|s| s.rss_kib).ok_or_else(|| missing(&w.late))?;
    let live_known = points
        .iter()
        .filter(|(m, _)| w.early.contains(m) || w.late.contains(m))
        .all(|(_, s)| s.live.is_some());
    let other = |s: &Sample| s.other_fds();
    let fds_early = max_in(&w.early, &other).unwrap_or(0);
    let fds_late = max_in(&w.late, &other).unwrap_or(0);
    let growth = (rss_late as f64 / rss_early.max(1) as f64 - 1.0) * 100.0;
    Ok(Judgement {
        rss_early_kib: rss_early,
        rss_late_kib: rss_late,
        rss_growth_pct: growth,
        rss_ok: growth <= rule.rss_growth_pct,
        other_fds_early: fds_early,
        other_fds_late: fds_late,
        fds_ok: fds_late <= fds_early + rule.fd_slack,
        live_known,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        rss_growth_pct: 10.0,
        fd_slack: 32,
    };

    fn at(minute: u32, rss_mb: u64, fds: u64, live: u64) -> (u32, Sample) {
        (
            minute,
            Sample {
                pid: 1,
                rss_kib: rss_mb * 1024,
                hwm_kib: rss_mb * 1024,
                fds,
                socket_fds: fds - 10,
                live: Some(live),
            },
        )
    }

    #[test]
    fn thirty_minutes_compare_minutes_5_to_10_with_26_to_30_and_short_runs_still_have_windows() {
        assert_eq!(
            windows(30),
            Windows {
                early: 5..=10,
                late: 26..=30
            }
        );
        assert_eq!(
            windows(3),
            Windows {
                early: 1..=1,
                late: 3..=3
            }
        );
        assert_eq!(
            windows(1),
            Windows {
                early: 1..=1,
                late: 1..=1
            }
        );
    }

    #[test]
    fn memory_that_levels_off_and_sockets_that_come_and_go_are_bounded() {
        // Grows in the first minutes, then flat with noise; sockets vary by hundreds.
        let points: Vec<_> = (0..=30)
            .map(|m| {
                let rss = 100 + m.min(4) * 5 + (m % 3);
                let live = 1000 + (m * 37) % 300;
                at(
                    m,
                    rss.into(),
                    u64::from(live) + 40 + u64::from(m % 5),
                    live.into(),
                )
            })
            .collect();
        let j = judge(&points, 30, RULE).unwrap();
        assert!(j.bounded(), "{j:?}");
    }

    #[test]
    fn memory_that_keeps_growing_one_percent_a_minute_is_not_bounded() {
        let points: Vec<_> = (0..=30)
            .map(|m| at(m, 100 + u64::from(m), 1040, 1000))
            .collect();
        let j = judge(&points, 30, RULE).unwrap();
        assert!(!j.rss_ok && j.fds_ok, "{j:?}");
        assert!((j.rss_growth_pct - 100.0 * (130.0 / 110.0 - 1.0)).abs() < 0.1);
    }

    #[test]
    fn descriptors_that_grow_besides_the_sockets_are_not_bounded_even_with_fewer_sockets() {
        // A leak of 5 descriptors a minute, while the live sockets fall by as many.
        let points: Vec<_> = (0..=30)
            .map(|m| at(m, 100, 1040, 1000 - 5 * u64::from(m)))
            .map(|(m, mut s)| {
                s.fds += 5 * u64::from(m);
                (m, s)
            })
            .collect();
        let j = judge(&points, 30, RULE).unwrap();
        assert!(j.rss_ok && !j.fds_ok, "{j:?}");
    }

    #[test]
    fn a_window_without_samples_is_an_error_not_a_pass() {
        let points: Vec<_> = (0..=25).map(|m| at(m, 100, 1040, 1000)).collect();
        assert!(judge(&points, 30, RULE).unwrap_err().contains("26-30"));
    }
}
