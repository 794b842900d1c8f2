//! Monitored endpoints and their scrape logs (this file: the records, their tables and the
//! writes), and the rules of monitoring as plain functions: how often an endpoint is
//! checked and how a failing one backs off (`schedule`), and what a scrape's findings
//! change in the registry (`findings`).
//!
//! The tenant actor is the one writer of all of it; endpoint actors only fetch and parse,
//! then hand their [`ScrapeReport`] to [`Store::record_scrape`] through it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, abort};
use uuid::Uuid;

use crate::edits::Change;
use crate::registry::{Event, RegistryError};
use crate::{Store, StoreError, encode, finish, get, keys, scan};

mod findings;
mod schedule;
mod scrapes;

pub use findings::{Plan, merge_findings, plan_findings, untied};
pub use schedule::{
    BASELINE, FIRST_RETRY, MAX_BACKOFF, MAX_FREQUENCY, MIN_FREQUENCY, TIERS, adaptive_frequency,
    catch_up_slot, failure_backoff,
};
use schedule::{secs, to_chrono};

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

pub use certwatch_domain::reading::{Finding, Mention};

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

/// `tenant ‖ micros ‖ id`: newest last, so listings scan in reverse.
fn time_key(prefix: &[u8], at: DateTime<Utc>, id: Uuid) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(&at.timestamp_micros().max(0).to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
}

pub(crate) fn url_key(tenant: Uuid, url: &str) -> Vec<u8> {
    crate::registry::text_key(
        tenant,
        &normalize_url(url).unwrap_or_else(|| url.to_string()),
    )
}

fn field(field: &'static str, message: &str) -> RegistryError {
    RegistryError::Field {
        field,
        message: message.to_string(),
    }
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

type Tx<T> = Result<T, ConflictableTransactionError<RegistryError>>;

impl Store {
    pub fn endpoint(&self, tenant: Uuid, id: Uuid) -> Result<Option<Endpoint>, StoreError> {
        get(&self.trees().endpoints, &keys::pair(tenant, id))
    }

    /// Every endpoint of the tenant, oldest first.
    pub fn endpoints(&self, tenant: Uuid) -> Result<Vec<Endpoint>, StoreError> {
        let mut all: Vec<Endpoint> = scan(&self.trees().endpoints, &keys::id(tenant))?;
        all.sort_by_key(|e| (e.created_at, e.id));
        Ok(all)
    }

    /// Ids of an organization's endpoints.
    pub fn endpoints_of(&self, tenant: Uuid, org: Uuid) -> Result<Vec<Uuid>, StoreError> {
        self.trees()
            .endpoints_by_org
            .scan_prefix(keys::pair(tenant, org))
            .keys()
            .map(|k| {
                keys::uuid_at(&k?, 32).ok_or_else(|| StoreError::Corrupt("endpoint index".into()))
            })
            .collect()
    }

    pub fn endpoint_by_url(&self, tenant: Uuid, url: &str) -> Result<Option<Uuid>, StoreError> {
        Ok(self
            .trees()
            .endpoint_by_url
            .get(url_key(tenant, url))?
            .and_then(|v| keys::uuid_at(&v, 0)))
    }

    /// Creates (`id` None) or edits an endpoint. A new endpoint, a new URL or a resumed one
    /// is checked right away; a new frequency counts from the last check.
    pub fn edit_endpoint(
        &self,
        tenant: Uuid,
        id: Option<Uuid>,
        patch: EndpointPatch,
        discovered: bool,
        now: DateTime<Utc>,
    ) -> Result<Endpoint, RegistryError> {
        let old = match id {
            Some(id) => Some(self.endpoint(tenant, id)?.ok_or(RegistryError::NotFound)?),
            None => None,
        };
        let mut ep = old.clone().unwrap_or(Endpoint {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            organization_id: Uuid::nil(),
            url: String::new(),
            check_frequency: BASELINE.as_secs(),
            is_active: true,
            discovered,
            last_checked: None,
            next_check_at: Some(now),
            consecutive_failures: 0,
            last_error: None,
            created_at: now,
            updated_at: now,
        });
        if let Some(org) = patch.organization_id {
            ep.organization_id = org;
        }
        if let Some(url) = patch.url {
            ep.url = url;
        }
        if let Some(f) = patch.check_frequency {
            ep.check_frequency = f;
        }
        if let Some(a) = patch.is_active {
            ep.is_active = a;
        }
        if self.organization(tenant, ep.organization_id)?.is_none() {
            return Err(field("organization_id", "No such organization."));
        }
        if normalize_url(&ep.url).is_none() {
            return Err(field("url", crate::rules::URL_MESSAGE));
        }
        if let Some(other) = self.endpoint_by_url(tenant, &ep.url)?
            && other != ep.id
        {
            return Err(field("url", "This URL is already monitored."));
        }
        if let Some(old) = &old {
            let resumed = ep.is_active && !old.is_active;
            if resumed || normalize_url(&old.url) != normalize_url(&ep.url) {
                ep.next_check_at = Some(now);
            } else if old.check_frequency != ep.check_frequency {
                let from = ep.last_checked.unwrap_or(now);
                ep.next_check_at = Some(from + secs(ep.check_frequency));
            }
        }
        ep.updated_at = now;
        self.save_endpoint(&ep, old.as_ref(), &[])?;
        Ok(ep)
    }

    /// Writes an endpoint with its indexes (and `events`) in one transaction.
    fn save_endpoint(
        &self,
        ep: &Endpoint,
        old: Option<&Endpoint>,
        events: &[Event],
    ) -> Result<(), RegistryError> {
        let t = self.trees();
        let tenant = ep.tenant_id;
        let fan_out = self.fan_out(tenant, events)?;
        let events = crate::registry::event_keys(self, events)?;
        finish::<_, RegistryError>(
            (
                &t.endpoints,
                &t.endpoints_by_org,
                &t.endpoint_by_url,
                &t.events,
                &t.deliveries,
                &t.deliveries_by_time,
                &t.deliveries_due,
            )
                .transaction(
                    |(eps, by_org, by_url, events_t, deliveries, by_time, due)| -> Tx<()> {
                        let key = url_key(tenant, &ep.url);
                        if let Some(owner) = by_url.get(&key)?
                            && owner.as_ref() != ep.id.as_bytes()
                        {
                            return abort(field("url", "This URL is already monitored."));
                        }
                        if let Some(old) = old {
                            by_org.remove(keys::triple(tenant, old.organization_id, old.id))?;
                            by_url.remove(url_key(tenant, &old.url))?;
                        }
                        eps.insert(&keys::pair(tenant, ep.id), encode(ep))?;
                        by_org.insert(keys::triple(tenant, ep.organization_id, ep.id), &[])?;
                        by_url.insert(key, &keys::id(ep.id))?;
                        fan_out.apply(deliveries, by_time, due)?;
                        for (k, v) in &events {
                            events_t.insert(k.as_slice(), v.as_slice())?;
                        }
                        Ok(())
                    },
                ),
        )?;
        self.woke(&fan_out);
        Ok(())
    }

    pub fn delete_endpoint(&self, tenant: Uuid, id: Uuid) -> Result<Endpoint, RegistryError> {
        let ep = self.endpoint(tenant, id)?.ok_or(RegistryError::NotFound)?;
        let t = self.trees();
        finish::<_, RegistryError>(
            (&t.endpoints, &t.endpoints_by_org, &t.endpoint_by_url).transaction(
                |(eps, by_org, by_url)| -> Tx<()> {
                    eps.remove(&keys::pair(tenant, id))?;
                    by_org.remove(keys::triple(tenant, ep.organization_id, id))?;
                    by_url.remove(url_key(tenant, &ep.url))?;
                    Ok(())
                },
            ),
        )?;
        Ok(ep)
    }

    /// Counts behind `/api/monitoring/health/`.
    pub fn monitoring_counts(
        &self,
        tenant: Uuid,
        now: DateTime<Utc>,
    ) -> Result<MonitoringCounts, StoreError> {
        let mut counts = MonitoringCounts::default();
        for ep in scan::<Endpoint>(&self.trees().endpoints, &keys::id(tenant))? {
            counts.endpoints += 1;
            if !ep.is_active {
                continue;
            }
            counts.active += 1;
            if ep.consecutive_failures > 0 {
                counts.failing += 1;
            }
            if let Some(at) = ep.next_check_at
                && at <= now
            {
                counts.due += 1;
                let age = (now - at).num_seconds();
                counts.oldest_overdue_seconds =
                    Some(counts.oldest_overdue_seconds.unwrap_or(0).max(age));
            }
        }
        Ok(counts)
    }
}

/// Records the rules' unit tests are written with.
#[cfg(test)]
mod testing {
    use chrono::{NaiveDate, Utc};
    use uuid::Uuid;

    use crate::registry::Certificate;

    pub fn cert(number: &str, type_id: Uuid, expiry: Option<&str>) -> Certificate {
        let mut c = Certificate::new(Uuid::nil(), Uuid::nil(), type_id, number.into(), Utc::now());
        c.expiry_date = expiry.map(|d| d.parse().unwrap());
        c
    }

    pub fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }
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
