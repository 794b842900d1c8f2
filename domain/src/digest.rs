//! The expiry digest: a tenant's mail of what came up since the last one — certificates
//! entering an expiry window, newly expired ones, failing monitoring, failed deliveries.
//! Each certificate is announced once per window it enters.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The windows a new tenant is warned in: a month, a week and a day ahead.
pub const DEFAULT_WINDOWS: [u32; 3] = [30, 7, 1];
/// At most this many windows, each at most a year.
pub const MAX_WINDOWS: usize = 5;
pub const MAX_WINDOW_DAYS: u32 = 365;
/// An endpoint is reported as failing after this many failed checks in a row.
pub const FAILING_AFTER: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    Daily,
    Weekly,
    Off,
}

impl Frequency {
    pub fn parse(s: &str) -> Option<Frequency> {
        match s {
            "daily" => Some(Frequency::Daily),
            "weekly" => Some(Frequency::Weekly),
            "off" => Some(Frequency::Off),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Off => "off",
        }
    }

    fn period(self) -> Option<Duration> {
        match self {
            Frequency::Daily => Some(Duration::days(1)),
            Frequency::Weekly => Some(Duration::days(7)),
            Frequency::Off => None,
        }
    }
}

/// Whether a digest may go out now, the previous one having gone at `last_sent`. A few
/// minutes of slack keep a daily digest at about the same time of day: the check runs
/// every few minutes, so "exactly a day later" falls between two checks.
pub fn is_due(frequency: Frequency, last_sent: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    let Some(period) = frequency.period() else {
        return false;
    };
    last_sent.is_none_or(|at| now - at >= period - Duration::minutes(30))
}

/// Windows as a tenant sets them: 1 to [`MAX_WINDOWS`] days from 1 to
/// [`MAX_WINDOW_DAYS`], kept largest first, each once.
pub fn parse_windows(days: &[i64]) -> Result<Vec<u32>, String> {
    if days.is_empty() || days.len() > MAX_WINDOWS {
        return Err(format!("Give from 1 to {MAX_WINDOWS} windows."));
    }
    let mut windows = Vec::new();
    for &d in days {
        let Some(d) = u32::try_from(d)
            .ok()
            .filter(|d| (1..=MAX_WINDOW_DAYS).contains(d))
        else {
            return Err(format!(
                "Each window is a number of days from 1 to {MAX_WINDOW_DAYS}."
            ));
        };
        windows.push(d);
    }
    // The same window twice is one window.
    windows.sort_unstable_by(|a, b| b.cmp(a));
    windows.dedup();
    Ok(windows)
}

/// Where a certificate stands against the windows: inside one (the smallest that holds
/// it), or expired. `None`: further off than every window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    Window(u32),
    Expired,
}

pub fn stage(expiry: NaiveDate, today: NaiveDate, windows: &[u32]) -> Option<Stage> {
    let left = (expiry - today).num_days();
    if left < 0 {
        return Some(Stage::Expired);
    }
    windows
        .iter()
        .copied()
        .filter(|&w| left <= i64::from(w))
        .min()
        .map(Stage::Window)
}

/// Whether `now` is news after `announced` (what the last digest said of the same expiry
/// date): a smaller window, or expiry, is; the same stage again is not.
pub fn is_news(now: Stage, announced: Option<Stage>) -> bool {
    match (now, announced) {
        (_, None) => true,
        (Stage::Expired, Some(Stage::Expired)) => false,
        (Stage::Expired, Some(Stage::Window(_))) => true,
        (Stage::Window(_), Some(Stage::Expired)) => false,
        (Stage::Window(w), Some(Stage::Window(was))) => w < was,
    }
}

/// What one digest tells, as plain lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Digest {
    pub tenant_name: String,
    /// Certificates that entered a window, soonest expiry first.
    pub expiring: Vec<ExpiryLine>,
    pub expired: Vec<ExpiryLine>,
    pub failing: Vec<FailingLine>,
    pub failed_deliveries: Vec<DeliveryLine>,
    /// Certificates whose status a register's answer changed.
    pub register_changes: Vec<RegisterLine>,
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.expiring.is_empty()
            && self.expired.is_empty()
            && self.failing.is_empty()
            && self.failed_deliveries.is_empty()
            && self.register_changes.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpiryLine {
    pub supplier: String,
    pub certificate_type: String,
    pub number: String,
    pub expiry: NaiveDate,
    pub days_left: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FailingLine {
    pub supplier: String,
    pub url: String,
    pub failures: u32,
    pub last_error: Option<String>,
}

/// A certificate status a register changed (`certificate.status_changed` with a
/// `provider`).
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterLine {
    pub supplier: String,
    pub number: String,
    /// The register's name (`iaf_certsearch`, `fsc`, `manual`).
    pub register: String,
    pub from: String,
    pub to: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryLine {
    pub subscriber: String,
    pub event_type: String,
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::day;

    #[test]
    fn a_certificate_passes_through_each_window_once() {
        let expiry = day("2027-03-31");
        let windows = DEFAULT_WINDOWS;
        let mut announced = None;
        let mut said = Vec::new();
        let mut today = day("2027-01-01");
        while today <= day("2027-04-10") {
            if let Some(now) = stage(expiry, today, &windows)
                && is_news(now, announced)
            {
                said.push((today, now));
                announced = Some(now);
            }
            today = today.succ_opt().unwrap();
        }
        assert_eq!(
            said,
            [
                (day("2027-03-01"), Stage::Window(30)),
                (day("2027-03-24"), Stage::Window(7)),
                (day("2027-03-30"), Stage::Window(1)),
                (day("2027-04-01"), Stage::Expired),
            ]
        );
    }

    #[test]
    fn a_digest_skipped_for_days_announces_the_window_it_is_in_now() {
        // First seen 5 days ahead: it is in the 7-day window; the 30-day one is not said.
        let s = stage(day("2027-03-31"), day("2027-03-26"), &DEFAULT_WINDOWS);
        assert_eq!(s, Some(Stage::Window(7)));
        assert!(!is_news(Stage::Window(30), Some(Stage::Window(7))));
        assert!(!is_news(Stage::Window(7), Some(Stage::Expired)));
        assert_eq!(stage(day("2028-01-01"), day("2027-01-01"), &[30]), None);
    }

    #[test]
    fn digests_are_due_daily_weekly_or_never() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let sent = Some(at("2027-01-01T07:00:00Z"));
        assert!(is_due(Frequency::Daily, None, at("2027-01-01T07:00:00Z")));
        assert!(!is_due(Frequency::Daily, sent, at("2027-01-01T20:00:00Z")));
        assert!(is_due(Frequency::Daily, sent, at("2027-01-02T06:45:00Z")));
        assert!(!is_due(Frequency::Weekly, sent, at("2027-01-05T07:00:00Z")));
        assert!(is_due(Frequency::Weekly, sent, at("2027-01-08T07:00:00Z")));
        assert!(!is_due(Frequency::Off, None, at("2027-01-08T07:00:00Z")));
    }

    #[test]
    fn windows_are_checked_and_ordered() {
        assert_eq!(parse_windows(&[7, 30, 1]), Ok(vec![30, 7, 1]));
        assert!(parse_windows(&[]).is_err());
        assert!(parse_windows(&[0]).is_err());
        assert!(parse_windows(&[366]).is_err());
        assert_eq!(parse_windows(&[7, 7]), Ok(vec![7]));
        assert!(parse_windows(&[1, 2, 3, 4, 5, 6]).is_err());
    }
}
