//! The one transaction of a certificate change: the record with its indexes, its events
//! with their webhook deliveries, and its history entry — then the tenant's catalog.

use certwatch_domain::certificates::cert_event_data;
use certwatch_domain::events::{Event, EventKind};
use certwatch_domain::history::ChangedBy;
use certwatch_domain::registry::Certificate;
use chrono::{DateTime, Utc};

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult, transact};
use crate::ops::fan_out::{self, Woke};
use crate::tables::{
    cert_history, cert_verifications, certificates, deliveries, events, register_checks,
};
use crate::{RegistryError, Store};

/// The tables a certificate change writes.
pub(crate) const TREES: &[&[Tree]] = &[
    certificates::TREES,
    events::TREES,
    deliveries::TREES,
    cert_history::TREES,
    register_checks::TREES,
    cert_verifications::TREES,
];

/// Creates or replaces a certificate (`previous` is its stored version, if any) and
/// records `list` and its history entry (when a field changed), all in one transaction.
pub fn save(
    store: &Store,
    cert: &Certificate,
    previous: Option<&Certificate>,
    list: &[Event],
    by: ChangedBy,
) -> Result<Woke, RegistryError> {
    save_with(store, cert, previous, list, by, &[], |_| Ok(()))
}

/// [`save`], with more writes (`also`, to the tables of `more`) in the same transaction:
/// what caused the change, recorded with it.
pub fn save_with(
    store: &Store,
    cert: &Certificate,
    previous: Option<&Certificate>,
    list: &[Event],
    by: ChangedBy,
    more: &[&[Tree]],
    also: impl Fn(&Tx) -> TxResult<(), RegistryError>,
) -> Result<Woke, RegistryError> {
    let tenant = cert.tenant_id;
    let fan_out = fan_out::plan(store, tenant, list)?;
    let keyed = events::keyed(store, list)?;
    let action = previous.map_or("created", |_| "updated");
    let history = cert_history::entry(store, action, previous, Some(cert), by, cert.updated_at)?;
    let trees: Vec<&[Tree]> = TREES.iter().chain(more).copied().collect();
    transact::<_, RegistryError>(store, &trees, |tx| {
        also(tx)?;
        fan_out.put(tx)?;
        certificates::put(tx, cert, previous)?;
        events::put(tx, &keyed)?;
        if let Some(h) = &history {
            cert_history::put(tx, h)?;
        }
        Ok(())
    })?;
    store.catalog(tenant)?.write().upsert_cert(cert);
    Ok(fan_out.woke())
}

/// Deletes a certificate with its `certificate.deleted` event and history entry, and its
/// register checks.
pub fn delete(
    store: &Store,
    cert: &Certificate,
    by: ChangedBy,
    now: DateTime<Utc>,
) -> Result<Woke, RegistryError> {
    let tenant = cert.tenant_id;
    let event = Event::new(
        tenant,
        Some(cert.organization_id),
        EventKind::CertificateDeleted,
        cert_event_data(cert),
        now,
    );
    let list = [event];
    let fan_out = fan_out::plan(store, tenant, &list)?;
    let keyed = events::keyed(store, &list)?;
    let history = cert_history::entry(store, "deleted", Some(cert), None, by, now)?;
    let checks = register_checks::keys_of(store, tenant, cert.id)?;
    transact::<_, RegistryError>(store, TREES, |tx| {
        fan_out.put(tx)?;
        certificates::remove(tx, cert)?;
        register_checks::remove(tx, &checks)?;
        cert_verifications::remove(tx, tenant, cert.id)?;
        events::put(tx, &keyed)?;
        if let Some(h) = &history {
            cert_history::put(tx, h)?;
        }
        Ok(())
    })?;
    store.catalog(tenant)?.write().remove_cert(cert.id);
    Ok(fan_out.woke())
}
