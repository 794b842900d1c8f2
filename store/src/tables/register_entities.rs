//! `register_entities`: tenant ‖ organization ‖ provider → the register's id of the
//! supplier (IAF's `ce_id`), found once for a credit and then looked up by for free.

use certwatch_domain::registers::Provider;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, decode, encode, engine::keys, record};

pub const TREES: &[Tree] = &[Tree::RegisterEntities];

fn key(tenant: Uuid, org: Uuid, provider: Provider) -> Vec<u8> {
    let mut key = keys::pair(tenant, org).to_vec();
    key.extend_from_slice(provider.as_str().as_bytes());
    key
}

pub fn get(
    store: &Store,
    tenant: Uuid,
    org: Uuid,
    provider: Provider,
) -> Result<Option<String>, StoreError> {
    record(
        store.tree(Tree::RegisterEntities),
        &key(tenant, org, provider),
    )
}

/// The ids the register knows the tenant's suppliers by.
pub fn of_tenant(
    store: &Store,
    tenant: Uuid,
    provider: Provider,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    let mut out = Vec::new();
    for entry in store
        .tree(Tree::RegisterEntities)
        .scan_prefix(keys::id(tenant))
    {
        let (k, value) = entry?;
        if !k.ends_with(provider.as_str().as_bytes()) || k.len() != 32 + provider.as_str().len() {
            continue;
        }
        let org = keys::uuid_at(&k, 16)
            .ok_or_else(|| StoreError::Corrupt("register entity key".into()))?;
        out.push((org, decode(&value)?));
    }
    Ok(out)
}

pub fn put<E>(tx: &Tx, tenant: Uuid, org: Uuid, provider: Provider, id: &str) -> TxResult<(), E> {
    tx.insert(
        Tree::RegisterEntities,
        key(tenant, org, provider),
        encode(&id.to_string()),
    )
}

/// Forgets a deleted supplier's ids.
pub fn remove_org<E>(tx: &Tx, tenant: Uuid, org: Uuid) -> TxResult<(), E> {
    for provider in Provider::ALL {
        tx.remove(Tree::RegisterEntities, key(tenant, org, provider))?;
    }
    Ok(())
}
