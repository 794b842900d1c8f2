//! `memberships`: tenant ‖ user → Membership; `memberships_by_user`: user ‖ tenant.

use certwatch_domain::accounts::{Membership, Role};
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[Tree::Memberships, Tree::MembershipsByUser];

pub fn get(store: &Store, tenant: Uuid, user: Uuid) -> Result<Option<Membership>, StoreError> {
    record(store.tree(Tree::Memberships), &keys::pair(tenant, user))
}

/// The members of a tenant, in user-id order.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<Membership>, StoreError> {
    records(store.tree(Tree::Memberships), &keys::id(tenant))
}

/// Every tenant `user` belongs to.
pub fn of_user(store: &Store, user: Uuid) -> Result<Vec<Membership>, StoreError> {
    let mut out = Vec::new();
    for key in store
        .tree(Tree::MembershipsByUser)
        .scan_prefix(keys::id(user))
        .keys()
    {
        let tenant = keys::uuid_at(&key?, 16)
            .ok_or_else(|| StoreError::Corrupt("membership index".into()))?;
        out.extend(get(store, tenant, user)?);
    }
    Ok(out)
}

pub fn admin_count(store: &Store, tenant: Uuid) -> Result<usize, StoreError> {
    Ok(of_tenant(store, tenant)?
        .iter()
        .filter(|m| m.role == Role::Admin)
        .count())
}

pub fn get_in<E: From<StoreError>>(
    tx: &Tx,
    tenant: Uuid,
    user: Uuid,
) -> TxResult<Option<Membership>, E> {
    tx.get(Tree::Memberships, &keys::pair(tenant, user))
}

pub fn put<E>(tx: &Tx, m: &Membership) -> TxResult<(), E> {
    tx.insert(
        Tree::Memberships,
        keys::pair(m.tenant_id, m.user_id),
        encode(m),
    )?;
    tx.insert(
        Tree::MembershipsByUser,
        keys::pair(m.user_id, m.tenant_id),
        [],
    )
}

pub fn remove<E>(tx: &Tx, tenant: Uuid, user: Uuid) -> TxResult<(), E> {
    tx.remove(Tree::Memberships, keys::pair(tenant, user))?;
    tx.remove(Tree::MembershipsByUser, keys::pair(user, tenant))?;
    Ok(())
}
