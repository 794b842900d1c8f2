//! `verifications`: sha256(token) → Verification, one per verification mail sent.

use certwatch_domain::accounts::Verification;

use crate::secrets::KeyHash;
use crate::trees::Tree;
use crate::tx::{Tx, TxResult};
use crate::{Store, StoreError, decode, encode, record};
use chrono::{DateTime, Utc};

pub const TREES: &[Tree] = &[Tree::Verifications];

pub fn get(store: &Store, token: &KeyHash) -> Result<Option<Verification>, StoreError> {
    record(store.tree(Tree::Verifications), token)
}

/// Links past their expiry, for the retention sweep.
pub fn expired(store: &Store, now: DateTime<Utc>) -> Result<Vec<KeyHash>, StoreError> {
    let mut links = Vec::new();
    for entry in store.tree(Tree::Verifications).iter() {
        let (key, value) = entry?;
        let v: Verification = decode(&value)?;
        if v.expires_at <= now
            && let Ok(hash) = KeyHash::try_from(key.as_ref())
        {
            links.push(hash);
        }
    }
    Ok(links)
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
