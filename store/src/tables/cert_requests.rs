//! `cert_requests`: tenant ‖ request → CertificateRequest; `cert_requests_open`: tenant ‖
//! organization ‖ type → request id, while it is open (at most one per supplier and type);
//! `cert_requests_by_token`: sha256(link token) → tenant ‖ request, one per mail round.

use certwatch_domain::requests::{CertificateRequest, RequestStatus};
use uuid::Uuid;

use crate::engine::secrets::KeyHash;
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[
    Tree::CertRequests,
    Tree::CertRequestsOpen,
    Tree::CertRequestsByToken,
];

pub fn get(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<CertificateRequest>, StoreError> {
    record(store.tree(Tree::CertRequests), &keys::pair(tenant, id))
}

/// Every request of the tenant (unordered).
pub fn all(store: &Store, tenant: Uuid) -> Result<Vec<CertificateRequest>, StoreError> {
    records(store.tree(Tree::CertRequests), &keys::id(tenant))
}

/// The open request for a supplier and a certificate type.
pub fn open_for(
    store: &Store,
    tenant: Uuid,
    org: Uuid,
    cert_type: Uuid,
) -> Result<Option<CertificateRequest>, StoreError> {
    match store
        .tree(Tree::CertRequestsOpen)
        .get(keys::triple(tenant, org, cert_type))?
    {
        Some(id) => {
            let id = keys::uuid_at(&id, 0)
                .ok_or_else(|| StoreError::Corrupt("open request index".into()))?;
            get(store, tenant, id)
        }
        None => Ok(None),
    }
}

/// The request a supplier link was mailed for.
pub fn by_token(store: &Store, token: &KeyHash) -> Result<Option<CertificateRequest>, StoreError> {
    match store.tree(Tree::CertRequestsByToken).get(token)? {
        Some(key) => record(store.tree(Tree::CertRequests), &key),
        None => Ok(None),
    }
}

/// Stores a request; an open one is the open request of its supplier and type, a closed
/// one no longer.
pub fn put<E>(tx: &Tx, r: &CertificateRequest) -> TxResult<(), E> {
    tx.insert(Tree::CertRequests, keys::pair(r.tenant_id, r.id), encode(r))?;
    let open = keys::triple(r.tenant_id, r.organization_id, r.certificate_type_id);
    if r.status == RequestStatus::Open {
        tx.insert(Tree::CertRequestsOpen, open, r.id.as_bytes())?;
    } else if tx
        .get_raw::<E>(Tree::CertRequestsOpen, &open)?
        .is_some_and(|id| id == r.id.as_bytes())
    {
        tx.remove(Tree::CertRequestsOpen, open)?;
    }
    Ok(())
}

/// A new link to the request (the hash of a token mailed with it).
pub fn add_token<E>(tx: &Tx, r: &CertificateRequest, token: &KeyHash) -> TxResult<(), E> {
    tx.insert(
        Tree::CertRequestsByToken,
        token,
        keys::pair(r.tenant_id, r.id),
    )?;
    Ok(())
}
