//! `register_accounts`: tenant ‖ provider → ProviderAccount, its API key sealed with the
//! service's key (`sealing`) like a webhook subscriber's secrets: callers see it in clear,
//! the tree never holds it so.

use certwatch_domain::registers::{Provider, ProviderAccount};
use uuid::Uuid;

use crate::engine::sealed_records::{self, SealedRecord};
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, decode, engine::keys};

pub const TREES: &[Tree] = &[Tree::RegisterAccounts];

fn key(tenant: Uuid, provider: Provider) -> Vec<u8> {
    let mut key = keys::id(tenant).to_vec();
    key.extend_from_slice(provider.as_str().as_bytes());
    key
}

impl SealedRecord for ProviderAccount {
    const WHAT: &'static str = "register API keys";

    fn context(&self) -> String {
        format!(
            "register_account/{}/{}",
            self.tenant_id,
            self.provider.as_str()
        )
    }

    fn secrets(&mut self) -> Vec<(&'static str, &mut String)> {
        vec![("api_key", &mut self.api_key)]
    }
}

pub fn get(
    store: &Store,
    tenant: Uuid,
    provider: Provider,
) -> Result<Option<ProviderAccount>, StoreError> {
    store
        .tree(Tree::RegisterAccounts)
        .get(key(tenant, provider))?
        .map(|v| sealed_records::open(store.keyring(), &v))
        .transpose()
}

/// The tenant's accounts.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<ProviderAccount>, StoreError> {
    sealed_records::scan(store, Tree::RegisterAccounts, &keys::id(tenant))
}

/// The tenant and provider of every paused account, for the metrics; no key is opened
/// for it.
pub fn paused(store: &Store) -> Result<Vec<(Uuid, Provider)>, StoreError> {
    let mut out = Vec::new();
    for entry in store.tree(Tree::RegisterAccounts).iter() {
        let account: ProviderAccount = decode(&entry?.1)?;
        if account.paused.is_some() {
            out.push((account.tenant_id, account.provider));
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
        value: sealed_records::seal(store.keyring(), account),
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

/// Seals again every key in clear or under an older service key.
pub fn reseal(store: &Store) -> Result<usize, StoreError> {
    sealed_records::reseal::<ProviderAccount>(store, Tree::RegisterAccounts)
}
