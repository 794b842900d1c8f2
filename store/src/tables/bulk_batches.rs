//! `bulk_batches`: tenant ‖ batch → Batch.

use certwatch_domain::bulk::{Batch, BatchStatus};
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[Tree::BulkBatches];

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Batch>, StoreError> {
    record(store.tree(Tree::BulkBatches), &keys::pair(tenant, id))
}

/// The tenant's batches, newest first.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<Batch>, StoreError> {
    let mut all: Vec<Batch> = records(store.tree(Tree::BulkBatches), &keys::id(tenant))?;
    all.sort_by_key(|b| std::cmp::Reverse((b.created_at, b.id)));
    Ok(all)
}

/// The tenant's batches that did not finish (to resume at start).
pub fn unfinished(store: &Store, tenant: Uuid) -> Result<Vec<Batch>, StoreError> {
    Ok(of_tenant(store, tenant)?
        .into_iter()
        .filter(|b| b.status != BatchStatus::Completed)
        .collect())
}

pub fn save(store: &Store, batch: &Batch) -> Result<(), StoreError> {
    let _writing = store.writing();
    store
        .tree(Tree::BulkBatches)
        .insert(keys::pair(batch.tenant_id, batch.id), encode(batch))?;
    Ok(())
}

pub fn put<E>(tx: &Tx, batch: &Batch) -> TxResult<(), E> {
    tx.insert(
        Tree::BulkBatches,
        keys::pair(batch.tenant_id, batch.id),
        encode(batch),
    )
}
