//! The capacity benchmark's data, written in process through the store's own operations:
//! tenants, monitored endpoints and their schedule, and history past its retention.

use super::*;
use certwatch_domain::monitoring::EndpointPatch;

/// A tenant with an (unverified) admin, made the way registration makes one.
pub fn register(store: &Store, n: usize) -> uuid::Uuid {
    let (tenant, _) = certwatch_store::ops::accounts::register(
        store,
        certwatch_store::ops::accounts::Registration {
            tenant_id: uuid::Uuid::new_v4(),
            email: format!("admin{n}@capacity.example"),
            password_hash: "not-a-hash".into(),
            organization_name: format!("Buyer {n}"),
            verification: certwatch_store::engine::secrets::key_hash(&format!("verify-{n}")),
        },
        Utc::now(),
    )
    .unwrap();
    tenant.id
}

/// `count` endpoints on the tenant's first suppliers, checked hourly.
pub fn add_endpoints(
    store: &Store,
    tenant: uuid::Uuid,
    t: usize,
    count: usize,
    site: std::net::SocketAddr,
) {
    let orgs = certwatch_store::tables::organizations::all(store, tenant).unwrap();
    for i in 0..count {
        certwatch_store::ops::endpoints::edit(
            store,
            tenant,
            None,
            EndpointPatch {
                organization_id: Some(orgs[i % orgs.len()].id),
                url: Some(format!("http://{site}/t{t}/supplier{i}/certificates")),
                check_frequency: Some(FREQUENCY_SECS),
                is_active: Some(true),
            },
            false,
            Utc::now(),
        )
        .unwrap();
    }
}

/// Every endpoint of `tenants` due evenly across the hour from `start`.
pub fn schedule_endpoints(store: &Store, tenants: &[uuid::Uuid], start: chrono::DateTime<Utc>) {
    use certwatch_store::tables::endpoints;
    let all: Vec<_> = tenants
        .iter()
        .flat_map(|&t| endpoints::all(store, t).unwrap())
        .collect();
    let total = all.len().max(1) as u64;
    for (n, old) in all.into_iter().enumerate() {
        let mut ep = old.clone();
        let offset = (n as u64 * FREQUENCY_SECS * 1000) / total;
        ep.next_check_at = Some(start + chrono::Duration::milliseconds(offset as i64));
        certwatch_store::engine::tx::transact::<_, certwatch_store::StoreError>(
            store,
            &[endpoints::TREES],
            |tx| endpoints::put(tx, &ep, Some(&old)),
        )
        .unwrap();
    }
}

/// Scrape logs past their retention: `logs` of every endpoint, 100 to 120 days old, written
/// as scrapes write them.
pub fn add_old_logs(store: &Store, tenant: uuid::Uuid, logs: usize) {
    use certwatch_domain::monitoring::{ScrapeLog, ScrapeStatus};
    use certwatch_store::tables::{endpoints, scrape_logs};
    let now = Utc::now();
    for ep in endpoints::all(store, tenant).unwrap() {
        let old: Vec<ScrapeLog> = (0..logs)
            .map(|n| {
                let at = now - chrono::Duration::days(100 + (n % 20) as i64);
                ScrapeLog {
                    id: uuid::Uuid::new_v4(),
                    tenant_id: tenant,
                    endpoint_id: ep.id,
                    organization_id: ep.organization_id,
                    url: ep.url.clone(),
                    status: ScrapeStatus::Success,
                    scheduled_for: Some(at),
                    started_at: at,
                    finished_at: at,
                    http_status: Some(200),
                    bytes: 96,
                    findings: Vec::new(),
                    documents: Vec::new(),
                    changes: Vec::new(),
                    skipped: Vec::new(),
                    error: None,
                }
            })
            .collect();
        certwatch_store::engine::tx::transact::<_, certwatch_store::StoreError>(
            store,
            &[scrape_logs::TREES],
            |tx| old.iter().try_for_each(|l| scrape_logs::put(tx, l, &[])),
        )
        .unwrap();
    }
}

/// `events` events past their retention (400 days old), recorded as changes record them.
pub fn add_old_events(store: &Store, tenant: uuid::Uuid, events: usize) {
    use certwatch_domain::events::{Event, EventKind};
    let old = Utc::now() - chrono::Duration::days(400);
    for chunk in (0..events).collect::<Vec<_>>().chunks(500) {
        let list: Vec<Event> = chunk
            .iter()
            .map(|n| {
                let data = serde_json::json!({"certificate_number": format!("CERT-{n:06}")});
                Event::new(tenant, None, EventKind::CertificateCreated, data, old)
            })
            .collect();
        // No subscribers in this data directory: nobody to wake.
        let _woke = certwatch_store::ops::events::record(store, tenant, &list).unwrap();
    }
}
