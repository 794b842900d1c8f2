//! `mail_accounts`: tenant ‖ account → MailAccount, its password sealed with the service's
//! key (`sealing`) as webhook secrets and register keys are: callers see it in clear, the
//! tree never holds it so.

use certwatch_domain::mail::MailAccount;
use uuid::Uuid;

use crate::engine::sealed_records::{self, SealedRecord};
use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, engine::keys};

pub const TREES: &[Tree] = &[Tree::MailAccounts];

impl SealedRecord for MailAccount {
    const WHAT: &'static str = "mail account passwords";

    fn context(&self) -> String {
        format!("mail_account/{}/{}", self.tenant_id, self.id)
    }

    fn secrets(&mut self) -> Vec<(&'static str, &mut String)> {
        vec![("password", &mut self.password)]
    }
}

pub fn get(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<MailAccount>, StoreError> {
    store
        .tree(Tree::MailAccounts)
        .get(keys::pair(tenant, id))?
        .map(|v| sealed_records::open(store.keyring(), &v))
        .transpose()
}

/// The tenant's accounts, oldest first.
pub fn of_tenant(store: &Store, tenant: Uuid) -> Result<Vec<MailAccount>, StoreError> {
    let mut all: Vec<MailAccount> =
        sealed_records::scan(store, Tree::MailAccounts, &keys::id(tenant))?;
    all.sort_by_key(|a| (a.created_at, a.id));
    Ok(all)
}

/// Every tenant's accounts, for starting their mailbox actors.
pub fn all(store: &Store) -> Result<Vec<MailAccount>, StoreError> {
    sealed_records::scan(store, Tree::MailAccounts, &[])
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
        value: sealed_records::seal(store.keyring(), account),
    }
}

pub fn put<E>(tx: &Tx, sealed: &Sealed) -> TxResult<(), E> {
    tx.insert(Tree::MailAccounts, sealed.key, sealed.value.as_slice())
}

pub fn remove<E>(tx: &Tx, tenant: Uuid, id: Uuid) -> TxResult<(), E> {
    tx.remove(Tree::MailAccounts, keys::pair(tenant, id))?;
    Ok(())
}

/// Seals again every password in clear or under an older service key.
pub fn reseal(store: &Store) -> Result<usize, StoreError> {
    sealed_records::reseal::<MailAccount>(store, Tree::MailAccounts)
}
