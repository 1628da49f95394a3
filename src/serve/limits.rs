//! How many connections the edge may hold: the descriptor limit, raised at start, and the cap
//! and live share derived from it.

use std::io;

/// Connections past the cap allowed while the ones evicted to make room are being closed. The
/// descriptor budget of [`default_cap`] leaves room for them.
pub const EVICTION_MARGIN: usize = 64;

/// RLIMIT_NOFILE, as it stands after [`raise_descriptor_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescriptorLimit {
    pub soft: u64,
    pub hard: u64,
}

/// Raises the soft limit on open descriptors to the hard one (the kernel's default soft limit,
/// often 1,024, would otherwise cap the connections long before memory does) and returns the
/// limits as they now stand.
#[cfg(unix)]
pub fn raise_descriptor_limit() -> io::Result<DescriptorLimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given, which lives on this stack frame.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = limit.rlim_max;
        } else {
            tracing::warn!(
                error = %io::Error::last_os_error(),
                soft = before,
                hard = limit.rlim_max,
                "the descriptor limit could not be raised to its hard limit"
            );
        }
    }
    Ok(DescriptorLimit {
        soft: limit.rlim_cur,
        hard: limit.rlim_max,
    })
}

#[cfg(not(unix))]
pub fn raise_descriptor_limit() -> io::Result<DescriptorLimit> {
    Err(io::Error::other("descriptor limits are a Unix notion"))
}

/// The connection cap a descriptor limit allows: the limit less a reserve for what else holds
/// descriptors (the database pool, at most 16; the listeners, epoll and timers; files being
/// served; logs: 256 plus 1/32 of the limit) and [`EVICTION_MARGIN`].
pub fn default_cap(soft_limit: u64) -> usize {
    let soft = soft_limit.min(1 << 24);
    let reserve = 256 + soft / 32 + EVICTION_MARGIN as u64;
    soft.saturating_sub(reserve).max(16) as usize
}

/// Live sockets allowed under a connection cap: nine in ten, so that a full house of live
/// sockets leaves room for plain requests (`/healthz`, the API, the pages).
pub fn live_share(cap: usize) -> usize {
    cap.saturating_sub((cap / 10).max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_default_cap_leaves_room_below_the_descriptor_limit() {
        assert_eq!(default_cap(1024), 1024 - 256 - 32 - 64);
        assert_eq!(default_cap(20_000), 20_000 - 256 - 625 - 64);
        assert!(default_cap(1 << 20) < 1 << 20);
        assert_eq!(default_cap(100), 16);
        assert_eq!(default_cap(u64::MAX), default_cap(1 << 24));
    }

    #[test]
    fn live_sockets_leave_a_tenth_of_the_cap_to_requests() {
        assert_eq!(live_share(200), 180);
        assert_eq!(live_share(5), 4);
        assert_eq!(live_share(1), 1);
    }

    #[test]
    fn the_descriptor_limit_is_raised_to_the_hard_one() {
        let limit = raise_descriptor_limit().expect("getrlimit works");
        assert_eq!(limit.soft, limit.hard);
    }
}
