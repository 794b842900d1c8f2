//! `registration_claims`: sha256(verification token) → RegistrationClaim, a registration of
//! an address whose account was never verified, waiting for the mailbox to be proven.

use certwatch_domain::accounts::RegistrationClaim;

use crate::engine::secrets::KeyHash;
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, record};

pub const TREES: &[Tree] = &[Tree::RegistrationClaims];

pub fn get(store: &Store, token: &KeyHash) -> Result<Option<RegistrationClaim>, StoreError> {
    record(store.tree(Tree::RegistrationClaims), token)
}

pub fn put<E>(tx: &Tx, token: &KeyHash, claim: &RegistrationClaim) -> TxResult<(), E> {
    tx.insert(Tree::RegistrationClaims, token, encode(claim))
}

pub fn remove<E>(tx: &Tx, token: &KeyHash) -> TxResult<(), E> {
    tx.remove(Tree::RegistrationClaims, token)?;
    Ok(())
}
