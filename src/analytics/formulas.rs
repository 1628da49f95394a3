//! The rules of METRICS.md §1–2 for one value at a time: what the incremental path uses when a
//! single report arrives. The polars queries in [`super::full`] implement the same rules over
//! whole columns; a test keeps the two equal.

use serde::Serialize;
use utoipa::ToSchema;

/// Progress `p` of a key result (METRICS.md §1); `None` when there is no actual or no target.
pub fn progress(
    increase: bool,
    baseline: Option<f64>,
    target: Option<f64>,
    actual: Option<f64>,
) -> Option<f64> {
    let (t, a) = (target?, actual?);
    Some(match baseline {
        Some(b) if t != b => (a - b) / (t - b),
        _ if increase => {
            if a >= t {
                1.0
            } else if t > 0.0 {
                a / t
            } else {
                0.0
            }
        }
        _ => {
            if a <= t {
                1.0
            } else if a > 0.0 {
                t / a
            } else {
                0.0
            }
        }
    })
}

/// Score `s = clamp(p, 0, 1)`.
pub fn score(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

/// Status of a key result from its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Achieved,
    OnTrack,
    AtRisk,
    OffTrack,
    NoData,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Achieved,
        Status::OnTrack,
        Status::AtRisk,
        Status::OffTrack,
        Status::NoData,
    ];

    pub fn of(p: Option<f64>) -> Self {
        match p {
            None => Self::NoData,
            Some(p) if p >= 1.0 => Self::Achieved,
            Some(p) if p >= 0.7 => Self::OnTrack,
            Some(p) if p >= 0.4 => Self::AtRisk,
            Some(_) => Self::OffTrack,
        }
    }

    /// Position in [`Status::ALL`], also the code the polars queries use.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Unweighted mean of the values present; `None` when there are none.
pub fn mean(values: impl IntoIterator<Item = Option<f64>>) -> (Option<f64>, usize) {
    let (mut sum, mut n) = (0.0, 0usize);
    for v in values.into_iter().flatten() {
        sum += v;
        n += 1;
    }
    ((n > 0).then(|| sum / n as f64), n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_follows_each_rule_of_metrics_section_1() {
        // Baseline 100, target 200, actual 150: (150-100)/(200-100) = 0.5.
        assert_eq!(
            progress(true, Some(100.0), Some(200.0), Some(150.0)),
            Some(0.5)
        );
        // Decrease: baseline 30 days, target 20, actual 25: (25-30)/(20-30) = 0.5.
        assert_eq!(
            progress(false, Some(30.0), Some(20.0), Some(25.0)),
            Some(0.5)
        );
        // Over-achievement: (250-100)/(200-100) = 1.5, score clamped to 1.
        assert_eq!(
            progress(true, Some(100.0), Some(200.0), Some(250.0)),
            Some(1.5)
        );
        assert_eq!(score(1.5), 1.0);
        assert_eq!(score(-0.2), 0.0);
        // No baseline, increase: 30/40 = 0.75; at or above target: 1; target 0: 0.
        assert_eq!(progress(true, None, Some(40.0), Some(30.0)), Some(0.75));
        assert_eq!(progress(true, None, Some(40.0), Some(41.0)), Some(1.0));
        assert_eq!(progress(true, None, Some(0.0), Some(-1.0)), Some(0.0));
        // Target equal to baseline behaves as no baseline: decrease, target 10, actual 20:
        // 10/20 = 0.5; actual 0 (<= target) is 1; a negative target above a positive actual: 0.
        assert_eq!(
            progress(false, Some(10.0), Some(10.0), Some(20.0)),
            Some(0.5)
        );
        assert_eq!(
            progress(false, Some(10.0), Some(10.0), Some(0.0)),
            Some(1.0)
        );
        assert_eq!(progress(false, None, Some(-5.0), Some(0.0)), Some(0.0));
        // Missing actual or target: no progress.
        assert_eq!(progress(true, Some(1.0), None, Some(2.0)), None);
        assert_eq!(progress(true, Some(1.0), Some(2.0), None), None);
    }

    #[test]
    fn status_thresholds_are_inclusive_at_the_lower_bound() {
        assert_eq!(Status::of(Some(1.0)), Status::Achieved);
        assert_eq!(Status::of(Some(0.7)), Status::OnTrack);
        assert_eq!(Status::of(Some(0.69999)), Status::AtRisk);
        assert_eq!(Status::of(Some(0.4)), Status::AtRisk);
        assert_eq!(Status::of(Some(0.39)), Status::OffTrack);
        assert_eq!(Status::of(Some(-3.0)), Status::OffTrack);
        assert_eq!(Status::of(None), Status::NoData);
    }
}
