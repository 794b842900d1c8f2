//! Backups: one stream holding a consistent snapshot of every tree and the uploaded files,
//! and the restore that builds a data directory from it.
//!
//! The stream (integers big-endian):
//! - `CWBACKUP`, the stream format (u32) and the store's schema version (u32);
//! - entries, each a tag byte:
//!   - `1` a record: tree name (u8 length + bytes), key (u32 length + bytes), value (u32 length + bytes);
//!   - `2` the id floor the restored store starts its ordered keys at (u64);
//!   - `3` the SHA-256 over every record (32 bytes), which the restore recomputes from what it wrote;
//!   - `4` a file: its SHA-256 name (64 hex digits), its length (u64), its bytes;
//! - `0` and the SHA-256 of every byte before it, so a truncated or altered stream is refused.
//!
//! The snapshot (see `snapshot`) holds the store as it was at one moment while writes
//! go on, and is written straight to the output, so memory does not grow with the store.
//! Files are content-addressed and never rewritten; a backup holds the maintenance lock
//! throughout, so the file collector cannot remove one the snapshot points at.

use std::io::{Read, Write};
use std::ops::Bound;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::engine::handle::ID_FLOOR_KEY;
use crate::engine::kv::Kv;
use crate::engine::migrations::SCHEMA_VERSION;
use crate::engine::snapshot;
use crate::engine::trees::{Tree, Trees};
use crate::{Store, StoreError};

const MAGIC: &[u8; 8] = b"CWBACKUP";
const STREAM_FORMAT: u32 = 1;

const TAG_END: u8 = 0;
const TAG_RECORD: u8 = 1;
const TAG_ID_FLOOR: u8 = 2;
const TAG_RECORD_DIGEST: u8 = 3;
const TAG_FILE: u8 = 4;

/// Bounds a restore holds a stream to: no key sled writes is longer, no record this
/// service writes is near the value bound.
const MAX_KEY_BYTES: u32 = 1 << 20;
const MAX_VALUE_BYTES: u32 = 256 << 20;
/// Records written to the new store per batch.
const RESTORE_BATCH: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("not a usable backup: {0}")]
    Format(String),
    #[error(
        "the backup was written by a newer CertWatch (schema {found}, this release reads up to {supported})"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error("{0} exists and is not empty; restore into a new directory")]
    NotEmpty(PathBuf),
}

impl From<sled::Error> for BackupError {
    fn from(e: sled::Error) -> BackupError {
        BackupError::Store(e.into())
    }
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub records: u64,
    pub files: u64,
    /// SHA-256 (hex) over every record, in tree and key order.
    pub record_digest: String,
}

/// Whether a record takes part in the record digest: the id floor is the one value a
/// restore (or a move into another engine) sets anew.
pub(crate) fn digested(tree: Tree, key: &[u8]) -> bool {
    !(tree == Tree::Meta && key == ID_FLOOR_KEY)
}

fn digest_record(digest: &mut Sha256, tree: Tree, key: &[u8], value: &[u8]) {
    digest.update([tree.name().len() as u8]);
    digest.update(tree.name());
    digest.update((key.len() as u32).to_be_bytes());
    digest.update(key);
    digest.update((value.len() as u32).to_be_bytes());
    digest.update(value);
}

/// The digest over every record of an engine's trees (what a restore compares with the
/// backup's, and a move into PostgreSQL with the store it moved).
pub(crate) fn records_digest(kv: &dyn Kv) -> Result<(u64, String), StoreError> {
    let mut digest = Sha256::new();
    let mut records = 0;
    for &tree in Tree::ALL {
        for entry in kv.scan(tree, Bound::Unbounded, Bound::Unbounded) {
            let (key, value) = entry?;
            if digested(tree, &key) {
                digest_record(&mut digest, tree, &key, &value);
                records += 1;
            }
        }
    }
    Ok((records, hex(&digest.finalize())))
}

#[cfg(test)]
impl Store {
    /// The number of records and their digest, as a backup of this store would state them.
    pub fn record_digest(&self) -> Result<(u64, String), StoreError> {
        let _stopped = self.all_writes_stopped();
        records_digest(self.trees()?)
    }
}

/// Writes a backup of `store` to `out`.
pub fn write(store: &Store, out: impl Write) -> Result<Summary, BackupError> {
    let _maintenance = store.maintenance();
    let snapshot = snapshot::take(store)?;
    let mut out = Hashing::new(out);
    out.write_all(MAGIC)?;
    out.write_all(&STREAM_FORMAT.to_be_bytes())?;
    out.write_all(&snapshot.schema.to_be_bytes())?;
    let id_floor = snapshot.id_floor;
    let mut digest = Sha256::new();
    let mut records = 0;
    for record in snapshot.records()? {
        let (tree, key, value) = record?;
        if !digested(tree, &key) {
            continue;
        }
        digest_record(&mut digest, tree, &key, &value);
        records += 1;
        out.write_all(&[TAG_RECORD, tree.name().len() as u8])?;
        out.write_all(tree.name().as_bytes())?;
        out.write_all(&(key.len() as u32).to_be_bytes())?;
        out.write_all(&key)?;
        out.write_all(&(value.len() as u32).to_be_bytes())?;
        out.write_all(&value)?;
    }
    out.write_all(&[TAG_ID_FLOOR])?;
    out.write_all(&id_floor.to_be_bytes())?;
    let record_digest = digest.finalize();
    out.write_all(&[TAG_RECORD_DIGEST])?;
    out.write_all(&record_digest)?;
    let summary = Summary {
        records,
        files: 0,
        record_digest: hex(&record_digest),
    };
    let mut files = 0;
    for (name, path) in stored_files(store.data_dir())? {
        let mut file = std::fs::File::open(&path)?;
        let len = file.metadata()?.len();
        out.write_all(&[TAG_FILE])?;
        out.write_all(name.as_bytes())?;
        out.write_all(&len.to_be_bytes())?;
        let copied = std::io::copy(&mut (&mut file).take(len), &mut out)?;
        if copied != len {
            return Err(BackupError::Format(format!(
                "{} shrank while it was copied",
                path.display()
            )));
        }
        files += 1;
    }
    out.write_all(&[TAG_END])?;
    let stream_digest = out.digest.clone().finalize();
    out.inner.write_all(&stream_digest)?;
    out.inner.flush()?;
    Ok(Summary { files, ..summary })
}

/// Every uploaded file (its SHA-256 name and path), in name order.
pub fn stored_files(data_dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let root = data_dir.join("files");
    let mut found = Vec::new();
    let shards = match std::fs::read_dir(&root) {
        Ok(shards) => shards,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for shard in shards {
        let shard = shard?;
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(shard.path())? {
            let file = file?;
            let name = file.file_name().to_string_lossy().into_owned();
            // Temporary files of an upload being stored are not (yet) part of the store.
            if file.file_type()?.is_file() && is_sha256(&name) {
                found.push((name, file.path()));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Builds a data directory at `dir` from a backup stream. `dir` must not exist or be
/// empty; a failed restore removes what it wrote.
pub fn restore(input: impl Read, dir: &Path) -> Result<Summary, BackupError> {
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(BackupError::NotEmpty(dir.to_path_buf()));
    }
    std::fs::create_dir_all(dir)?;
    let restored = restore_into(input, dir);
    if restored.is_err() {
        let _ = std::fs::remove_dir_all(dir.join("store"));
        let _ = std::fs::remove_dir_all(dir.join("files"));
    }
    restored
}

fn restore_into(input: impl Read, dir: &Path) -> Result<Summary, BackupError> {
    let db = crate::engine::open::open_db(&dir.join("store"))?;
    let trees = Trees::open(&db)?;
    let read = read_stream(input, Some((&trees, dir)))?;
    trees
        .sled_tree(Tree::Meta)
        .insert(ID_FLOOR_KEY, &read.id_floor.to_be_bytes())?;
    db.flush()?;
    let (records, record_digest) = records_digest(&trees)?;
    if record_digest != read.summary.record_digest || records != read.summary.records {
        return Err(BackupError::Format(
            "the restored records differ from the ones backed up".into(),
        ));
    }
    Ok(read.summary)
}

/// Reads a whole backup stream and checks it, without writing anything: what
/// `certwatch backup` does with the file it received before it keeps it.
pub fn verify(input: impl Read) -> Result<Summary, BackupError> {
    read_stream(input, None).map(|read| read.summary)
}

struct Stream {
    summary: Summary,
    id_floor: u64,
}

/// Reads a stream, checking its checksums, and writes its records and files into
/// `target` (the new store's trees and the data directory) when there is one.
fn read_stream(input: impl Read, target: Option<(&Trees, &Path)>) -> Result<Stream, BackupError> {
    let mut input = Reading::new(input);
    let magic: [u8; 8] = input.array()?;
    if &magic != MAGIC {
        return Err(BackupError::Format(
            "it does not start with CWBACKUP".into(),
        ));
    }
    let format = u32::from_be_bytes(input.array()?);
    if format != STREAM_FORMAT {
        return Err(BackupError::Format(format!(
            "stream format {format} is not one this release reads"
        )));
    }
    let schema = u32::from_be_bytes(input.array()?);
    if schema > SCHEMA_VERSION {
        return Err(BackupError::NewerSchema {
            found: schema,
            supported: SCHEMA_VERSION,
        });
    }
    let mut batches: Vec<sled::Batch> = Tree::ALL.iter().map(|_| sled::Batch::default()).collect();
    let mut pending = 0;
    let mut records = 0;
    let mut digest = Sha256::new();
    let mut id_floor = None;
    let mut stated_digest = None;
    let mut files = 0;
    loop {
        let [tag] = input.array()?;
        match tag {
            TAG_RECORD => {
                let [name_len] = input.array()?;
                let name = input.chunk(u32::from(name_len), 255)?;
                let tree = Tree::ALL
                    .iter()
                    .copied()
                    .find(|t| t.name().as_bytes() == name)
                    .ok_or_else(|| {
                        BackupError::Format(format!(
                            "unknown tree {:?}",
                            String::from_utf8_lossy(&name)
                        ))
                    })?;
                let key_len = u32::from_be_bytes(input.array()?);
                let key = input.chunk(key_len, MAX_KEY_BYTES)?;
                let value_len = u32::from_be_bytes(input.array()?);
                let value = input.chunk(value_len, MAX_VALUE_BYTES)?;
                digest_record(&mut digest, tree, &key, &value);
                records += 1;
                if let Some((trees, _)) = target {
                    batches[tree as usize].insert(key, value);
                    pending += 1;
                    if pending == RESTORE_BATCH {
                        apply(trees, &mut batches)?;
                        pending = 0;
                    }
                }
            }
            TAG_ID_FLOOR => id_floor = Some(u64::from_be_bytes(input.array()?)),
            TAG_RECORD_DIGEST => stated_digest = Some(hex(&input.array::<32>()?)),
            TAG_FILE => {
                let name = String::from_utf8(input.chunk(64, 64)?)
                    .ok()
                    .filter(|n| is_sha256(n))
                    .ok_or_else(|| BackupError::Format("a file name is not a SHA-256".into()))?;
                let len = u64::from_be_bytes(input.array()?);
                read_file(&mut input, target.map(|(_, dir)| dir), &name, len)?;
                files += 1;
            }
            TAG_END => {
                let computed = input.digest.clone().finalize();
                let stated: [u8; 32] = input.array()?;
                if computed.as_slice() != stated {
                    return Err(BackupError::Format(
                        "its checksum does not match (altered or cut short)".into(),
                    ));
                }
                break;
            }
            other => return Err(BackupError::Format(format!("unknown entry {other}"))),
        }
    }
    if let Some((trees, _)) = target {
        apply(trees, &mut batches)?;
    }
    let (Some(id_floor), Some(stated_digest)) = (id_floor, stated_digest) else {
        return Err(BackupError::Format("the snapshot is incomplete".into()));
    };
    let record_digest = hex(&digest.finalize());
    if record_digest != stated_digest {
        return Err(BackupError::Format(
            "its records do not match their checksum".into(),
        ));
    }
    Ok(Stream {
        summary: Summary {
            records,
            files,
            record_digest,
        },
        id_floor,
    })
}

fn apply(trees: &Trees, batches: &mut [sled::Batch]) -> Result<(), BackupError> {
    for (&tree, batch) in Tree::ALL.iter().zip(batches.iter_mut()) {
        trees.sled_tree(tree).apply_batch(std::mem::take(batch))?;
    }
    Ok(())
}

/// Reads one file of the stream, checking that its content is its name, and writes it
/// under that name into the data directory `dir` when there is one.
fn read_file(
    input: &mut Reading<impl Read>,
    dir: Option<&Path>,
    name: &str,
    len: u64,
) -> Result<(), BackupError> {
    let partial = match dir {
        Some(dir) => {
            let path = crate::engine::files::file_path(dir, name);
            let parent = path.parent().expect("a file path has a parent");
            std::fs::create_dir_all(parent)?;
            Some((parent.join(format!("{name}.restoring")), path))
        }
        None => None,
    };
    let sink: Box<dyn Write> = match &partial {
        Some((partial, _)) => Box::new(std::fs::File::create(partial)?),
        None => Box::new(std::io::sink()),
    };
    let mut out = Hashing::new(sink);
    let copied = std::io::copy(&mut input.take(len), &mut out)?;
    if copied != len {
        return Err(BackupError::Format("it ends inside a file".into()));
    }
    if hex(&out.digest.finalize()) != name {
        return Err(BackupError::Format(format!(
            "file {name} does not have that content"
        )));
    }
    drop(out.inner);
    if let Some((partial, path)) = partial {
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, &path)?;
    }
    Ok(())
}

fn is_sha256(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    digest: Sha256,
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            digest: Sha256::new(),
        }
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what it reads and reads bounded pieces.
struct Reading<R> {
    inner: R,
    digest: Sha256,
}

impl<R: Read> Reading<R> {
    fn new(inner: R) -> Self {
        Reading {
            inner,
            digest: Sha256::new(),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], BackupError> {
        let mut buf = [0u8; N];
        self.read_exact(&mut buf).map_err(cut_short)?;
        Ok(buf)
    }

    fn chunk(&mut self, len: u32, bound: u32) -> Result<Vec<u8>, BackupError> {
        if len > bound {
            return Err(BackupError::Format(format!(
                "an entry of {len} bytes is longer than any the store writes"
            )));
        }
        let mut buf = vec![0u8; len as usize];
        self.read_exact(&mut buf).map_err(cut_short)?;
        Ok(buf)
    }
}

fn cut_short(e: std::io::Error) -> BackupError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        BackupError::Format("it is cut short".into())
    } else {
        BackupError::Io(e)
    }
}

impl<R: Read> Read for Reading<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
