//! `sites`: tenant ‖ site → Site; `sites_by_org`: tenant ‖ organization ‖ site.

use certwatch_domain::registry::Site;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[Tree::Sites, Tree::SitesByOrg];

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Site>, StoreError> {
    record(store.tree(Tree::Sites), &keys::pair(tenant, id))
}

/// Sites of one organization, oldest first.
pub fn of_org(store: &Store, tenant: Uuid, org: Uuid) -> Result<Vec<Site>, StoreError> {
    let mut out = Vec::new();
    for key in store
        .tree(Tree::SitesByOrg)
        .scan_prefix(keys::pair(tenant, org))
        .keys()
    {
        let id =
            keys::uuid_at(&key?, 32).ok_or_else(|| StoreError::Corrupt("site index".into()))?;
        out.extend(get(store, tenant, id)?);
    }
    out.sort_by_key(|s| (s.created_at, s.id));
    Ok(out)
}

/// Every site of the tenant.
pub fn all(store: &Store, tenant: Uuid) -> Result<Vec<Site>, StoreError> {
    records(store.tree(Tree::Sites), &keys::id(tenant))
}

/// Creates or replaces a site; `previous_org` is the organization it belonged to.
pub fn put<E>(tx: &Tx, site: &Site, previous_org: Option<Uuid>) -> TxResult<(), E> {
    if let Some(old) = previous_org {
        tx.remove(Tree::SitesByOrg, keys::triple(site.tenant_id, old, site.id))?;
    }
    tx.insert(
        Tree::Sites,
        keys::pair(site.tenant_id, site.id),
        encode(site),
    )?;
    tx.insert(
        Tree::SitesByOrg,
        keys::triple(site.tenant_id, site.organization_id, site.id),
        [],
    )
}

pub fn remove<E>(tx: &Tx, site: &Site) -> TxResult<(), E> {
    tx.remove(Tree::Sites, keys::pair(site.tenant_id, site.id))?;
    tx.remove(
        Tree::SitesByOrg,
        keys::triple(site.tenant_id, site.organization_id, site.id),
    )?;
    Ok(())
}
