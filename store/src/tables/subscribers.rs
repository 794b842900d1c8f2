//! `subscribers`: tenant ‖ subscriber → Subscriber.

use certwatch_domain::webhooks::Subscriber;
use uuid::Uuid;

use crate::trees::Tree;
use crate::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, keys, record, records};

pub const TREES: &[Tree] = &[Tree::Subscribers];

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Subscriber>, StoreError> {
    record(store.tree(Tree::Subscribers), &keys::pair(tenant, id))
}

/// The tenant's subscribers, oldest first.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<Subscriber>, StoreError> {
    let mut subs: Vec<Subscriber> = records(store.tree(Tree::Subscribers), &keys::id(tenant))?;
    subs.sort_by_key(|s| (s.created_at, s.id));
    Ok(subs)
}

/// Every subscriber of every tenant, for starting their actors at boot.
pub fn all(store: &Store) -> Result<Vec<Subscriber>, StoreError> {
    records(store.tree(Tree::Subscribers), &[])
}

pub fn put(store: &Store, sub: &Subscriber) -> Result<(), StoreError> {
    let _writing = store.writing();
    store
        .tree(Tree::Subscribers)
        .insert(keys::pair(sub.tenant_id, sub.id), encode(sub))?;
    Ok(())
}

pub fn remove<E>(tx: &Tx, tenant: Uuid, id: Uuid) -> TxResult<(), E> {
    tx.remove(Tree::Subscribers, keys::pair(tenant, id))?;
    Ok(())
}
