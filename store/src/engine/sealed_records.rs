//! Records that carry secrets the service must use again (webhook subscribers' keys,
//! register API keys, mail passwords): each secret sealed with the `Keyring` under the
//! record's own context when written, opened when read, and sealed again when the store
//! opens if it is in clear or under an older key. A table says which fields are secrets
//! ([`SealedRecord`]); this module does the rest, once for all of them.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::engine::sealing::Keyring;
use crate::engine::trees::Tree;
use crate::engine::tx::transact;
use crate::{Store, StoreError, decode, encode};

/// A record with secrets in some of its fields.
pub trait SealedRecord: Serialize + DeserializeOwned + Clone {
    /// What the reseal log line calls these secrets.
    const WHAT: &'static str;

    /// Where the record's secrets belong ("subscriber/{tenant}/{id}"), bound into each seal
    /// with the field's name: a sealed value copied into another record does not open.
    fn context(&self) -> String;

    /// The secret fields present, by name.
    fn secrets(&mut self) -> Vec<(&'static str, &mut String)>;
}

/// The record as stored: each secret sealed.
pub fn seal<T: SealedRecord>(ring: &Keyring, record: &T) -> Vec<u8> {
    let mut stored = record.clone();
    let context = stored.context();
    for (field, value) in stored.secrets() {
        *value = ring.seal(&format!("{context}/{field}"), value);
    }
    encode(&stored)
}

/// The record as callers see it: each secret in clear.
pub fn open<T: SealedRecord>(ring: &Keyring, bytes: &[u8]) -> Result<T, StoreError> {
    let mut record: T = decode(bytes)?;
    let context = record.context();
    for (field, value) in record.secrets() {
        *value = ring.open(&format!("{context}/{field}"), value)?;
    }
    Ok(record)
}

/// Every record under `prefix` of `tree`, opened.
pub fn scan<T: SealedRecord>(
    store: &Store,
    tree: Tree,
    prefix: &[u8],
) -> Result<Vec<T>, StoreError> {
    store
        .tree(tree)
        .scan_prefix(prefix)
        .map(|entry| open(store.keyring(), &entry?.1))
        .collect()
}

/// Seals again every record of `tree` with a secret in clear (written before secrets were
/// sealed) or under an older key (after `rotate-secret-key`). Run when the store opens; a
/// record is rewritten with a compare-and-swap, so a write that came between is never
/// undone.
pub fn reseal<T: SealedRecord>(store: &Store, tree: Tree) -> Result<usize, StoreError> {
    let ring = store.keyring();
    let mut resealed = 0;
    for entry in store.tree(tree).iter() {
        let (key, value) = entry?;
        let mut stored: T = decode(&value)?;
        if stored
            .secrets()
            .iter()
            .any(|(_, v)| ring.needs_resealing(v))
        {
            let record: T = open(ring, &value)?;
            let sealed = seal(ring, &record);
            let swapped = transact(store, &[&[tree]], |tx| {
                if tx.get_raw::<StoreError>(tree, &key)?.as_ref() != Some(&value) {
                    return Ok(false);
                }
                tx.insert(tree, &key, &sealed)?;
                Ok(true)
            })?;
            resealed += usize::from(swapped);
        }
    }
    if resealed > 0 {
        store.flush()?;
        tracing::info!(
            resealed,
            what = T::WHAT,
            "secrets sealed with the current key"
        );
    }
    Ok(resealed)
}
