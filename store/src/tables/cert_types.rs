//! `cert_types`: tenant ‖ type → CertificateType; `cert_type_by_code`: tenant ‖ code → type id.

use certwatch_domain::registry::CertificateType;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[Tree::CertTypes, Tree::CertTypeByCode];

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<CertificateType>, StoreError> {
    record(store.tree(Tree::CertTypes), &keys::pair(tenant, id))
}

pub fn by_code(
    store: &Store,
    tenant: Uuid,
    code: &str,
) -> Result<Option<CertificateType>, StoreError> {
    match store
        .tree(Tree::CertTypeByCode)
        .get(keys::text_key(tenant, code))?
    {
        Some(id) => match keys::uuid_at(&id, 0) {
            Some(id) => get(store, tenant, id),
            None => Err(StoreError::Corrupt("type code index".into())),
        },
        None => Ok(None),
    }
}

/// The tenant's types, by code.
pub fn all(store: &Store, tenant: Uuid) -> Result<Vec<CertificateType>, StoreError> {
    let mut types: Vec<CertificateType> = records(store.tree(Tree::CertTypes), &keys::id(tenant))?;
    types.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(types)
}

/// The type holding `code`, read inside the transaction.
pub fn code_owner_in<E>(tx: &Tx, tenant: Uuid, code: &str) -> TxResult<Option<Uuid>, E> {
    Ok(tx
        .get_raw(Tree::CertTypeByCode, &keys::text_key(tenant, code))?
        .and_then(|id| keys::uuid_at(&id, 0)))
}

/// Creates or replaces a type, moving its code's index entry.
pub fn put<E: From<StoreError>>(tx: &Tx, ty: &CertificateType) -> TxResult<(), E> {
    let key = keys::pair(ty.tenant_id, ty.id);
    if let Some(old) = tx.get::<CertificateType, E>(Tree::CertTypes, &key)?
        && old.code != ty.code
    {
        tx.remove(
            Tree::CertTypeByCode,
            keys::text_key(ty.tenant_id, &old.code),
        )?;
    }
    tx.insert(
        Tree::CertTypeByCode,
        keys::text_key(ty.tenant_id, &ty.code),
        keys::id(ty.id),
    )?;
    tx.insert(Tree::CertTypes, key, encode(ty))
}

pub fn remove<E>(tx: &Tx, ty: &CertificateType) -> TxResult<(), E> {
    tx.remove(Tree::CertTypes, keys::pair(ty.tenant_id, ty.id))?;
    tx.remove(Tree::CertTypeByCode, keys::text_key(ty.tenant_id, &ty.code))?;
    Ok(())
}
