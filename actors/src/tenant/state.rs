//! A tenant actor's state, and how its handlers answer writes: once durable, waking the
//! subscribers the write gave deliveries.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use certwatch_store::{Woke, Written};
use ractor::{ActorProcessingErr, ActorRef};
use uuid::Uuid;

use crate::call::{DomainError, Reply, write_then};
use crate::context::Context;
use crate::delivery_supervisor::tell;
use crate::messages::batch::BatchMsg;
use crate::messages::delivery::DeliverySupervisorMsg;
use crate::messages::endpoint::EndpointMsg;
use crate::messages::mailbox::MailboxMsg;

pub(crate) struct TenantState {
    pub ctx: Arc<Context>,
    pub tenant: Uuid,
    /// The actors of the tenant's active endpoints (children of this actor).
    pub endpoints: HashMap<Uuid, ActorRef<EndpointMsg>>,
    /// The actors of bulk-upload batches being processed (children of this actor).
    pub batches: HashMap<Uuid, ActorRef<BatchMsg>>,
    /// The actors of the tenant's enabled mail accounts (children of this actor).
    pub mailboxes: HashMap<Uuid, ActorRef<MailboxMsg>>,
    /// Whether a compliance refresh is scheduled.
    pub compliance_pending: bool,
    /// The register passes (`registers`).
    pub registers: Passes,
}

/// A tenant's register passes: whether one runs, whether another was asked for, and the
/// certificates a person asked to verify now.
#[derive(Default)]
pub(crate) struct Passes {
    pub running: bool,
    pub again: bool,
    pub now: HashSet<Uuid>,
}

/// Wakes the subscribers a write gave deliveries, once the write is durable: nothing
/// announces a write that a crash could still undo.
pub(crate) fn wake_when_durable(state: &TenantState, woke: Woke) {
    if woke.is_empty() {
        return;
    }
    let (ctx, tenant) = (state.ctx.clone(), state.tenant);
    tokio::spawn(async move {
        if ctx.store.commit().await.is_ok() {
            wake(&ctx, tenant, woke);
        }
    });
}

fn wake(ctx: &Context, tenant: Uuid, woke: Woke) {
    let subscribers = woke.subscribers();
    tell(
        ctx,
        DeliverySupervisorMsg::Wake {
            tenant,
            subscribers,
        },
    );
}

/// [`write_then`] for a write that may have given subscribers deliveries: once it is
/// durable, they are woken, then `effect` runs.
pub(crate) fn write_woken_then<T: Send + 'static, E: DomainError>(
    state: &TenantState,
    reply: Reply<T>,
    result: Result<Written<T>, E>,
    effect: impl FnOnce(&T) + Send + 'static,
) -> Result<(), ActorProcessingErr> {
    let (result, woke) = match result {
        Ok(w) => (Ok(w.value), w.woke),
        Err(e) => (Err(e), Woke::default()),
    };
    let (ctx, tenant) = (state.ctx.clone(), state.tenant);
    write_then(&state.ctx.store, reply, result, move |value| {
        wake(&ctx, tenant, woke);
        effect(value);
    })
}

pub(crate) fn write_woken<T: Send + 'static, E: DomainError>(
    state: &TenantState,
    reply: Reply<T>,
    result: Result<Written<T>, E>,
) -> Result<(), ActorProcessingErr> {
    write_woken_then(state, reply, result, |_| {})
}
