//! Webhook subscribers and their subscriptions. A subscriber's deliveries belong to its
//! own actor (under the delivery supervisor), told to reload once a change is durable.

use certwatch_domain::webhooks::SubscriberPatch;
use certwatch_store::{ops::subscribers, ops::subscriptions};
use chrono::{DateTime, Utc};
use ractor::ActorProcessingErr;
use uuid::Uuid;

use super::state::TenantState;
use crate::call::{crash_on_store_error, write, write_then};
use crate::delivery_supervisor::tell;
use crate::messages::delivery::DeliverySupervisorMsg;
use crate::messages::tenant::WebhooksMsg;

pub(super) fn handle(
    msg: WebhooksMsg,
    state: &TenantState,
    now: DateTime<Utc>,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store;
    let tenant = state.tenant;
    match msg {
        WebhooksMsg::EditSubscriber { id, patch, reply } => {
            let result = subscribers::edit(store, tenant, id, patch, now);
            let reload = reload(state);
            write_then(store, reply, result, move |s| reload(s.id))
        }
        WebhooksMsg::DeleteSubscriber { id, reply } => {
            let result = subscribers::delete(store, tenant, id, now);
            let reload = reload(state);
            write_then(store, reply, result, move |_| reload(id))
        }
        WebhooksMsg::RotateSubscriberKey { id, reply } => {
            let result = subscribers::rotate_api_key(store, tenant, id, now);
            let reload = reload(state);
            write_then(store, reply, result, move |s| reload(s.id))
        }
        WebhooksMsg::RotateSubscriberSecret { id, reply } => {
            let result = subscribers::rotate_signing_secret(store, tenant, id, now);
            let reload = reload(state);
            write_then(store, reply, result, move |s| reload(s.id))
        }
        WebhooksMsg::DeactivateSubscriber { id } => {
            let patch = SubscriberPatch {
                is_active: Some(false),
                ..Default::default()
            };
            // A store failure fails the actor like any other write; a subscriber deleted
            // meanwhile is simply gone.
            match crash_on_store_error(subscribers::edit(store, tenant, Some(id), patch, now))? {
                Ok(_) => {
                    tracing::info!(%tenant, subscriber = %id, "receiver answered 410 Gone; subscriber deactivated");
                    let store = store.clone();
                    tokio::spawn(async move { store.commit().await });
                }
                Err(e) => tracing::warn!(%id, error = %e, "could not deactivate subscriber"),
            }
            Ok(())
        }
        WebhooksMsg::EditSubscription { id, patch, reply } => write(
            store,
            reply,
            subscriptions::edit(store, tenant, id, patch, now),
        ),
        WebhooksMsg::DeleteSubscription { id, reply } => {
            write(store, reply, subscriptions::delete(store, tenant, id))
        }
    }
}

/// Has a subscriber's actor read it again (once a change to it is durable).
fn reload(state: &TenantState) -> impl FnOnce(Uuid) + Send + 'static {
    let (ctx, tenant) = (state.ctx.clone(), state.tenant);
    move |subscriber| tell(&ctx, DeliverySupervisorMsg::Reload { tenant, subscriber })
}
