//! `mail_accounts`: tenant ‖ account → MailAccount, its password sealed with the service's
//! key (`sealing`) as webhook secrets and register keys are: callers see it in clear, the
//! tree never holds it so.

use certwatch_domain::mail::MailAccount;
use uuid::Uuid;

use crate::engine::sealing::Keyring;
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, decode, encode, engine::keys};

pub const TREES: &[Tree] = &[Tree::MailAccounts];

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<MailAccount>, StoreError> {
    store
        .tree(Tree::MailAccounts)
        .get(keys::pair(tenant, id))?
        .map(|v| opened(store.keyring(), &v))
        .transpose()
}

/// The tenant's accounts, oldest first.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<MailAccount>, StoreError> {
    let mut all = scan(store, &keys::id(tenant))?;
    all.sort_by_key(|a| (a.created_at, a.id));
    Ok(all)
}

/// Every tenant's accounts, for starting their mailbox actors.
pub fn all(store: &Store) -> Result<Vec<MailAccount>, StoreError> {
    scan(store, &[])
}

/// The account as stored, its password sealed; made before the transaction that writes
/// it (sealing draws a random nonce, which a retried transaction must not draw again).
pub struct Sealed {
    key: [u8; 32],
    value: Vec<u8>,
}

pub fn sealed(store: &Store, account: &MailAccount) -> Sealed {
    Sealed {
        key: keys::pair(account.tenant_id, account.id),
        value: seal(store.keyring(), account),
    }
}

pub fn put<E>(tx: &Tx, sealed: &Sealed) -> TxResult<(), E> {
    tx.insert(Tree::MailAccounts, sealed.key, sealed.value.as_slice())
}

pub fn remove<E>(tx: &Tx, tenant: Uuid, id: Uuid) -> TxResult<(), E> {
    tx.remove(Tree::MailAccounts, keys::pair(tenant, id))?;
    Ok(())
}

/// Seals again every password in clear or under an older service key; run when the
/// store opens, compare-and-swap so a write that came between is never undone.
pub fn reseal(store: &Store) -> Result<usize, StoreError> {
    let ring = store.keyring();
    let tree = store.tree(Tree::MailAccounts);
    let mut resealed = 0;
    for entry in tree.iter() {
        let (k, value) = entry?;
        let stored: MailAccount = decode(&value)?;
        if ring.needs_resealing(&stored.password) {
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
        tracing::info!(
            resealed,
            "mail account passwords sealed with the current key"
        );
    }
    Ok(resealed)
}

fn scan(store: &Store, prefix: &[u8]) -> Result<Vec<MailAccount>, StoreError> {
    store
        .tree(Tree::MailAccounts)
        .scan_prefix(prefix)
        .map(|entry| opened(store.keyring(), &entry?.1))
        .collect()
}

/// Where the password belongs, bound into its seal.
fn context(account: &MailAccount) -> String {
    format!("mail_account/{}/{}/password", account.tenant_id, account.id)
}

fn seal(ring: &Keyring, account: &MailAccount) -> Vec<u8> {
    let mut stored = account.clone();
    stored.password = ring.seal(&context(account), &account.password);
    encode(&stored)
}

fn opened(ring: &Keyring, bytes: &[u8]) -> Result<MailAccount, StoreError> {
    let mut account: MailAccount = decode(bytes)?;
    account.password = ring.open(&context(&account), &account.password)?;
    Ok(account)
}
