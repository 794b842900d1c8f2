//! One transaction over the trees of the tables an operation changes. Tables contribute
//! their writes through [`Tx`]; the operation names the tables (their `TREES`) and decides
//! what happens. sled runs the closure again on a conflict, so it must not have effects
//! outside the transaction.

use serde::de::DeserializeOwned;
use sled::IVec;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use crate::engine::trees::Tree;
use crate::{Store, StoreError, decode};

pub type TxResult<T, E> = Result<T, ConflictableTransactionError<E>>;

/// Ends a transaction with `error`, writing nothing: operations decide through this, not
/// through the engine's own type, so a second engine answers the same call.
pub fn abort<T, E>(error: E) -> TxResult<T, E> {
    Err(ConflictableTransactionError::Abort(error))
}

/// A record's bytes as a table reads them from a scan, to write or remove in a
/// transaction (the engine's own buffer type, named once here).
pub type Bytes = IVec;

/// The trees of one transaction, by name.
pub struct Tx<'a> {
    names: &'a [Tree],
    view: &'a [TransactionalTree],
}

impl Tx<'_> {
    fn on<E>(&self, tree: Tree) -> TxResult<&TransactionalTree, E> {
        match self.names.iter().position(|t| *t == tree) {
            Some(i) => Ok(&self.view[i]),
            None => Err(ConflictableTransactionError::Storage(
                sled::Error::Unsupported(format!(
                    "{} is not part of this transaction",
                    tree.name()
                )),
            )),
        }
    }

    pub fn get<T: DeserializeOwned, E: From<StoreError>>(
        &self,
        tree: Tree,
        key: &[u8],
    ) -> TxResult<Option<T>, E> {
        match self.on(tree)?.get(key)? {
            Some(v) => decode(&v)
                .map(Some)
                .map_err(|e| ConflictableTransactionError::Abort(e.into())),
            None => Ok(None),
        }
    }

    pub fn get_raw<E>(&self, tree: Tree, key: &[u8]) -> TxResult<Option<IVec>, E> {
        Ok(self.on(tree)?.get(key)?)
    }

    pub fn insert<E>(
        &self,
        tree: Tree,
        key: impl AsRef<[u8]>,
        value: impl Into<IVec>,
    ) -> TxResult<(), E> {
        self.on(tree)?.insert(key.as_ref(), value)?;
        Ok(())
    }

    pub fn remove<E>(&self, tree: Tree, key: impl AsRef<[u8]>) -> TxResult<Option<IVec>, E> {
        Ok(self.on(tree)?.remove(key.as_ref())?)
    }
}

/// Runs `f` as one transaction over the trees of `tables` (each a table's `TREES`).
pub fn transact<T, E: From<StoreError>>(
    store: &Store,
    tables: &[&[Tree]],
    f: impl Fn(&Tx) -> TxResult<T, E>,
) -> Result<T, E> {
    let names: Vec<Tree> = tables.concat();
    let trees: Vec<&sled::Tree> = names.iter().map(|t| store.trees().get(*t)).collect();
    let _writing = store.writing();
    trees[..]
        .transaction(|view| {
            f(&Tx {
                names: &names,
                view,
            })
        })
        .map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => StoreError::Sled(e).into(),
        })
}
