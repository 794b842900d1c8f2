//! Monitored endpoints and their scrape logs (this file: the records, their tables and the
//! writes), and the rules of monitoring as plain functions: how often an endpoint is
//! checked and how a failing one backs off (`schedule`), and what a scrape's findings
//! change in the registry (`findings`).
//!
//! The tenant actor is the one writer of all of it; endpoint actors only fetch and parse,
//! then hand their [`ScrapeReport`] to [`Store::record_scrape`] through it.

use certwatch_domain::events::Event;
use certwatch_domain::monitoring::{Endpoint, EndpointPatch, MonitoringCounts, normalize_url};
use certwatch_domain::schedule::{BASELINE, secs};
use chrono::{DateTime, Utc};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, abort};
use uuid::Uuid;

use crate::registry::RegistryError;

mod scrapes;

use crate::{Store, StoreError, encode, finish, get, keys, scan};

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
