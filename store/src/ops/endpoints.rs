//! Monitored endpoints: created (by a person or by discovery), edited, paused, deleted;
//! one endpoint per page of a tenant.

use crate::engine::tx::abort;
use certwatch_domain::monitoring::{Endpoint, EndpointPatch, MonitoringCounts, normalize_url};
use certwatch_domain::rules::URL_MESSAGE;
use certwatch_domain::schedule::{BASELINE, secs};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::tables::{endpoints, organizations, scrape_logs};
use crate::{RegistryError, Store, StoreError};

const URL_TAKEN: &str = "This URL is already monitored.";

/// Creates (`id` None) or edits an endpoint. A new endpoint, a new URL or a resumed one
/// is checked right away; a new frequency counts from the last check.
pub fn edit(
    store: &Store,
    tenant: Uuid,
    id: Option<Uuid>,
    patch: EndpointPatch,
    discovered: bool,
    now: DateTime<Utc>,
) -> Result<Endpoint, RegistryError> {
    let old = match id {
        Some(id) => Some(endpoints::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?),
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
    if organizations::get(store, tenant, ep.organization_id)?.is_none() {
        return Err(RegistryError::field(
            "organization_id",
            "No such organization.",
        ));
    }
    if normalize_url(&ep.url).is_none() {
        return Err(RegistryError::field("url", URL_MESSAGE));
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
    transact(store, &[endpoints::TREES], |tx| {
        if endpoints::url_owner_in(tx, tenant, &ep.url)?.is_some_and(|owner| owner != ep.id) {
            return abort(RegistryError::field("url", URL_TAKEN));
        }
        endpoints::put(tx, &ep, old.as_ref())
    })?;
    Ok(ep)
}

pub fn delete(store: &Store, tenant: Uuid, id: Uuid) -> Result<Endpoint, RegistryError> {
    let ep = endpoints::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
    // Its logs go with it (an endpoint keeps a bounded number). A log its actor writes
    // after this read is left to the retention sweep, which removes logs of endpoints
    // that are gone.
    let logs = scrape_logs::of_endpoint(store, tenant, id)?;
    transact::<_, RegistryError>(store, &[endpoints::TREES, scrape_logs::TREES], |tx| {
        scrape_logs::remove_indexed(tx, tenant, &logs)?;
        endpoints::remove(tx, &ep)
    })?;
    Ok(ep)
}

/// Counts behind `/api/monitoring/health/`.
pub fn counts(
    store: &Store,
    tenant: Uuid,
    now: DateTime<Utc>,
) -> Result<MonitoringCounts, StoreError> {
    let mut counts = MonitoringCounts::default();
    for ep in endpoints::all(store, tenant)? {
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
