//! The server's day: what closing dates, days left and COE phases are judged against. It is
//! today in UTC, unless set (tests set it to a closing date's eve, day and morrow; the API
//! never takes "today" from a request).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Date, OffsetDateTime};

/// No day set: the real one.
const UNSET: i64 = i64::MIN;

/// A cheap-to-clone handle on the day; clones share it.
#[derive(Clone)]
pub struct Clock(Arc<AtomicI64>);

impl Default for Clock {
    fn default() -> Self {
        Self(Arc::new(AtomicI64::new(UNSET)))
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.today())
    }
}

impl Clock {
    /// A clock that says `day` until told otherwise.
    pub fn fixed(day: Date) -> Self {
        let c = Self::default();
        c.set(Some(day));
        c
    }

    /// Today (UTC), or the day set.
    pub fn today(&self) -> Date {
        match self.0.load(Ordering::Relaxed) {
            UNSET => OffsetDateTime::now_utc().date(),
            julian => Date::from_julian_day(julian as i32).expect("a day that was set"),
        }
    }

    /// Sets the day (`None`: back to the real one).
    pub fn set(&self, day: Option<Date>) {
        let v = day.map_or(UNSET, |d| i64::from(d.to_julian_day()));
        self.0.store(v, Ordering::Relaxed);
    }
}
