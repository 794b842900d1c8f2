//! Mail intake: a tenant's mail accounts, each mail a mailbox read recorded with the
//! batch its certificate files went into (one transaction, before the server is told to
//! mark, move or delete it), how each poll went, and whom a sender's address belongs to.

use certwatch_domain::bulk::NewBatch;
use certwatch_domain::mail::{HandledMail, MailAccount, MailAccountPatch, domain_of};
use certwatch_domain::names::domain;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::tables::{bulk_batches, bulk_items, contacts, mail_accounts, mail_messages};
use crate::{RegistryError, Store, StoreError};

/// Creates (`id` None) or changes a mail account. `allow_plaintext` is the operator's.
pub fn edit_account(
    store: &Store,
    tenant: Uuid,
    id: Option<Uuid>,
    patch: MailAccountPatch,
    allow_plaintext: bool,
    now: DateTime<Utc>,
) -> Result<MailAccount, RegistryError> {
    let old = match id {
        Some(id) => Some(mail_accounts::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?),
        None => None,
    };
    let account = MailAccount::apply(old.as_ref(), tenant, patch, allow_plaintext, now)
        .map_err(|mut errors| RegistryError::from(errors.remove(0)))?;
    save(store, &account)?;
    Ok(account)
}

fn save(store: &Store, account: &MailAccount) -> Result<(), StoreError> {
    let sealed = mail_accounts::sealed(store, account);
    transact::<_, StoreError>(store, &[mail_accounts::TREES], |tx| {
        mail_accounts::put(tx, &sealed)
    })
}

/// Removes a mail account and the record of the mails it read (the batches they went
/// into stay).
pub fn delete_account(store: &Store, tenant: Uuid, id: Uuid) -> Result<(), RegistryError> {
    let account = mail_accounts::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
    let read = mail_messages::keys_of(store, account.id)?;
    transact::<_, RegistryError>(store, &[mail_accounts::TREES, mail_messages::TREES], |tx| {
        mail_accounts::remove(tx, tenant, id)?;
        mail_messages::remove(tx, &read)
    })?;
    Ok(())
}

/// Records a mail as handled, with the batch of its certificate files when it had any,
/// and counts it on its account. `None` when the account is gone.
pub fn record_mail(
    store: &Store,
    tenant: Uuid,
    handled: &HandledMail,
    batch: Option<&NewBatch>,
) -> Result<Option<MailAccount>, StoreError> {
    let Some(mut account) = mail_accounts::get(store, tenant, handled.account_id)? else {
        return Ok(None);
    };
    account.messages_read += 1;
    let sealed = mail_accounts::sealed(store, &account);
    transact::<_, StoreError>(
        store,
        &[
            mail_accounts::TREES,
            mail_messages::TREES,
            bulk_batches::TREES,
            bulk_items::TREES,
        ],
        |tx| {
            mail_accounts::put(tx, &sealed)?;
            mail_messages::put(tx, handled)?;
            if let Some((batch, items)) = batch {
                bulk_batches::put(tx, batch)?;
                for (position, item) in (0u32..).zip(items) {
                    bulk_items::insert(tx, item, position)?;
                }
            }
            Ok(())
        },
    )?;
    Ok(Some(account))
}

/// Notes how a poll ended: when, and the error if it failed (which counts towards the
/// back-off; a success starts it over). `None` when the account is gone.
pub fn record_poll(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
    error: Option<String>,
) -> Result<Option<MailAccount>, StoreError> {
    let Some(mut account) = mail_accounts::get(store, tenant, id)? else {
        return Ok(None);
    };
    account.last_poll_at = Some(at);
    account.failures = match error {
        Some(_) => account.failures.saturating_add(1),
        None => 0,
    };
    account.last_error = error;
    save(store, &account)?;
    Ok(Some(account))
}

/// The supplier a mail from `address` is from, as a hint: the one whose contact has that
/// address, else the one whose website is on its domain — only when exactly one is.
/// Contacts' own domains are not used: many suppliers' people write from the same
/// free-mail domains.
pub fn sender_supplier(
    store: &Store,
    tenant: Uuid,
    address: &str,
) -> Result<Option<Uuid>, StoreError> {
    let mut by_contact: Vec<Uuid> = contacts::all(store, tenant)?
        .into_iter()
        .filter(|c| c.email.eq_ignore_ascii_case(address))
        .map(|c| c.organization_id)
        .collect();
    by_contact.sort();
    by_contact.dedup();
    if let [one] = by_contact[..] {
        return Ok(Some(one));
    }
    if !by_contact.is_empty() {
        return Ok(None);
    }
    let Some(host) = domain_of(address) else {
        return Ok(None);
    };
    let catalog = store.catalog(tenant)?;
    let catalog = catalog.read();
    Ok(catalog.supplier_of_domain(&domain(host)))
}
