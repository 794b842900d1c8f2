//! `deliveries`: tenant ‖ delivery → Delivery; `deliveries_by_time`: tenant ‖ micros ‖
//! delivery; `deliveries_due`: subscriber ‖ micros(next attempt) ‖ delivery → tenant, what a
//! subscriber's actor has to do, in order.

use std::collections::HashSet;

use certwatch_domain::webhooks::{Delivery, DeliveryStatus};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult, transact};
use crate::{Store, StoreError, encode, engine::keys, record};

pub const TREES: &[Tree] = &[
    Tree::Deliveries,
    Tree::DeliveriesByTime,
    Tree::DeliveriesDue,
];

fn due_key(sub: Uuid, at: DateTime<Utc>, delivery: Uuid) -> Vec<u8> {
    keys::time_key(&keys::id(sub), at, delivery)
}

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Delivery>, StoreError> {
    record(store.tree(Tree::Deliveries), &keys::pair(tenant, id))
}

/// A tenant's deliveries, newest first, that pass `keep`.
pub fn of_tenant(
    store: &Store,
    tenant: Uuid,
    keep: impl Fn(&Delivery) -> bool,
) -> Result<Vec<Delivery>, StoreError> {
    let mut out = Vec::new();
    for key in store
        .tree(Tree::DeliveriesByTime)
        .scan_prefix(keys::id(tenant))
        .keys()
        .rev()
    {
        let id =
            keys::uuid_at(&key?, 24).ok_or_else(|| StoreError::Corrupt("delivery index".into()))?;
        if let Some(d) = get(store, tenant, id)?
            && keep(&d)
        {
            out.push(d);
        }
    }
    Ok(out)
}

/// One entry of the due index: when, which delivery, of which tenant.
struct Due {
    key: Vec<u8>,
    at: DateTime<Utc>,
    tenant: Uuid,
    delivery: Uuid,
}

fn due_index(store: &Store, sub: Uuid) -> impl Iterator<Item = Result<Due, StoreError>> + '_ {
    let corrupt = || StoreError::Corrupt("due index".into());
    store
        .tree(Tree::DeliveriesDue)
        .scan_prefix(keys::id(sub))
        .map(move |entry| {
            let (key, tenant) = entry?;
            let micros = key
                .get(16..24)
                .and_then(|b| b.try_into().ok())
                .map(i64::from_be_bytes)
                .ok_or_else(corrupt)?;
            Ok(Due {
                at: DateTime::from_timestamp_micros(micros).ok_or_else(corrupt)?,
                tenant: keys::uuid_at(&tenant, 0).ok_or_else(corrupt)?,
                delivery: keys::uuid_at(&key, 24).ok_or_else(corrupt)?,
                key: key.to_vec(),
            })
        })
}

/// A subscriber's pending deliveries in due order, with their due-index keys.
pub fn pending(store: &Store, sub: Uuid) -> Result<Vec<(Vec<u8>, Delivery)>, StoreError> {
    let mut out = Vec::new();
    for due in due_index(store, sub) {
        let due = due?;
        if let Some(d) = get(store, due.tenant, due.delivery)? {
            out.push((due.key, d));
        }
    }
    Ok(out)
}

/// Up to `limit` of `sub`'s deliveries due by `now`, skipping `busy` ones, and when the
/// next one after those falls due. Reads only due-index keys past the ones it returns.
pub fn due(
    store: &Store,
    sub: Uuid,
    now: DateTime<Utc>,
    limit: usize,
    busy: &HashSet<Uuid>,
) -> Result<(Vec<Delivery>, Option<DateTime<Utc>>), StoreError> {
    let mut out = Vec::new();
    for due in due_index(store, sub) {
        let due = due?;
        if busy.contains(&due.delivery) {
            continue;
        }
        if due.at > now || out.len() >= limit {
            return Ok((out, Some(due.at.max(now))));
        }
        out.extend(get(store, due.tenant, due.delivery)?);
    }
    Ok((out, None))
}

/// Stores a new delivery with its time and due entries.
pub fn insert<E>(tx: &Tx, d: &Delivery) -> TxResult<(), E> {
    tx.insert(Tree::Deliveries, keys::pair(d.tenant_id, d.id), encode(d))?;
    tx.insert(
        Tree::DeliveriesByTime,
        keys::time_key(&keys::id(d.tenant_id), d.created_at, d.id),
        [],
    )?;
    let at = d.next_attempt_at.unwrap_or(d.created_at);
    tx.insert(
        Tree::DeliveriesDue,
        due_key(d.subscriber_id, at, d.id),
        keys::id(d.tenant_id),
    )
}

/// Stores a changed delivery, keeping the due index in step: `due_entry` is its due-index
/// key if it was pending.
pub fn replace<E>(tx: &Tx, d: &Delivery, due_entry: Option<&[u8]>) -> TxResult<(), E> {
    if let Some(key) = due_entry {
        tx.remove(Tree::DeliveriesDue, key)?;
    }
    if let (DeliveryStatus::Pending, Some(at)) = (d.status, d.next_attempt_at) {
        tx.insert(
            Tree::DeliveriesDue,
            due_key(d.subscriber_id, at, d.id),
            keys::id(d.tenant_id),
        )?;
    }
    tx.insert(Tree::Deliveries, keys::pair(d.tenant_id, d.id), encode(d))
}

/// Stores a delivery after an attempt or a manual retry: `previous_due` is when it was due
/// before (if it was pending).
pub fn update(
    store: &Store,
    d: &Delivery,
    previous_due: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let entry = previous_due.map(|at| due_key(d.subscriber_id, at, d.id));
    transact::<_, StoreError>(store, &[TREES], |tx| replace(tx, d, entry.as_deref()))
}

/// Up to `limit` of the tenant's deliveries created before `cutoff` that are over
/// (delivered or failed), oldest first.
pub fn finished_before(
    store: &Store,
    tenant: Uuid,
    cutoff: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Delivery>, StoreError> {
    let end = keys::time_key(&keys::id(tenant), cutoff, Uuid::nil());
    let mut out = Vec::new();
    for key in store
        .tree(Tree::DeliveriesByTime)
        .range(keys::id(tenant).to_vec()..end)
        .keys()
    {
        let id =
            keys::uuid_at(&key?, 24).ok_or_else(|| StoreError::Corrupt("delivery index".into()))?;
        if let Some(d) = get(store, tenant, id)?
            && d.status != DeliveryStatus::Pending
        {
            out.push(d);
            if out.len() == limit {
                break;
            }
        }
    }
    Ok(out)
}

/// Removes a finished delivery (one that is no longer due) and its time entry.
pub fn remove<E>(tx: &Tx, d: &Delivery) -> TxResult<(), E> {
    tx.remove(Tree::Deliveries, keys::pair(d.tenant_id, d.id))?;
    tx.remove(
        Tree::DeliveriesByTime,
        keys::time_key(&keys::id(d.tenant_id), d.created_at, d.id),
    )?;
    Ok(())
}
