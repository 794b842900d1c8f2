//! Opening the store: waiting for the file lock, opening every tree, and migrating an older
//! layout to this release's schema.

use std::path::Path;

use crate::engine::error::StoreError;
use crate::engine::handle::Store;
use crate::engine::migrations::{self, SCHEMA_VERSION};
use crate::engine::pg_kv::PgKv;
use crate::engine::sealing::{DEFAULT_KEY_FILE, Keyring};
use crate::engine::trees::{Tree, Trees};

/// sled's page cache. Its default (1 GiB) would let a long-running appliance grow far past
/// what it needs: list queries run on the in-memory catalogs, and the OS page cache keeps
/// hot pages of the file anyway.
const CACHE_BYTES: u64 = 32 << 20;

impl Store {
    /// Opens (or creates) the store under `data_dir/store`, migrating it to this release's
    /// schema. Must be called inside a tokio runtime: it starts the group-commit flusher.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Store::open_keyed(data_dir, None)
    }

    /// [`Store::open`] with the key file the operator named (`None`: `secret.key` in the
    /// data directory, made on first use). Every stored secret not sealed with the ring's
    /// newest key is sealed again before the store is handed out.
    pub fn open_keyed(data_dir: &Path, key_file: Option<&Path>) -> Result<Store, StoreError> {
        crate::engine::private::create_private_dir(data_dir)
            .map_err(|e| StoreError::Sled(e.into()))?;
        let keyring = match key_file {
            Some(path) => Keyring::load(path, false)?,
            None => Keyring::load(&data_dir.join(DEFAULT_KEY_FILE), true)?,
        };
        let db = open_db(&data_dir.join("store"))?;
        let trees = Trees::open(&db)?;
        migrations::migrate(&trees, &|| Ok(db.flush().map(|_| ())?))?;
        let store = Store::new(db, trees, data_dir, keyring)?;
        crate::tables::subscribers::reseal(&store)?;
        crate::tables::register_accounts::reseal(&store)?;
        crate::tables::mail_accounts::reseal(&store)?;
        Ok(store)
    }

    /// Opens the store in PostgreSQL at `url` (`postgres://…`), making its schema when the
    /// database is new and migrating one an older release wrote; uploaded files and the key file stay in `data_dir`.
    pub fn open_postgres(
        url: &str,
        data_dir: &Path,
        key_file: Option<&Path>,
    ) -> Result<Store, StoreError> {
        crate::engine::private::create_private_dir(data_dir)
            .map_err(|e| StoreError::Engine(e.to_string()))?;
        let keyring = match key_file {
            Some(path) => Keyring::load(path, false)?,
            None => Keyring::load(&data_dir.join(DEFAULT_KEY_FILE), true)?,
        };
        let pg = PgKv::connect(url)?;
        // Every write of PostgreSQL's is durable when it returns: nothing to flush.
        pg.migrating(|| migrations::migrate(&pg, &|| Ok(())))?;
        let store = Store::new_postgres(pg, data_dir, keyring);
        crate::tables::subscribers::reseal(&store)?;
        crate::tables::register_accounts::reseal(&store)?;
        crate::tables::mail_accounts::reseal(&store)?;
        Ok(store)
    }

    /// Opens the store where `location` says: `postgres://…` or `postgresql://…`, else
    /// (`None`) sled in the data directory.
    pub fn open_at(
        location: Option<&str>,
        data_dir: &Path,
        key_file: Option<&Path>,
    ) -> Result<Store, StoreError> {
        match location {
            Some(url) => Store::open_postgres(url, data_dir, key_file),
            None => Store::open_keyed(data_dir, key_file),
        }
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrations::read_schema(self.tree(Tree::Meta)).map(|v| v.unwrap_or(SCHEMA_VERSION))
    }
}

/// How long opening waits for the store's file lock. A process killed a moment ago can
/// leave behind a child it had just forked (a worker process) that holds the lock until
/// the child's exec closes it — on a loaded machine that took more than 5 s once; a
/// restart right away must wait for that, not give up.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
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
