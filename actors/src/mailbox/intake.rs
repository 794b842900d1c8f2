//! What a read mail becomes: its certificate files checked like uploads (name, size,
//! first bytes), stored under their SHA-256 — those already on file left out — and put
//! into a bulk-upload batch named after the mail, with the request it replies to and the
//! supplier its sender belongs to.

use std::collections::HashSet;

use certwatch_domain::bulk::{Accepted, Batch, MailSource, NewBatch, Origin};
use certwatch_domain::mail::{MailAccount, address_of, bounded_notes, intake_name, references};
use certwatch_ingest::mail::MailReading;
use certwatch_ingest::uploads::check_file;
use certwatch_store::engine::files::store_file;
use certwatch_store::engine::secrets::{key_hash, sha256_hex};
use certwatch_store::ops::mail::sender_supplier;
use certwatch_store::tables::cert_requests;
use certwatch_store::{Store, StoreError};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What the files of the tenant take and which are on file, kept across one poll.
pub(crate) struct OnFile {
    pub hashes: HashSet<String>,
    pub bytes: u64,
    pub quota: u64,
}

impl OnFile {
    pub fn of(store: &Store, tenant: Uuid, quota: u64) -> Result<OnFile, StoreError> {
        let items = certwatch_store::tables::bulk_items::of_tenant(store, tenant)?;
        Ok(OnFile {
            bytes: items.iter().map(|i| i.size).sum(),
            hashes: items.into_iter().map(|i| i.sha256).collect(),
            quota,
        })
    }
}

/// Why intake stopped: the file store could not take a file (the poll fails and the mail
/// is read again next time), or the store could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IntakeError {
    #[error("storing an attachment: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The mail a batch came from, as the batch keeps it.
pub(crate) fn source(
    store: &Store,
    account: &MailAccount,
    link_days: u32,
    reading: &MailReading,
    now: DateTime<Utc>,
) -> Result<MailSource, StoreError> {
    let e = &reading.envelope;
    let mut request = None;
    for token in references(&e.to, &e.subject) {
        if let Some(r) = cert_requests::by_token(store, &key_hash(&token))?
            && r.tenant_id == account.tenant_id
            && r.link_open(now, link_days)
        {
            request = Some(r.id);
            break;
        }
    }
    let sender = match e.from.as_deref().and_then(address_of) {
        Some(address) => sender_supplier(store, account.tenant_id, &address)?,
        None => None,
    };
    Ok(MailSource {
        account: account.id,
        from: e.from.clone(),
        subject: e.subject.clone(),
        date: e
            .date
            .as_deref()
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&Utc)),
        request,
        sender,
    })
}

/// The batch of a mail's certificate files (`None` when none is left to file), and the
/// notes of what was left out: the reader's, files refused by their content, files on file
/// already, files past the tenant's quota.
pub(crate) fn batch(
    store: &Store,
    tenant: Uuid,
    reading: &MailReading,
    source: MailSource,
    on_file: &mut OnFile,
    now: DateTime<Utc>,
) -> Result<(Option<NewBatch>, Vec<String>), IntakeError> {
    let mut notes = reading.skipped.clone();
    let mut accepted = Vec::new();
    for a in &reading.attachments {
        let filename = intake_name(&a.filename, &a.content_type);
        let bytes = std::fs::read(&a.path)?;
        let head = &bytes[..bytes.len().min(1024)];
        let content_type = match check_file(&filename, head, bytes.len() as u64) {
            Ok(ct) => ct,
            Err(why) => {
                notes.push(why);
                continue;
            }
        };
        let sha256 = sha256_hex(&bytes);
        if on_file.hashes.contains(&sha256) {
            notes.push(format!("{filename}: the same file is on file already"));
            continue;
        }
        let size = bytes.len() as u64;
        if on_file.bytes + size > on_file.quota {
            notes.push(format!(
                "{filename}: the organization's stored documents would pass its quota of {} MiB",
                on_file.quota >> 20
            ));
            continue;
        }
        on_file.bytes += size;
        on_file.hashes.insert(sha256.clone());
        store_file(store.data_dir(), &sha256, &a.path)?;
        accepted.push(Accepted {
            filename,
            content_type: content_type.to_string(),
            sha256,
            size,
        });
    }
    let notes = bounded_notes(notes);
    let batch = Batch::pending(tenant, accepted, notes.clone(), now).map(|(mut batch, items)| {
        batch.origin = Origin::Mail(Box::new(source));
        (batch, items)
    });
    Ok((batch, notes))
}
