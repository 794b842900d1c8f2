//! One transaction over the trees of the tables an operation changes. Tables contribute
//! their writes through [`Tx`]; the operation names the tables (their `TREES`) and decides
//! what happens. An engine may run the closure again on a conflict, so it must not have
//! effects outside the transaction.

use std::cell::RefCell;

use serde::de::DeserializeOwned;

pub use crate::engine::kv::Bytes;
use crate::engine::kv::{TxEnd, TxFault, TxView};
use crate::engine::trees::Tree;
use crate::{Store, StoreError, decode};

/// How a step of a transaction ends when it does not go on: the operation refused
/// (`Abort`), or the engine could not take the step.
#[derive(Debug)]
pub enum TxError<E> {
    Abort(E),
    Fault(TxFault),
}

impl<E> From<TxFault> for TxError<E> {
    fn from(f: TxFault) -> TxError<E> {
        TxError::Fault(f)
    }
}

pub type TxResult<T, E> = Result<T, TxError<E>>;

/// Ends a transaction with `error`, writing nothing.
pub fn abort<T, E>(error: E) -> TxResult<T, E> {
    Err(TxError::Abort(error))
}

/// The trees of one transaction.
pub struct Tx<'a> {
    view: &'a dyn TxView,
}

impl Tx<'_> {
    pub fn get<T: DeserializeOwned, E: From<StoreError>>(
        &self,
        tree: Tree,
        key: &[u8],
    ) -> TxResult<Option<T>, E> {
        match self.view.get(tree, key)? {
            Some(v) => decode(&v).map(Some).map_err(|e| TxError::Abort(e.into())),
            None => Ok(None),
        }
    }

    pub fn get_raw<E>(&self, tree: Tree, key: &[u8]) -> TxResult<Option<Bytes>, E> {
        Ok(self.view.get(tree, key)?)
    }

    pub fn insert<E>(
        &self,
        tree: Tree,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> TxResult<(), E> {
        Ok(self.view.insert(tree, key.as_ref(), value.as_ref())?)
    }

    pub fn remove<E>(&self, tree: Tree, key: impl AsRef<[u8]>) -> TxResult<Option<Bytes>, E> {
        Ok(self.view.remove(tree, key.as_ref())?)
    }
}

/// Runs `f` as one transaction over the trees of `tables` (each a table's `TREES`).
pub fn transact<T, E: From<StoreError>>(
    store: &Store,
    tables: &[&[Tree]],
    f: impl Fn(&Tx) -> TxResult<T, E>,
) -> Result<T, E> {
    let names: Vec<Tree> = tables.concat();
    // The body's result and its refusal, out of a closure the engine may run again: the
    // last run's are the ones that count.
    let done: RefCell<Option<T>> = RefCell::new(None);
    let refused: RefCell<Option<E>> = RefCell::new(None);
    let _writing = store.writing();
    let ended = store.kv().transact(&names, &|view| match f(&Tx { view }) {
        Ok(value) => {
            *done.borrow_mut() = Some(value);
            Ok(())
        }
        Err(TxError::Abort(e)) => {
            *refused.borrow_mut() = Some(e);
            Err(TxEnd::Aborted)
        }
        Err(TxError::Fault(f)) => Err(TxEnd::Fault(f)),
    });
    match ended {
        Ok(()) => done.into_inner().ok_or(StoreError::Conflict.into()),
        Err(TxEnd::Aborted) => Err(refused.into_inner().unwrap_or(StoreError::Conflict.into())),
        Err(TxEnd::Fault(TxFault::Storage(e))) => Err(e.into()),
        Err(TxEnd::Fault(TxFault::Conflict)) => Err(StoreError::Conflict.into()),
    }
}
