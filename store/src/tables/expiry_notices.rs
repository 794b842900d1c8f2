//! `expiry_notices`: tenant ‖ certificate → the tightest expiry threshold (days) announced.

use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, engine::keys};

pub const TREES: &[Tree] = &[Tree::ExpiryNotices];

pub fn get(store: &Store, tenant: Uuid, cert: Uuid) -> Result<Option<i64>, StoreError> {
    Ok(store
        .tree(Tree::ExpiryNotices)
        .get(keys::pair(tenant, cert))?
        .and_then(|v| v.as_slice().try_into().ok().map(i64::from_be_bytes)))
}

pub fn set(store: &Store, tenant: Uuid, cert: Uuid, threshold: i64) -> Result<(), StoreError> {
    let _writing = store.writing();
    store
        .tree(Tree::ExpiryNotices)
        .insert(keys::pair(tenant, cert), threshold.to_be_bytes())?;
    Ok(())
}

/// Forgets what was announced: a new expiry date is announced afresh.
pub fn clear(store: &Store, tenant: Uuid, cert: Uuid) -> Result<(), StoreError> {
    let _writing = store.writing();
    store
        .tree(Tree::ExpiryNotices)
        .remove(keys::pair(tenant, cert))?;
    Ok(())
}

pub fn remove<E>(tx: &Tx, tenant: Uuid, cert: Uuid) -> TxResult<(), E> {
    tx.remove(Tree::ExpiryNotices, keys::pair(tenant, cert))?;
    Ok(())
}
