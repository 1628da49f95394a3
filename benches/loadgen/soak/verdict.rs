//! Whether memory and descriptors stayed bounded, from the minute samples: the rule the soak's
//! exit status follows (benches/soak.sh states it in its header).
//!
//! Minute 0 is taken once the sockets are open, before the load; minutes 1..=M under it. Two
//! windows of each server's samples are compared: an early one, once the first minutes have
//! filled what fills once (caches, the allocator's pools, the pool of database connections),
//! and the last minutes. For a 30-minute soak they are minutes 5–10 and 26–30; for M minutes,
//! round(M/6)..=round(M/3) and the last round(M/6) (each at least one minute).
//!
//! - Memory is "live sockets + a constant" too: the highest VmRSS of the last window is within
//!   `rss_growth_pct` % of the highest of the early window, plus `socket_kib` for each live
//!   socket it holds beyond what it held then (at those two samples). Sockets move between
//!   replicas: those of a replica that restarts reconnect to the other, and come back to it only
//!   as clients churn.
//! - Descriptors are connections (`apo_http_connections_open`: every accepted connection, live
//!   sockets included) and the rest (listeners, database connections, files). Connections come
//!   and go with the clients, so the descriptors must be "connections + a constant": the rest
//!   in the last window exceeds that of the early window by at most `fd_slack` (the database
//!   pool, up to 16 connections on PostgreSQL, opens more as the load rises).
//! - The connections other than live sockets (plain HTTP: the proxy's kept-alive ones, the
//!   requests in flight) in the last window exceed those of the early window by at most
//!   `conn_slack`: a server that kept connections its clients had left would grow here.
//!
//! A server whose `/metrics` does not give the connections is judged on the descriptors other
//! than live sockets, with both slacks. The windows compare a replica's slot, whichever process
//! holds it: a replica restarted midway is, in the last window, as old as the first process
//! was in the early one.

use std::ops::RangeInclusive;

use super::sample::Sample;

/// The limits.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub rss_growth_pct: f64,
    /// Memory allowed per live socket held beyond the early window's.
    pub socket_kib: u64,
    pub fd_slack: u64,
    pub conn_slack: u64,
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
    /// Live sockets held beyond the early window's, at the highest samples, and the most the
    /// last window's VmRSS may be.
    pub more_sockets: u64,
    pub rss_allowed_kib: u64,
    pub rss_ok: bool,
    /// Highest descriptors other than connections, early and late.
    pub rest_early: u64,
    pub rest_late: u64,
    pub rest_ok: bool,
    /// Highest connections other than live sockets, early and late.
    pub conns_early: u64,
    pub conns_late: u64,
    pub conns_ok: bool,
    /// Whether every sample in the windows gave its connections (else descriptors other than
    /// live sockets were judged, as `rest`).
    pub connections_known: bool,
}

impl Judgement {
    pub fn bounded(&self) -> bool {
        self.rss_ok && self.rest_ok && self.conns_ok
    }
}

/// Judges one server from its samples, `(minute, sample)`; an error when a window has none
/// (the process was down through it), which is not a pass.
pub fn judge(points: &[(u32, Sample)], minutes: u32, rule: Rule) -> Result<Judgement, String> {
    let w = windows(minutes);
    let in_windows = points
        .iter()
        .filter(|(m, _)| w.early.contains(m) || w.late.contains(m));
    let known = in_windows
        .clone()
        .all(|(_, s)| s.connections.is_some() && s.live.is_some());
    let max_in = |range: &RangeInclusive<u32>, f: &dyn Fn(&Sample) -> u64| {
        points
            .iter()
            .filter(|(m, _)| range.contains(m))
            .map(|(_, s)| f(s))
            .max()
            .ok_or_else(|| {
                format!(
                    "no sample in minutes {}-{}: the process was not there",
                    range.start(),
                    range.end()
                )
            })
    };
    let rss = |s: &Sample| s.rss_kib;
    let (rss_early, rss_late) = (max_in(&w.early, &rss)?, max_in(&w.late, &rss)?);
    // The live sockets at the sample of the highest VmRSS of a window.
    let live_at = |range: &RangeInclusive<u32>, kib: u64| {
        points
            .iter()
            .find(|(m, s)| range.contains(m) && s.rss_kib == kib)
            .and_then(|(_, s)| s.live)
            .unwrap_or(0)
    };
    let more_sockets = live_at(&w.late, rss_late).saturating_sub(live_at(&w.early, rss_early));
    let rss_allowed = (rss_early as f64 * (1.0 + rule.rss_growth_pct / 100.0)) as u64
        + more_sockets * rule.socket_kib;
    let rest = |s: &Sample| {
        let open = if known { s.connections } else { s.live };
        s.fds.saturating_sub(open.unwrap_or(0))
    };
    let conns = |s: &Sample| match (s.connections, s.live) {
        (Some(c), Some(l)) if known => c.saturating_sub(l),
        _ => 0,
    };
    let (rest_early, rest_late) = (max_in(&w.early, &rest)?, max_in(&w.late, &rest)?);
    let (conns_early, conns_late) = (max_in(&w.early, &conns)?, max_in(&w.late, &conns)?);
    let rest_slack = if known {
        rule.fd_slack
    } else {
        rule.fd_slack + rule.conn_slack
    };
    let growth = (rss_late as f64 / rss_early.max(1) as f64 - 1.0) * 100.0;
    Ok(Judgement {
        rss_early_kib: rss_early,
        rss_late_kib: rss_late,
        rss_growth_pct: growth,
        more_sockets,
        rss_allowed_kib: rss_allowed,
        rss_ok: rss_late <= rss_allowed,
        rest_early,
        rest_late,
        rest_ok: rest_late <= rest_early + rest_slack,
        conns_early,
        conns_late,
        conns_ok: conns_late <= conns_early + rule.conn_slack,
        connections_known: known,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        rss_growth_pct: 10.0,
        socket_kib: 32,
        fd_slack: 24,
        conn_slack: 64,
    };

    /// A sample with `live` sockets, `http` other connections and `rest` other descriptors.
    fn at(minute: u32, rss_mb: u64, live: u64, http: u64, rest: u64) -> (u32, Sample) {
        (
            minute,
            Sample {
                pid: 1,
                rss_kib: rss_mb * 1024,
                hwm_kib: rss_mb * 1024,
                fds: live + http + rest,
                socket_fds: live + http + 5,
                live: Some(live),
                connections: Some(live + http),
                cpu_s: 0.0,
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
        // Grows in the first minutes, then flat with noise; sockets vary by hundreds, the
        // proxy's connections and the database pool fill under the heavier second half.
        let points: Vec<_> = (0..=30u32)
            .map(|m| {
                let m64 = u64::from(m);
                let rss = 100 + m64.min(4) * 5 + (m64 % 3);
                let live = 1000 + (m64 * 37) % 300;
                let (http, rest) = if m > 15 { (40, 35) } else { (3, 20) };
                at(m, rss, live, http + m64 % 4, rest + m64 % 3)
            })
            .collect();
        let j = judge(&points, 30, RULE).unwrap();
        assert!(j.bounded(), "{j:?}");
    }

    #[test]
    fn memory_that_keeps_growing_one_percent_a_minute_is_not_bounded() {
        let points: Vec<_> = (0..=30)
            .map(|m| at(m, 100 + u64::from(m), 1000, 4, 20))
            .collect();
        let j = judge(&points, 30, RULE).unwrap();
        assert!(!j.rss_ok && j.rest_ok && j.conns_ok, "{j:?}");
        assert!((j.rss_growth_pct - 100.0 * (130.0 / 110.0 - 1.0)).abs() < 0.1);
    }

    #[test]
    fn a_replica_that_takes_the_sockets_of_one_restarted_may_hold_their_memory_and_no_more() {
        // 1,000 sockets more from minute 16, 20 KiB each: 20 MB more than 10 % allows alone.
        let took = |m: u32, extra_mb: u64| {
            let more = if m > 15 { 1000 } else { 0 };
            at(m, 120 + extra_mb + more * 20 / 1024, 1000 + more, 4, 20)
        };
        let points: Vec<_> = (0..=30).map(|m| took(m, 0)).collect();
        let j = judge(&points, 30, RULE).unwrap();
        assert!(j.rss_ok && j.more_sockets == 1000, "{j:?}");
        // The same with a leak of 2 MB a minute on top.
        let points: Vec<_> = (0..=30).map(|m| took(m, 2 * u64::from(m))).collect();
        assert!(!judge(&points, 30, RULE).unwrap().rss_ok);
    }

    #[test]
    fn descriptors_that_grow_besides_the_connections_are_not_bounded_even_with_fewer_sockets() {
        // A leak of 2 descriptors a minute (files, say), while the live sockets fall by more.
        let points: Vec<_> = (0..=30)
            .map(|m| at(m, 100, 1000 - 5 * u64::from(m), 4, 20 + 2 * u64::from(m)))
            .collect();
        let j = judge(&points, 30, RULE).unwrap();
        assert!(j.rss_ok && !j.rest_ok && j.conns_ok, "{j:?}");
    }

    #[test]
    fn connections_kept_after_their_clients_left_are_not_bounded() {
        // Plain connections that pile up by 5 a minute while the live sockets stay.
        let points: Vec<_> = (0..=30)
            .map(|m| at(m, 100, 1000, 4 + 5 * u64::from(m), 20))
            .collect();
        let j = judge(&points, 30, RULE).unwrap();
        assert!(j.rss_ok && j.rest_ok && !j.conns_ok, "{j:?}");
    }

    #[test]
    fn without_the_connections_the_descriptors_besides_live_sockets_are_judged_with_both_slacks() {
        let unknown = |(m, mut s): (u32, Sample)| {
            s.connections = None;
            (m, s)
        };
        let fine: Vec<_> = (0..=30)
            .map(|m| unknown(at(m, 100, 1000, if m > 15 { 60 } else { 4 }, 20)))
            .collect();
        let j = judge(&fine, 30, RULE).unwrap();
        assert!(j.bounded() && !j.connections_known, "{j:?}");
        let leak: Vec<_> = (0..=30)
            .map(|m| unknown(at(m, 100, 1000, 4, 20 + 5 * u64::from(m))))
            .collect();
        assert!(!judge(&leak, 30, RULE).unwrap().rest_ok);
    }

    #[test]
    fn a_window_without_samples_is_an_error_not_a_pass() {
        let points: Vec<_> = (0..=25).map(|m| at(m, 100, 1000, 4, 20)).collect();
        assert!(judge(&points, 30, RULE).unwrap_err().contains("26-30"));
    }
}
