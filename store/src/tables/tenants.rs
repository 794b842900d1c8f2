//! `tenants`: tenant → Tenant.

use certwatch_domain::accounts::Tenant;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{RegistryError, Store, StoreError, encode, engine::keys, record};

pub const TREES: &[Tree] = &[Tree::Tenants];

pub fn get(store: &Store, id: Uuid) -> Result<Option<Tenant>, StoreError> {
    record(store.tree(Tree::Tenants), &keys::id(id))
}

pub fn ids(store: &Store) -> Result<Vec<Uuid>, StoreError> {
    store
        .tree(Tree::Tenants)
        .iter()
        .keys()
        .map(|k| keys::uuid_at(&k?, 0).ok_or_else(|| StoreError::Corrupt("tenant key".into())))
        .collect()
}

pub fn put<E>(tx: &Tx, tenant: &Tenant) -> TxResult<(), E> {
    tx.insert(Tree::Tenants, keys::id(tenant.id), encode(tenant))
}

/// Changes a tenant's settings (the tenant actor is their one writer).
pub fn update(
    store: &Store,
    tenant: Uuid,
    change: impl FnOnce(&mut Tenant),
) -> Result<Tenant, RegistryError> {
    let _writing = store.writing();
    let mut t = get(store, tenant)?.ok_or(RegistryError::NotFound)?;
    change(&mut t);
    store
        .tree(Tree::Tenants)
        .insert(keys::id(tenant), encode(&t))?;
    Ok(t)
}
