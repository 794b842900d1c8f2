//! `register_checks`: tenant ‖ certificate ‖ sequence → RegisterCheck, each answer with its
//! evidence; at most `CHECKS_KEPT` per certificate, the oldest dropped by the write that
//! adds one.

use certwatch_domain::registers::{CHECKS_KEPT, RegisterCheck};
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, records};

pub const TREES: &[Tree] = &[Tree::RegisterChecks];

/// A certificate's checks, newest first.
pub fn of(store: &Store, tenant: Uuid, cert: Uuid) -> Result<Vec<RegisterCheck>, StoreError> {
    let mut checks: Vec<RegisterCheck> =
        records(store.tree(Tree::RegisterChecks), &keys::pair(tenant, cert))?;
    checks.reverse();
    Ok(checks)
}

/// The keys of a certificate's checks, oldest first.
pub fn keys_of(store: &Store, tenant: Uuid, cert: Uuid) -> Result<Vec<Vec<u8>>, StoreError> {
    store
        .tree(Tree::RegisterChecks)
        .scan_prefix(keys::pair(tenant, cert))
        .keys()
        .map(|k| Ok(k?.to_vec()))
        .collect()
}

/// A check with its key and the keys it pushes out, made before the transaction.
pub struct Entry {
    key: Vec<u8>,
    check: RegisterCheck,
    dropped: Vec<Vec<u8>>,
}

/// The check keyed after the certificate's others (the next sequence number), dropping
/// the oldest beyond `CHECKS_KEPT`.
pub fn keyed(store: &Store, check: RegisterCheck) -> Result<Entry, StoreError> {
    let mut key = keys::pair(check.tenant_id, check.certificate_id).to_vec();
    key.extend_from_slice(&store.next_id()?.to_be_bytes());
    let mut older = keys_of(store, check.tenant_id, check.certificate_id)?;
    let excess = (older.len() + 1).saturating_sub(CHECKS_KEPT);
    older.truncate(excess);
    Ok(Entry {
        key,
        check,
        dropped: older,
    })
}

pub fn put<E>(tx: &Tx, e: &Entry) -> TxResult<(), E> {
    for old in &e.dropped {
        tx.remove(Tree::RegisterChecks, old)?;
    }
    tx.insert(Tree::RegisterChecks, e.key.as_slice(), encode(&e.check))
}

/// Removes checks by their keys (a deleted certificate's, listed before its transaction).
pub fn remove<E>(tx: &Tx, keys: &[Vec<u8>]) -> TxResult<(), E> {
    for k in keys {
        tx.remove(Tree::RegisterChecks, k)?;
    }
    Ok(())
}
