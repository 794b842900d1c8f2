//! Asking the registers whether the tenant's certificates still stand: the accounts
//! (keys, budgets), the pass — at start-up, every `registers.interval`, after an account
//! is saved and when a person asks to verify now — planned here from the store and run in
//! its own task (`registers::run`), and each answer it reports recorded here, the one
//! writer of the tenant's certificates. One pass at a time; a request that comes during
//! one runs right after it.

use std::collections::HashMap;

use certwatch_domain::registers::{Provider, ProviderAccount};
use certwatch_domain::registry::Organization;
use certwatch_domain::verification::{Recheck, next_check};
use certwatch_store::ops::registers::{self, Refusal};
use certwatch_store::tables::{
    cert_types, certificates, organizations, register_accounts, register_entities,
};
use certwatch_store::{RegistryError, StoreError};
use chrono::{DateTime, Utc};
use ractor::{ActorProcessingErr, ActorRef};
use uuid::Uuid;

use super::state::{TenantState, wake_when_durable, write_woken};
use crate::call::{crash_on_store_error, write, write_then};
use crate::messages::tenant::{RegistersMsg, TenantMsg};
use crate::registers::{Job, Report, Subject, Work, run};

/// The most certificates one provider is asked about in one pass; the rest wait for the
/// next, so a pass ends in bounded time and a tenant's other work goes on.
const JOBS_PER_PASS: usize = 500;

pub(super) fn handle(
    myself: &ActorRef<TenantMsg>,
    msg: RegistersMsg,
    state: &mut TenantState,
    now: DateTime<Utc>,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store.clone();
    let tenant = state.tenant;
    match msg {
        RegistersMsg::SetAccount {
            provider,
            patch,
            reply,
        } => {
            let me = myself.clone();
            write_then(
                store,
                reply,
                registers::set_account(store, tenant, provider, patch, now),
                move |_| {
                    let _ = me.cast(RegistersMsg::RunChecks.into());
                },
            )
        }
        RegistersMsg::RemoveAccount { provider, reply } => write(
            store,
            reply,
            registers::remove_account(store, tenant, provider),
        ),
        RegistersMsg::Verify { certificate, reply } => {
            let result = crash_on_store_error(verifiable(state, certificate))?;
            if result.is_ok() {
                state.registers.now.insert(certificate);
                start(myself, state, now)?;
            }
            let _ = reply.send(result);
            Ok(())
        }
        RegistersMsg::RecordManual { check, reply } => {
            let answered = registers::Answered {
                check,
                entity: None,
                credits: 0,
            };
            let result = registers::record(store, &answered, now);
            write_woken(state, reply, result)
        }
        RegistersMsg::Tick => {
            start(myself, state, now)?;
            let interval = state.ctx.config.registers.interval;
            myself.send_after(interval, || RegistersMsg::Tick.into());
            Ok(())
        }
        RegistersMsg::RunChecks => start(myself, state, now),
        RegistersMsg::Report(report) => recorded(myself, state, report, now),
        RegistersMsg::PassDone => {
            state.registers.running = false;
            if std::mem::take(&mut state.registers.again) {
                start(myself, state, now)?;
            }
            Ok(())
        }
    }
}

/// Whether `certificate` can be checked now, and in which register.
fn verifiable(state: &TenantState, certificate: Uuid) -> Result<Provider, RegistryError> {
    let (store, tenant) = (&state.ctx.store, state.tenant);
    let cert = certificates::get(store, tenant, certificate)?.ok_or(RegistryError::NotFound)?;
    let code = cert_types::get(store, tenant, cert.certificate_type_id)?
        .map(|t| t.code)
        .unwrap_or_default();
    let provider = state
        .ctx
        .registers
        .covering(&code, &cert.certificate_number)
        .ok_or_else(|| {
            RegistryError::Refused(
                "No register this server can ask holds certificates of this type and number; record what a register says by hand.".into(),
            )
        })?;
    let account = register_accounts::get(store, tenant, provider)?.ok_or_else(|| {
        RegistryError::Refused(format!(
            "{} has no API key for this organization; an admin sets it under status providers.",
            provider.title()
        ))
    })?;
    if !account.enabled {
        return Err(RegistryError::Refused(format!(
            "{} checks are turned off for this organization.",
            provider.title()
        )));
    }
    if let Some(why) = &account.paused {
        return Err(RegistryError::Refused(format!(
            "{} checks are paused ({why}); an admin saves the provider again to resume them.",
            provider.title()
        )));
    }
    if let Some(until) = account.retry_at.filter(|t| *t > Utc::now()) {
        return Err(RegistryError::Refused(format!(
            "{} asked to wait until {}; try again then.",
            provider.title(),
            until.format("%H:%M:%S UTC")
        )));
    }
    Ok(provider)
}

/// Starts a pass, or asks for one after the running pass.
fn start(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
    now: DateTime<Utc>,
) -> Result<(), ActorProcessingErr> {
    if state.registers.running {
        state.registers.again = true;
        return Ok(());
    }
    let work = plan(state, now)?;
    if work.iter().all(|w| w.jobs.is_empty()) {
        return Ok(());
    }
    state.registers.running = true;
    crate::metrics::REGISTER_PASSES.inc();
    let (registers, tenant, me) = (state.ctx.registers.clone(), state.tenant, myself.clone());
    tokio::spawn(async move {
        run(&registers, tenant, work, |report| {
            let _ = me.cast(RegistersMsg::Report(report).into());
        })
        .await;
        let _ = me.cast(RegistersMsg::PassDone.into());
    });
    Ok(())
}

/// The certificates due in each register the tenant has a usable account with (those a
/// person asked to verify now first), with what each register is told of them.
fn plan(state: &mut TenantState, now: DateTime<Utc>) -> Result<Vec<Work>, StoreError> {
    let (store, tenant) = (&state.ctx.store, state.tenant);
    let asked = std::mem::take(&mut state.registers.now);
    let accounts: HashMap<Provider, ProviderAccount> = register_accounts::of_tenant(store, tenant)?
        .into_iter()
        .filter(|a| a.usable(now) && state.ctx.registers.available(a.provider))
        .map(|a| (a.provider, a))
        .collect();
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let config = &state.ctx.config.registers;
    let recheck = Recheck {
        active: chrono::Duration::from_std(config.active_every)
            .unwrap_or(Recheck::default().active),
        doubtful: chrono::Duration::from_std(config.doubtful_every)
            .unwrap_or(Recheck::default().doubtful),
    };
    let codes: HashMap<Uuid, String> = cert_types::all(store, tenant)?
        .into_iter()
        .map(|t| (t.id, t.code))
        .collect();
    let mut due: Vec<(Uuid, Provider)> = Vec::new();
    for c in store.catalog(tenant)?.read().register_candidates() {
        let code = codes.get(&c.cert_type).map_or("", String::as_str);
        let Some(provider) = state.ctx.registers.covering(code, &c.number_lc) else {
            continue;
        };
        let is_due = next_check(c.last, &recheck, now).is_some_and(|at| at <= now);
        if accounts.contains_key(&provider) && (is_due || asked.contains(&c.id)) {
            due.push((c.id, provider));
        }
    }
    // Asked for now first; a certificate not on the schedule (revoked) is checked too
    // when asked for.
    due.sort_by_key(|(id, _)| !asked.contains(id));
    for id in &asked {
        if !due.iter().any(|(d, _)| d == id)
            && let Ok(provider) = verifiable(state, *id)
        {
            due.insert(0, (*id, provider));
        }
    }
    let entities: HashMap<Uuid, String> =
        register_entities::of_tenant(store, tenant, Provider::IafCertsearch)?
            .into_iter()
            .collect();
    let mut orgs: HashMap<Uuid, Option<Organization>> = HashMap::new();
    let mut work: Vec<Work> = Vec::new();
    for (id, provider) in due {
        let Some(account) = accounts.get(&provider) else {
            continue;
        };
        let at = match work.iter().position(|w| w.provider == provider) {
            Some(at) => at,
            None => {
                work.push(Work {
                    provider,
                    key: account.api_key.clone(),
                    credits: account.credits_left(now),
                    jobs: Vec::new(),
                });
                work.len() - 1
            }
        };
        if work[at].jobs.len() >= JOBS_PER_PASS {
            continue;
        }
        let Some(cert) = certificates::get(store, tenant, id)? else {
            continue;
        };
        let org = match orgs.get(&cert.organization_id) {
            Some(o) => o.clone(),
            None => {
                let o = organizations::get(store, tenant, cert.organization_id)?;
                orgs.insert(cert.organization_id, o.clone());
                o
            }
        };
        let Some(org) = org else { continue };
        work[at].jobs.push(Job {
            certificate: cert.id,
            organization: org.id,
            subject: Subject {
                company_name: org.name.clone(),
                country: org.country.clone().unwrap_or_default(),
                vat: org.vat.clone(),
                certificate_number: cert.certificate_number.clone(),
                entity_id: if provider == Provider::IafCertsearch {
                    entities.get(&org.id).cloned()
                } else {
                    None
                },
            },
            body_on_file: cert.issuing_body.clone(),
            expiry_on_file: cert.expiry_date,
        });
    }
    Ok(work)
}

/// Records what the pass found.
fn recorded(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
    report: Report,
    now: DateTime<Utc>,
) -> Result<(), ActorProcessingErr> {
    let (store, tenant) = (&state.ctx.store.clone(), state.tenant);
    match report {
        Report::Answered(answered) => {
            let provider = answered.check.provider;
            // An error is the certificate deleted while the register was asked.
            if let Ok(w) = crash_on_store_error(registers::record(store, &answered, now))? {
                crate::metrics::REGISTER_CHECKS
                    .with_label_values(&[provider.as_str(), w.value.status.as_str()])
                    .inc();
                wake_when_durable(state, w.woke);
            }
        }
        Report::Refused(provider, refusal) => {
            tracing::warn!(%tenant, provider = provider.as_str(), ?refusal, "a register refused");
            crate::metrics::REGISTER_REFUSALS
                .with_label_values(&[provider.as_str()])
                .inc();
            if let Refusal::Wait(until, _) = &refusal {
                let wait = (*until - now).to_std().unwrap_or_default();
                myself.send_after(wait, || RegistersMsg::RunChecks.into());
            }
            crash_on_store_error(registers::refused(store, tenant, provider, refusal, now))?.ok();
        }
    }
    Ok(())
}
