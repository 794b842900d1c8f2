//! Moving a sled store into PostgreSQL (`certwatch migrate-store`): every record of the
//! sled store, migrated to this release's schema first, is written into a new PostgreSQL
//! database in one transaction, and the records there are then read back and compared
//! with the sled store's by the digest a backup states. Uploaded files and the key file
//! stay in the data directory, which the server on PostgreSQL keeps using.

use std::ops::Bound;
use std::path::Path;

use crate::engine::backup::{digested, records_digest};
use crate::engine::kv::Kv;
use crate::engine::migrations;
use crate::engine::pg_kv::PgKv;
use crate::engine::trees::Tree;
use crate::{Store, StoreError};

/// What a move wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub records: u64,
    /// SHA-256 (hex) over every record, as a backup of either store would state it.
    pub record_digest: String,
}

/// Moves the sled store of `data_dir` (no server may be running on it: opening waits for
/// its lock, then gives up) into the database at `url`, which must hold no tenant's
/// records yet. Must be called inside a tokio runtime (see [`Store::open`]).
pub fn sled_into_postgres(
    data_dir: &Path,
    key_file: Option<&Path>,
    url: &str,
) -> Result<Moved, StoreError> {
    let from = Store::open_keyed(data_dir, key_file)?;
    let trees = from.trees()?;
    let to = PgKv::connect(url)?;
    // Every id the sled store handed out is below this one, so keys ordered by id that
    // PostgreSQL's sequence makes afterwards come after the moved ones.
    let ids_above = from.next_id()?;
    let records = Tree::ALL.iter().flat_map(|&tree| {
        trees
            .scan(tree, Bound::Unbounded, Bound::Unbounded)
            .filter(move |entry| !matches!(entry, Ok((key, _)) if !digested(tree, key)))
            .map(move |entry| entry.map(|(key, value)| (tree, key, value)))
    });
    to.load(records, ids_above)?;
    let (records, record_digest) = records_digest(&to)?;
    let (expected, expected_digest) = records_digest(trees)?;
    if (records, &record_digest) != (expected, &expected_digest) {
        return Err(StoreError::Corrupt(format!(
            "PostgreSQL holds {records} records (digest {record_digest}), the sled store \
             {expected} ({expected_digest}); drop the database and move again"
        )));
    }
    to.migrating(|| migrations::migrate(&to, &|| Ok(())))?;
    Ok(Moved {
        records,
        record_digest,
    })
}
