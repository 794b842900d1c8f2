//! A tenant's members: roles, removal, and the rule that a tenant keeps an admin.

use certwatch_domain::accounts::{Membership, Role};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::tables::{memberships, tokens};
use crate::{AccountError, Store};

/// Changes a member's role; refuses to demote the tenant's last admin.
pub fn set_role(
    store: &Store,
    tenant: Uuid,
    user: Uuid,
    role: Role,
) -> Result<Membership, AccountError> {
    let mut m = memberships::get(store, tenant, user)?.ok_or(AccountError::NotFound)?;
    if m.role == Role::Admin && role != Role::Admin && memberships::admin_count(store, tenant)? <= 1
    {
        return Err(AccountError::LastAdmin);
    }
    m.role = role;
    transact::<_, AccountError>(store, &[memberships::TREES], |tx| memberships::put(tx, &m))?;
    Ok(m)
}

/// A member's own choice to get the expiry digest.
pub fn set_digest(
    store: &Store,
    tenant: Uuid,
    user: Uuid,
    on: bool,
) -> Result<Membership, AccountError> {
    let mut m = memberships::get(store, tenant, user)?.ok_or(AccountError::NotFound)?;
    m.digest = on;
    transact::<_, AccountError>(store, &[memberships::TREES], |tx| memberships::put(tx, &m))?;
    Ok(m)
}

/// Removes a member and every token they hold in the tenant; never the last admin.
pub fn remove(store: &Store, tenant: Uuid, user: Uuid) -> Result<(), AccountError> {
    let m = memberships::get(store, tenant, user)?.ok_or(AccountError::NotFound)?;
    if m.role == Role::Admin && memberships::admin_count(store, tenant)? <= 1 {
        return Err(AccountError::LastAdmin);
    }
    let held = tokens::hashes_of(store, tenant, user)?;
    transact(store, &[memberships::TREES, tokens::TREES], |tx| {
        memberships::remove(tx, tenant, user)?;
        for hash in &held {
            tokens::remove::<AccountError>(tx, hash)?;
        }
        Ok(())
    })
}
