//! Expiry: `certificate.expiring` announced once per threshold as a certificate's expiry
//! approaches, and the daily sweep that marks certificates past their expiry EXPIRED.

use certwatch_domain::certificates::{certificate_events, expiring_event};
use certwatch_domain::history::ChangedBy;
use certwatch_domain::registry::{CertStatus, Certificate};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::ops::fan_out::Woke;
use crate::tables::{certificates, expiry_notices};
use crate::{RegistryError, Store, Written, ops::certificate_writes, ops::events};

/// Announces `cert`'s expiry threshold if one is due and not yet announced.
fn announce(
    store: &Store,
    cert: &Certificate,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Woke, RegistryError> {
    let announced = expiry_notices::get(store, cert.tenant_id, cert.id)?;
    let Some((event, threshold)) = expiring_event(cert, today, announced, now) else {
        return Ok(Woke::default());
    };
    let woke = events::record(store, cert.tenant_id, &[event])?;
    // Written after the event: a crash in between repeats the event (at least once).
    expiry_notices::set(store, cert.tenant_id, cert.id, threshold)?;
    Ok(woke)
}

/// Expiry notices after a certificate was saved: a new expiry date is announced afresh
/// as it approaches, and a threshold already reached is announced now.
pub fn after_saved(
    store: &Store,
    old: Option<&Certificate>,
    cert: &Certificate,
    now: DateTime<Utc>,
) -> Result<Woke, RegistryError> {
    if old.is_some_and(|o| o.expiry_date != cert.expiry_date) {
        expiry_notices::clear(store, cert.tenant_id, cert.id)?;
    }
    announce(store, cert, now.date_naive(), now)
}

/// The daily sweep: ACTIVE certificates past their expiry date become EXPIRED, each
/// with its events. Returns how many changed.
pub fn sweep(
    store: &Store,
    tenant: Uuid,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Written<usize>, RegistryError> {
    let overdue = store.catalog(tenant)?.read().overdue(today);
    let mut changed = 0;
    let mut woke = Woke::default();
    for id in overdue {
        let Some(old) = certificates::get(store, tenant, id)? else {
            continue;
        };
        if !old.is_overdue(today) {
            continue;
        }
        let mut cert = old.clone();
        cert.status = CertStatus::Expired;
        cert.updated_at = now;
        let list = certificate_events(Some(&old), &cert, now);
        woke.add(certificate_writes::save(
            store,
            &cert,
            Some(&old),
            &list,
            ChangedBy::ExpirySweep,
        )?);
        changed += 1;
    }
    Ok(Written::new(changed, woke))
}
