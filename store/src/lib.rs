//! The embedded store: sled trees of bincode records, tenant-prefixed keys, secondary
//! indexes, a `meta` tree with the schema version, and group-committed durability.
//!
//! Writers (the owning actors) change trees through the operations in the domain modules,
//! then call [`Store::commit`] before acknowledging; readers use the same modules' queries.

pub mod accounts;
pub mod api_keys;
pub mod bulk;
pub mod catalog;
mod codec;
pub mod duplicates;
mod durability;
pub mod edits;
pub mod history;
pub mod import;
pub mod keys;
mod migrations;
pub mod monitoring;
pub mod password_policy;
pub mod registry;
pub use certwatch_domain::rules;
pub mod secrets;
mod supplier_index;
pub mod webhooks;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use uuid::Uuid;

use catalog::SharedCatalog;

pub use codec::{decode, encode};
use durability::GroupCommit;

/// sled's page cache. Its default (1 GiB) would let a long-running appliance grow far past
/// what it needs: list queries run on the in-memory catalogs, and the OS page cache keeps
/// hot pages of the file anyway.
const CACHE_BYTES: u64 = 32 << 20;

/// Version of the store layout this release reads and writes.
/// 1: the first layout. 2: `certs_by_number` keyed by the number's identity (case, spaces
/// and dashes folded) instead of its lower case. 3: bulk items list the other standards of
/// a combined certificate and the certificates filed for them (see `migrations`).
pub const SCHEMA_VERSION: u32 = 3;
const SCHEMA_KEY: &[u8] = b"schema_version";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error(
        "the data directory was written by a newer CertWatch (schema {found}, this release reads up to {supported})"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error("the store is shutting down")]
    Closed,
}

/// Every tree of the store. Keys are documented in [`keys`].
pub struct Trees {
    pub meta: sled::Tree,
    pub tenants: sled::Tree,
    pub users: sled::Tree,
    pub users_by_email: sled::Tree,
    pub memberships: sled::Tree,
    pub memberships_by_user: sled::Tree,
    pub tokens: sled::Tree,
    pub tokens_by_owner: sled::Tree,
    pub verifications: sled::Tree,
    pub invitations: sled::Tree,
    pub invitations_by_token: sled::Tree,
    pub organizations: sled::Tree,
    pub org_by_external_id: sled::Tree,
    pub sites: sled::Tree,
    pub sites_by_org: sled::Tree,
    pub cert_types: sled::Tree,
    pub cert_type_by_code: sled::Tree,
    pub certificates: sled::Tree,
    pub certs_by_org: sled::Tree,
    pub certs_by_number: sled::Tree,
    pub events: sled::Tree,
    pub subscribers: sled::Tree,
    pub subscriptions: sled::Tree,
    pub deliveries: sled::Tree,
    pub deliveries_by_time: sled::Tree,
    pub deliveries_due: sled::Tree,
    pub expiry_notices: sled::Tree,
    pub api_keys: sled::Tree,
    pub api_keys_by_tenant: sled::Tree,
    pub endpoints: sled::Tree,
    pub endpoints_by_org: sled::Tree,
    pub endpoint_by_url: sled::Tree,
    pub scrape_logs: sled::Tree,
    pub scrape_logs_by_time: sled::Tree,
    pub scrape_logs_by_endpoint: sled::Tree,
    pub bulk_batches: sled::Tree,
    pub bulk_items: sled::Tree,
    pub bulk_items_by_batch: sled::Tree,
    /// tenant ‖ item → times reading the item was started (u32, big-endian).
    pub bulk_attempts: sled::Tree,
    /// verification key hash → RegistrationClaim (a registration of an unverified address).
    pub registration_claims: sled::Tree,
    /// tenant ‖ certificate ‖ sequence → HistoryEntry.
    pub cert_history: sled::Tree,
}

struct Inner {
    db: sled::Db,
    trees: Trees,
    group_commit: GroupCommit,
    data_dir: PathBuf,
    catalogs: Mutex<HashMap<Uuid, Arc<SharedCatalog>>>,
    /// Per tenant, subscribers that got new deliveries not yet announced to their actors.
    wakes: Mutex<HashMap<Uuid, HashSet<Uuid>>>,
}

/// A cheap, cloneable handle to the open store.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl Store {
    /// Opens (or creates) the store under `data_dir/store`, migrating it to this release's
    /// schema. Must be called inside a tokio runtime: it starts the group-commit flusher.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Sled(e.into()))?;
        let db = open_db(&data_dir.join("store"))?;
        let tree = |name: &str| db.open_tree(name);
        let trees = Trees {
            meta: tree("meta")?,
            tenants: tree("tenants")?,
            users: tree("users")?,
            users_by_email: tree("users_by_email")?,
            memberships: tree("memberships")?,
            memberships_by_user: tree("memberships_by_user")?,
            tokens: tree("tokens")?,
            tokens_by_owner: tree("tokens_by_owner")?,
            verifications: tree("verifications")?,
            invitations: tree("invitations")?,
            invitations_by_token: tree("invitations_by_token")?,
            organizations: tree("organizations")?,
            org_by_external_id: tree("org_by_external_id")?,
            sites: tree("sites")?,
            sites_by_org: tree("sites_by_org")?,
            cert_types: tree("cert_types")?,
            cert_type_by_code: tree("cert_type_by_code")?,
            certificates: tree("certificates")?,
            certs_by_org: tree("certs_by_org")?,
            certs_by_number: tree("certs_by_number")?,
            events: tree("events")?,
            subscribers: tree("subscribers")?,
            subscriptions: tree("subscriptions")?,
            deliveries: tree("deliveries")?,
            deliveries_by_time: tree("deliveries_by_time")?,
            deliveries_due: tree("deliveries_due")?,
            expiry_notices: tree("expiry_notices")?,
            api_keys: tree("api_keys")?,
            api_keys_by_tenant: tree("api_keys_by_tenant")?,
            endpoints: tree("endpoints")?,
            endpoints_by_org: tree("endpoints_by_org")?,
            endpoint_by_url: tree("endpoint_by_url")?,
            scrape_logs: tree("scrape_logs")?,
            scrape_logs_by_time: tree("scrape_logs_by_time")?,
            scrape_logs_by_endpoint: tree("scrape_logs_by_endpoint")?,
            bulk_batches: tree("bulk_batches")?,
            bulk_items: tree("bulk_items")?,
            bulk_items_by_batch: tree("bulk_items_by_batch")?,
            bulk_attempts: tree("bulk_attempts")?,
            registration_claims: tree("registration_claims")?,
            cert_history: tree("cert_history")?,
        };
        migrations::migrate(&trees)?;
        let group_commit = GroupCommit::start(db.clone());
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                trees,
                group_commit,
                data_dir: data_dir.to_path_buf(),
                catalogs: Mutex::new(HashMap::new()),
                wakes: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn trees(&self) -> &Trees {
        &self.inner.trees
    }

    fn catalogs(&self) -> &Mutex<HashMap<Uuid, Arc<SharedCatalog>>> {
        &self.inner.catalogs
    }

    fn inner_wakes(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, HashSet<Uuid>>> {
        self.inner.wakes.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Makes every write done before this call durable. Concurrent callers share flushes.
    pub async fn commit(&self) -> Result<(), StoreError> {
        self.inner.group_commit.commit().await
    }

    /// A process-wide monotonic number (sled's id generator), for ordered keys.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        Ok(self.inner.db.generate_id()?)
    }

    /// Flushes synchronously; used at shutdown.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrations::read_schema(&self.inner.trees.meta).map(|v| v.unwrap_or(SCHEMA_VERSION))
    }

    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.inner.db.size_on_disk()?)
    }
}

/// How long opening waits for the store's file lock. A process killed a moment ago can
/// leave behind a child it had just forked (a worker process) that holds the lock until
/// the child's exec closes it — on a loaded machine that took more than 5 s once; a
/// restart right away must wait for that, not give up.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        let opened = sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(Some(500))
            .open();
        match opened {
            // sled reports a held lock as an `Other` error whose text says so (the
            // `WouldBlock` is only inside its message).
            Err(sled::Error::Io(e))
                if (e.kind() == std::io::ErrorKind::WouldBlock
                    || e.to_string().contains("could not acquire lock"))
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return Ok(other?),
        }
    }
}

/// The result of a multi-tree transaction as the operation's own error: an abort is the
/// error the closure chose, a storage failure a [`StoreError`].
pub(crate) fn finish<T, E: From<StoreError>>(
    result: Result<T, sled::transaction::TransactionError<E>>,
) -> Result<T, E> {
    result.map_err(|e| match e {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e).into(),
    })
}

/// Reads and decodes one record.
pub fn get<T: DeserializeOwned>(tree: &sled::Tree, key: &[u8]) -> Result<Option<T>, StoreError> {
    tree.get(key)?.map(|v| decode(&v)).transpose()
}

/// Decodes every record whose key starts with `prefix`, in key order.
pub fn scan<T: DeserializeOwned>(tree: &sled::Tree, prefix: &[u8]) -> Result<Vec<T>, StoreError> {
    tree.scan_prefix(prefix)
        .map(|entry| {
            let (_, v) = entry?;
            decode(&v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opens a store another handle had open a moment ago: sled releases its file lock when
    /// the last handle drops, and the flusher holds a clone until its task notices.
    pub(crate) async fn open_when_free(dir: &Path) -> Result<Store, StoreError> {
        let mut result = Store::open(dir);
        for _ in 0..50 {
            if !matches!(result, Err(StoreError::Sled(_))) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            result = Store::open(dir);
        }
        result
    }

    // Multi-threaded: opening blocks its thread while it waits for the lock, and the old
    // handle's flusher task must run elsewhere to let go of it.
    #[tokio::test(flavor = "multi_thread")]
    async fn stamps_schema_and_refuses_newer_store() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
            store
                .trees()
                .meta
                .insert(SCHEMA_KEY, &(SCHEMA_VERSION + 1).to_be_bytes())
                .unwrap();
            store.flush().unwrap();
        }
        let result = open_when_free(dir.path()).await;
        assert!(matches!(result, Err(StoreError::NewerSchema { .. })));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn concurrent_commits_all_complete() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut tasks = Vec::new();
        for i in 0..64u32 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.trees().meta.insert(i.to_be_bytes(), b"x").unwrap();
                store.commit().await.unwrap();
            }));
        }
        for t in tasks {
            tokio::time::timeout(std::time::Duration::from_secs(20), t)
                .await
                .expect("commit finished")
                .unwrap();
        }
    }

    /// sled 0.34 is known to deadlock under heavy concurrent flushing (spacejam/sled#1308,
    /// #1412): many writers, each waiting for its own commit, must all finish, and every
    /// acknowledged write must be there after the store is reopened.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn soak_many_writers_every_acknowledged_write_survives() {
        const WRITERS: u32 = 32;
        const WRITES: u32 = 150;
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let tasks: Vec<_> = (0..WRITERS)
                .map(|w| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        for i in 0..WRITES {
                            let key = [w.to_be_bytes(), i.to_be_bytes()].concat();
                            store.trees().events.insert(key, vec![7u8; 200]).unwrap();
                            store.commit().await.unwrap();
                        }
                    })
                })
                .collect();
            for t in tasks {
                tokio::time::timeout(std::time::Duration::from_secs(60), t)
                    .await
                    .expect("no writer may hang")
                    .unwrap();
            }
        }
        let mut reopened = Store::open(dir.path());
        for _ in 0..100 {
            if reopened.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            reopened = Store::open(dir.path());
        }
        let store = reopened.unwrap();
        assert_eq!(store.trees().events.len(), (WRITERS * WRITES) as usize);
    }
}
