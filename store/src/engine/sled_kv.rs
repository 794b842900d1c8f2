//! sled behind the engine boundary (`kv`): one sled tree per [`Tree`], sled's
//! transactions (run again on a conflict) for [`Kv::transact`].

use std::ops::Bound;

use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};

use crate::engine::error::StoreError;
use crate::engine::kv::{Bytes, Kv, Scan, TxBody, TxEnd, TxFault, TxView};
use crate::engine::trees::{Tree, Trees};

impl Kv for Trees {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, StoreError> {
        Ok(self.sled_tree(tree).get(key)?.map(|v| v.to_vec()))
    }

    fn scan(&self, tree: Tree, from: Bound<Bytes>, to: Bound<Bytes>) -> Scan<'_> {
        Scan::new(
            self.sled_tree(tree)
                .range::<Bytes, _>((from, to))
                .map(|e| e.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(Into::into)),
        )
    }

    fn len(&self, tree: Tree) -> Result<usize, StoreError> {
        Ok(self.sled_tree(tree).len())
    }

    fn insert(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<Option<Bytes>, StoreError> {
        Ok(self.sled_tree(tree).insert(key, value)?.map(|v| v.to_vec()))
    }

    fn remove(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, StoreError> {
        Ok(self.sled_tree(tree).remove(key)?.map(|v| v.to_vec()))
    }

    fn transact(&self, names: &[Tree], body: &TxBody) -> Result<(), TxEnd> {
        let trees: Vec<&sled::Tree> = names.iter().map(|t| self.sled_tree(*t)).collect();
        // A body's own abort is `Abort(None)`; a store error that is not sled's (a record
        // that does not decode) ends the transaction as `Abort(Some(_))`.
        trees[..]
            .transaction(|view| {
                body(&SledTx { names, view }).map_err(|end| match end {
                    TxEnd::Aborted => ConflictableTransactionError::Abort(None),
                    TxEnd::Fault(TxFault::Conflict) => ConflictableTransactionError::Conflict,
                    TxEnd::Fault(TxFault::Storage(StoreError::Sled(e))) => {
                        ConflictableTransactionError::Storage(e)
                    }
                    TxEnd::Fault(TxFault::Storage(other)) => {
                        ConflictableTransactionError::Abort(Some(other))
                    }
                })
            })
            .map_err(|e| match e {
                TransactionError::Abort(None) => TxEnd::Aborted,
                TransactionError::Abort(Some(e)) => TxEnd::Fault(TxFault::Storage(e)),
                TransactionError::Storage(e) => TxEnd::Fault(TxFault::Storage(e.into())),
            })
    }
}

/// The trees of one sled transaction, by name.
struct SledTx<'a> {
    names: &'a [Tree],
    view: &'a [TransactionalTree],
}

impl SledTx<'_> {
    fn on(&self, tree: Tree) -> Result<&TransactionalTree, TxFault> {
        match self.names.iter().position(|t| *t == tree) {
            Some(i) => Ok(&self.view[i]),
            None => Err(TxFault::Storage(StoreError::Sled(
                sled::Error::Unsupported(format!(
                    "{} is not part of this transaction",
                    tree.name()
                )),
            ))),
        }
    }
}

fn fault(e: UnabortableTransactionError) -> TxFault {
    match e {
        UnabortableTransactionError::Conflict => TxFault::Conflict,
        UnabortableTransactionError::Storage(e) => TxFault::Storage(e.into()),
    }
}

impl TxView for SledTx<'_> {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, TxFault> {
        Ok(self.on(tree)?.get(key).map_err(fault)?.map(|v| v.to_vec()))
    }

    fn insert(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), TxFault> {
        self.on(tree)?.insert(key, value).map_err(fault)?;
        Ok(())
    }

    fn remove(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, TxFault> {
        Ok(self
            .on(tree)?
            .remove(key)
            .map_err(fault)?
            .map(|v| v.to_vec()))
    }
}
