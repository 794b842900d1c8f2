//! Requirements: which certificate types the tenant's suppliers must hold.

use certwatch_domain::compliance::{AppliesTo, Requirement, RequirementPatch};
use certwatch_domain::registry::set;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::tables::{cert_types, organizations, requirements};
use crate::{RegistryError, Store};

/// At most this many requirements per tenant: each is judged for every supplier.
pub const MAX_PER_TENANT: usize = 200;

/// Creates (`id` None) or edits a requirement.
pub fn edit(
    store: &Store,
    tenant: Uuid,
    id: Option<Uuid>,
    patch: RequirementPatch,
    now: DateTime<Utc>,
) -> Result<Requirement, RegistryError> {
    let existing = requirements::all(store, tenant)?;
    let mut req = match id {
        Some(id) => existing
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or(RegistryError::NotFound)?,
        None if existing.len() >= MAX_PER_TENANT => {
            return Err(RegistryError::Refused(format!(
                "A tenant has at most {MAX_PER_TENANT} requirements."
            )));
        }
        None => Requirement {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            certificate_type_id: Uuid::nil(),
            applies_to: AppliesTo::All,
            created_at: now,
            updated_at: now,
        },
    };
    set(&mut req.certificate_type_id, patch.certificate_type_id);
    set(&mut req.applies_to, patch.applies_to);
    if cert_types::get(store, tenant, req.certificate_type_id)?.is_none() {
        return Err(RegistryError::field(
            "certificate_type",
            "No such certificate type.",
        ));
    }
    if let AppliesTo::Organization(org) = req.applies_to
        && organizations::get(store, tenant, org)?.is_none()
    {
        return Err(RegistryError::field("applies_to", "No such organization."));
    }
    if existing.iter().any(|r| {
        r.id != req.id
            && r.certificate_type_id == req.certificate_type_id
            && r.applies_to == req.applies_to
    }) {
        return Err(RegistryError::field(
            "applies_to",
            "This certificate type is required of these suppliers already.",
        ));
    }
    req.updated_at = now;
    transact::<_, RegistryError>(store, &[requirements::TREES], |tx| {
        requirements::put(tx, &req)
    })?;
    Ok(req)
}

pub fn delete(store: &Store, tenant: Uuid, id: Uuid) -> Result<(), RegistryError> {
    let req = requirements::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
    transact::<_, RegistryError>(store, &[requirements::TREES], |tx| {
        requirements::remove(tx, &req)
    })
}
