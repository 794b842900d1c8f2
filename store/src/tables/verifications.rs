//! `verifications`: sha256(token) → Verification, one per verification mail sent.

use certwatch_domain::accounts::Verification;

use crate::engine::secrets::KeyHash;
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, digest_keys_where, encode, record};
use chrono::{DateTime, Utc};

pub const TREES: &[Tree] = &[Tree::Verifications];

pub fn get(store: &Store, token: &KeyHash) -> Result<Option<Verification>, StoreError> {
    record(store.tree(Tree::Verifications), token)
}

/// Links past their expiry, for the retention sweep.
pub fn expired(store: &Store, now: DateTime<Utc>) -> Result<Vec<KeyHash>, StoreError> {
    digest_keys_where(store.tree(Tree::Verifications), |v: &Verification| {
        v.expires_at <= now
    })
}

pub fn get_in<E: From<StoreError>>(tx: &Tx, token: &KeyHash) -> TxResult<Option<Verification>, E> {
    tx.get(Tree::Verifications, token)
}

pub fn put<E>(tx: &Tx, token: &KeyHash, v: &Verification) -> TxResult<(), E> {
    tx.insert(Tree::Verifications, token, encode(v))
}

pub fn remove<E>(tx: &Tx, token: &KeyHash) -> TxResult<(), E> {
    tx.remove(Tree::Verifications, token)?;
    Ok(())
}
