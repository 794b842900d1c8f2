//! The tenant actor: the one writer of everything inside its tenant — who may act in it
//! (`access`), its supplier registry (`registry`), webhooks (`webhooks`), monitored
//! endpoints (`monitoring`), bulk uploads (`bulk`), what suppliers owe (`suppliers`),
//! the registers (`registers`) and mail intake (`mail`). One owner per tenant means no lost
//! updates without locks, and the "last admin" rule cannot race with itself. Each area
//! has its message enum and handler; this module starts, supervises and dispatches.

mod access;
mod bulk;
mod mail;
mod monitoring;
mod registers;
mod registry;
mod state;
mod suppliers;
mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use certwatch_domain::monitoring::Endpoint;
use certwatch_store::tables;
use chrono::Utc;
use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};
use tracing::Instrument;
use uuid::Uuid;

use crate::context::Context;
use crate::messages::tenant::{RegistersMsg, RegistryMsg, SuppliersMsg, TenantMsg};
use crate::spawn::take_stopped;

/// Overdue checks started per second after a (re)start, across all tenants.
const CATCH_UP_PER_SECOND: u32 = 50;

pub(crate) use state::TenantState;

#[derive(Clone)]
pub(crate) struct TenantActor;

impl Actor for TenantActor {
    type Msg = TenantMsg;
    type State = TenantState;
    type Arguments = (Arc<Context>, Uuid);

    async fn pre_start(
        &self,
        _myself: ActorRef<TenantMsg>,
        (ctx, tenant): (Arc<Context>, Uuid),
    ) -> Result<TenantState, ActorProcessingErr> {
        Ok(TenantState {
            ctx,
            tenant,
            endpoints: HashMap::new(),
            batches: HashMap::new(),
            mailboxes: HashMap::new(),
            compliance_pending: false,
            registers: state::Passes::default(),
        })
    }

    async fn post_start(
        &self,
        myself: ActorRef<TenantMsg>,
        state: &mut TenantState,
    ) -> Result<(), ActorProcessingErr> {
        myself.cast(RegistryMsg::SweepExpired.into())?;
        myself.cast(RegistryMsg::SendDigest.into())?;
        myself.cast(SuppliersMsg::RunReminders.into())?;
        myself.cast(RegistersMsg::Tick.into())?;
        // Every active endpoint resumes its schedule; overdue ones are spread out, in the
        // order they fell due, so a restart does not fire them all at once.
        let now = Utc::now();
        let mut active: Vec<Endpoint> = tables::endpoints::all(&state.ctx.store, state.tenant)?
            .into_iter()
            .filter(|e| e.is_active)
            .collect();
        active.sort_by_key(|e| e.next_check_at);
        // Bulk uploads the process stopped in the middle of go on.
        for batch in tables::bulk_batches::unfinished(&state.ctx.store, state.tenant)? {
            bulk::start_batch(&myself, state, batch.id).await;
        }
        mail::start_mailboxes(&myself, state).await?;
        for ep in active {
            let delay = if ep.next_check_at.is_none_or(|at| at <= now) {
                let slot = state.ctx.next_catch_up_slot(CATCH_UP_PER_SECOND);
                (slot - Utc::now()).to_std().unwrap_or_default()
            } else {
                StdDuration::ZERO
            };
            monitoring::ensure_endpoint(&myself, state, ep.id, delay).await;
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        myself: ActorRef<TenantMsg>,
        _state: &mut TenantState,
    ) -> Result<(), ActorProcessingErr> {
        myself.stop_children(None);
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<TenantMsg>,
        event: SupervisionEvent,
        state: &mut TenantState,
    ) -> Result<(), ActorProcessingErr> {
        if let Some((batch, _, ending)) = take_stopped(&mut state.batches, &event, |a| a.get_cell())
        {
            // A completed batch stops cleanly; a failed one starts again from the store.
            if state
                .ctx
                .restart_after(state.tenant, ending, &format!("batch {batch}"))
            {
                bulk::start_batch(&myself, state, batch).await;
            }
            return Ok(());
        }
        if let Some((account, _, ending)) =
            take_stopped(&mut state.mailboxes, &event, |a| a.get_cell())
        {
            // A clean stop means the account was disabled or removed; a failed one starts
            // again from the store, after the wait its recorded failure sets.
            if state
                .ctx
                .restart_after(state.tenant, ending, &format!("mailbox {account}"))
            {
                mail::ensure_mailbox(&myself, state, account).await;
            }
            return Ok(());
        }
        let Some((id, _, ending)) = take_stopped(&mut state.endpoints, &event, |a| a.get_cell())
        else {
            return Ok(());
        };
        // A clean stop means the endpoint was paused or deleted; a failure (a panic while
        // parsing a page) restarts only that endpoint's actor, from the store.
        if state
            .ctx
            .restart_after(state.tenant, ending, &format!("endpoint {id}"))
        {
            monitoring::ensure_endpoint(&myself, state, id, StdDuration::ZERO).await;
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<TenantMsg>,
        msg: TenantMsg,
        state: &mut TenantState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            TenantMsg::Traced(span, msg) => {
                let area = msg.area();
                async {
                    tracing::debug!(tenant = %state.tenant, area, "tenant actor handles a request's message");
                    dispatch(&myself, *msg, state).await
                }
                .instrument(span)
                .await
            }
            msg => dispatch(&myself, msg, state).await,
        }
    }
}

async fn dispatch(
    myself: &ActorRef<TenantMsg>,
    msg: TenantMsg,
    state: &mut TenantState,
) -> Result<(), ActorProcessingErr> {
    let now = Utc::now();
    // Writes to the registry, monitoring, bulk uploads and requirements can change what a
    // supplier owes; the periodic passes refresh on their own.
    let may_change_compliance = match &msg {
        TenantMsg::Registry(_) | TenantMsg::Monitoring(_) | TenantMsg::Bulk(_) => true,
        TenantMsg::Suppliers(m) => !matches!(
            m,
            SuppliersMsg::RunReminders | SuppliersMsg::RefreshCompliance
        ),
        // An answer may suspend, restore or revoke a certificate.
        TenantMsg::Registers(m) => matches!(
            m,
            RegistersMsg::Report(_) | RegistersMsg::RecordManual { .. }
        ),
        _ => false,
    };
    if may_change_compliance {
        suppliers::refresh_soon(myself, state);
    }
    match msg {
        TenantMsg::Access(msg) => access::handle(msg, state, now)?,
        TenantMsg::Suppliers(msg) => suppliers::handle(myself, msg, state, now)?,
        TenantMsg::Registry(msg) => registry::handle(myself, msg, state, now)?,
        TenantMsg::Webhooks(msg) => webhooks::handle(msg, state, now)?,
        TenantMsg::Monitoring(msg) => monitoring::handle(myself, msg, state, now).await?,
        TenantMsg::Bulk(msg) => bulk::handle(myself, msg, state, now).await?,
        TenantMsg::Registers(msg) => registers::handle(myself, msg, state, now)?,
        TenantMsg::Mail(msg) => mail::handle(myself, msg, state, now).await?,
        // Senders wrap a message once.
        TenantMsg::Traced(_, msg) => Box::pin(dispatch(myself, *msg, state)).await?,
    }
    Ok(())
}
