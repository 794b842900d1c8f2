//! `events`: tenant ‖ sequence → Event, every event of the tenant in the order recorded.

use certwatch_domain::events::Event;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Bytes, Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, records};

pub const TREES: &[Tree] = &[Tree::Events];

/// Events with their keys, made before the transaction that writes them: sled's
/// monotonic ids keep a tenant's events in order, also within one transaction.
pub struct Keyed(Vec<(Vec<u8>, Vec<u8>)>);

pub fn keyed(store: &Store, events: &[Event]) -> Result<Keyed, StoreError> {
    events
        .iter()
        .map(|e| Ok((keys::sequenced(e.tenant_id, store.next_id()?), encode(e))))
        .collect::<Result<_, StoreError>>()
        .map(Keyed)
}

pub fn put<E>(tx: &Tx, events: &Keyed) -> TxResult<(), E> {
    for (k, v) in &events.0 {
        tx.insert(Tree::Events, k.as_slice(), v.as_slice())?;
    }
    Ok(())
}

/// The tenant's recorded events, oldest first.
pub fn all(store: &Store, tenant: Uuid) -> Result<Vec<Event>, StoreError> {
    records(store.tree(Tree::Events), &keys::id(tenant))
}

/// The keys of up to `limit` of the tenant's oldest events, recorded before `cutoff`.
/// Events are keyed in the order they were recorded, so the scan stops at the first
/// newer one.
pub fn recorded_before(
    store: &Store,
    tenant: Uuid,
    cutoff: chrono::DateTime<chrono::Utc>,
    limit: usize,
) -> Result<Vec<Bytes>, StoreError> {
    let mut out = Vec::new();
    for entry in store
        .tree(Tree::Events)
        .scan_prefix(keys::id(tenant))
        .take(limit)
    {
        let (key, value) = entry?;
        let event: Event = crate::decode(&value)?;
        if event.created_at >= cutoff {
            break;
        }
        out.push(key);
    }
    Ok(out)
}

pub fn remove<E>(tx: &Tx, key: &[u8]) -> TxResult<(), E> {
    tx.remove(Tree::Events, key)?;
    Ok(())
}
