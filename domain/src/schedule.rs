//! How often an endpoint is checked: the adaptive tiers by the nearest expiry, the backoff
//! of a failing one, and the pace of overdue checks after a restart.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::registry::{CertStatus, Certificate};

/// Adaptive tiers from the API contract: (days to the nearest expiry, check every).
pub const TIERS: [(i64, StdDuration); 2] = [
    (7, StdDuration::from_secs(4 * 3600)),
    (30, StdDuration::from_secs(12 * 3600)),
];
/// The baseline when no certificate expires within 30 days.
pub const BASELINE: StdDuration = StdDuration::from_secs(24 * 3600);
/// Bounds of a frequency set through the API.
pub const MIN_FREQUENCY: StdDuration = StdDuration::from_secs(60);
pub const MAX_FREQUENCY: StdDuration = StdDuration::from_secs(30 * 86_400);
/// The first retry after a failure; each further failure doubles it, up to [`MAX_BACKOFF`].
pub const FIRST_RETRY: StdDuration = StdDuration::from_secs(15 * 60);
pub const MAX_BACKOFF: StdDuration = StdDuration::from_secs(7 * 86_400);

/// The check frequency the adaptive tiers give an organization's certificates on `today`:
/// the tightest tier any live certificate's expiry falls in. Expired and revoked
/// certificates do not count: they are not "expiring".
pub fn adaptive_frequency(certs: &[Certificate], today: NaiveDate) -> StdDuration {
    let nearest = certs
        .iter()
        .filter(|c| matches!(c.status, CertStatus::Active | CertStatus::Pending))
        .filter_map(|c| c.expiry_date)
        .map(|d| (d - today).num_days())
        .filter(|days| *days >= 0)
        .min();
    nearest
        .and_then(|days| {
            TIERS
                .iter()
                .find(|(within, _)| days <= *within)
                .map(|(_, every)| *every)
        })
        .unwrap_or(BASELINE)
}

/// How long a failing endpoint waits before its next try: 15 minutes after the first
/// failure, doubling with each further one, at most a week.
pub fn failure_backoff(consecutive_failures: u32) -> StdDuration {
    let doublings = consecutive_failures.saturating_sub(1).min(20);
    FIRST_RETRY
        .saturating_mul(1u32 << doublings)
        .min(MAX_BACKOFF)
}

/// When the next overdue check may start after a restart: `per_second` of them are
/// started each second, one after the other, so a restart never fires them all at once;
/// once the queue has drained, the next one starts at once.
pub fn catch_up_slot(
    previous: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    per_second: u32,
) -> DateTime<Utc> {
    let gap = Duration::milliseconds(1000 / i64::from(per_second.max(1)));
    match previous {
        Some(p) if p + gap > now => p + gap,
        _ => now,
    }
}

pub fn secs(s: u64) -> Duration {
    Duration::seconds(s.min(i64::MAX as u64) as i64)
}

pub fn to_chrono(d: StdDuration) -> Duration {
    secs(d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cert, day};
    use uuid::Uuid;

    #[test]
    fn the_most_urgent_tier_wins() {
        let t = Uuid::new_v4();
        let today = day("2026-11-22");
        let h = |n: u64| StdDuration::from_secs(n * 3600);
        assert_eq!(adaptive_frequency(&[], today), h(24));
        let far = cert("A", t, Some("2027-06-01"));
        assert_eq!(adaptive_frequency(std::slice::from_ref(&far), today), h(24));
        let month = cert("B", t, Some("2026-12-22"));
        assert_eq!(
            adaptive_frequency(&[far.clone(), month.clone()], today),
            h(12)
        );
        let week = cert("C", t, Some("2026-11-29"));
        assert_eq!(adaptive_frequency(&[far, month.clone(), week], today), h(4));
        // Day 31 is outside the 30-day window; an expired or revoked one does not count.
        assert_eq!(
            adaptive_frequency(&[cert("D", t, Some("2026-12-23"))], today),
            h(24)
        );
        assert_eq!(
            adaptive_frequency(&[cert("E", t, Some("2026-11-21"))], today),
            h(24)
        );
        let mut revoked = cert("F", t, Some("2026-11-25"));
        revoked.status = CertStatus::Revoked;
        assert_eq!(adaptive_frequency(&[revoked, month], today), h(12));
    }

    #[test]
    fn failures_back_off_up_to_a_week() {
        let m = |n: u64| StdDuration::from_secs(n * 60);
        assert_eq!(failure_backoff(1), m(15));
        assert_eq!(failure_backoff(2), m(30));
        assert_eq!(failure_backoff(4), m(120));
        assert_eq!(failure_backoff(12), MAX_BACKOFF);
        assert_eq!(failure_backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn catch_up_spreads_overdue_checks() {
        let t0: DateTime<Utc> = "2026-11-22T10:00:00Z".parse().unwrap();
        let first = catch_up_slot(None, t0, 50);
        assert_eq!(first, t0);
        let mut slot = first;
        for _ in 0..100 {
            slot = catch_up_slot(Some(slot), t0, 50);
        }
        assert_eq!(slot, t0 + Duration::seconds(2), "100 more at 50/s take 2 s");
        // Once the queue has drained, the next overdue check starts at once.
        let later = t0 + Duration::minutes(5);
        assert_eq!(catch_up_slot(Some(slot), later, 50), later);
    }
}
