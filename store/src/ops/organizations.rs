//! Organizations (suppliers): `external_id` unique in the tenant; deleting one takes its
//! sites, certificates, monitored endpoints, contacts and own requirements with it, and
//! cancels its open requests.

use crate::engine::tx::abort;
use certwatch_domain::certificates::cert_event_data;
use certwatch_domain::compliance::{AppliesTo, Requirement};
use certwatch_domain::events::{Event, EventKind};
use certwatch_domain::history::ChangedBy;
use certwatch_domain::registry::{OrgPatch, Organization, set};
use certwatch_domain::requests::RequestStatus;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::ops::fan_out;
use crate::tables::{
    cert_history, cert_requests, cert_verifications, certificates, compliance_states, contacts,
    deliveries, endpoints, events, organizations, register_checks, register_entities, requirements,
    sites,
};
use crate::{RegistryError, Store, Written};

/// Creates (`id` None) or edits an organization.
pub fn edit(
    store: &Store,
    tenant: Uuid,
    id: Option<Uuid>,
    patch: OrgPatch,
    now: DateTime<Utc>,
) -> Result<Organization, RegistryError> {
    let mut org = match id {
        Some(id) => organizations::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?,
        None => Organization::new(tenant, now),
    };
    set(&mut org.external_id, patch.external_id);
    set(&mut org.name, patch.name);
    set(&mut org.website, patch.website);
    set(&mut org.lei, patch.lei);
    set(&mut org.vat, patch.vat);
    set(&mut org.country, patch.country);
    set(&mut org.tags, patch.tags);
    if org.name.trim().is_empty() {
        return Err(RegistryError::field("name", "This field is required."));
    }
    org.updated_at = now;
    save(store, &org)?;
    Ok(org)
}

/// Creates or replaces an organization; `external_id` stays unique in the tenant.
pub fn save(store: &Store, org: &Organization) -> Result<(), RegistryError> {
    transact(store, &[organizations::TREES], |tx| {
        if let Some(ext) = &org.external_id
            && organizations::external_id_owner_in(tx, org.tenant_id, ext)?
                .is_some_and(|owner| owner != org.id)
        {
            return abort(RegistryError::field(
                "external_id",
                "An organization with this external_id already exists.",
            ));
        }
        organizations::put(tx, org)
    })?;
    store.catalog(org.tenant_id)?.write().upsert_org(org);
    Ok(())
}

/// Deletes an organization with everything that is its own (see the module). Each
/// certificate's history gets its `deleted` entry, as a certificate deleted on its own
/// does.
pub fn delete(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
    by: ChangedBy,
    now: DateTime<Utc>,
) -> Result<Written<Organization>, RegistryError> {
    let org = organizations::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
    let sites = sites::of_org(store, tenant, id)?;
    let certs = certificates::of_org(store, tenant, id)?;
    let mut eps = Vec::new();
    for ep in endpoints::of_org(store, tenant, id)? {
        eps.extend(endpoints::get(store, tenant, ep)?);
    }
    let people = contacts::of_org(store, tenant, id)?;
    let own_requirements: Vec<Requirement> = requirements::all(store, tenant)?
        .into_iter()
        .filter(|r| r.applies_to == AppliesTo::Organization(id))
        .collect();
    // Its open requests are cancelled: their links stop working.
    let mut cancelled = Vec::new();
    for mut r in cert_requests::all(store, tenant)? {
        if r.organization_id == id && r.status == RequestStatus::Open {
            r.close(RequestStatus::Cancelled, now);
            cancelled.push(r);
        }
    }
    let deleted: Vec<Event> = certs
        .iter()
        .map(|c| {
            Event::new(
                tenant,
                Some(c.organization_id),
                EventKind::CertificateDeleted,
                cert_event_data(c),
                now,
            )
        })
        .collect();
    let fan_out = fan_out::plan(store, tenant, &deleted)?;
    let keyed = events::keyed(store, &deleted)?;
    let mut histories = Vec::new();
    for c in &certs {
        histories.extend(cert_history::entry(
            store,
            "deleted",
            Some(c),
            None,
            by,
            now,
        )?);
    }
    let tables = [
        organizations::TREES,
        sites::TREES,
        certificates::TREES,
        events::TREES,
        deliveries::TREES,
        endpoints::TREES,
        cert_history::TREES,
        contacts::TREES,
        requirements::TREES,
        cert_requests::TREES,
        compliance_states::TREES,
        register_checks::TREES,
        cert_verifications::TREES,
        register_entities::TREES,
    ];
    let mut checks = Vec::new();
    for c in &certs {
        checks.extend(register_checks::keys_of(store, tenant, c.id)?);
    }
    transact::<_, RegistryError>(store, &tables, |tx| {
        fan_out.put(tx)?;
        organizations::remove(tx, &org)?;
        for ep in &eps {
            endpoints::remove(tx, ep)?;
        }
        for s in &sites {
            sites::remove(tx, s)?;
        }
        for c in &certs {
            certificates::remove(tx, c)?;
            cert_verifications::remove(tx, tenant, c.id)?;
        }
        register_checks::remove(tx, &checks)?;
        register_entities::remove_org(tx, tenant, id)?;
        for c in &people {
            contacts::remove(tx, c)?;
        }
        for r in &own_requirements {
            requirements::remove(tx, r)?;
        }
        for r in &cancelled {
            cert_requests::put(tx, r)?;
        }
        compliance_states::remove(tx, tenant, id)?;
        events::put(tx, &keyed)?;
        for h in &histories {
            cert_history::put(tx, h)?;
        }
        Ok(())
    })?;
    let catalog = store.catalog(tenant)?;
    let mut catalog = catalog.write();
    for c in &certs {
        catalog.remove_cert(c.id);
    }
    catalog.remove_org(id);
    Ok(Written::new(org, fan_out.woke()))
}
