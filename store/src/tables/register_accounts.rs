//! `register_accounts`: tenant ‖ provider → ProviderAccount, its API key sealed with the
//! service's key (`sealing`) like a webhook subscriber's secrets: callers see it in clear,
//! the tree never holds it so.

use certwatch_domain::registers::{Provider, ProviderAccount};
use uuid::Uuid;

use crate::engine::sealing::Keyring;
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, decode, encode, engine::keys};

pub const TREES: &[Tree] = &[Tree::RegisterAccounts];

fn key(tenant: Uuid, provider: Provider) -> Vec<u8> {
    let mut key = keys::id(tenant).to_vec();
    key.extend_from_slice(provider.as_str().as_bytes());
    key
}

pub fn get(
    store: &Store,
    tenant: Uuid,
    provider: Provider,
) -> Result<Option<ProviderAccount>, StoreError> {
    store
        .tree(Tree::RegisterAccounts)
        .get(key(tenant, provider))?
        .map(|v| opened(store.keyring(), &v))
        .transpose()
}

/// The tenant's accounts.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<ProviderAccount>, StoreError> {
    scan(store, &keys::id(tenant))
}

/// The provider of every paused account of every tenant, for the metrics; no key is
/// opened for it.
pub fn paused(store: &Store) -> Result<Vec<Provider>, StoreError> {
    let mut out = Vec::new();
    for entry in store.tree(Tree::RegisterAccounts).iter() {
        let account: ProviderAccount = decode(&entry?.1)?;
        if account.paused.is_some() {
            out.push(account.provider);
        }
    }
    Ok(out)
}

/// The account's record as it is stored, its key sealed; made before the transaction
/// that writes it, because sealing draws a random nonce (a retried transaction must not).
pub struct Sealed {
    key: Vec<u8>,
    value: Vec<u8>,
}

pub fn sealed(store: &Store, account: &ProviderAccount) -> Sealed {
    Sealed {
        key: key(account.tenant_id, account.provider),
        value: seal(store.keyring(), account),
    }
}

pub fn put<E>(tx: &Tx, sealed: &Sealed) -> TxResult<(), E> {
    tx.insert(
        Tree::RegisterAccounts,
        sealed.key.as_slice(),
        sealed.value.as_slice(),
    )
}

pub fn remove<E>(tx: &Tx, tenant: Uuid, provider: Provider) -> TxResult<(), E> {
    tx.remove(Tree::RegisterAccounts, key(tenant, provider))?;
    Ok(())
}

/// Seals again every key in clear or under an older service key (after
/// `rotate-secret-key`); run when the store opens, compare-and-swap so a write that came
/// between is never undone.
pub fn reseal(store: &Store) -> Result<usize, StoreError> {
    let ring = store.keyring();
    let tree = store.tree(Tree::RegisterAccounts);
    let mut resealed = 0;
    for entry in tree.iter() {
        let (k, value) = entry?;
        let stored: ProviderAccount = decode(&value)?;
        if ring.needs_resealing(&stored.api_key) {
            let account = opened(ring, &value)?;
            let _writing = store.writing();
            if tree
                .compare_and_swap(&k, Some(&value), Some(seal(ring, &account)))?
                .is_ok()
            {
                resealed += 1;
            }
        }
    }
    if resealed > 0 {
        store.flush()?;
        tracing::info!(resealed, "register API keys sealed with the current key");
    }
    Ok(resealed)
}

fn scan(store: &Store, prefix: &[u8]) -> Result<Vec<ProviderAccount>, StoreError> {
    store
        .tree(Tree::RegisterAccounts)
        .scan_prefix(prefix)
        .map(|entry| opened(store.keyring(), &entry?.1))
        .collect()
}

/// Where the key belongs, bound into its seal: a sealed key moved to another tenant's
/// record does not open.
fn context(account: &ProviderAccount) -> String {
    format!(
        "register_account/{}/{}/api_key",
        account.tenant_id,
        account.provider.as_str()
    )
}

fn seal(ring: &Keyring, account: &ProviderAccount) -> Vec<u8> {
    let mut stored = account.clone();
    stored.api_key = ring.seal(&context(account), &account.api_key);
    encode(&stored)
}

fn opened(ring: &Keyring, bytes: &[u8]) -> Result<ProviderAccount, StoreError> {
    let mut account: ProviderAccount = decode(bytes)?;
    account.api_key = ring.open(&context(&account), &account.api_key)?;
    Ok(account)
}
