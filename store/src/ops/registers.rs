//! Register checks: a tenant's accounts with the registers (keys, budgets, pauses), and
//! each answer recorded with what it does — the check with its evidence, the
//! certificate's latest verification, the supplier's register id, the credit spent, and
//! the certificate's status change with its history entry and events — in one
//! transaction.

use certwatch_domain::certificates::certificate_events;
use certwatch_domain::history::ChangedBy;
use certwatch_domain::registers::{
    AccountPatch, Provider, ProviderAccount, RegisterCheck, Verification, after_check,
    events_of_check,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::ops::certificate_writes;
use crate::tables::{
    cert_verifications, certificates, register_accounts, register_checks, register_entities,
};
use crate::{RegistryError, Store, Woke, Written};

/// Creates or changes the tenant's account with `provider`.
pub fn set_account(
    store: &Store,
    tenant: Uuid,
    provider: Provider,
    patch: AccountPatch,
    now: DateTime<Utc>,
) -> Result<ProviderAccount, RegistryError> {
    let old = register_accounts::get(store, tenant, provider)?;
    let account = ProviderAccount::apply(old.as_ref(), tenant, provider, patch, now)
        .map_err(|mut errors| RegistryError::from(errors.remove(0)))?;
    let sealed = register_accounts::sealed(store, &account);
    transact::<_, RegistryError>(store, &[register_accounts::TREES], |tx| {
        register_accounts::put(tx, &sealed)
    })?;
    Ok(account)
}

/// Removes the tenant's account with `provider`; its checks stay with the certificates.
pub fn remove_account(
    store: &Store,
    tenant: Uuid,
    provider: Provider,
) -> Result<(), RegistryError> {
    register_accounts::get(store, tenant, provider)?.ok_or(RegistryError::NotFound)?;
    transact::<_, RegistryError>(store, &[register_accounts::TREES], |tx| {
        register_accounts::remove(tx, tenant, provider)
    })?;
    Ok(())
}

/// What a register said that keeps the account from being asked: `Paused` until an admin
/// acts, `Wait` until a time, `Failed` noted and asked again on schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Paused(String),
    Wait(DateTime<Utc>, String),
    Failed(String),
}

/// Notes a refusal on the tenant's account (none when the account was removed meanwhile).
pub fn refused(
    store: &Store,
    tenant: Uuid,
    provider: Provider,
    refusal: Refusal,
    now: DateTime<Utc>,
) -> Result<Option<ProviderAccount>, RegistryError> {
    let Some(mut account) = register_accounts::get(store, tenant, provider)? else {
        return Ok(None);
    };
    match refusal {
        Refusal::Paused(why) => {
            account.last_error = Some(why.clone());
            account.paused = Some(why);
        }
        Refusal::Wait(until, why) => {
            account.retry_at = Some(until);
            account.last_error = Some(why);
        }
        Refusal::Failed(why) => account.last_error = Some(why),
    }
    account.updated_at = now;
    let sealed = register_accounts::sealed(store, &account);
    transact::<_, RegistryError>(store, &[register_accounts::TREES], |tx| {
        register_accounts::put(tx, &sealed)
    })?;
    Ok(Some(account))
}

/// A register's answer about one certificate, to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub check: RegisterCheck,
    /// The register's id of the certificate's supplier, found or confirmed by this answer.
    pub entity: Option<(Uuid, String)>,
    /// Credits the answer cost.
    pub credits: u32,
}

/// Records an answer with everything it does; `NotFound` when the certificate was
/// deleted meanwhile (nothing is written).
pub fn record(
    store: &Store,
    answered: &Answered,
    now: DateTime<Utc>,
) -> Result<Written<RegisterCheck>, RegistryError> {
    let check = &answered.check;
    let tenant = check.tenant_id;
    let cert =
        certificates::get(store, tenant, check.certificate_id)?.ok_or(RegistryError::NotFound)?;
    let entry = register_checks::keyed(store, check.clone())?;
    let verification = Verification::from(check);
    // The answer is the register's news: a pause or wait is over, the error forgotten.
    let account = register_accounts::get(store, tenant, check.provider)?.map(|mut a| {
        for _ in 0..answered.credits {
            a.budget = a.budget.spend(now);
        }
        a.retry_at = None;
        a.last_error = check.error.clone();
        a.updated_at = now;
        register_accounts::sealed(store, &a)
    });
    let more = [
        register_checks::TREES,
        cert_verifications::TREES,
        register_entities::TREES,
        register_accounts::TREES,
    ];
    let also = |tx: &crate::engine::tx::Tx| {
        register_checks::put(tx, &entry)?;
        cert_verifications::put(tx, tenant, cert.id, &verification)?;
        if let Some((org, id)) = &answered.entity {
            register_entities::put(tx, tenant, *org, check.provider, id)?;
        }
        if let Some(a) = &account {
            register_accounts::put(tx, a)?;
        }
        Ok(())
    };
    let woke = match after_check(&cert, check) {
        Some(changed) => {
            let list = events_of_check(certificate_events(Some(&cert), &changed, now), check);
            certificate_writes::save_with(
                store,
                &changed,
                Some(&cert),
                &list,
                ChangedBy::Register(check.id),
                &more,
                also,
            )?
        }
        None => {
            transact::<_, RegistryError>(store, &more, also)?;
            Woke::default()
        }
    };
    store
        .catalog(tenant)?
        .write()
        .set_verification(cert.id, check.status, check.checked_at);
    Ok(Written::new(check.clone(), woke))
}
