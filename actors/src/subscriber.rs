//! One actor per webhook subscriber: it owns the subscriber's pending deliveries once they
//! are stored, attempts them (a few at a time, so one slow receiver only ever holds up its
//! own queue), records every attempt, and sets its own timer for the next one due.

use certwatch_store::tables;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use certwatch_store::RegistryError;

use crate::messages::delivery::SubscriberMsg;
use crate::messages::tenant::WebhooksMsg;
use crate::signing::signature_header;
use certwatch_domain::webhooks::{
    Attempt, Delivery, DeliveryStatus, MAX_RESPONSE_BODY, Outcome, Subscriber, record_attempt,
};
use chrono::{DateTime, Utc};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rand::RngExt;
use uuid::Uuid;

use crate::call::{ActorError, reply_when_durable};
use crate::context::Context;
use crate::outbound;

/// Attempts one subscriber may have under way at once.
const MAX_IN_FLIGHT: usize = 4;

#[derive(Clone)]
pub(crate) struct SubscriberActor;

pub(crate) struct SubscriberState {
    ctx: Arc<Context>,
    sub: Subscriber,
    in_flight: HashSet<Uuid>,
    /// When the earliest timer already set fires, so timers are not piled up.
    timer_at: Option<DateTime<Utc>>,
}

impl Actor for SubscriberActor {
    type Msg = SubscriberMsg;
    type State = SubscriberState;
    type Arguments = (Arc<Context>, Uuid, Uuid);

    async fn pre_start(
        &self,
        myself: ActorRef<SubscriberMsg>,
        (ctx, tenant, id): (Arc<Context>, Uuid, Uuid),
    ) -> Result<SubscriberState, ActorProcessingErr> {
        let sub = tables::subscribers::get(&ctx.store, tenant, id)?
            .ok_or_else(|| format!("subscriber {id} is gone"))?;
        myself.cast(SubscriberMsg::Wake)?;
        Ok(SubscriberState {
            ctx,
            sub,
            in_flight: HashSet::new(),
            timer_at: None,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<SubscriberMsg>,
        msg: SubscriberMsg,
        state: &mut SubscriberState,
    ) -> Result<(), ActorProcessingErr> {
        let store = state.ctx.store.clone();
        match msg {
            SubscriberMsg::Wake => {}
            SubscriberMsg::Reload => {
                match tables::subscribers::get(&store, state.sub.tenant_id, state.sub.id)? {
                    Some(sub) => state.sub = sub,
                    None => {
                        myself.stop(Some("subscriber deleted".into()));
                        return Ok(());
                    }
                }
            }
            SubscriberMsg::Done { delivery, outcome } => {
                let mut delivery = *delivery;
                state.in_flight.remove(&delivery.id);
                let previous_due = delivery.next_attempt_at;
                let gone = outcome.gone();
                crate::metrics::DELIVERY_DURATION
                    .observe(outcome.attempt.duration_ms as f64 / 1000.0);
                let jitter = rand::rng().random_range(-0.1..=0.1);
                record_attempt(
                    &mut delivery,
                    outcome,
                    &state.ctx.config.webhook_retry_schedule,
                    jitter,
                );
                let counted = match delivery.status {
                    DeliveryStatus::Success => "delivered",
                    DeliveryStatus::Pending => "retry",
                    DeliveryStatus::Failed => "failed",
                };
                crate::metrics::DELIVERIES
                    .with_label_values(&[counted])
                    .inc();
                tables::deliveries::update(&store, &delivery, previous_due)?;
                tokio::spawn(async move { store.commit().await });
                if gone {
                    // The receiver said 410 Gone: its owner deactivates it.
                    state.sub.is_active = false;
                    let tenant = state.sub.tenant_id;
                    if let Some(owner) = state.ctx.directory.tenant(tenant) {
                        let _ = owner
                            .cast(WebhooksMsg::DeactivateSubscriber { id: state.sub.id }.into());
                    }
                }
            }
            SubscriberMsg::Retry { delivery, reply } => {
                let result = match tables::deliveries::get(&store, state.sub.tenant_id, delivery)? {
                    None => Err(RegistryError::NotFound),
                    Some(d) if d.status != DeliveryStatus::Failed => Err(RegistryError::Refused(
                        "Only FAILED deliveries can be retried.".into(),
                    )),
                    Some(mut d) => {
                        d.status = DeliveryStatus::Pending;
                        d.next_attempt_at = Some(Utc::now());
                        // A manual retry gets the whole schedule again; history stays.
                        d.round_start = d.attempts.len();
                        tables::deliveries::update(&store, &d, None)?;
                        Ok(())
                    }
                };
                reply_when_durable(&store, reply, result.map_err(ActorError::from));
            }
        }
        pump(&myself, state)?;
        Ok(())
    }
}

/// Starts the attempts that are due (while there is room) and sets a timer for the next.
fn pump(
    myself: &ActorRef<SubscriberMsg>,
    state: &mut SubscriberState,
) -> Result<(), ActorProcessingErr> {
    if !state.sub.is_active {
        return Ok(());
    }
    let now = Utc::now();
    let room = MAX_IN_FLIGHT.saturating_sub(state.in_flight.len());
    let (due, next) =
        tables::deliveries::due(&state.ctx.store, state.sub.id, now, room, &state.in_flight)?;
    for delivery in due {
        state.in_flight.insert(delivery.id);
        let (client, sub, me) = (
            state.ctx.webhook_client.clone(),
            state.sub.clone(),
            myself.clone(),
        );
        let allow_internal = state.ctx.config.allow_private_targets;
        tokio::spawn(async move {
            let outcome = attempt(&client, &sub, &delivery, allow_internal).await;
            let _ = me.cast(SubscriberMsg::Done {
                delivery: Box::new(delivery),
                outcome,
            });
        });
    }
    if let Some(at) = next
        && state.in_flight.len() < MAX_IN_FLIGHT
        && state.timer_at.is_none_or(|t| at < t || t <= now)
    {
        state.timer_at = Some(at);
        let wait = (at - now).to_std().unwrap_or_default();
        myself.send_after(wait, || SubscriberMsg::Wake);
    }
    Ok(())
}

/// One signed POST of a delivery (Standard Webhooks).
async fn attempt(
    client: &reqwest::Client,
    sub: &Subscriber,
    d: &Delivery,
    allow_internal: bool,
) -> Outcome {
    let at = Utc::now();
    let started = Instant::now();
    let failed = |error: String| Outcome {
        attempt: Attempt {
            at,
            status_code: None,
            error: Some(error),
            duration_ms: started.elapsed().as_millis() as u64,
            response_body: String::new(),
        },
        retry_after: None,
    };
    let url = match outbound::check_url(&sub.url, allow_internal) {
        Ok(url) => url,
        Err(e) => return failed(format!("refused: {e}")),
    };
    let msg_id = d.message_id();
    let timestamp = at.timestamp();
    let signature = signature_header(&sub.signing_secrets(at), &msg_id, timestamp, &d.payload);
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .bearer_auth(&sub.api_key)
        .body(d.payload.clone())
        .send()
        .await;
    let mut resp = match sent {
        Ok(resp) => resp,
        Err(e) => return failed(outbound::error_chain(&e)),
    };
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut body = Vec::new();
    while body.len() < MAX_RESPONSE_BODY {
        match resp.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(MAX_RESPONSE_BODY);
    Outcome {
        attempt: Attempt {
            at,
            status_code: Some(status),
            error: None,
            duration_ms: started.elapsed().as_millis() as u64,
            response_body: String::from_utf8_lossy(&body).into_owned(),
        },
        retry_after,
    }
}
