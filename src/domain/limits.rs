//! What the server takes, alike on both backends (README, "The API"): the windows of dates and
//! times, the magnitudes of numbers, and the characters text may hold.

/// The earliest time a report may be dated: the cycle's baselines are measured since; a report
/// dated before is a typing mistake (the latest is at most 5 minutes, `CLOCK_SKEW`, ahead of
/// the server's clock).
pub const EARLIEST_REPORT: time::OffsetDateTime = time::macros::datetime!(2000-01-01 0:00 UTC);
/// The window of calendar dates (a project's start and end, a primer's signing): from the APO's
/// founding year to the end of the century.
pub const FIRST_DATE: time::Date = time::macros::date!(1961 - 01 - 01);
pub const LAST_DATE: time::Date = time::macros::date!(2100 - 12 - 31);

/// Why a calendar date is refused (outside [`FIRST_DATE`]–[`LAST_DATE`]); none when it is not.
pub fn date_problem(d: time::Date) -> Option<String> {
    (!(FIRST_DATE..=LAST_DATE).contains(&d)).then(|| {
        format!("{d} is outside the dates this service takes ({FIRST_DATE} to {LAST_DATE})")
    })
}

/// The largest magnitude of a key result's value (a report, a target, a baseline, a range's
/// end): far above any real one, and low enough that the arithmetic of METRICS.md stays finite.
pub const MAX_MAGNITUDE: f64 = 1e15;
/// The largest weight of a key result.
pub const MAX_WEIGHT: f64 = 1e6;

/// Why a key result's value is refused (beyond [`MAX_MAGNITUDE`]); none when it is not.
pub fn magnitude_problem(v: f64) -> Option<String> {
    (v.abs() > MAX_MAGNITUDE).then(|| {
        format!("{v:e} is beyond ±{MAX_MAGNITUDE:e}, the largest value this service takes")
    })
}

/// The first character that text may not hold: a control character (C0, DEL or C1) other
/// than tab, line feed and carriage return. PostgreSQL cannot store NUL at all, and the others
/// are invisible on a screen and break files; both backends refuse the same ones, here.
pub fn control_character(s: &str) -> Option<char> {
    s.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Why text holding a control character is refused, in words; none when it holds none.
pub fn control_problem(s: &str) -> Option<String> {
    control_character(s).map(|c| {
        format!(
            "contains the control character U+{:04X}, which text may not hold (only tab and line breaks may)",
            u32::from(c)
        )
    })
}
