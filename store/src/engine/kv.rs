//! The engine boundary: what every engine under the store gives, and all that the tables
//! use — named trees of byte keys and values, point reads and writes, ordered scans in
//! either direction, and transactions over several trees. sled is one engine
//! (`sled_kv`); the tables reach any engine only through [`Kv`], [`TreeRef`] and
//! `tx::Tx`.

use std::ops::{Bound, RangeBounds};

use crate::engine::error::StoreError;
use crate::engine::trees::Tree;

/// A key or a record as the engine hands it out.
pub type Bytes = Vec<u8>;

/// One record of a scan.
pub type Entry = Result<(Bytes, Bytes), StoreError>;

/// Why a step inside a transaction could not be taken. `Conflict` asks the engine to run
/// the transaction again; an engine decides when it arises.
#[derive(Debug)]
pub enum TxFault {
    Conflict,
    Storage(StoreError),
}

/// The trees of one running transaction.
pub trait TxView {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, TxFault>;
    fn insert(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), TxFault>;
    fn remove(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, TxFault>;
}

/// How a transaction's body ended when it did not end well: the operation refused (its
/// error is kept by the caller), or the engine failed.
#[derive(Debug)]
pub enum TxEnd {
    Aborted,
    Fault(TxFault),
}

/// A transaction's body as an engine runs it, perhaps more than once.
pub type TxBody<'a> = dyn Fn(&dyn TxView) -> Result<(), TxEnd> + 'a;

/// What an engine gives: see the module's comment.
pub trait Kv: Send + Sync {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, StoreError>;

    /// The records of `tree` at `keys`, in the order of `keys`. An engine that answers
    /// over a network reads them in one round trip; one in memory reads them one by one.
    fn get_many(&self, tree: Tree, keys: &[Bytes]) -> Result<Vec<Option<Bytes>>, StoreError> {
        keys.iter().map(|key| self.get(tree, key)).collect()
    }

    /// The records of `tree` between the bounds, in key order (and in reverse from the
    /// back), read as the scan goes.
    fn scan(&self, tree: Tree, from: Bound<Bytes>, to: Bound<Bytes>) -> Scan<'_>;

    fn len(&self, tree: Tree) -> Result<usize, StoreError>;

    /// Writes one record outside any transaction; the record it replaced.
    fn insert(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<Option<Bytes>, StoreError>;

    fn remove(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, StoreError>;

    /// Runs `body` as one transaction over `trees`: all its writes or none, again on a
    /// conflict. `Err(TxEnd::Aborted)` when the body aborted.
    fn transact(&self, trees: &[Tree], body: &TxBody) -> Result<(), TxEnd>;
}

/// An ordered scan of records, from either end.
pub struct Scan<'a>(Box<dyn DoubleEndedIterator<Item = Entry> + Send + 'a>);

impl<'a> Scan<'a> {
    pub fn new(entries: impl DoubleEndedIterator<Item = Entry> + Send + 'a) -> Scan<'a> {
        Scan(Box::new(entries))
    }

    /// The keys alone.
    pub fn keys(self) -> impl DoubleEndedIterator<Item = Result<Bytes, StoreError>> + 'a {
        self.map(|e| e.map(|(k, _)| k))
    }

    /// The records alone.
    pub fn values(self) -> impl DoubleEndedIterator<Item = Result<Bytes, StoreError>> + 'a {
        self.map(|e| e.map(|(_, v)| v))
    }
}

impl Iterator for Scan<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        self.0.next()
    }
}

impl DoubleEndedIterator for Scan<'_> {
    fn next_back(&mut self) -> Option<Entry> {
        self.0.next_back()
    }
}

/// The first key after every key that starts with `prefix` (`None`: there is none, the
/// prefix is all 0xff).
fn after_prefix(prefix: &[u8]) -> Option<Bytes> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// One tree of the store, as the tables read and write it outside transactions.
#[derive(Clone, Copy)]
pub struct TreeRef<'a> {
    kv: &'a dyn Kv,
    tree: Tree,
}

impl<'a> TreeRef<'a> {
    pub(crate) fn new(kv: &'a dyn Kv, tree: Tree) -> TreeRef<'a> {
        TreeRef { kv, tree }
    }

    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>, StoreError> {
        self.kv.get(self.tree, key.as_ref())
    }

    /// The records at `keys`, in that order (see [`Kv::get_many`]).
    pub fn get_many(&self, keys: &[Bytes]) -> Result<Vec<Option<Bytes>>, StoreError> {
        self.kv.get_many(self.tree, keys)
    }

    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> Result<bool, StoreError> {
        Ok(self.get(key)?.is_some())
    }

    /// The records whose keys start with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Scan<'a> {
        let prefix = prefix.as_ref();
        let to = after_prefix(prefix).map_or(Bound::Unbounded, Bound::Excluded);
        self.kv
            .scan(self.tree, Bound::Included(prefix.to_vec()), to)
    }

    /// The records with keys in `range`, in key order.
    pub fn range(&self, range: impl RangeBounds<Bytes>) -> Scan<'a> {
        self.kv.scan(
            self.tree,
            range.start_bound().cloned(),
            range.end_bound().cloned(),
        )
    }

    /// Every record of the tree, in key order.
    pub fn iter(&self) -> Scan<'a> {
        self.kv.scan(self.tree, Bound::Unbounded, Bound::Unbounded)
    }

    pub fn len(&self) -> Result<usize, StoreError> {
        self.kv.len(self.tree)
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.iter().next().transpose()?.is_none())
    }

    pub fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<Option<Bytes>, StoreError> {
        self.kv.insert(self.tree, key.as_ref(), value.as_ref())
    }

    pub fn remove(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>, StoreError> {
        self.kv.remove(self.tree, key.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_before_the_next_prefix() {
        assert_eq!(after_prefix(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(after_prefix(&[1, 0xff]), Some(vec![2]));
        assert_eq!(after_prefix(&[0xff, 0xff]), None);
        assert_eq!(after_prefix(b""), None);
    }
}
