//! The supplier registry: organizations, sites, certificate types and certificates, the
//! daily expiry sweep, spreadsheet imports and the events of features without a record.

use certwatch_domain::history::ChangedBy;
use certwatch_store::ops::import::{ImportCounts, ImportRow};
use certwatch_store::{
    Written, ops::certificate_types, ops::certificates, ops::digests, ops::events, ops::expiry,
    ops::import, ops::organizations, ops::sites, tables,
};
use chrono::{DateTime, Duration, Utc};
use ractor::{ActorProcessingErr, ActorRef};

use super::monitoring;
use super::state::{TenantState, wake_when_durable, write_woken};
use crate::call::{crash_on_store_error, write, write_then};
use crate::mail;
use crate::messages::Reply;
use crate::messages::tenant::{RegistryMsg, TenantMsg};
use crate::monitoring::start_discovery;

pub(super) fn handle(
    myself: &ActorRef<TenantMsg>,
    msg: RegistryMsg,
    state: &mut TenantState,
    now: DateTime<Utc>,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store.clone();
    let tenant = state.tenant;
    match msg {
        RegistryMsg::EditOrganization { id, patch, reply } => {
            let before = match id {
                Some(id) => tables::organizations::get(store, tenant, id)?.map(|o| o.website),
                None => None,
            };
            let result = organizations::edit(store, tenant, id, patch, now);
            let ctx = state.ctx.clone();
            // A new website (on a new organization or a changed one) is crawled for
            // certificate pages once the change is durable.
            write_then(store, reply, result, move |org| {
                if org.website.is_some() && before.as_ref() != Some(&org.website) {
                    start_discovery(&ctx, tenant, org.id);
                }
            })
        }
        RegistryMsg::DeleteOrganization { id, user, reply } => {
            let endpoints = tables::endpoints::of_org(store, tenant, id)?;
            let result = organizations::delete(store, tenant, id, ChangedBy::User(user), now)
                .map(|w| w.map(|_| ()));
            if result.is_ok() {
                for ep in endpoints {
                    monitoring::stop_endpoint(state, ep);
                }
            }
            write_woken(state, reply, result)
        }
        RegistryMsg::EditSite { id, patch, reply } => {
            write(store, reply, sites::edit(store, tenant, id, patch, now))
        }
        RegistryMsg::DeleteSite { id, reply } => {
            write(store, reply, sites::delete(store, tenant, id).map(|_| ()))
        }
        RegistryMsg::EditCertificateType { id, patch, reply } => write(
            store,
            reply,
            certificate_types::edit(store, tenant, id, patch, now),
        ),
        RegistryMsg::DeleteCertificateType { id, reply } => {
            write(store, reply, certificate_types::delete(store, tenant, id))
        }
        RegistryMsg::EditCertificate {
            id,
            patch,
            user,
            reply,
        } => {
            let by = ChangedBy::User(user);
            write_woken(
                state,
                reply,
                certificates::edit(store, tenant, id, patch, by, now),
            )
        }
        RegistryMsg::DeleteCertificate { id, user, reply } => {
            let result = certificates::delete(store, tenant, id, ChangedBy::User(user), now)
                .map(|w| w.map(|_| ()));
            write_woken(state, reply, result)
        }
        RegistryMsg::SweepExpired => {
            sweep_expired(state, now)?;
            myself.send_after(until_next_sweep(now), || RegistryMsg::SweepExpired.into());
            Ok(())
        }
        RegistryMsg::SendDigest => {
            send_digest(state, now)?;
            myself.send_after(state.ctx.config.digest_check_interval, || {
                RegistryMsg::SendDigest.into()
            });
            Ok(())
        }
        RegistryMsg::ImportBatch { rows, reply } => import_batch(state, &rows, now, reply),
        RegistryMsg::RecordEvent { event, reply } => {
            let result = events::record(store, tenant, &[event]).map(|woke| Written::new((), woke));
            write_woken(state, reply, result)
        }
    }
}

/// Marks the tenant's certificates past their expiry date EXPIRED (their events wake the
/// subscribers once durable); a failure is logged and the next sweep tries again.
fn sweep_expired(state: &TenantState, now: DateTime<Utc>) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store;
    let tenant = state.tenant;
    let changed = expiry::sweep(store, tenant, now.date_naive(), now);
    match crash_on_store_error(changed)? {
        Ok(w) if w.value == 0 => {}
        Ok(w) => {
            tracing::info!(%tenant, expired = w.value, "expiry sweep");
            let store = store.clone();
            tokio::spawn(async move { store.commit().await });
            wake_when_durable(state, w.woke);
        }
        Err(e) => tracing::error!(%tenant, error = %e, "expiry sweep failed"),
    }
    Ok(())
}

/// Imports a batch of spreadsheet rows; organizations it creates with a website are
/// crawled once the write is durable.
fn import_batch(
    state: &TenantState,
    rows: &[ImportRow],
    now: DateTime<Utc>,
    reply: Reply<ImportCounts>,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store;
    let tenant = state.tenant;
    let mut result = import::import_batch(store, tenant, rows, now);
    let mut discover = Vec::new();
    if let Ok(counts) = &mut result {
        discover = std::mem::take(&mut counts.new_with_website);
        counts.discovery_triggered = discover.len();
    }
    let ctx = state.ctx.clone();
    write_then(store, reply, result, move |_| {
        for org in discover {
            start_discovery(&ctx, tenant, org);
        }
    })
}

/// Mails the tenant's digest if one is due. Its marks are written first and the mails go
/// once they are durable, so a crash in between loses this digest instead of sending it
/// twice.
fn send_digest(state: &TenantState, now: DateTime<Utc>) -> Result<(), ActorProcessingErr> {
    let store = state.ctx.store.clone();
    let Some(prepared) = digests::prepare(&store, state.tenant, now)? else {
        return Ok(());
    };
    digests::mark_sent(&store, state.tenant, &prepared, now)?;
    let (ctx, tenant) = (state.ctx.clone(), state.tenant);
    tokio::spawn(async move {
        if let Err(e) = store.commit().await {
            tracing::error!(%tenant, error = %e, "expiry digest not sent");
            return;
        }
        let url = ctx.config.public_url();
        for to in &prepared.recipients {
            ctx.send_mail(mail::digest(&url, to, &prepared.digest));
            crate::metrics::DIGEST_MAILS.inc();
        }
        tracing::info!(%tenant, recipients = prepared.recipients.len(), "expiry digest sent");
    });
    Ok(())
}

/// Time from `now` to the next sweep: five minutes past the next midnight UTC.
fn until_next_sweep(now: DateTime<Utc>) -> std::time::Duration {
    let next = (now.date_naive() + Duration::days(1))
        .and_hms_opt(0, 5, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now + Duration::days(1));
    (next - now)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_sweep_is_just_after_midnight() {
        let now: DateTime<Utc> = "2026-11-22T17:00:00Z".parse().unwrap();
        assert_eq!(until_next_sweep(now).as_secs(), 7 * 3600 + 5 * 60);
        let late: DateTime<Utc> = "2026-11-22T23:59:00Z".parse().unwrap();
        assert_eq!(until_next_sweep(late).as_secs(), 6 * 60);
    }
}
