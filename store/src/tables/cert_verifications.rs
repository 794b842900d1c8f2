//! `cert_verifications`: tenant ‖ certificate → Verification, the latest check of each
//! certificate without its evidence: what the certificate shows, what the catalog filters
//! and schedules by.

use certwatch_domain::registers::Verification;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, decode, encode, engine::keys, record, records_at};

pub const TREES: &[Tree] = &[Tree::CertVerifications];

pub fn get(store: &Store, tenant: Uuid, cert: Uuid) -> Result<Option<Verification>, StoreError> {
    record(
        store.tree(Tree::CertVerifications),
        &keys::pair(tenant, cert),
    )
}

/// The latest verifications of the certificates `certs`, in that order, in one read.
pub fn get_many(
    store: &Store,
    tenant: Uuid,
    certs: &[Uuid],
) -> Result<Vec<Option<Verification>>, StoreError> {
    records_at(
        store.tree(Tree::CertVerifications),
        certs.iter().map(|id| keys::pair(tenant, *id)),
    )
}

/// Every verification of the tenant, by certificate.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<(Uuid, Verification)>, StoreError> {
    let mut out = Vec::new();
    for entry in store
        .tree(Tree::CertVerifications)
        .scan_prefix(keys::id(tenant))
    {
        let (key, value) = entry?;
        let cert = keys::uuid_at(&key, 16)
            .ok_or_else(|| StoreError::Corrupt("cert verification key".into()))?;
        out.push((cert, decode(&value)?));
    }
    Ok(out)
}

pub fn put<E>(tx: &Tx, tenant: Uuid, cert: Uuid, v: &Verification) -> TxResult<(), E> {
    tx.insert(Tree::CertVerifications, keys::pair(tenant, cert), encode(v))
}

pub fn remove<E>(tx: &Tx, tenant: Uuid, cert: Uuid) -> TxResult<(), E> {
    tx.remove(Tree::CertVerifications, keys::pair(tenant, cert))?;
    Ok(())
}
