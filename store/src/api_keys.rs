//! `cw_` API keys of the integration API: created by tenant admins, stored as SHA-256.

use certwatch_domain::accounts::{API_KEY_PREFIX, ApiKey};
use chrono::{DateTime, Utc};
use sled::Transactional;
use uuid::Uuid;

use crate::registry::RegistryError;
use crate::secrets::{KeyHash, key_hash, random_key};
use crate::{Store, StoreError, encode, finish, get, keys};

/// A new key: `cw_` and 40 random alphanumeric characters.
pub fn new_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", random_key(40))
}

impl Store {
    /// Creates a key; returns it (shown once) with its record.
    pub fn create_api_key(
        &self,
        tenant: Uuid,
        name: String,
        now: DateTime<Utc>,
    ) -> Result<(String, ApiKey), StoreError> {
        let key = new_api_key();
        let record = ApiKey {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            name,
            prefix: key.chars().take(API_KEY_PREFIX.len() + 8).collect(),
            created_at: now,
            last_used_at: None,
        };
        let hash = key_hash(&key);
        let t = self.trees();
        finish::<_, StoreError>((&t.api_keys, &t.api_keys_by_tenant).transaction(
            |(by_hash, by_tenant)| {
                by_hash.insert(hash.as_slice(), encode(&record))?;
                by_tenant.insert(keys::pair(tenant, record.id).to_vec(), hash.as_slice())?;
                Ok(())
            },
        ))?;
        Ok((key, record))
    }

    /// The record of a presented key, if it is one.
    pub fn api_key(&self, hash: &KeyHash) -> Result<Option<ApiKey>, StoreError> {
        get(&self.trees().api_keys, hash)
    }

    /// A tenant's keys, oldest first.
    pub fn api_keys(&self, tenant: Uuid) -> Result<Vec<ApiKey>, StoreError> {
        let mut out = Vec::new();
        for entry in self
            .trees()
            .api_keys_by_tenant
            .scan_prefix(keys::id(tenant))
        {
            let (_, hash) = entry?;
            if let Some(k) = get::<ApiKey>(&self.trees().api_keys, &hash)? {
                out.push(k);
            }
        }
        out.sort_by_key(|k| (k.created_at, k.id));
        Ok(out)
    }

    /// Revokes a key: it stops working at once.
    pub fn delete_api_key(&self, tenant: Uuid, id: Uuid) -> Result<(), RegistryError> {
        let index = keys::pair(tenant, id);
        let hash = self
            .trees()
            .api_keys_by_tenant
            .get(index)
            .map_err(StoreError::from)?
            .ok_or(RegistryError::NotFound)?;
        let t = self.trees();
        finish::<_, StoreError>((&t.api_keys, &t.api_keys_by_tenant).transaction(
            |(by_hash, by_tenant)| {
                by_hash.remove(&hash)?;
                by_tenant.remove(index.to_vec())?;
                Ok(())
            },
        ))?;
        Ok(())
    }

    /// Records a key's use (the caller decides how often that is worth a write).
    pub fn touch_api_key(&self, hash: &KeyHash, now: DateTime<Utc>) -> Result<(), StoreError> {
        if let Some(mut k) = self.api_key(hash)? {
            k.last_used_at = Some(now);
            self.trees().api_keys.insert(hash.as_slice(), encode(&k))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_are_hashed_listed_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tenant = Uuid::new_v4();
        let (key, record) = store
            .create_api_key(tenant, "ERP".into(), Utc::now())
            .unwrap();
        assert!(key.starts_with("cw_") && key.len() == 43);
        assert!(key.starts_with(&record.prefix));
        // Only the digest is stored.
        assert!(
            store
                .trees()
                .api_keys
                .get(key.as_bytes())
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store.api_key(&key_hash(&key)).unwrap().unwrap().id,
            record.id
        );
        assert_eq!(store.api_keys(tenant).unwrap().len(), 1);
        assert!(store.api_keys(Uuid::new_v4()).unwrap().is_empty());
        assert!(matches!(
            store.delete_api_key(Uuid::new_v4(), record.id),
            Err(RegistryError::NotFound)
        ));
        store.delete_api_key(tenant, record.id).unwrap();
        assert!(store.api_key(&key_hash(&key)).unwrap().is_none());
    }
}
