//! `contacts`: tenant ‖ contact → Contact; `contacts_by_org`: tenant ‖ organization ‖ contact.

use certwatch_domain::contacts::Contact;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[Tree::Contacts, Tree::ContactsByOrg];

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Contact>, StoreError> {
    record(store.tree(Tree::Contacts), &keys::pair(tenant, id))
}

/// The contacts of one organization, oldest first.
pub fn of_org(store: &Store, tenant: Uuid, org: Uuid) -> Result<Vec<Contact>, StoreError> {
    let mut out = Vec::new();
    for key in store
        .tree(Tree::ContactsByOrg)
        .scan_prefix(keys::pair(tenant, org))
        .keys()
    {
        let id =
            keys::uuid_at(&key?, 32).ok_or_else(|| StoreError::Corrupt("contact index".into()))?;
        out.extend(get(store, tenant, id)?);
    }
    out.sort_by_key(|c| (c.created_at, c.id));
    Ok(out)
}

/// Every contact of the tenant.
pub fn all(store: &Store, tenant: Uuid) -> Result<Vec<Contact>, StoreError> {
    records(store.tree(Tree::Contacts), &keys::id(tenant))
}

/// Creates or replaces a contact (its organization never changes).
pub fn put<E>(tx: &Tx, c: &Contact) -> TxResult<(), E> {
    tx.insert(Tree::Contacts, keys::pair(c.tenant_id, c.id), encode(c))?;
    tx.insert(
        Tree::ContactsByOrg,
        keys::triple(c.tenant_id, c.organization_id, c.id),
        [],
    )
}

pub fn remove<E>(tx: &Tx, c: &Contact) -> TxResult<(), E> {
    tx.remove(Tree::Contacts, keys::pair(c.tenant_id, c.id))?;
    tx.remove(
        Tree::ContactsByOrg,
        keys::triple(c.tenant_id, c.organization_id, c.id),
    )?;
    Ok(())
}
