//! Bulk upload processing: each stored file (checked by `ingest::uploads`, stored by
//! `store::files`) is read by a worker process (PDF text layer; Tesseract OCR for images and scanned PDFs, certificate
//! fields extracted) and each item handed to the tenant actor to match and file. A batch
//! is worked through by its own actor; unfinished batches resume at start.

use certwatch_store::engine::files::file_path;
use certwatch_store::tables;

use std::sync::Arc;

use certwatch_domain::bulk::{Item, ItemStatus, Read};
use certwatch_ingest::pool::{JobError, Lane};
use certwatch_ingest::protocol::{Job, Reply};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use uuid::Uuid;

use crate::call;
use crate::context::Context;
use crate::messages::batch::BatchMsg;
use crate::messages::tenant::BulkMsg;

/// Files of one batch handed to the workers at once (the pool decides how many run).
const CONCURRENCY: usize = 2;
/// Starts of reading one file after which it fails for good: a file whose reading ended
/// the service twice is not tried at every boot.
const MAX_ATTEMPTS: u32 = 2;

/// Reads one stored file in a worker: the attempt is counted first, a worker that
/// crashed is given one more try in a fresh process, and an overrun limit is the item's
/// reason.
async fn read_item(ctx: &Context, tenant: Uuid, item: &Item) -> Read {
    let what = if item.content_type == "application/pdf" {
        "PDF"
    } else {
        "image"
    };
    for retry in [false, true] {
        let attempts = match call::ask_tenant(ctx, tenant, |reply| BulkMsg::ItemStarted {
            item: item.id,
            reply,
        })
        .await
        {
            Ok(n) => n,
            Err(e) => return Read::Failed(format!("The file could not be read: {e}")),
        };
        if attempts > MAX_ATTEMPTS {
            return Read::Failed(format!(
                "Reading this {what} stopped the service {MAX_ATTEMPTS} times; it is not tried again."
            ));
        }
        let data_dir = ctx.store.data_dir();
        let job = Job::Document {
            path: file_path(data_dir, &item.sha256),
            content_type: item.content_type.clone(),
            scratch: data_dir.join("tmp").join(Uuid::new_v4().to_string()),
            ocr: ctx.ocr.clone(),
        };
        match ctx.parsing.run(tenant, Lane::Documents, job).await {
            Ok(Reply::Document(read)) => return read,
            Ok(Reply::Panicked(why)) => {
                return Read::Failed(format!(
                    "This {what} could not be read (the reader failed: {why})."
                ));
            }
            Ok(other) => return Read::Failed(format!("The reader answered {other:?}.")),
            Err(JobError::Crashed(why)) if !retry => {
                tracing::warn!(item = %item.id, %why, "a worker crashed; trying once more");
            }
            Err(e) => return Read::Failed(format!("Reading this {what} {e}.")),
        }
    }
    unreachable!("the second try returns")
}

/// One actor per batch being processed, a child of its tenant's actor: it reads the
/// batch's pending files [`CONCURRENCY`] at a time, hands each result to the tenant actor
/// (which files it), completes the batch and stops. Started again for unfinished batches
/// when the tenant's actor starts.
#[derive(Clone)]
pub(crate) struct BatchActor;

pub(crate) struct BatchState {
    ctx: Arc<Context>,
    tenant: Uuid,
    batch: Uuid,
    queue: std::collections::VecDeque<Item>,
    in_flight: usize,
}

impl Actor for BatchActor {
    type Msg = BatchMsg;
    type State = BatchState;
    type Arguments = (Arc<Context>, Uuid, Uuid);

    async fn pre_start(
        &self,
        myself: ActorRef<BatchMsg>,
        (ctx, tenant, batch): (Arc<Context>, Uuid, Uuid),
    ) -> Result<BatchState, ActorProcessingErr> {
        let queue = tables::bulk_items::of_batch(&ctx.store, tenant, batch)?
            .into_iter()
            .filter(|i| i.status == ItemStatus::Pending)
            .collect();
        myself.cast(BatchMsg::Pump)?;
        Ok(BatchState {
            ctx,
            tenant,
            batch,
            queue,
            in_flight: 0,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<BatchMsg>,
        msg: BatchMsg,
        state: &mut BatchState,
    ) -> Result<(), ActorProcessingErr> {
        let tenant = state.tenant;
        if let BatchMsg::Read { item, read } = msg {
            state.in_flight -= 1;
            call::ask_tenant(&state.ctx, tenant, |reply| BulkMsg::ItemRead {
                item,
                read,
                reply,
            })
            .await?;
        }
        while state.in_flight < CONCURRENCY
            && let Some(item) = state.queue.pop_front()
        {
            state.in_flight += 1;
            let (ctx, me) = (state.ctx.clone(), myself.clone());
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                let read = read_item(&ctx, tenant, &item).await;
                crate::metrics::DOCUMENT_READ_DURATION.observe(started.elapsed().as_secs_f64());
                let _ = me.cast(BatchMsg::Read {
                    item: item.id,
                    read,
                });
            });
        }
        if state.in_flight == 0 {
            let batch = state.batch;
            call::ask_tenant(&state.ctx, tenant, |reply| BulkMsg::BatchDone {
                batch,
                reply,
            })
            .await?;
            myself.stop(Some("batch completed".into()));
        }
        Ok(())
    }
}
