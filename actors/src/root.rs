//! The root supervisor: starts the mailer, the accounts actor and the tenant supervisor,
//! and starts any of them again if it fails.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};

use crate::accounts::Accounts;
use crate::context::{ACCOUNTS, Context, DELIVERY_SUPERVISOR, MAILER, TENANT_SUPERVISOR};
use crate::delivery_supervisor::DeliverySupervisor;
use crate::mailer::Mailer;
use crate::tenant_supervisor::TenantSupervisor;

/// The root's children, started in this order.
const ROLES: [&str; 4] = [MAILER, ACCOUNTS, DELIVERY_SUPERVISOR, TENANT_SUPERVISOR];

/// The root takes no requests; it only supervises.
pub enum RootMsg {}

pub(crate) struct Root;

async fn spawn_child(
    ctx: &Arc<Context>,
    role: &str,
    root: &ActorRef<RootMsg>,
) -> Result<(), ActorProcessingErr> {
    let name = Some(ctx.name(role));
    let sup = root.get_cell();
    let directory = &ctx.directory;
    // Each started actor is published for the others to send to.
    match role {
        MAILER => directory
            .mailer()
            .set(Actor::spawn_linked(name, Mailer, ctx.clone(), sup).await?.0),
        ACCOUNTS => directory.accounts().set(
            Actor::spawn_linked(name, Accounts, ctx.clone(), sup)
                .await?
                .0,
        ),
        DELIVERY_SUPERVISOR => directory.delivery_supervisor().set(
            Actor::spawn_linked(name, DeliverySupervisor, ctx.clone(), sup)
                .await?
                .0,
        ),
        _ => directory.tenant_supervisor().set(
            Actor::spawn_linked(name, TenantSupervisor, ctx.clone(), sup)
                .await?
                .0,
        ),
    }
    Ok(())
}

impl Actor for Root {
    type Msg = RootMsg;
    type State = Arc<Context>;
    type Arguments = Arc<Context>;

    async fn pre_start(
        &self,
        myself: ActorRef<RootMsg>,
        ctx: Arc<Context>,
    ) -> Result<Arc<Context>, ActorProcessingErr> {
        for role in ROLES {
            spawn_child(&ctx, role, &myself).await?;
        }
        Ok(ctx)
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<RootMsg>,
        event: SupervisionEvent,
        ctx: &mut Arc<Context>,
    ) -> Result<(), ActorProcessingErr> {
        let cell = match &event {
            SupervisionEvent::ActorFailed(cell, _)
            | SupervisionEvent::ActorTerminated(cell, _, _) => cell,
            _ => return Ok(()),
        };
        if ctx.stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        let Some(name) = cell.get_name() else {
            return Ok(());
        };
        let Some(role) = ROLES.into_iter().find(|role| name == ctx.name(role)) else {
            return Ok(());
        };
        tracing::error!(role, ?event, "actor stopped; restarting it");
        ctx.restarts.fetch_add(1, Ordering::SeqCst);
        spawn_child(ctx, role, &myself).await
    }
}
