//! `tokens`: sha256(key) → Token; `tokens_by_owner`: tenant ‖ user ‖ token id → sha256(key).

use certwatch_domain::accounts::Token;
use uuid::Uuid;

use crate::engine::secrets::KeyHash;
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record};

pub const TREES: &[Tree] = &[Tree::Tokens, Tree::TokensByOwner];

pub fn get(store: &Store, hash: &KeyHash) -> Result<Option<Token>, StoreError> {
    record(store.tree(Tree::Tokens), hash)
}

/// The key hashes of every token `user` holds in `tenant`.
pub fn hashes_of(store: &Store, tenant: Uuid, user: Uuid) -> Result<Vec<KeyHash>, StoreError> {
    store
        .tree(Tree::TokensByOwner)
        .scan_prefix(keys::pair(tenant, user))
        .values()
        .map(|v| {
            v?.as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("token owner index".into()))
        })
        .collect()
}

/// Tokens `user` holds in `tenant`, oldest first.
pub fn of(store: &Store, tenant: Uuid, user: Uuid) -> Result<Vec<Token>, StoreError> {
    let mut out = Vec::new();
    for hash in hashes_of(store, tenant, user)? {
        out.extend(get(store, &hash)?);
    }
    out.sort_by_key(|t| t.created_at);
    Ok(out)
}

/// The key hash of token `id` held by `user` in `tenant`.
pub fn owned_hash(
    store: &Store,
    tenant: Uuid,
    user: Uuid,
    id: Uuid,
) -> Result<Option<KeyHash>, StoreError> {
    match store
        .tree(Tree::TokensByOwner)
        .get(keys::triple(tenant, user, id))?
    {
        Some(hash) => hash
            .as_slice()
            .try_into()
            .map(Some)
            .map_err(|_| StoreError::Corrupt("token owner index".into())),
        None => Ok(None),
    }
}

pub fn put<E>(tx: &Tx, hash: &KeyHash, token: &Token) -> TxResult<(), E> {
    tx.insert(Tree::Tokens, hash, encode(token))?;
    tx.insert(
        Tree::TokensByOwner,
        keys::triple(token.tenant_id, token.user_id, token.id),
        hash.as_slice(),
    )
}

/// Removes the token under `hash`, if there is one, and returns it.
pub fn remove<E: From<StoreError>>(tx: &Tx, hash: &KeyHash) -> TxResult<Option<Token>, E> {
    let Some(token) = tx.get::<Token, E>(Tree::Tokens, hash)? else {
        return Ok(None);
    };
    tx.remove(Tree::Tokens, hash)?;
    tx.remove(
        Tree::TokensByOwner,
        keys::triple(token.tenant_id, token.user_id, token.id),
    )?;
    Ok(Some(token))
}
