//! Login and API tokens: issued, replaced on refresh, revoked.

use crate::engine::tx::abort;
use certwatch_domain::accounts::Token;

use crate::engine::secrets::KeyHash;
use crate::engine::tx::transact;
use crate::tables::tokens;
use crate::{AccountError, Store};

pub fn insert(store: &Store, hash: &KeyHash, token: &Token) -> Result<(), AccountError> {
    replace(store, None, hash, token)
}

/// Stores `token` under `hash` and, in the same transaction, deletes `old` if given.
pub fn replace(
    store: &Store,
    old: Option<&KeyHash>,
    hash: &KeyHash,
    token: &Token,
) -> Result<(), AccountError> {
    transact(store, &[tokens::TREES], |tx| {
        if let Some(old) = old {
            tokens::remove::<AccountError>(tx, old)?;
        }
        tokens::put(tx, hash, token)
    })
}

/// Deletes a token; `NotFound` when there is none under `hash`.
pub fn remove(store: &Store, hash: &KeyHash) -> Result<Token, AccountError> {
    transact(store, &[tokens::TREES], |tx| {
        match tokens::remove(tx, hash)? {
            Some(token) => Ok(token),
            None => abort(AccountError::NotFound),
        }
    })
}
