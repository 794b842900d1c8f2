//! `password_resets`: sha256(token) → PasswordReset, one per forgotten-password mail.

use certwatch_domain::accounts::PasswordReset;

use crate::engine::secrets::KeyHash;
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, digest_keys_where, encode, record};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub const TREES: &[Tree] = &[Tree::PasswordResets];

pub fn get(store: &Store, token: &KeyHash) -> Result<Option<PasswordReset>, StoreError> {
    record(store.tree(Tree::PasswordResets), token)
}

/// The links of `user` (the table is small: links last an hour and the sweep removes them).
pub fn of_user(store: &Store, user: Uuid) -> Result<Vec<KeyHash>, StoreError> {
    digest_keys_where(store.tree(Tree::PasswordResets), |r: &PasswordReset| {
        r.user_id == user
    })
}

/// Links past their expiry (and the stand-ins written for unknown addresses, which expire
/// like links), for the retention sweep.
pub fn expired(store: &Store, now: DateTime<Utc>) -> Result<Vec<KeyHash>, StoreError> {
    digest_keys_where(store.tree(Tree::PasswordResets), |r: &PasswordReset| {
        r.expires_at <= now
    })
}

pub fn get_in<E: From<StoreError>>(tx: &Tx, token: &KeyHash) -> TxResult<Option<PasswordReset>, E> {
    tx.get(Tree::PasswordResets, token)
}

pub fn put<E>(tx: &Tx, token: &KeyHash, reset: &PasswordReset) -> TxResult<(), E> {
    tx.insert(Tree::PasswordResets, token, encode(reset))
}

pub fn remove<E>(tx: &Tx, token: &KeyHash) -> TxResult<(), E> {
    tx.remove(Tree::PasswordResets, token)?;
    Ok(())
}
