//! The embedded store: sled trees of bincode records, tenant-prefixed keys, secondary
//! indexes, a `meta` tree with the schema version, and group-committed durability.
//!
//! `tables/` holds one module per table (a record tree and its indexes): its keys, its
//! reads, and the writes it contributes to a transaction ([`tx`]). Tables never use each
//! other. The modules beside them are the operations the owning actors call: each checks
//! what a write needs against the stored data, changes the tables it names in one
//! transaction, and keeps the tenant's in-memory [`catalog`] in step. Writers then call
//! [`Store::commit`] before acknowledging.

pub mod accounts;
pub mod bulk;
pub mod catalog;
pub mod certificate_types;
pub mod certificate_writes;
pub mod certificates;
mod codec;
pub mod duplicates;
mod durability;
pub mod endpoints;
mod error;
pub mod events;
pub mod expiry;
pub mod fan_out;
pub mod import;
pub mod invitations;
pub mod keys;
pub mod members;
mod migrations;
pub mod organizations;
pub mod password_policy;
pub mod scrapes;
pub mod secrets;
pub mod sites;
pub mod subscribers;
pub mod subscriptions;
mod supplier_index;
pub mod tables;
pub mod tokens;
pub mod trees;
pub mod tx;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use uuid::Uuid;

use catalog::SharedCatalog;

pub use codec::{decode, encode};
use durability::GroupCommit;
pub use error::{AccountError, RegistryError, StoreError};
pub use fan_out::{Woke, Written};
use trees::{Tree, Trees};

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

struct Inner {
    db: sled::Db,
    trees: Trees,
    group_commit: GroupCommit,
    data_dir: PathBuf,
    catalogs: Mutex<HashMap<Uuid, Arc<SharedCatalog>>>,
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
        let trees = Trees::open(&db)?;
        migrations::migrate(&trees)?;
        let group_commit = GroupCommit::start(db.clone());
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                trees,
                group_commit,
                data_dir: data_dir.to_path_buf(),
                catalogs: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub(crate) fn trees(&self) -> &Trees {
        &self.inner.trees
    }

    pub fn tree(&self, tree: Tree) -> &sled::Tree {
        self.inner.trees.get(tree)
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
        migrations::read_schema(self.tree(Tree::Meta)).map(|v| v.unwrap_or(SCHEMA_VERSION))
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

/// Reads and decodes one record.
pub(crate) fn record<T: DeserializeOwned>(
    tree: &sled::Tree,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    tree.get(key)?.map(|v| decode(&v)).transpose()
}

/// Decodes every record whose key starts with `prefix`, in key order.
pub(crate) fn records<T: DeserializeOwned>(
    tree: &sled::Tree,
    prefix: &[u8],
) -> Result<Vec<T>, StoreError> {
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
                .tree(Tree::Meta)
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
                store
                    .tree(Tree::Meta)
                    .insert(i.to_be_bytes(), b"x")
                    .unwrap();
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
                            store
                                .tree(Tree::Events)
                                .insert(key, vec![7u8; 200])
                                .unwrap();
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
        assert_eq!(store.tree(Tree::Events).len(), (WRITERS * WRITES) as usize);
    }
}
