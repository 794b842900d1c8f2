//! Sites of an organization: created, edited and deleted by people through the API.

use certwatch_domain::registry::{Site, SitePatch, set};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::tables::{organizations, sites};
use crate::{RegistryError, Store};

/// Creates (`id` None) or edits a site.
pub fn edit(
    store: &Store,
    tenant: Uuid,
    id: Option<Uuid>,
    patch: SitePatch,
    now: DateTime<Utc>,
) -> Result<Site, RegistryError> {
    let (mut site, previous_org) = match id {
        Some(id) => {
            let site = sites::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
            let org = site.organization_id;
            (site, Some(org))
        }
        None => (
            Site {
                id: Uuid::new_v4(),
                tenant_id: tenant,
                organization_id: Uuid::nil(),
                name: String::new(),
                address: String::new(),
                created_at: now,
                updated_at: now,
            },
            None,
        ),
    };
    set(&mut site.organization_id, patch.organization_id);
    set(&mut site.name, patch.name);
    set(&mut site.address, patch.address);
    if organizations::get(store, tenant, site.organization_id)?.is_none() {
        return Err(RegistryError::field(
            "organization",
            "No such organization.",
        ));
    }
    if site.name.trim().is_empty() {
        return Err(RegistryError::field("name", "This field is required."));
    }
    site.updated_at = now;
    transact::<_, RegistryError>(store, &[sites::TREES], |tx| {
        sites::put(tx, &site, previous_org)
    })?;
    Ok(site)
}

pub fn delete(store: &Store, tenant: Uuid, id: Uuid) -> Result<Site, RegistryError> {
    let site = sites::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
    transact::<_, RegistryError>(store, &[sites::TREES], |tx| sites::remove(tx, &site))?;
    Ok(site)
}
