//! `api_keys`: sha256(cw_ key) → ApiKey; `api_keys_by_tenant`: tenant ‖ key id → sha256(key).
//! Keys are created by tenant admins for the integration API and shown once.

use certwatch_domain::accounts::{API_KEY_PREFIX, ApiKey};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::secrets::{KeyHash, key_hash, random_key};
use crate::engine::trees::Tree;
use crate::engine::tx::transact;
use crate::{RegistryError, Store, StoreError, encode, engine::keys, record};

pub const TREES: &[Tree] = &[Tree::ApiKeys, Tree::ApiKeysByTenant];

/// Creates a key (`cw_` and 40 random alphanumeric characters); returns it with its record.
pub fn create(
    store: &Store,
    tenant: Uuid,
    name: String,
    now: DateTime<Utc>,
) -> Result<(String, ApiKey), StoreError> {
    let key = format!("{API_KEY_PREFIX}{}", random_key(40));
    let record = ApiKey {
        id: Uuid::new_v4(),
        tenant_id: tenant,
        name,
        prefix: key.chars().take(API_KEY_PREFIX.len() + 8).collect(),
        created_at: now,
        last_used_at: None,
    };
    let hash = key_hash(&key);
    transact::<_, StoreError>(store, &[TREES], |tx| {
        tx.insert(Tree::ApiKeys, hash, encode(&record))?;
        tx.insert(
            Tree::ApiKeysByTenant,
            keys::pair(tenant, record.id),
            hash.as_slice(),
        )
    })?;
    Ok((key, record))
}

/// The record of a presented key, if it is one.
pub fn get(store: &Store, hash: &KeyHash) -> Result<Option<ApiKey>, StoreError> {
    record(store.tree(Tree::ApiKeys), hash)
}

/// A tenant's keys, oldest first.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<ApiKey>, StoreError> {
    let mut out = Vec::new();
    for hash in store
        .tree(Tree::ApiKeysByTenant)
        .scan_prefix(keys::id(tenant))
        .values()
    {
        out.extend(record::<ApiKey>(store.tree(Tree::ApiKeys), &hash?)?);
    }
    out.sort_by_key(|k| (k.created_at, k.id));
    Ok(out)
}

/// Revokes a key: it stops working at once.
pub fn remove(store: &Store, tenant: Uuid, id: Uuid) -> Result<(), RegistryError> {
    let index = keys::pair(tenant, id);
    let hash = store
        .tree(Tree::ApiKeysByTenant)
        .get(index)?
        .ok_or(RegistryError::NotFound)?;
    transact::<_, StoreError>(store, &[TREES], |tx| {
        tx.remove(Tree::ApiKeys, &hash)?;
        tx.remove(Tree::ApiKeysByTenant, index)?;
        Ok(())
    })?;
    Ok(())
}

/// Records a key's use (the caller decides how often that is worth a write).
pub fn touch(store: &Store, hash: &KeyHash, now: DateTime<Utc>) -> Result<(), StoreError> {
    let _writing = store.writing();
    if let Some(mut k) = get(store, hash)? {
        k.last_used_at = Some(now);
        store
            .tree(Tree::ApiKeys)
            .insert(hash.as_slice(), encode(&k))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_are_hashed_listed_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tenant = Uuid::new_v4();
        let (key, record) = create(&store, tenant, "ERP".into(), Utc::now()).unwrap();
        assert!(key.starts_with("cw_") && key.len() == 43);
        assert!(key.starts_with(&record.prefix));
        // Only the digest is stored.
        assert!(
            store
                .tree(Tree::ApiKeys)
                .get(key.as_bytes())
                .unwrap()
                .is_none()
        );
        assert_eq!(get(&store, &key_hash(&key)).unwrap().unwrap().id, record.id);
        assert_eq!(of_tenant(&store, tenant).unwrap().len(), 1);
        assert!(of_tenant(&store, Uuid::new_v4()).unwrap().is_empty());
        assert!(matches!(
            remove(&store, Uuid::new_v4(), record.id),
            Err(RegistryError::NotFound)
        ));
        remove(&store, tenant, record.id).unwrap();
        assert!(get(&store, &key_hash(&key)).unwrap().is_none());
    }
}
