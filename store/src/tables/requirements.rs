//! `requirements`: tenant ‖ requirement → Requirement. A tenant has a few dozen at most,
//! so they are read whole.

use certwatch_domain::compliance::Requirement;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[Tree::Requirements];

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Requirement>, StoreError> {
    record(store.tree(Tree::Requirements), &keys::pair(tenant, id))
}

/// Every requirement of the tenant, oldest first.
pub fn all(store: &Store, tenant: Uuid) -> Result<Vec<Requirement>, StoreError> {
    let mut out: Vec<Requirement> = records(store.tree(Tree::Requirements), &keys::id(tenant))?;
    out.sort_by_key(|r| (r.created_at, r.id));
    Ok(out)
}

pub fn put<E>(tx: &Tx, r: &Requirement) -> TxResult<(), E> {
    tx.insert(Tree::Requirements, keys::pair(r.tenant_id, r.id), encode(r))?;
    Ok(())
}

pub fn remove<E>(tx: &Tx, r: &Requirement) -> TxResult<(), E> {
    tx.remove(Tree::Requirements, keys::pair(r.tenant_id, r.id))?;
    Ok(())
}
