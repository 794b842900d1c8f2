//! `subscriptions`: tenant ‖ subscription → Subscription.

use certwatch_domain::webhooks::Subscription;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[Tree::Subscriptions];

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Subscription>, StoreError> {
    record(store.tree(Tree::Subscriptions), &keys::pair(tenant, id))
}

/// The tenant's subscriptions, oldest first.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<Subscription>, StoreError> {
    let mut subs: Vec<Subscription> = records(store.tree(Tree::Subscriptions), &keys::id(tenant))?;
    subs.sort_by_key(|s| (s.created_at, s.id));
    Ok(subs)
}

pub fn put(store: &Store, s: &Subscription) -> Result<(), StoreError> {
    let _writing = store.writing();
    store
        .tree(Tree::Subscriptions)
        .insert(keys::pair(s.tenant_id, s.id), encode(s))?;
    Ok(())
}

/// Deletes a subscription; whether there was one.
pub fn delete(store: &Store, tenant: Uuid, id: Uuid) -> Result<bool, StoreError> {
    let _writing = store.writing();
    Ok(store
        .tree(Tree::Subscriptions)
        .remove(keys::pair(tenant, id))?
        .is_some())
}

pub fn remove<E>(tx: &Tx, tenant: Uuid, id: Uuid) -> TxResult<(), E> {
    tx.remove(Tree::Subscriptions, keys::pair(tenant, id))?;
    Ok(())
}
