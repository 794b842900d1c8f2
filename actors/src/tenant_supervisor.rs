//! The tenant supervisor: one tenant actor per stored tenant this node runs (every one, or
//! on a node of several those of its shards: `placement`), started at boot, on
//! registration and when a shard comes to this node, and started again from the store
//! whenever one fails.

use std::collections::HashMap;
use std::sync::Arc;

use certwatch_store::tables;
use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};
use uuid::Uuid;

use crate::context::Context;
use crate::messages::tenant::TenantMsg;
use crate::messages::tenant_supervisor::TenantSupervisorMsg;
use crate::spawn::{Ending, spawn_child};
use crate::tenant::TenantActor;

pub(crate) struct TenantSupervisor;

pub(crate) struct SupervisorState {
    ctx: Arc<Context>,
    tenants: HashMap<Uuid, ActorRef<TenantMsg>>,
}

/// Asks the tenant supervisor (without waiting) to start a tenant's actor.
pub(crate) fn start_tenant(ctx: &Context, tenant: Uuid) {
    if let Some(sup) = ctx.directory.tenant_supervisor().get() {
        let _ = sup.cast(TenantSupervisorMsg::Start(tenant));
    }
}

impl TenantSupervisor {
    async fn spawn_tenant(
        myself: &ActorRef<TenantSupervisorMsg>,
        state: &mut SupervisorState,
        tenant: Uuid,
    ) -> Result<Option<ActorRef<TenantMsg>>, ActorProcessingErr> {
        if let Some(actor) = state.tenants.get(&tenant) {
            return Ok(Some(actor.clone()));
        }
        if !state.ctx.placement.owns(tenant)
            || tables::tenants::get(&state.ctx.store, tenant)?.is_none()
        {
            return Ok(None);
        }
        let name = state.ctx.tenant_name(tenant);
        let args = (state.ctx.clone(), tenant);
        match spawn_child(name, TenantActor, args, myself.get_cell()).await {
            Ok(actor) => {
                state.tenants.insert(tenant, actor.clone());
                state.ctx.directory.set_tenant(tenant, Some(actor.clone()));
                Ok(Some(actor))
            }
            Err(e) => {
                tracing::error!(%tenant, error = %e, "tenant actor did not start");
                Ok(None)
            }
        }
    }
}

impl Actor for TenantSupervisor {
    type Msg = TenantSupervisorMsg;
    type State = SupervisorState;
    type Arguments = Arc<Context>;

    async fn pre_start(
        &self,
        _myself: ActorRef<TenantSupervisorMsg>,
        ctx: Arc<Context>,
    ) -> Result<SupervisorState, ActorProcessingErr> {
        Ok(SupervisorState {
            ctx,
            tenants: HashMap::new(),
        })
    }

    async fn post_start(
        &self,
        myself: ActorRef<TenantSupervisorMsg>,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        for tenant in tables::tenants::ids(&state.ctx.store)? {
            Self::spawn_tenant(&myself, state, tenant).await?;
        }
        tracing::info!(tenants = state.tenants.len(), "tenant actors started");
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<TenantSupervisorMsg>,
        msg: TenantSupervisorMsg,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            TenantSupervisorMsg::Ensure { tenant, reply } => {
                let actor = Self::spawn_tenant(&myself, state, tenant).await?;
                let _ = reply.send(Ok(actor));
            }
            TenantSupervisorMsg::Start(tenant) => {
                Self::spawn_tenant(&myself, state, tenant).await?;
            }
            TenantSupervisorMsg::CountRunning(reply) => {
                let _ = reply.send(Ok(state.tenants.len()));
            }
            TenantSupervisorMsg::Placed => {
                // Stopped cleanly, so the supervision event below does not restart them.
                for (tenant, actor) in &state.tenants {
                    if !state.ctx.placement.owns(*tenant) {
                        actor.stop(Some("its shard moved to another node".into()));
                    }
                }
                for tenant in tables::tenants::ids(&state.ctx.store)? {
                    Self::spawn_tenant(&myself, state, tenant).await?;
                }
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<TenantSupervisorMsg>,
        event: SupervisionEvent,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        let Some((cell, ending)) = Ending::of(&event) else {
            return Ok(());
        };
        let Some(tenant) = cell.get_name().and_then(|n| state.ctx.tenant_of_name(&n)) else {
            return Ok(());
        };
        state.tenants.remove(&tenant);
        state.ctx.directory.set_tenant(tenant, None);
        // Only this supervisor stops a tenant's actor, when its shard moved (and so not
        // restarted): any other ending is a failure.
        let ending = match ending {
            Ending::Clean => Ending::Failed("stopped unasked".into()),
            ending => ending,
        };
        if state
            .ctx
            .restart_after(tenant, ending, &format!("tenant {tenant}"))
        {
            Self::spawn_tenant(&myself, state, tenant).await?;
        }
        Ok(())
    }
}
