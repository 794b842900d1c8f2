//! Bulk upload processing: files checked and stored content-addressed, then read by a
//! worker process (PDF text layer; Tesseract OCR for images and scanned PDFs, certificate
//! fields extracted) and each item handed to the tenant actor to match and file. A batch
//! is worked through by its own actor; unfinished batches resume at start.

use certwatch_store::tables;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use certwatch_domain::bulk::{Item, ItemStatus, Read};
use certwatch_ingest::pdf;
use certwatch_ingest::pool::{JobError, Lane};
use certwatch_ingest::protocol::{Job, Reply};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use uuid::Uuid;

use crate::call;
use crate::context::Context;
use crate::messages::batch::BatchMsg;
use crate::messages::tenant::BulkMsg;

/// Largest file accepted.
pub const MAX_FILE_BYTES: usize = 20 << 20;
/// Files of one batch handed to the workers at once (the pool decides how many run).
const CONCURRENCY: usize = 2;
/// Starts of reading one file after which it fails for good: a file whose reading ended
/// the service twice is not tried at every boot.
const MAX_ATTEMPTS: u32 = 2;

/// Accepted extensions and the Content-Type each is served with.
const KINDS: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("tiff", "image/tiff"),
    ("webp", "image/webp"),
];

/// Whether the bytes are what the Content-Type says, by their magic bytes.
fn magic_matches(content_type: &str, b: &[u8]) -> bool {
    match content_type {
        "application/pdf" => pdf::is_pdf(b),
        "image/png" => b.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => b.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/tiff" => b.starts_with(b"II*\0") || b.starts_with(b"MM\0*"),
        "image/webp" => b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP",
        _ => false,
    }
}

/// The Content-Type of an acceptable upload, or why it is refused, by its name, its size
/// and its first bytes.
pub fn check_file(name: &str, head: &[u8], size: u64) -> Result<&'static str, String> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let Some((_, content_type)) = KINDS.iter().find(|(e, _)| *e == ext) else {
        return Err(format!(
            "File '{name}' has unsupported extension '.{ext}'; use .pdf, .png, .jpg, .jpeg, .tiff or .webp."
        ));
    };
    if size > MAX_FILE_BYTES as u64 {
        return Err(format!("File '{name}' is larger than 20 MB."));
    }
    if !magic_matches(content_type, head) {
        return Err(format!(
            "File '{name}' is not a .{ext} file by its content."
        ));
    }
    Ok(content_type)
}

fn file_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join("files").join(&sha256[..2]).join(sha256)
}

/// Moves an upload (a complete temporary file) into the file store under its SHA-256,
/// durably; the same content is the same file, so a second copy is simply dropped.
pub fn store_file(data_dir: &Path, sha256: &str, upload: &Path) -> std::io::Result<()> {
    let path = file_path(data_dir, sha256);
    if path.exists() {
        return std::fs::remove_file(upload);
    }
    let dir = path.parent().expect("a file path has a parent");
    std::fs::create_dir_all(dir)?;
    std::fs::File::open(upload)?.sync_all()?;
    std::fs::rename(upload, &path)?;
    std::fs::File::open(dir)?.sync_all()
}

pub fn read_stored(data_dir: &Path, sha256: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(file_path(data_dir, sha256))
}

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
                let read = read_item(&ctx, tenant, &item).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_must_be_what_their_names_say() {
        assert_eq!(
            check_file("a.PDF", b"%PDF-1.7\n...", 10),
            Ok("application/pdf")
        );
        assert_eq!(
            check_file("s.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0], 10),
            Ok("image/jpeg")
        );
        assert_eq!(
            check_file("s.png", b"\x89PNG\r\n\x1a\nrest", 10),
            Ok("image/png")
        );
        assert_eq!(
            check_file("s.webp", b"RIFF\0\0\0\0WEBPVP8 ", 10),
            Ok("image/webp")
        );
        assert!(
            check_file("a.pdf", b"\x89PNG\r\n\x1a\n", 10)
                .unwrap_err()
                .contains("not a .pdf")
        );
        assert!(
            check_file("doc.txt", b"hello", 10)
                .unwrap_err()
                .contains("unsupported extension '.txt'")
        );
        assert!(
            check_file("big.pdf", b"%PDF-1.7", MAX_FILE_BYTES as u64 + 1)
                .unwrap_err()
                .contains("20 MB")
        );
    }
}
