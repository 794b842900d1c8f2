//! `cert_history`: tenant ‖ certificate ‖ sequence → HistoryEntry, written in the same
//! transaction as the change it describes.

use certwatch_domain::history::{ChangedBy, HistoryEntry, field_changes};
use certwatch_domain::registry::Certificate;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, records};

pub const TREES: &[Tree] = &[Tree::CertHistory];

/// An entry with its key, made before the transaction that writes it.
pub struct Entry {
    key: Vec<u8>,
    entry: HistoryEntry,
}

/// A certificate's history, newest first.
pub fn of(store: &Store, tenant: Uuid, cert: Uuid) -> Result<Vec<HistoryEntry>, StoreError> {
    let mut entries: Vec<HistoryEntry> =
        records(store.tree(Tree::CertHistory), &keys::pair(tenant, cert))?;
    entries.reverse();
    Ok(entries)
}

/// The history entry of a change, or `None` when no field changed.
pub fn entry(
    store: &Store,
    action: &str,
    old: Option<&Certificate>,
    new: Option<&Certificate>,
    by: ChangedBy,
    at: DateTime<Utc>,
) -> Result<Option<Entry>, StoreError> {
    let changes = field_changes(old, new);
    let Some(cert) = new.or(old) else {
        return Ok(None);
    };
    if changes.is_empty() {
        return Ok(None);
    }
    let entry = HistoryEntry {
        certificate_id: cert.id,
        at,
        by,
        action: action.to_string(),
        changes,
    };
    keyed(store, cert.tenant_id, entry).map(Some)
}

/// An entry with its key: the next sequence number, so a certificate's entries stay in
/// the order they were made.
pub fn keyed(store: &Store, tenant: Uuid, entry: HistoryEntry) -> Result<Entry, StoreError> {
    let mut key = keys::pair(tenant, entry.certificate_id).to_vec();
    key.extend_from_slice(&store.next_id()?.to_be_bytes());
    Ok(Entry { key, entry })
}

pub fn put<E>(tx: &Tx, e: &Entry) -> TxResult<(), E> {
    tx.insert(Tree::CertHistory, e.key.as_slice(), encode(&e.entry))
}
