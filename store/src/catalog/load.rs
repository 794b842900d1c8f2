//! Building a tenant's catalog from its tables, the first time the tenant is used.

use std::sync::Arc;

use uuid::Uuid;

use super::{Catalog, SharedCatalog};
use crate::tables::{cert_verifications, certificates, organizations};
use crate::{Store, StoreError};

impl Store {
    /// The tenant's catalog, built from the tables on first use.
    pub fn catalog(&self, tenant: Uuid) -> Result<Arc<SharedCatalog>, StoreError> {
        self.tenant_state(tenant, || Ok(SharedCatalog::new(load(self, tenant)?)))
    }
}

fn load(store: &Store, tenant: Uuid) -> Result<Catalog, StoreError> {
    let mut catalog = Catalog::default();
    for org in organizations::all(store, tenant)? {
        catalog.upsert_org(&org);
    }
    let mut certs = certificates::all(store, tenant)?;
    // Slots in creation order make "newest first" a walk of the slab backwards.
    certs.sort_by_key(|c| (c.created_at, c.id));
    for cert in &certs {
        catalog.upsert_cert(cert);
    }
    for (cert, v) in cert_verifications::of_tenant(store, tenant)? {
        catalog.set_verification(cert, v.status, v.checked_at);
    }
    Ok(catalog)
}
