//! `import_runs`: tenant ‖ sequence → the `import.completed` event of each spreadsheet
//! import, so a tenant's last imports are read without walking all its events.

use certwatch_domain::events::Event;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, decode, encode, engine::keys};

pub const TREES: &[Tree] = &[Tree::ImportRuns];

/// Import events with their keys, made before the transaction that writes them.
pub struct Keyed(Vec<(Vec<u8>, Vec<u8>)>);

pub fn keyed(store: &Store, imports: &[Event]) -> Result<Keyed, StoreError> {
    imports
        .iter()
        .map(|e| Ok((keys::sequenced(e.tenant_id, store.next_id()?), encode(e))))
        .collect::<Result<_, StoreError>>()
        .map(Keyed)
}

pub fn put<E>(tx: &Tx, imports: &Keyed) -> TxResult<(), E> {
    for (k, v) in &imports.0 {
        tx.insert(Tree::ImportRuns, k.as_slice(), v.as_slice())?;
    }
    Ok(())
}

/// The tenant's last `n` imports, newest first.
pub fn latest(store: &Store, tenant: Uuid, n: usize) -> Result<Vec<Event>, StoreError> {
    store
        .tree(Tree::ImportRuns)
        .scan_prefix(keys::id(tenant))
        .values()
        .rev()
        .take(n)
        .map(|v| decode(&v?))
        .collect()
}
