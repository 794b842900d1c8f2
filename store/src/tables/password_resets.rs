//! `password_resets`: sha256(token) → PasswordReset, one per forgotten-password mail.

use certwatch_domain::accounts::PasswordReset;

use crate::secrets::KeyHash;
use crate::trees::Tree;
use crate::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, record};

pub const TREES: &[Tree] = &[Tree::PasswordResets];

pub fn get(store: &Store, token: &KeyHash) -> Result<Option<PasswordReset>, StoreError> {
    record(store.tree(Tree::PasswordResets), token)
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
