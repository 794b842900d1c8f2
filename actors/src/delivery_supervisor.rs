//! The delivery supervisor: one subscriber actor per webhook subscriber, started at boot
//! (so pending deliveries resume after a restart), on demand when deliveries are stored,
//! and again from the store whenever one fails.

use std::collections::HashMap;
use std::sync::Arc;

use certwatch_store::tables;
use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};
use uuid::Uuid;

use crate::context::Context;
use crate::messages::delivery::{DeliverySupervisorMsg, SubscriberMsg};
use crate::spawn::{spawn_child, take_stopped};
use crate::subscriber::SubscriberActor;

pub(crate) struct DeliverySupervisor;

pub(crate) struct DeliveryState {
    ctx: Arc<Context>,
    /// subscriber → (tenant, actor)
    actors: HashMap<Uuid, (Uuid, ActorRef<SubscriberMsg>)>,
}

/// Tells the delivery supervisor (without waiting).
pub(crate) fn tell(ctx: &Context, msg: DeliverySupervisorMsg) {
    match ctx.directory.delivery_supervisor().get() {
        Some(sup) => {
            let _ = sup.cast(msg);
        }
        None => tracing::error!("no delivery supervisor; deliveries resume at its restart"),
    }
}

impl DeliverySupervisor {
    /// The subscriber's actor, started if need be; `None` if the subscriber is gone.
    async fn ensure(
        myself: &ActorRef<DeliverySupervisorMsg>,
        state: &mut DeliveryState,
        tenant: Uuid,
        subscriber: Uuid,
    ) -> Option<ActorRef<SubscriberMsg>> {
        if let Some((_, actor)) = state.actors.get(&subscriber) {
            return Some(actor.clone());
        }
        if !state.ctx.placement.owns(tenant) {
            return None;
        }
        let name = state.ctx.name(&format!("subscriber:{subscriber}"));
        let args = (state.ctx.clone(), tenant, subscriber);
        match spawn_child(name, SubscriberActor, args, myself.get_cell()).await {
            Ok(actor) => {
                state.actors.insert(subscriber, (tenant, actor.clone()));
                Some(actor)
            }
            Err(e) => {
                tracing::debug!(%subscriber, error = %e, "subscriber actor not started");
                None
            }
        }
    }
}

impl Actor for DeliverySupervisor {
    type Msg = DeliverySupervisorMsg;
    type State = DeliveryState;
    type Arguments = Arc<Context>;

    async fn pre_start(
        &self,
        _myself: ActorRef<DeliverySupervisorMsg>,
        ctx: Arc<Context>,
    ) -> Result<DeliveryState, ActorProcessingErr> {
        Ok(DeliveryState {
            ctx,
            actors: HashMap::new(),
        })
    }

    async fn post_start(
        &self,
        myself: ActorRef<DeliverySupervisorMsg>,
        state: &mut DeliveryState,
    ) -> Result<(), ActorProcessingErr> {
        for sub in tables::subscribers::all(&state.ctx.store)? {
            Self::ensure(&myself, state, sub.tenant_id, sub.id).await;
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<DeliverySupervisorMsg>,
        msg: DeliverySupervisorMsg,
        state: &mut DeliveryState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            DeliverySupervisorMsg::Wake {
                tenant,
                subscribers,
            } => {
                for subscriber in subscribers {
                    if let Some(actor) = Self::ensure(&myself, state, tenant, subscriber).await {
                        let _ = actor.cast(SubscriberMsg::Wake);
                    }
                }
            }
            DeliverySupervisorMsg::Reload { tenant, subscriber } => {
                if let Some(actor) = Self::ensure(&myself, state, tenant, subscriber).await {
                    let _ = actor.cast(SubscriberMsg::Reload);
                }
            }
            DeliverySupervisorMsg::Placed => {
                for (tenant, actor) in state.actors.values() {
                    if !state.ctx.placement.owns(*tenant) {
                        actor.stop(Some("its shard moved to another node".into()));
                    }
                }
                for sub in tables::subscribers::all(&state.ctx.store)? {
                    Self::ensure(&myself, state, sub.tenant_id, sub.id).await;
                }
            }
            DeliverySupervisorMsg::Retry {
                tenant,
                subscriber,
                delivery,
                reply,
            } => match Self::ensure(&myself, state, tenant, subscriber).await {
                Some(actor) => {
                    let _ = actor.cast(SubscriberMsg::Retry { delivery, reply });
                }
                None => {
                    let _ = reply.send(Err(certwatch_store::RegistryError::Refused(
                        "The delivery's subscriber no longer exists.".into(),
                    )
                    .into()));
                }
            },
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<DeliverySupervisorMsg>,
        event: SupervisionEvent,
        state: &mut DeliveryState,
    ) -> Result<(), ActorProcessingErr> {
        let Some((subscriber, (tenant, _), ending)) =
            take_stopped(&mut state.actors, &event, |(_, a)| a.get_cell())
        else {
            return Ok(());
        };
        // A clean stop means the subscriber was deleted; a failure is restarted from the store.
        let child = format!("subscriber {subscriber}");
        if state.ctx.restart_after(tenant, ending, &child) {
            Self::ensure(&myself, state, tenant, subscriber).await;
        }
        Ok(())
    }
}
