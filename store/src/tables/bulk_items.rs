//! `bulk_items`: tenant ‖ item → Item; `bulk_items_by_batch`: tenant ‖ batch ‖ position ‖
//! item; `bulk_attempts`: tenant ‖ item → times reading the item was started.

use certwatch_domain::bulk::Item;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult, transact};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[Tree::BulkItems, Tree::BulkItemsByBatch];

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Item>, StoreError> {
    record(store.tree(Tree::BulkItems), &keys::pair(tenant, id))
}

/// Every item of the tenant.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<Item>, StoreError> {
    records(store.tree(Tree::BulkItems), &keys::id(tenant))
}

/// A batch's items, in upload order (the index key holds each item's position).
pub fn of_batch(store: &Store, tenant: Uuid, batch: Uuid) -> Result<Vec<Item>, StoreError> {
    let mut out = Vec::new();
    for key in store
        .tree(Tree::BulkItemsByBatch)
        .scan_prefix(keys::pair(tenant, batch))
        .keys()
    {
        let id = keys::uuid_at(&key?, 36)
            .ok_or_else(|| StoreError::Corrupt("bulk item index".into()))?;
        out.extend(get(store, tenant, id)?);
    }
    Ok(out)
}

/// Stores a new item at `position` of its batch.
pub fn insert<E>(tx: &Tx, item: &Item, position: u32) -> TxResult<(), E> {
    tx.insert(
        Tree::BulkItems,
        keys::pair(item.tenant_id, item.id),
        encode(item),
    )?;
    let mut key = keys::pair(item.tenant_id, item.batch_id).to_vec();
    key.extend_from_slice(&position.to_be_bytes());
    key.extend_from_slice(item.id.as_bytes());
    tx.insert(Tree::BulkItemsByBatch, key, [])
}

/// Replaces an item's record (its place in the batch stays).
pub fn put<E>(tx: &Tx, item: &Item) -> TxResult<(), E> {
    tx.insert(
        Tree::BulkItems,
        keys::pair(item.tenant_id, item.id),
        encode(item),
    )
}

pub fn save(store: &Store, item: &Item) -> Result<(), StoreError> {
    let _writing = store.writing();
    store
        .tree(Tree::BulkItems)
        .insert(keys::pair(item.tenant_id, item.id), encode(item))?;
    Ok(())
}

/// Records that reading an item starts now; the number of starts so far, this one
/// included. Written before the worker gets the file, so a file whose reading never
/// ends (the process dies with it) is known when the batch resumes.
pub fn start_attempt(store: &Store, tenant: Uuid, item: Uuid) -> Result<u32, StoreError> {
    let key = keys::pair(tenant, item);
    transact(store, &[&[Tree::BulkAttempts]], |tx| {
        let before = tx
            .get_raw::<StoreError>(Tree::BulkAttempts, &key)?
            .and_then(|b| b.as_slice().try_into().ok().map(u32::from_be_bytes))
            .unwrap_or(0);
        tx.insert(Tree::BulkAttempts, key, (before + 1).to_be_bytes())?;
        Ok(before + 1)
    })
}
