//! The open store: its engine (sled, with its trees and group-committed durability, or
//! PostgreSQL), and the state built per tenant (the catalogs, opaque here).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::engine::codec::decode;
use crate::engine::durability::GroupCommit;
use crate::engine::error::StoreError;
use crate::engine::kv::{Kv, TreeRef};
use crate::engine::pg_kv::PgKv;
use crate::engine::sealing::Keyring;
use crate::engine::trees::{Tree, Trees};

/// The engine under a store, and what only that engine has.
enum Engine {
    /// sled in the data directory: its database (ids, flushes, size), its trees, and the
    /// flusher that makes writes durable in groups.
    Sled {
        db: sled::Db,
        trees: Trees,
        group_commit: GroupCommit,
        /// Added to sled's id generator: a restored store's generator starts again at 0,
        /// and its ordered keys must still come after the ones it was restored with.
        id_floor: u64,
    },
    /// PostgreSQL: each write is durable when its statement or transaction commits.
    Postgres(PgKv),
}

struct Inner {
    engine: Engine,
    data_dir: PathBuf,
    /// State of a tenant built from its tables on first use and kept in step by the
    /// writes (the catalogs), by tenant and kind; the engine keeps it without knowing it.
    tenant_state: Mutex<HashMap<(Uuid, TypeId), Arc<dyn Any + Send + Sync>>>,
    /// Every write holds it shared; a backup's snapshot holds it alone, so the snapshot
    /// is one consistent state of every tree.
    gate: RwLock<()>,
    /// Held by a whole backup and by the file collector, so a file the snapshot points
    /// at is not collected before the backup has copied it.
    maintenance: Mutex<()>,
    /// Seals and opens the secrets records hold (see `sealing`).
    keyring: Keyring,
}

/// A cheap, cloneable handle to the open store.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl Store {
    /// The handle over an opened, migrated sled database.
    pub(crate) fn new(
        db: sled::Db,
        trees: Trees,
        data_dir: &Path,
        keyring: Keyring,
    ) -> Result<Store, StoreError> {
        let id_floor = id_floor(TreeRef::new(&trees, Tree::Meta))?;
        let group_commit = GroupCommit::start(db.clone());
        let engine = Engine::Sled {
            db,
            trees,
            group_commit,
            id_floor,
        };
        Ok(Store::with_engine(engine, data_dir, keyring))
    }

    /// The handle over a PostgreSQL database whose schema is this release's.
    pub(crate) fn new_postgres(pg: PgKv, data_dir: &Path, keyring: Keyring) -> Store {
        Store::with_engine(Engine::Postgres(pg), data_dir, keyring)
    }

    fn with_engine(engine: Engine, data_dir: &Path, keyring: Keyring) -> Store {
        Store {
            inner: Arc::new(Inner {
                engine,
                data_dir: data_dir.to_path_buf(),
                tenant_state: Mutex::new(HashMap::new()),
                gate: RwLock::new(()),
                maintenance: Mutex::new(()),
                keyring,
            }),
        }
    }

    /// Taken by every write for its duration (see `gate`).
    pub(crate) fn writing(&self) -> RwLockReadGuard<'_, ()> {
        // A panic while holding the gate poisons it without leaving a write half done
        // (sled writes are atomic), so the guard is still good.
        self.inner.gate.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops every write until dropped (a backup's snapshot).
    pub(crate) fn all_writes_stopped(&self) -> RwLockWriteGuard<'_, ()> {
        self.inner.gate.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Held by one backup or file collection at a time (see `maintenance`).
    pub fn maintenance(&self) -> std::sync::MutexGuard<'_, ()> {
        self.inner
            .maintenance
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The tenant's state of kind `T`, built by `build` on first use. Built under the map's
    /// lock, so a write cannot slip between building and publishing it.
    pub(crate) fn tenant_state<T: Any + Send + Sync>(
        &self,
        tenant: Uuid,
        build: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<Arc<T>, StoreError> {
        let mut all = self
            .inner
            .tenant_state
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let key = (tenant, TypeId::of::<T>());
        if let Some(Ok(state)) = all.get(&key).map(|s| s.clone().downcast::<T>()) {
            return Ok(state);
        }
        let state = Arc::new(build()?);
        all.insert(key, state.clone());
        Ok(state)
    }

    /// Drops the state built for the tenants `which` picks, to be built again from the
    /// tables at its next use (a node of several, whose shard of them moved).
    pub fn forget_tenants(&self, which: impl Fn(Uuid) -> bool) {
        self.inner
            .tenant_state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(tenant, _), _| !which(*tenant));
    }

    /// sled's trees, for what only the sled engine does (snapshots and backups).
    pub(crate) fn trees(&self) -> Result<&Trees, StoreError> {
        match &self.inner.engine {
            Engine::Sled { trees, .. } => Ok(trees),
            Engine::Postgres(_) => Err(StoreError::Engine(
                "a store on PostgreSQL is backed up with pg_dump (docs/operations.md)".into(),
            )),
        }
    }

    /// Whether this store makes its own backups (`engine::backup`): sled's does; one on
    /// PostgreSQL says to use `pg_dump`.
    pub fn backs_up_itself(&self) -> Result<(), StoreError> {
        self.trees().map(|_| ())
    }

    /// The engine, as the tables reach it.
    pub(crate) fn kv(&self) -> &dyn Kv {
        match &self.inner.engine {
            Engine::Sled { trees, .. } => trees,
            Engine::Postgres(pg) => pg,
        }
    }

    /// One tree, to read, scan and write outside transactions.
    pub fn tree(&self, tree: Tree) -> TreeRef<'_> {
        TreeRef::new(self.kv(), tree)
    }

    /// The service's keys: for sealing secrets at rest and for MACs (CSRF tokens).
    pub fn keyring(&self) -> &Keyring {
        &self.inner.keyring
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Makes every write done before this call durable. Concurrent callers share flushes.
    pub async fn commit(&self) -> Result<(), StoreError> {
        match &self.inner.engine {
            Engine::Sled { group_commit, .. } => group_commit.commit().await,
            // Every write committed before it returned.
            Engine::Postgres(_) => Ok(()),
        }
    }

    /// A process-wide monotonic number (sled's id generator, PostgreSQL's sequence), for
    /// ordered keys.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        match &self.inner.engine {
            Engine::Sled { db, id_floor, .. } => Ok(db.generate_id()? + id_floor),
            Engine::Postgres(pg) => pg.next_id(),
        }
    }

    /// Flushes synchronously; used at shutdown.
    pub fn flush(&self) -> Result<(), StoreError> {
        match &self.inner.engine {
            Engine::Sled { db, .. } => {
                db.flush()?;
            }
            Engine::Postgres(_) => {}
        }
        Ok(())
    }

    /// The PostgreSQL engine, for what only it has (leases); `None` on sled.
    pub fn postgres(&self) -> Option<&PgKv> {
        match &self.inner.engine {
            Engine::Postgres(pg) => Some(pg),
            Engine::Sled { .. } => None,
        }
    }

    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        match &self.inner.engine {
            Engine::Sled { db, .. } => Ok(db.size_on_disk()?),
            Engine::Postgres(pg) => pg.size(),
        }
    }
}

/// Where a restored store keeps its id floor (see `Inner::id_floor`).
pub(crate) const ID_FLOOR_KEY: &[u8] = b"id_floor";

/// The id floor a store was restored with (0 for one that never was).
fn id_floor(meta: TreeRef) -> Result<u64, StoreError> {
    match meta.get(ID_FLOOR_KEY)? {
        None => Ok(0),
        Some(v) => v
            .as_slice()
            .try_into()
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::Corrupt("id_floor is not 8 bytes".into())),
    }
}

/// Reads and decodes one record.
pub(crate) fn record<T: DeserializeOwned>(
    tree: TreeRef,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    tree.get(key)?.map(|v| decode(&v)).transpose()
}

/// Reads and decodes the records at `keys` in one read, in the order of `keys`.
pub(crate) fn records_at<T: DeserializeOwned>(
    tree: TreeRef,
    keys: impl IntoIterator<Item = impl AsRef<[u8]>>,
) -> Result<Vec<Option<T>>, StoreError> {
    let keys: Vec<Vec<u8>> = keys.into_iter().map(|k| k.as_ref().to_vec()).collect();
    tree.get_many(&keys)?
        .into_iter()
        .map(|v| v.map(|v| decode(&v)).transpose())
        .collect()
}

/// The 32-byte keys (token digests) of the records of `tree` that `keep` selects.
pub(crate) fn digest_keys_where<T: DeserializeOwned>(
    tree: TreeRef,
    keep: impl Fn(&T) -> bool,
) -> Result<Vec<[u8; 32]>, StoreError> {
    let mut keys = Vec::new();
    for entry in tree.iter() {
        let (key, value) = entry?;
        if keep(&decode(&value)?)
            && let Ok(digest) = <[u8; 32]>::try_from(key.as_ref())
        {
            keys.push(digest);
        }
    }
    Ok(keys)
}

/// Decodes every record whose key starts with `prefix`, in key order.
pub(crate) fn records<T: DeserializeOwned>(
    tree: TreeRef,
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
pub(crate) mod tests {
    use super::*;
    use crate::engine::migrations::{SCHEMA_KEY, SCHEMA_VERSION};

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
                .insert(SCHEMA_KEY, (SCHEMA_VERSION + 1).to_be_bytes())
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
        assert_eq!(
            store.tree(Tree::Events).len().unwrap(),
            (WRITERS * WRITES) as usize
        );
    }
}
