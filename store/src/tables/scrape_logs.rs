//! `scrape_logs`: tenant ‖ log → ScrapeLog; `scrape_logs_by_time`: tenant ‖ micros ‖ log;
//! `scrape_logs_by_endpoint`: tenant ‖ endpoint ‖ micros ‖ log. The newest
//! [`LOGS_KEPT_PER_ENDPOINT`] of each endpoint are kept.

use certwatch_domain::monitoring::{LOGS_KEPT_PER_ENDPOINT, ScrapeLog};
use uuid::Uuid;

use crate::trees::Tree;
use crate::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, keys, record};

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
pub fn stale(store: &Store, tenant: Uuid, endpoint: Uuid) -> Result<Vec<sled::IVec>, StoreError> {
    let index = store.tree(Tree::ScrapeLogsByEndpoint);
    let prefix = keys::pair(tenant, endpoint);
    let kept = index.scan_prefix(prefix).count();
    let excess = (kept + 1).saturating_sub(LOGS_KEPT_PER_ENDPOINT);
    Ok(index
        .scan_prefix(prefix)
        .keys()
        .take(excess)
        .collect::<Result<_, _>>()?)
}

/// Writes a log with its indexes and drops the `stale` ones.
pub fn put<E: From<StoreError>>(tx: &Tx, log: &ScrapeLog, stale: &[sled::IVec]) -> TxResult<(), E> {
    let tenant = log.tenant_id;
    for key in stale {
        let Some(id) = keys::uuid_at(key, 40) else {
            continue;
        };
        if let Some(old) = tx.get::<ScrapeLog, E>(Tree::ScrapeLogs, &keys::pair(tenant, id))? {
            tx.remove(Tree::ScrapeLogs, keys::pair(tenant, id))?;
            tx.remove(
                Tree::ScrapeLogsByTime,
                keys::time_key(&keys::id(tenant), old.started_at, id),
            )?;
        }
        tx.remove(Tree::ScrapeLogsByEndpoint, key)?;
    }
    tx.insert(Tree::ScrapeLogs, keys::pair(tenant, log.id), encode(log))?;
    tx.insert(
        Tree::ScrapeLogsByTime,
        keys::time_key(&keys::id(tenant), log.started_at, log.id),
        &[],
    )?;
    tx.insert(
        Tree::ScrapeLogsByEndpoint,
        keys::time_key(&keys::pair(tenant, log.endpoint_id), log.started_at, log.id),
        &[],
    )
}
