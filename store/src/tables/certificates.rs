//! `certificates`: tenant ‖ certificate → Certificate; `certs_by_org`: tenant ‖ organization ‖
//! certificate; `certs_by_number`: tenant ‖ number_identity(number) ‖ 0 ‖ certificate.

use certwatch_domain::registry::Certificate;
use certwatch_domain::rules::number_identity;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records, records_at};

pub const TREES: &[Tree] = &[Tree::Certificates, Tree::CertsByOrg, Tree::CertsByNumber];

/// Numbers need not be unique (several types can share one), so the id ends the key.
pub(crate) fn number_key(tenant: Uuid, number: &str, cert: Uuid) -> Vec<u8> {
    let mut k = keys::text_key(tenant, &number_identity(number));
    k.push(0);
    k.extend_from_slice(cert.as_bytes());
    k
}

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Certificate>, StoreError> {
    record(store.tree(Tree::Certificates), &keys::pair(tenant, id))
}

/// The certificates `ids`, in that order, in one read.
pub fn get_many(
    store: &Store,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Option<Certificate>>, StoreError> {
    records_at(
        store.tree(Tree::Certificates),
        ids.iter().map(|id| keys::pair(tenant, *id)),
    )
}

/// Every certificate of the tenant, in id order.
pub fn all(store: &Store, tenant: Uuid) -> Result<Vec<Certificate>, StoreError> {
    records(store.tree(Tree::Certificates), &keys::id(tenant))
}

/// Certificates of one organization.
pub fn of_org(store: &Store, tenant: Uuid, org: Uuid) -> Result<Vec<Certificate>, StoreError> {
    let mut ids = Vec::new();
    for key in store
        .tree(Tree::CertsByOrg)
        .scan_prefix(keys::pair(tenant, org))
        .keys()
    {
        ids.push(
            keys::uuid_at(&key?, 32)
                .ok_or_else(|| StoreError::Corrupt("certificate index".into()))?,
        );
    }
    Ok(get_many(store, tenant, &ids)?
        .into_iter()
        .flatten()
        .collect())
}

/// Certificates of the tenant with this number (compared as [`number_identity`]: case,
/// spaces and dashes folded), oldest first.
pub fn by_number(
    store: &Store,
    tenant: Uuid,
    number: &str,
) -> Result<Vec<Certificate>, StoreError> {
    let mut prefix = keys::text_key(tenant, &number_identity(number));
    prefix.push(0);
    let mut ids = Vec::new();
    for key in store.tree(Tree::CertsByNumber).scan_prefix(&prefix).keys() {
        ids.push(
            keys::uuid_at(&key?, prefix.len())
                .ok_or_else(|| StoreError::Corrupt("number index".into()))?,
        );
    }
    let mut out: Vec<Certificate> = get_many(store, tenant, &ids)?
        .into_iter()
        .flatten()
        .collect();
    out.sort_by_key(|c| c.created_at);
    Ok(out)
}

/// Another certificate of the tenant with `cert`'s type and number, if there is one.
pub fn holder_of(store: &Store, cert: &Certificate) -> Result<Option<Certificate>, StoreError> {
    Ok(by_number(store, cert.tenant_id, &cert.certificate_number)?
        .into_iter()
        .find(|c| c.id != cert.id && c.certificate_type_id == cert.certificate_type_id))
}

/// Creates or replaces a certificate; `previous` is its stored version.
pub fn put<E>(tx: &Tx, cert: &Certificate, previous: Option<&Certificate>) -> TxResult<(), E> {
    if let Some(old) = previous {
        unindex(tx, old)?;
    }
    let tenant = cert.tenant_id;
    tx.insert(
        Tree::Certificates,
        keys::pair(tenant, cert.id),
        encode(cert),
    )?;
    tx.insert(
        Tree::CertsByOrg,
        keys::triple(tenant, cert.organization_id, cert.id),
        [],
    )?;
    tx.insert(
        Tree::CertsByNumber,
        number_key(tenant, &cert.certificate_number, cert.id),
        [],
    )
}

pub fn remove<E>(tx: &Tx, cert: &Certificate) -> TxResult<(), E> {
    tx.remove(Tree::Certificates, keys::pair(cert.tenant_id, cert.id))?;
    unindex(tx, cert)
}

fn unindex<E>(tx: &Tx, cert: &Certificate) -> TxResult<(), E> {
    let tenant = cert.tenant_id;
    tx.remove(
        Tree::CertsByOrg,
        keys::triple(tenant, cert.organization_id, cert.id),
    )?;
    tx.remove(
        Tree::CertsByNumber,
        number_key(tenant, &cert.certificate_number, cert.id),
    )?;
    Ok(())
}

/// Every set of two or more certificates of one tenant whose numbers share an identity,
/// as (tenant, ids), in key order: one walk of the number index.
pub fn shared_numbers(store: &Store) -> Result<Vec<(Uuid, Vec<Uuid>)>, StoreError> {
    let corrupt = || StoreError::Corrupt("number index".into());
    let mut out = Vec::new();
    let mut current: (Vec<u8>, Vec<Uuid>) = (Vec::new(), Vec::new());
    let mut close = |(prefix, ids): &mut (Vec<u8>, Vec<Uuid>)| -> Result<(), StoreError> {
        if ids.len() > 1 {
            let tenant = keys::uuid_at(prefix, 0).ok_or_else(corrupt)?;
            out.push((tenant, std::mem::take(ids)));
        }
        ids.clear();
        Ok(())
    };
    for key in store.tree(Tree::CertsByNumber).iter().keys() {
        let key = key?;
        // tenant ‖ identity ‖ 0 ‖ certificate
        let split = key.len().checked_sub(17).ok_or_else(corrupt)?;
        let id = keys::uuid_at(&key, split + 1).ok_or_else(corrupt)?;
        if key[..split] != current.0[..] {
            close(&mut current)?;
            current.0 = key[..split].to_vec();
        }
        current.1.push(id);
    }
    close(&mut current)?;
    Ok(out)
}
