//! `organizations`: tenant ‖ organization → Organization; `org_by_external_id`: tenant ‖
//! lower(external_id) → organization id.

use certwatch_domain::registry::Organization;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records, records_at};

pub const TREES: &[Tree] = &[Tree::Organizations, Tree::OrgByExternalId];

fn external_key(tenant: Uuid, external_id: &str) -> Vec<u8> {
    keys::text_key(tenant, &external_id.to_lowercase())
}

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Organization>, StoreError> {
    record(store.tree(Tree::Organizations), &keys::pair(tenant, id))
}

/// The organizations `ids`, in that order, in one read.
pub fn get_many(
    store: &Store,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Option<Organization>>, StoreError> {
    records_at(
        store.tree(Tree::Organizations),
        ids.iter().map(|id| keys::pair(tenant, *id)),
    )
}

/// Every organization of the tenant, in id order.
pub fn all(store: &Store, tenant: Uuid) -> Result<Vec<Organization>, StoreError> {
    records(store.tree(Tree::Organizations), &keys::id(tenant))
}

pub fn by_external_id(
    store: &Store,
    tenant: Uuid,
    external_id: &str,
) -> Result<Option<Organization>, StoreError> {
    match store
        .tree(Tree::OrgByExternalId)
        .get(external_key(tenant, external_id))?
    {
        Some(id) => match keys::uuid_at(&id, 0) {
            Some(id) => get(store, tenant, id),
            None => Err(StoreError::Corrupt("external id index".into())),
        },
        None => Ok(None),
    }
}

/// The organization holding `external_id`, read inside the transaction.
pub fn external_id_owner_in<E>(
    tx: &Tx,
    tenant: Uuid,
    external_id: &str,
) -> TxResult<Option<Uuid>, E> {
    Ok(tx
        .get_raw(Tree::OrgByExternalId, &external_key(tenant, external_id))?
        .and_then(|id| keys::uuid_at(&id, 0)))
}

/// Creates or replaces an organization, moving its external id's index entry.
pub fn put<E: From<StoreError>>(tx: &Tx, org: &Organization) -> TxResult<(), E> {
    let key = keys::pair(org.tenant_id, org.id);
    if let Some(old) = tx.get::<Organization, E>(Tree::Organizations, &key)?
        && let Some(old_ext) = old.external_id
        && org.external_id.as_deref().map(str::to_lowercase) != Some(old_ext.to_lowercase())
    {
        tx.remove(Tree::OrgByExternalId, external_key(org.tenant_id, &old_ext))?;
    }
    if let Some(ext) = &org.external_id {
        tx.insert(
            Tree::OrgByExternalId,
            external_key(org.tenant_id, ext),
            keys::id(org.id),
        )?;
    }
    tx.insert(Tree::Organizations, key, encode(org))
}

pub fn remove<E>(tx: &Tx, org: &Organization) -> TxResult<(), E> {
    tx.remove(Tree::Organizations, keys::pair(org.tenant_id, org.id))?;
    if let Some(ext) = &org.external_id {
        tx.remove(Tree::OrgByExternalId, external_key(org.tenant_id, ext))?;
    }
    Ok(())
}
