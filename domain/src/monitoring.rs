//! Monitored endpoints and their scrape logs: the records, and the URL identity that keeps
//! one endpoint per page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::registry::Change;

/// Scrape logs kept per endpoint; older ones are pruned as new ones are written.
pub const LOGS_KEPT_PER_ENDPOINT: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    /// Seconds between checks; the adaptive tiers set it after every scrape.
    pub check_frequency: u64,
    pub is_active: bool,
    /// Created by discovery rather than by a person.
    pub discovered: bool,
    pub last_checked: Option<DateTime<Utc>>,
    /// When the endpoint's actor checks next.
    pub next_check_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    pub organization_id: Change<Uuid>,
    pub url: Change<String>,
    pub check_frequency: Change<u64>,
    pub is_active: Change<bool>,
}

pub use crate::reading::{Finding, Mention};

/// A linked document a scrape fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentSeen {
    pub url: String,
    pub sha256: Option<String>,
    pub bytes: u64,
    pub error: Option<String>,
}

/// What an endpoint actor hands over after one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScrapeReport {
    /// When the check was due; `None` for a scrape triggered by hand.
    pub scheduled_for: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub http_status: Option<u16>,
    pub bytes: u64,
    /// Why the attempt failed; `None` for a successful one (even if it found nothing).
    pub error: Option<String>,
    pub mentions: Vec<Mention>,
    pub documents: Vec<DocumentSeen>,
}

/// A certificate a scrape created or changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertChange {
    pub certificate_id: Uuid,
    pub certificate_number: String,
    /// `created` or `updated`.
    pub action: String,
    /// The fields that changed (empty for `created`).
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScrapeStatus {
    Success,
    Failed,
}

impl ScrapeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScrapeStatus::Success => "SUCCESS",
            ScrapeStatus::Failed => "FAILED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScrapeLog {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub endpoint_id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    pub status: ScrapeStatus,
    /// When the check was due; `None` for a scrape triggered by hand.
    pub scheduled_for: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub http_status: Option<u16>,
    pub bytes: u64,
    pub findings: Vec<Finding>,
    pub documents: Vec<DocumentSeen>,
    pub changes: Vec<CertChange>,
    /// Findings that changed nothing and why (no number, no such certificate type).
    pub skipped: Vec<String>,
    pub error: Option<String>,
}

impl ScrapeLog {
    pub fn duration_ms(&self) -> u64 {
        (self.finished_at - self.started_at)
            .num_milliseconds()
            .max(0) as u64
    }
}

/// The URL as compared for duplicates: scheme and host lower-cased, no fragment, no default
/// port, no trailing slash (except the root).
pub fn normalize_url(raw: &str) -> Option<String> {
    let mut url = url::Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    url.set_fragment(None);
    let mut s = url.to_string();
    if url.path() != "/" && url.query().is_none() && s.ends_with('/') {
        s.pop();
    }
    Some(s)
}

/// Health of the monitoring of one tenant, from the stored schedules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonitoringCounts {
    pub endpoints: usize,
    pub active: usize,
    pub due: usize,
    pub failing: usize,
    pub oldest_overdue_seconds: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_normalize_for_duplicates() {
        let n = |u: &str| normalize_url(u).unwrap();
        assert_eq!(
            n("HTTPS://Example.COM/Certs/"),
            n("https://example.com/Certs")
        );
        assert_eq!(n("http://example.com:80/a#top"), "http://example.com/a");
        assert_eq!(n("https://example.com"), "https://example.com/");
        assert_ne!(n("https://example.com/a?x=1"), n("https://example.com/a"));
        assert_eq!(normalize_url("ftp://example.com/"), None);
        assert_eq!(normalize_url("not a url"), None);
    }
}
