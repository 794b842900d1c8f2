//! Bulk upload: batches and their items. Each batch being read has its actor (a child of
//! the tenant actor); what it reads comes back here to be matched, decided and filed.

use certwatch_store::{ops::bulk, tables};
use chrono::{DateTime, Utc};
use ractor::{ActorProcessingErr, ActorRef};
use uuid::Uuid;

use super::state::{TenantState, write_woken};
use crate::bulk::BatchActor;
use crate::call::{reply_when_durable, write};
use crate::messages::tenant::{BulkMsg, TenantMsg};
use crate::spawn::spawn_child;

pub(super) async fn handle(
    myself: &ActorRef<TenantMsg>,
    msg: BulkMsg,
    state: &mut TenantState,
    now: DateTime<Utc>,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store.clone();
    let tenant = state.tenant;
    match msg {
        BulkMsg::CreateBatch {
            batch,
            items,
            reply,
        } => {
            bulk::create_batch(store, &batch, &items)?;
            let id = batch.id;
            // Its items are read once they are durable; the actor waits for its Pump.
            reply_when_durable(store, reply, Ok(batch));
            store.commit().await?;
            start_batch(myself, state, id).await;
            Ok(())
        }
        BulkMsg::ItemRead { item, read, reply } => {
            let result = bulk::apply_extraction(store, tenant, item, read, now);
            if let Ok(written) = &result {
                let outcome = written.value.status.as_str();
                crate::metrics::DOCUMENTS
                    .with_label_values(&[outcome])
                    .inc();
            }
            write_woken(state, reply, result.map(|w| w.map(|_| ())))
        }
        BulkMsg::ItemStarted { item, reply } => write(
            store,
            reply,
            tables::bulk_items::start_attempt(store, tenant, item),
        ),
        BulkMsg::BatchDone { batch, reply } => {
            let result = bulk::finish_batch(store, tenant, batch, now);
            write_woken(state, reply, result.map(|w| w.map(|_| ())))
        }
        BulkMsg::ConfirmItem {
            item,
            confirmation,
            reply,
        } => write_woken(
            state,
            reply,
            bulk::confirm_item(store, tenant, item, confirmation, now),
        ),
        BulkMsg::SkipItem { item, reply } => {
            write(store, reply, bulk::skip_item(store, tenant, item, now))
        }
    }
}

/// Starts the actor that processes a batch.
pub(super) async fn start_batch(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
    batch: Uuid,
) {
    let name = state.ctx.name(&format!("batch:{batch}"));
    let args = (state.ctx.clone(), state.tenant, batch);
    match spawn_child(name, BatchActor, args, myself.get_cell()).await {
        Ok(actor) => {
            state.batches.insert(batch, actor);
        }
        Err(e) => tracing::error!(%batch, error = %e, "batch actor did not start"),
    }
}
