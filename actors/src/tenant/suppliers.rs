//! What suppliers owe and asking them for it: contacts, requirements, certificate
//! requests and reminder settings; the reminder pass (at start-up and then every
//! `reminder_interval`), and the compliance refresh that runs shortly after any write
//! that may change a supplier's state. Request mails go out once their round is durable.

use certwatch_store::ops::requests::{self, Mailed, Outgoing};
use certwatch_store::ops::{compliance, contacts, reminders, requirements};
use certwatch_store::tables;
use chrono::{DateTime, Utc};
use ractor::{ActorProcessingErr, ActorRef};

use super::state::{TenantState, wake_when_durable, write_woken_then};
use crate::call::{crash_on_store_error, write, write_then};
use crate::context::Context;
use crate::messages::tenant::{SuppliersMsg, TenantMsg};
use crate::request_mail;

/// How long after a write the compliance refresh runs: writes in a burst share one.
const REFRESH_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

pub(super) fn handle(
    myself: &ActorRef<TenantMsg>,
    msg: SuppliersMsg,
    state: &mut TenantState,
    now: DateTime<Utc>,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store.clone();
    let tenant = state.tenant;
    match msg {
        SuppliersMsg::EditContact {
            org,
            id,
            patch,
            reply,
        } => write(
            store,
            reply,
            contacts::edit(store, tenant, org, id, patch, now),
        ),
        SuppliersMsg::DeleteContact { org, id, reply } => {
            write(store, reply, contacts::delete(store, tenant, org, id))
        }
        SuppliersMsg::EditRequirement { id, patch, reply } => write(
            store,
            reply,
            requirements::edit(store, tenant, id, patch, now),
        ),
        SuppliersMsg::DeleteRequirement { id, reply } => {
            write(store, reply, requirements::delete(store, tenant, id))
        }
        SuppliersMsg::OpenRequest {
            org,
            cert_type,
            message,
            user,
            reply,
        } => {
            let by = certwatch_domain::requests::Opener::User(user);
            let result = requests::open(store, tenant, org, cert_type, message, by, now);
            let ctx = state.ctx.clone();
            write_woken_then(state, reply, result, move |m: &Mailed| {
                send(&ctx, tenant, &m.mails)
            })
        }
        SuppliersMsg::ResendRequest { id, reply } => {
            let ctx = state.ctx.clone();
            write_then(
                store,
                reply,
                requests::resend(store, tenant, id, now),
                move |m: &Mailed| send(&ctx, tenant, &m.mails),
            )
        }
        SuppliersMsg::CancelRequest { id, reply } => {
            write(store, reply, requests::cancel(store, tenant, id, now))
        }
        SuppliersMsg::SetReminders { patch, reply } => {
            let result = tables::tenants::update(store, tenant, |t| t.reminders.apply(patch));
            write(store, reply, result)
        }
        SuppliersMsg::RunReminders => {
            run_reminders(state, now)?;
            let interval = state.ctx.config.reminder_interval;
            myself.send_after(interval, || SuppliersMsg::RunReminders.into());
            Ok(())
        }
        SuppliersMsg::RefreshCompliance => {
            state.compliance_pending = false;
            refresh_compliance(state, now)
        }
    }
}

/// Asks for a compliance refresh shortly, unless one is pending.
pub(super) fn refresh_soon(myself: &ActorRef<TenantMsg>, state: &mut TenantState) {
    if !state.compliance_pending {
        state.compliance_pending = true;
        myself.send_after(REFRESH_DELAY, || SuppliersMsg::RefreshCompliance.into());
    }
}

/// The reminder pass, then the compliance refresh (time alone changes states). A store
/// failure fails the actor; a refused write is logged and the next pass tries again.
fn run_reminders(state: &TenantState, now: DateTime<Utc>) -> Result<(), ActorProcessingErr> {
    let (store, tenant) = (&state.ctx.store, state.tenant);
    let link_days = state.ctx.config.supplier_link_days;
    crate::metrics::REMINDER_PASSES.inc();
    match crash_on_store_error(reminders::run(store, tenant, now, link_days))? {
        Ok(w) => {
            let pass = &w.value;
            if pass.opened + pass.reminded + pass.fulfilled + pass.expired > 0 {
                tracing::info!(
                    %tenant,
                    opened = pass.opened,
                    reminded = pass.reminded,
                    fulfilled = pass.fulfilled,
                    expired = pass.expired,
                    cannot_ask = pass.cannot_ask,
                    "reminder pass"
                );
            }
            let (ctx, mails) = (state.ctx.clone(), w.value.mails);
            wake_when_durable(state, w.woke);
            tokio::spawn(async move {
                if ctx.store.commit().await.is_ok() {
                    send(&ctx, tenant, &mails);
                }
            });
        }
        Err(e) => tracing::error!(%tenant, error = %e, "reminder pass failed"),
    }
    refresh_compliance(state, now)
}

fn refresh_compliance(state: &TenantState, now: DateTime<Utc>) -> Result<(), ActorProcessingErr> {
    let (store, tenant) = (&state.ctx.store, state.tenant);
    match crash_on_store_error(compliance::refresh(store, tenant, now))? {
        Ok(woke) => wake_when_durable(state, woke),
        Err(e) => tracing::error!(%tenant, error = %e, "compliance refresh failed"),
    }
    Ok(())
}

/// Sends request mails (their round is durable). When the tenant reads a mailbox whose
/// user name is an address, replies go there, carrying the request's reference.
fn send(ctx: &Context, tenant: uuid::Uuid, mails: &[Outgoing]) {
    let url = ctx.config.public_url();
    let mailbox = match certwatch_store::tables::mail_accounts::of_tenant(&ctx.store, tenant) {
        Ok(accounts) => accounts
            .into_iter()
            .find(|a| a.enabled && a.username.contains('@'))
            .map(|a| a.username),
        Err(e) => {
            tracing::warn!(%tenant, error = %e, "mail accounts unreadable; request mailed without a reply address");
            None
        }
    };
    for m in mails {
        ctx.send_mail(request_mail::compose(
            &url,
            m,
            ctx.config.supplier_link_days,
            mailbox.as_deref(),
        ));
        crate::metrics::REQUEST_MAILS.inc();
    }
}
