//! `subscribers`: tenant ‖ subscriber → Subscriber, its API key and signing secrets sealed
//! with the service's key (`sealing`): callers see them in clear, the tree never holds them so.

use certwatch_domain::webhooks::Subscriber;
use uuid::Uuid;

use crate::engine::sealed_records::{self, SealedRecord};
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, engine::keys};

pub const TREES: &[Tree] = &[Tree::Subscribers];

impl SealedRecord for Subscriber {
    const WHAT: &'static str = "webhook subscribers' secrets";

    fn context(&self) -> String {
        format!("subscriber/{}/{}", self.tenant_id, self.id)
    }

    fn secrets(&mut self) -> Vec<(&'static str, &mut String)> {
        let mut out = vec![
            ("api_key", &mut self.api_key),
            ("signing_secret", &mut self.signing_secret),
        ];
        if let Some(previous) = &mut self.previous_secret {
            out.push(("previous_secret", previous));
        }
        out
    }
}

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Subscriber>, StoreError> {
    store
        .tree(Tree::Subscribers)
        .get(keys::pair(tenant, id))?
        .map(|v| sealed_records::open(store.keyring(), &v))
        .transpose()
}

/// The tenant's subscribers, oldest first.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<Subscriber>, StoreError> {
    let mut subs: Vec<Subscriber> =
        sealed_records::scan(store, Tree::Subscribers, &keys::id(tenant))?;
    subs.sort_by_key(|s| (s.created_at, s.id));
    Ok(subs)
}

/// Every subscriber of every tenant, for starting their actors at boot.
pub fn all(store: &Store) -> Result<Vec<Subscriber>, StoreError> {
    sealed_records::scan(store, Tree::Subscribers, &[])
}

pub fn put(store: &Store, sub: &Subscriber) -> Result<(), StoreError> {
    let _writing = store.writing();
    store.tree(Tree::Subscribers).insert(
        keys::pair(sub.tenant_id, sub.id),
        sealed_records::seal(store.keyring(), sub),
    )?;
    Ok(())
}

pub fn remove<E>(tx: &Tx, tenant: Uuid, id: Uuid) -> TxResult<(), E> {
    tx.remove(Tree::Subscribers, keys::pair(tenant, id))?;
    Ok(())
}

/// Seals again every subscriber whose secrets are in clear or under an older key.
pub fn reseal(store: &Store) -> Result<usize, StoreError> {
    sealed_records::reseal::<Subscriber>(store, Tree::Subscribers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, encode};
    use chrono::Utc;

    fn subscriber(tenant: Uuid) -> Subscriber {
        let now = Utc::now();
        Subscriber {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            name: "ERP".into(),
            url: "https://erp.example/hooks".into(),
            api_key: "subscriber-api-key-in-clear".into(),
            signing_secret: "whsec_signing-secret-in-clear".into(),
            previous_secret: Some("whsec_previous-secret-in-clear".into()),
            secret_rotated_at: Some(now),
            is_active: true,
            created_at: now,
            updated_at: now,
        }
    }

    /// The record as the tree holds it.
    fn as_stored(store: &Store, sub: &Subscriber) -> Subscriber {
        let raw = store
            .tree(Tree::Subscribers)
            .get(keys::pair(sub.tenant_id, sub.id))
            .unwrap()
            .unwrap();
        decode(&raw).unwrap()
    }

    fn in_clear_anywhere(dir: &std::path::Path, needle: &str) -> bool {
        walk(dir).iter().any(|f| {
            std::fs::read(f)
                .unwrap_or_default()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
        })
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
        files
    }

    #[tokio::test]
    async fn secrets_are_sealed_on_disk_and_clear_to_callers() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let sub = subscriber(Uuid::new_v4());
        put(&store, &sub).unwrap();
        store.flush().unwrap();
        assert_eq!(
            get(&store, sub.tenant_id, sub.id).unwrap().unwrap().api_key,
            sub.api_key
        );
        assert_eq!(all(&store).unwrap()[0].previous_secret, sub.previous_secret);
        let stored = as_stored(&store, &sub);
        assert!(stored.signing_secret.starts_with("sealed:v1:"));
        for secret in [&sub.api_key, &sub.signing_secret] {
            assert!(!in_clear_anywhere(&dir.path().join("store"), secret));
        }
    }

    #[tokio::test]
    async fn secrets_in_clear_from_an_older_release_or_an_older_key_are_sealed_again_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let sub = subscriber(Uuid::new_v4());
        {
            let store = Store::open(dir.path()).unwrap();
            // As an older release wrote it: in clear.
            store
                .tree(Tree::Subscribers)
                .insert(keys::pair(sub.tenant_id, sub.id), encode(&sub))
                .unwrap();
            store.flush().unwrap();
        }
        let store = crate::engine::handle::tests::open_when_free(dir.path())
            .await
            .unwrap();
        let stored = as_stored(&store, &sub);
        assert!(!store.keyring().needs_resealing(&stored.api_key));
        assert_eq!(
            get(&store, sub.tenant_id, sub.id)
                .unwrap()
                .unwrap()
                .signing_secret,
            sub.signing_secret
        );
        let old_key = store.keyring().current_id().to_string();
        drop(store);

        crate::engine::sealing::rotate_key_file(
            &dir.path().join(crate::engine::sealing::DEFAULT_KEY_FILE),
        )
        .unwrap();
        let store = crate::engine::handle::tests::open_when_free(dir.path())
            .await
            .unwrap();
        assert_ne!(store.keyring().current_id(), old_key);
        let stored = as_stored(&store, &sub);
        assert!(stored.api_key.contains(store.keyring().current_id()));
        assert_eq!(
            get(&store, sub.tenant_id, sub.id).unwrap().unwrap().api_key,
            sub.api_key
        );
    }

    #[tokio::test]
    async fn a_store_without_its_key_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            put(&store, &subscriber(Uuid::new_v4())).unwrap();
            store.flush().unwrap();
        }
        std::fs::remove_file(dir.path().join(crate::engine::sealing::DEFAULT_KEY_FILE)).unwrap();
        let mut opened = crate::engine::handle::tests::open_when_free(dir.path()).await;
        // The store lock may take a moment; then the missing key is what fails.
        for _ in 0..50 {
            if !matches!(opened, Err(StoreError::Sled(_))) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            opened = Store::open(dir.path());
        }
        match opened {
            Err(StoreError::Secrets(why)) => assert!(why.contains("not in the key file"), "{why}"),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("opened without its key"),
        }
    }
}
