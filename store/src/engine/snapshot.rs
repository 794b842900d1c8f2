//! A consistent snapshot of every tree, taken while writes go on (what a backup holds).
//!
//! Stopping writes for a whole copy would stop them for as long as the copy takes — half
//! a minute at a million certificates, past the point where a waiting request gives up.
//! So the trees are copied to a spool file while writers carry on, and every key written
//! meanwhile is noted through sled's subscriptions (which see transactions too). Writes
//! then stop only while those keys are read again. The snapshot is the spool with those
//! keys replaced by their values at that moment: the store as it was when writes stopped.
//! A key nobody wrote during the copy holds the same value throughout, so the copy read it
//! right.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::future::Future;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use sled::IVec;

use crate::engine::trees::{Tree, Trees};
use crate::{Store, StoreError};

/// How often the keys written during the copy are collected. sled holds up a writer
/// once 1,024 of a tree's changes wait uncollected.
const COLLECT_EVERY: Duration = Duration::from_millis(1);

const SPOOL_PREFIX: &str = "backup-";
const SPOOL_SUFFIX: &str = ".spool";

/// A tree's records, by tree (its position in [`Tree::ALL`]) and key: the order of a copy.
type Key = (usize, Vec<u8>);

pub(crate) struct Snapshot {
    pub schema: u32,
    /// Every id handed out before the snapshot is below this one.
    pub id_floor: u64,
    spool: Spool,
    /// The keys written during the copy and their values when writes stopped (`None`:
    /// removed by then).
    changed: BTreeMap<Key, Option<IVec>>,
}

/// Takes a snapshot of `store`. One at a time: the caller holds the maintenance lock.
pub(crate) fn take(store: &Store) -> Result<Snapshot, StoreError> {
    remove_stale_spools(store.data_dir());
    let spool = Spool::create(store.data_dir())?;
    let changes = {
        // No write is under way while the watch starts, so none slips past it.
        let _stopped = store.all_writes_stopped();
        Changes::watch(store.trees()?)
    };
    let done = &AtomicBool::new(false);
    std::thread::scope(|scope| {
        let collector = scope.spawn(move || changes.collect_until(done));
        let copied = copy(store, &spool.path);
        // Writes stop here; the collector's last round, after `done`, sees every change
        // made before.
        let stopped = store.all_writes_stopped();
        done.store(true, Ordering::SeqCst);
        let written = collector
            .join()
            .expect("the change collector does not panic");
        copied?;
        let changed = written
            .into_iter()
            .map(|(tree, key)| {
                let value = store.trees()?.sled_tree(Tree::ALL[tree]).get(&key)?;
                Ok(((tree, key.to_vec()), value))
            })
            .collect::<Result<BTreeMap<_, _>, StoreError>>()?;
        let snapshot = Snapshot {
            schema: store.schema_version()?,
            id_floor: store.next_id()?,
            spool,
            changed,
        };
        drop(stopped);
        Ok(snapshot)
    })
}

impl Snapshot {
    /// Every record, in tree and key order.
    pub fn records(self) -> Result<Records, StoreError> {
        Ok(Records {
            reader: BufReader::new(File::open(&self.spool.path).map_err(io)?),
            peeked: None,
            changed: self.changed.into_iter().peekable(),
            _spool: self.spool,
        })
    }
}

/// Copies every tree to the spool file: tree (u8), key and value (u32 length + bytes).
fn copy(store: &Store, path: &Path) -> Result<(), StoreError> {
    let mut out = BufWriter::new(File::create(path).map_err(io)?);
    for (i, &tree) in Tree::ALL.iter().enumerate() {
        for entry in store.tree(tree).iter() {
            let (key, value) = entry?;
            out.write_all(&[i as u8]).map_err(io)?;
            for part in [&key, &value] {
                out.write_all(&(part.len() as u32).to_be_bytes())
                    .map_err(io)?;
                out.write_all(part).map_err(io)?;
            }
        }
    }
    out.flush().map_err(io)
}

/// The keys written to any tree since the watch started.
struct Changes {
    watched: Vec<(usize, sled::Subscriber)>,
}

impl Changes {
    fn watch(trees: &Trees) -> Changes {
        let watched = Tree::ALL
            .iter()
            .enumerate()
            .map(|(i, &tree)| (i, trees.sled_tree(tree).watch_prefix(Vec::new())))
            .collect();
        Changes { watched }
    }

    /// Collects written keys until `done`, then once more.
    fn collect_until(mut self, done: &AtomicBool) -> HashSet<(usize, IVec)> {
        let mut written = HashSet::new();
        loop {
            let last = done.load(Ordering::SeqCst);
            self.collect(&mut written);
            if last {
                return written;
            }
            std::thread::sleep(COLLECT_EVERY);
        }
    }

    /// Takes every change waiting, without blocking (polled as the futures sled's
    /// subscribers are: unlike their blocking calls, these skip a change that came to
    /// nothing, such as a write of the value already stored).
    fn collect(&mut self, written: &mut HashSet<(usize, IVec)>) {
        let mut cx = Context::from_waker(Waker::noop());
        for (tree, subscriber) in &mut self.watched {
            while let Poll::Ready(Some(event)) = Pin::new(&mut *subscriber).poll(&mut cx) {
                written.insert((*tree, event.key().clone()));
            }
        }
    }
}

/// The snapshot's records: the spool's, with the keys written during the copy replaced.
pub(crate) struct Records {
    reader: BufReader<File>,
    peeked: Option<(Key, Vec<u8>)>,
    changed: std::iter::Peekable<std::collections::btree_map::IntoIter<Key, Option<IVec>>>,
    _spool: Spool,
}

impl Records {
    fn next_spooled(&mut self) -> Result<Option<(Key, Vec<u8>)>, StoreError> {
        if let Some(record) = self.peeked.take() {
            return Ok(Some(record));
        }
        let mut tree = [0u8];
        match self.reader.read_exact(&mut tree) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            read => read.map_err(io)?,
        }
        let key = self.part()?;
        let value = self.part()?;
        Ok(Some(((tree[0] as usize, key), value)))
    }

    fn part(&mut self) -> Result<Vec<u8>, StoreError> {
        let mut len = [0u8; 4];
        self.reader.read_exact(&mut len).map_err(io)?;
        let mut part = vec![0u8; u32::from_be_bytes(len) as usize];
        self.reader.read_exact(&mut part).map_err(io)?;
        Ok(part)
    }
}

impl Iterator for Records {
    type Item = Result<(Tree, Vec<u8>, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let spooled = match self.next_spooled() {
                Ok(spooled) => spooled,
                Err(e) => return Some(Err(e)),
            };
            let changed_first = match (&spooled, self.changed.peek()) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some((key, _)), Some((changed, _))) => changed <= key,
            };
            if !changed_first {
                return spooled.map(|((tree, key), value)| Ok((Tree::ALL[tree], key, value)));
            }
            let (key, now) = self.changed.next().expect("peeked");
            // The copy's value of a changed key is stale; a later record waits its turn.
            match spooled {
                Some((spooled_key, _)) if spooled_key == key => {}
                other => self.peeked = other,
            }
            if let Some(value) = now {
                return Some(Ok((Tree::ALL[key.0], key.1, value.to_vec())));
            }
        }
    }
}

/// The spool file in the data directory's `tmp/`, removed when dropped.
struct Spool {
    path: PathBuf,
}

impl Spool {
    fn create(data_dir: &Path) -> Result<Spool, StoreError> {
        let tmp = data_dir.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(io)?;
        let name = format!("{SPOOL_PREFIX}{}{SPOOL_SUFFIX}", uuid::Uuid::new_v4());
        Ok(Spool {
            path: tmp.join(name),
        })
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Spools of backups a crash interrupted (one backup runs at a time).
fn remove_stale_spools(data_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(data_dir.join("tmp")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(SPOOL_PREFIX) && name.ends_with(SPOOL_SUFFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Sled(sled::Error::Io(e))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;

    use super::*;
    use crate::engine::tx::transact;

    const KEYS: u64 = 20_000;
    const UNITS: u64 = 100;

    fn key(n: u64) -> [u8; 8] {
        n.to_be_bytes()
    }

    fn units(value: &[u8]) -> u64 {
        u64::from_be_bytes(value[..8].try_into().unwrap())
    }

    /// A value of `n` units, padded so the copy takes a while.
    fn value(n: u64) -> Vec<u8> {
        let mut v = n.to_be_bytes().to_vec();
        v.resize(200, 7);
        v
    }

    /// Moves one unit between two keys of `Events`, or merges one key into another
    /// (removing it), mirroring each change in `DigestRuns` in the same transaction. Any
    /// moment of the store has the same total and the two trees equal.
    fn change(store: &Store, step: u64) {
        let (from, to) = (step * 7919 % KEYS, step * 104_729 % KEYS);
        if from == to {
            return;
        }
        transact::<_, StoreError>(store, &[&[Tree::Events, Tree::DigestRuns]], |tx| {
            let Some(have) = tx.get_raw(Tree::Events, &key(from))? else {
                return Ok(());
            };
            let have = units(&have);
            let moved = if step.is_multiple_of(10) {
                have
            } else {
                have.min(1)
            };
            let there = tx.get_raw(Tree::Events, &key(to))?.map_or(0, |v| units(&v));
            for tree in [Tree::Events, Tree::DigestRuns] {
                if moved == have {
                    tx.remove(tree, key(from))?;
                } else {
                    tx.insert(tree, key(from), value(have - moved))?;
                }
                tx.insert(tree, key(to), value(there + moved))?;
            }
            Ok(())
        })
        .unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_snapshot_taken_under_writes_is_the_store_at_one_moment() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for n in 0..KEYS {
            for tree in [Tree::Events, Tree::DigestRuns] {
                store.tree(tree).insert(key(n), value(UNITS)).unwrap();
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let steps = Arc::new(AtomicU64::new(1));
        let writer = std::thread::spawn({
            let (store, stop, steps) = (store.clone(), stop.clone(), steps.clone());
            move || {
                while !stop.load(Ordering::SeqCst) {
                    change(&store, steps.fetch_add(1, Ordering::SeqCst));
                }
            }
        });
        // Snapshots until one was taken while changes went on (the first nearly always).
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let (snapshot, during) = loop {
            let before = steps.load(Ordering::SeqCst);
            let snapshot = take(&store).unwrap();
            let during = steps.load(Ordering::SeqCst) - before;
            if during > 10 || std::time::Instant::now() > deadline {
                break (snapshot, during);
            }
        };
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap();
        assert!(during > 10, "changes went on while the snapshot was taken");

        let spool = snapshot.spool.path.clone();
        let mut trees: [BTreeMap<Vec<u8>, u64>; 2] = Default::default();
        for record in snapshot.records().unwrap() {
            let (tree, key, value) = record.unwrap();
            match tree {
                Tree::Events => trees[0].insert(key, units(&value)),
                Tree::DigestRuns => trees[1].insert(key, units(&value)),
                _ => None,
            };
        }
        assert!(!spool.exists(), "the spool is removed once read");
        assert_eq!(trees[0].values().sum::<u64>(), KEYS * UNITS);
        assert!(
            trees[0] == trees[1],
            "both trees as one transaction left them"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_spool_an_interrupted_backup_left_is_removed_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let stale = dir.path().join("tmp").join("backup-interrupted.spool");
        let upload = dir.path().join("tmp").join("something.upload");
        std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
        std::fs::write(&stale, b"half a copy").unwrap();
        std::fs::write(&upload, b"an upload").unwrap();
        let snapshot = take(&store).unwrap();
        assert!(!stale.exists());
        assert!(upload.exists(), "only spools are removed");
        drop(snapshot);
        let left: Vec<_> = std::fs::read_dir(dir.path().join("tmp")).unwrap().collect();
        assert_eq!(
            left.len(),
            1,
            "the spool of a snapshot never read is removed"
        );
    }
}
