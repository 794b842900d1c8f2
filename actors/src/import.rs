//! Spreadsheet import: a worker process reads the whole CSV, XLSX or XLS file and checks
//! its rows (a file it refuses changes nothing); valid rows then go to the tenant actor
//! one batch at a time as the worker sends them, so the server holds one batch and the
//! tenant's other writes interleave with a long import.

use certwatch_domain::events::EventKind;
use std::path::PathBuf;

use certwatch_domain::events::Event;
use certwatch_ingest::pool::Lane;
use certwatch_ingest::protocol::{Job, Reply};
pub use certwatch_ingest::spreadsheet::{FileKind, detect};
use certwatch_store::ops::import::{ImportCounts, RowError};
use chrono::Utc;
use uuid::Uuid;

use crate::messages::tenant::RegistryMsg;
use crate::{ActorError, Actors};

/// What a whole import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub counts: ImportCounts,
    /// The first row errors (as many as the limit lists).
    pub errors: Vec<RowError>,
    /// Row errors past those, counted only.
    pub more_errors: usize,
    pub rows_imported: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read as the spreadsheet it claims to be, or reading it ran past
    /// a limit.
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Actor(#[from] ActorError),
}

/// Imports the spreadsheet at `path` into `tenant`: a worker reads it, valid rows are
/// upserted batch by batch through the tenant actor, then `import.completed` is recorded.
pub async fn run(
    actors: &Actors,
    tenant: Uuid,
    kind: FileKind,
    path: PathBuf,
) -> Result<ImportReport, ImportError> {
    let pool = &actors.ctx.parsing;
    let unreadable = |e: certwatch_ingest::pool::JobError| {
        ImportError::Unreadable(format!("Reading this spreadsheet {e}."))
    };
    let mut job = pool
        .start(tenant, Lane::Documents, Job::Spreadsheet { path, kind })
        .await
        .map_err(unreadable)?;
    let mut report = ImportReport::default();
    loop {
        match job.next().await.map_err(unreadable)? {
            Reply::Rows(batch) => {
                report.errors.extend(batch.errors);
                report.more_errors += batch.more_errors;
                if batch.rows.is_empty() {
                    continue;
                }
                report.rows_imported += batch.rows.len();
                let rows = batch.rows;
                let counts = actors
                    .tenant(tenant, |reply| RegistryMsg::ImportBatch { rows, reply })
                    .await?;
                report.counts.add(counts);
            }
            Reply::SpreadsheetDone(done) => {
                done.map_err(ImportError::Unreadable)?;
                break;
            }
            Reply::Panicked(why) => {
                return Err(ImportError::Unreadable(format!(
                    "The spreadsheet could not be read (the reader failed: {why})."
                )));
            }
            other => {
                return Err(ImportError::Unreadable(format!(
                    "The reader answered {other:?}."
                )));
            }
        }
    }
    let c = &report.counts;
    let data = serde_json::json!({
        "organizations_created": c.organizations_created,
        "organizations_updated": c.organizations_updated,
        "certificate_types_created": c.certificate_types_created,
        "certificate_types_updated": c.certificate_types_updated,
        "contacts_created": c.contacts_created,
        "rows_imported": report.rows_imported,
        "rows_failed": report.errors.iter().map(|e| e.row).collect::<std::collections::BTreeSet<_>>().len() + report.more_errors,
    });
    let event = Event::new(tenant, None, EventKind::ImportCompleted, data, Utc::now());
    actors
        .tenant(tenant, |reply| RegistryMsg::RecordEvent { event, reply })
        .await?;
    Ok(report)
}
