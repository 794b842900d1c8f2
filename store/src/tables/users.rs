//! `users`: user → User; `users_by_email`: lower-case email → user id. Users are global:
//! one email, one password, many tenants.

use certwatch_domain::accounts::User;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record};

pub const TREES: &[Tree] = &[Tree::Users, Tree::UsersByEmail];

pub fn get(store: &Store, id: Uuid) -> Result<Option<User>, StoreError> {
    record(store.tree(Tree::Users), &keys::id(id))
}

pub fn by_email(store: &Store, email: &str) -> Result<Option<User>, StoreError> {
    match store.tree(Tree::UsersByEmail).get(email.as_bytes())? {
        Some(id) => match keys::uuid_at(&id, 0) {
            Some(id) => get(store, id),
            None => Err(StoreError::Corrupt("email index".into())),
        },
        None => Ok(None),
    }
}

pub fn get_in<E: From<StoreError>>(tx: &Tx, id: Uuid) -> TxResult<Option<User>, E> {
    tx.get(Tree::Users, &keys::id(id))
}

/// The id of the user with this address, read inside the transaction.
pub fn id_by_email_in<E>(tx: &Tx, email: &str) -> TxResult<Option<Uuid>, E> {
    Ok(tx
        .get_raw(Tree::UsersByEmail, email.as_bytes())?
        .and_then(|id| keys::uuid_at(&id, 0)))
}

/// Stores a user with its email index entry (an address never changes).
pub fn put<E>(tx: &Tx, user: &User) -> TxResult<(), E> {
    tx.insert(Tree::Users, keys::id(user.id), encode(user))?;
    tx.insert(Tree::UsersByEmail, user.email.as_bytes(), keys::id(user.id))
}
