//! `invitations`: tenant ‖ invitation → Invitation; `invitations_by_token`: sha256(token) →
//! tenant ‖ invitation, while the invitation can be accepted.

use certwatch_domain::accounts::Invitation;
use uuid::Uuid;

use crate::engine::secrets::KeyHash;
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[Tree::Invitations, Tree::InvitationsByToken];

pub fn by_token(store: &Store, token: &KeyHash) -> Result<Option<Invitation>, StoreError> {
    match store.tree(Tree::InvitationsByToken).get(token)? {
        Some(key) => record(store.tree(Tree::Invitations), &key),
        None => Ok(None),
    }
}

pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<Invitation>, StoreError> {
    records(store.tree(Tree::Invitations), &keys::id(tenant))
}

pub fn get_in<E: From<StoreError>>(
    tx: &Tx,
    tenant: Uuid,
    id: Uuid,
) -> TxResult<Option<Invitation>, E> {
    tx.get(Tree::Invitations, &keys::pair(tenant, id))
}

/// The invitation a token was sent for, read inside the transaction.
pub fn by_token_in<E: From<StoreError>>(
    tx: &Tx,
    token: &KeyHash,
) -> TxResult<Option<Invitation>, E> {
    match tx.get_raw(Tree::InvitationsByToken, token)? {
        Some(key) => tx.get(Tree::Invitations, &key),
        None => Ok(None),
    }
}

/// Stores an invitation; with `token`, the link that accepts it.
pub fn put<E>(tx: &Tx, inv: &Invitation, token: Option<&KeyHash>) -> TxResult<(), E> {
    let key = keys::pair(inv.tenant_id, inv.id);
    tx.insert(Tree::Invitations, key, encode(inv))?;
    if let Some(token) = token {
        tx.insert(Tree::InvitationsByToken, token, key)?;
    }
    Ok(())
}

/// The link stops working.
pub fn forget_token<E>(tx: &Tx, token: &KeyHash) -> TxResult<(), E> {
    tx.remove(Tree::InvitationsByToken, token)?;
    Ok(())
}
