//! `scrape_logs`: tenant ‖ log → ScrapeLog; `scrape_logs_by_time`: tenant ‖ micros ‖ log;
//! `scrape_logs_by_endpoint`: tenant ‖ endpoint ‖ micros ‖ log. The newest
//! [`LOGS_KEPT_PER_ENDPOINT`] of each endpoint are kept.

use certwatch_domain::monitoring::{LOGS_KEPT_PER_ENDPOINT, ScrapeLog};
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Bytes, Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record};

pub const TREES: &[Tree] = &[
    Tree::ScrapeLogs,
    Tree::ScrapeLogsByTime,
    Tree::ScrapeLogsByEndpoint,
];

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<ScrapeLog>, StoreError> {
    record(store.tree(Tree::ScrapeLogs), &keys::pair(tenant, id))
}

/// A page of the tenant's scrape logs, newest first (of one endpoint if given), and how
/// many there are in all.
pub fn page(
    store: &Store,
    tenant: Uuid,
    endpoint: Option<Uuid>,
    offset: usize,
    limit: usize,
) -> Result<(Vec<ScrapeLog>, usize), StoreError> {
    let (index, prefix) = match endpoint {
        Some(ep) => (
            store.tree(Tree::ScrapeLogsByEndpoint),
            keys::pair(tenant, ep).to_vec(),
        ),
        None => (
            store.tree(Tree::ScrapeLogsByTime),
            keys::id(tenant).to_vec(),
        ),
    };
    let id_at = prefix.len() + 8;
    let total = index.scan_prefix(&prefix).count();
    let mut page = Vec::new();
    for key in index
        .scan_prefix(&prefix)
        .keys()
        .rev()
        .skip(offset)
        .take(limit)
    {
        let id = keys::uuid_at(&key?, id_at)
            .ok_or_else(|| StoreError::Corrupt("scrape log index".into()))?;
        page.extend(get(store, tenant, id)?);
    }
    Ok((page, total))
}

/// The index keys of an endpoint's oldest logs that one more would push past the limit.
pub fn stale(store: &Store, tenant: Uuid, endpoint: Uuid) -> Result<Vec<Bytes>, StoreError> {
    let index = store.tree(Tree::ScrapeLogsByEndpoint);
    let prefix = keys::pair(tenant, endpoint);
    let kept = index.scan_prefix(prefix).count();
    let excess = (kept + 1).saturating_sub(LOGS_KEPT_PER_ENDPOINT);
    index
        .scan_prefix(prefix)
        .keys()
        .take(excess)
        .collect::<Result<_, _>>()
}

/// Writes a log with its indexes and drops the `stale` ones.
pub fn put<E: From<StoreError>>(tx: &Tx, log: &ScrapeLog, stale: &[Bytes]) -> TxResult<(), E> {
    let tenant = log.tenant_id;
    remove_indexed(tx, tenant, stale)?;
    tx.insert(Tree::ScrapeLogs, keys::pair(tenant, log.id), encode(log))?;
    tx.insert(
        Tree::ScrapeLogsByTime,
        keys::time_key(&keys::id(tenant), log.started_at, log.id),
        [],
    )?;
    tx.insert(
        Tree::ScrapeLogsByEndpoint,
        keys::time_key(&keys::pair(tenant, log.endpoint_id), log.started_at, log.id),
        [],
    )
}

/// Removes the logs behind these endpoint-index keys (from [`stale`] or
/// [`of_endpoint`]), with their indexes.
pub fn remove_indexed<E: From<StoreError>>(
    tx: &Tx,
    tenant: Uuid,
    endpoint_keys: &[Bytes],
) -> TxResult<(), E> {
    for key in endpoint_keys {
        let Some(id) = keys::uuid_at(key, 40) else {
            continue;
        };
        if let Some(old) = tx.get::<ScrapeLog, E>(Tree::ScrapeLogs, &keys::pair(tenant, id))? {
            remove(tx, &old)?;
        }
        tx.remove(Tree::ScrapeLogsByEndpoint, key)?;
    }
    Ok(())
}

/// The endpoint-index keys of every log of an endpoint.
pub fn of_endpoint(store: &Store, tenant: Uuid, endpoint: Uuid) -> Result<Vec<Bytes>, StoreError> {
    store
        .tree(Tree::ScrapeLogsByEndpoint)
        .scan_prefix(keys::pair(tenant, endpoint))
        .keys()
        .collect::<Result<_, _>>()
}

/// Up to `limit` of the tenant's logs started before `cutoff`, oldest first.
pub fn started_before(
    store: &Store,
    tenant: Uuid,
    cutoff: chrono::DateTime<chrono::Utc>,
    limit: usize,
) -> Result<Vec<ScrapeLog>, StoreError> {
    let end = keys::time_key(&keys::id(tenant), cutoff, Uuid::nil());
    let mut logs = Vec::new();
    for key in store
        .tree(Tree::ScrapeLogsByTime)
        .range(keys::id(tenant).to_vec()..end)
        .keys()
        .take(limit)
    {
        let id = keys::uuid_at(&key?, 24)
            .ok_or_else(|| StoreError::Corrupt("scrape log index".into()))?;
        logs.extend(get(store, tenant, id)?);
    }
    Ok(logs)
}

/// The endpoints of the tenant that have logs, from the endpoint index.
pub fn endpoints_with_logs(store: &Store, tenant: Uuid) -> Result<Vec<Uuid>, StoreError> {
    let index = store.tree(Tree::ScrapeLogsByEndpoint);
    let mut found = Vec::new();
    let mut from = keys::id(tenant).to_vec();
    // One seek per endpoint: skip past each endpoint's keys to the next one.
    while let Some(entry) = index.range(from.clone()..).keys().next() {
        let key = entry?;
        if !key.starts_with(&keys::id(tenant)) {
            break;
        }
        let endpoint = keys::uuid_at(&key, 16)
            .ok_or_else(|| StoreError::Corrupt("scrape log index".into()))?;
        found.push(endpoint);
        from = keys::pair(tenant, endpoint).to_vec();
        from.extend_from_slice(&[0xff; 25]);
    }
    Ok(found)
}

/// Removes one log and its indexes.
pub fn remove<E>(tx: &Tx, log: &ScrapeLog) -> TxResult<(), E> {
    let tenant = log.tenant_id;
    tx.remove(Tree::ScrapeLogs, keys::pair(tenant, log.id))?;
    tx.remove(
        Tree::ScrapeLogsByTime,
        keys::time_key(&keys::id(tenant), log.started_at, log.id),
    )?;
    tx.remove(
        Tree::ScrapeLogsByEndpoint,
        keys::time_key(&keys::pair(tenant, log.endpoint_id), log.started_at, log.id),
    )?;
    Ok(())
}
