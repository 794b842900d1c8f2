//! `endpoints`: tenant ‖ endpoint → Endpoint; `endpoints_by_org`: tenant ‖ organization ‖
//! endpoint; `endpoint_by_url`: tenant ‖ normalized url → endpoint id (one endpoint a page).

use certwatch_domain::monitoring::{Endpoint, normalize_url};
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record, records};

pub const TREES: &[Tree] = &[Tree::Endpoints, Tree::EndpointsByOrg, Tree::EndpointByUrl];

fn url_key(tenant: Uuid, url: &str) -> Vec<u8> {
    keys::text_key(
        tenant,
        &normalize_url(url).unwrap_or_else(|| url.to_string()),
    )
}

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Endpoint>, StoreError> {
    record(store.tree(Tree::Endpoints), &keys::pair(tenant, id))
}

/// Every endpoint of the tenant, oldest first.
pub fn all(store: &Store, tenant: Uuid) -> Result<Vec<Endpoint>, StoreError> {
    let mut all: Vec<Endpoint> = records(store.tree(Tree::Endpoints), &keys::id(tenant))?;
    all.sort_by_key(|e| (e.created_at, e.id));
    Ok(all)
}

/// Ids of an organization's endpoints.
pub fn of_org(store: &Store, tenant: Uuid, org: Uuid) -> Result<Vec<Uuid>, StoreError> {
    store
        .tree(Tree::EndpointsByOrg)
        .scan_prefix(keys::pair(tenant, org))
        .keys()
        .map(|k| keys::uuid_at(&k?, 32).ok_or_else(|| StoreError::Corrupt("endpoint index".into())))
        .collect()
}

pub fn by_url(store: &Store, tenant: Uuid, url: &str) -> Result<Option<Uuid>, StoreError> {
    Ok(store
        .tree(Tree::EndpointByUrl)
        .get(url_key(tenant, url))?
        .and_then(|v| keys::uuid_at(&v, 0)))
}

/// The endpoint monitoring `url`, read inside the transaction.
pub fn url_owner_in<E>(tx: &Tx, tenant: Uuid, url: &str) -> TxResult<Option<Uuid>, E> {
    Ok(tx
        .get_raw(Tree::EndpointByUrl, &url_key(tenant, url))?
        .and_then(|v| keys::uuid_at(&v, 0)))
}

/// Creates or replaces an endpoint; `old` is its stored version.
pub fn put<E>(tx: &Tx, ep: &Endpoint, old: Option<&Endpoint>) -> TxResult<(), E> {
    if let Some(old) = old {
        unindex(tx, old)?;
    }
    let tenant = ep.tenant_id;
    tx.insert(Tree::Endpoints, keys::pair(tenant, ep.id), encode(ep))?;
    tx.insert(
        Tree::EndpointsByOrg,
        keys::triple(tenant, ep.organization_id, ep.id),
        [],
    )?;
    tx.insert(
        Tree::EndpointByUrl,
        url_key(tenant, &ep.url),
        keys::id(ep.id),
    )
}

pub fn remove<E>(tx: &Tx, ep: &Endpoint) -> TxResult<(), E> {
    tx.remove(Tree::Endpoints, keys::pair(ep.tenant_id, ep.id))?;
    unindex(tx, ep)
}

fn unindex<E>(tx: &Tx, ep: &Endpoint) -> TxResult<(), E> {
    tx.remove(
        Tree::EndpointsByOrg,
        keys::triple(ep.tenant_id, ep.organization_id, ep.id),
    )?;
    tx.remove(Tree::EndpointByUrl, url_key(ep.tenant_id, &ep.url))?;
    Ok(())
}
