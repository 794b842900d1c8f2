//! What bulk upload shows of batches and items, and reading their files.

use certwatch_domain::bulk::{Batch, BatchCounts, Extracted, Field, Item, Origin};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct BatchView {
    pub id: Uuid,
    /// pending, processing or completed.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub total_items: usize,
    pub processed_count: usize,
    pub matched_count: usize,
    pub needs_review_count: usize,
    pub failed_count: usize,
    pub skipped_count: usize,
    pub pending_count: usize,
    pub auto_match_rate: f64,
    pub failure_rate: f64,
    /// Files refused at upload, with the reason.
    pub file_errors: Vec<String>,
    /// The mail the files came attached to, when a mailbox read them.
    pub mail: Option<MailSourceView>,
}

/// The mail a batch's files were attached to.
#[derive(Serialize, ToSchema)]
pub struct MailSourceView {
    /// The mail account that read it.
    pub account: Uuid,
    pub from: Option<String>,
    pub subject: String,
    /// As the sender's client dated it.
    pub date: Option<DateTime<Utc>>,
    /// The certificate request the mail replied to.
    pub request: Option<Uuid>,
    /// The supplier the sender's address belongs to (a hint for matching).
    pub sender_organization: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct ItemView {
    pub id: Uuid,
    pub batch: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    /// pending, matched, needs_review, failed or skipped.
    pub status: String,
    /// Each field read: `{"value", "confidence"}`; `domains`, `method` and
    /// `other_certificate_types` (a combined certificate's other standards) as read.
    #[schema(value_type = Object)]
    pub extracted_data: Value,
    pub organization: Option<Uuid>,
    /// Why the organization matched: vat, lei, domain, name, name variant or confirmed.
    pub match_reason: Option<String>,
    /// The certificate filed for the document's standard (the first it names).
    pub certificate: Option<Uuid>,
    /// The certificates filed for the other standards of a combined certificate
    /// (`extracted_data.other_certificate_types`), with the same facts.
    pub other_certificates: Vec<Uuid>,
    /// Why it needs review or failed.
    pub reason: Option<String>,
    /// Fields a person changed when confirming.
    pub corrections: Vec<String>,
    pub file_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// File system work on the blocking pool; a failure is a 500 naming what was done.
pub(crate) async fn file_io<T: Send + 'static>(
    doing: &str,
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    crate::blocking::blocking(work)
        .await?
        .map_err(|e| ApiError::Internal(format!("{doing} the file failed: {e}")))
}

pub(crate) fn batch_view(batch: Batch, items: &[Item]) -> BatchView {
    let c = BatchCounts::of(items);
    BatchView {
        id: batch.id,
        status: batch.status.as_str().to_string(),
        created_at: batch.created_at,
        total_items: c.total,
        processed_count: c.processed,
        matched_count: c.matched,
        needs_review_count: c.needs_review,
        failed_count: c.failed,
        skipped_count: c.skipped,
        pending_count: c.pending,
        auto_match_rate: c.auto_match_rate(),
        failure_rate: c.failure_rate(),
        file_errors: batch.file_errors,
        mail: match batch.origin {
            Origin::Mail(m) => Some(MailSourceView {
                account: m.account,
                from: m.from,
                subject: m.subject,
                date: m.date,
                request: m.request,
                sender_organization: m.sender,
            }),
            _ => None,
        },
    }
}

pub(crate) fn extracted_json(ex: &Extracted) -> Value {
    fn put<T: Serialize>(m: &mut Map<String, Value>, name: &str, f: &Option<Field<T>>) {
        if let Some(f) = f {
            m.insert(
                name.into(),
                json!({"value": f.value, "confidence": f.confidence}),
            );
        }
    }
    let mut m = Map::new();
    put(&mut m, "certificate_type_code", &ex.certificate_type_code);
    m.insert("other_certificate_types".into(), json!(ex.other_standards));
    put(&mut m, "certificate_number", &ex.certificate_number);
    put(&mut m, "issuing_body", &ex.issuing_body);
    put(&mut m, "scope", &ex.scope);
    put(&mut m, "issue_date", &ex.issue_date);
    put(&mut m, "expiry_date", &ex.expiry_date);
    put(&mut m, "company_name", &ex.company_name);
    put(&mut m, "address", &ex.address);
    put(&mut m, "vat", &ex.vat);
    put(&mut m, "lei", &ex.lei);
    m.insert("domains".into(), json!(ex.domains));
    m.insert("method".into(), json!(ex.method));
    Value::Object(m)
}

pub(crate) fn item_view(state: &State, i: Item) -> ItemView {
    ItemView {
        file_url: format!("{}/api/bulk-upload/files/{}/", state.public_url(), i.id),
        extracted_data: extracted_json(&i.extracted),
        id: i.id,
        batch: i.batch_id,
        filename: i.filename,
        content_type: i.content_type,
        size: i.size,
        sha256: i.sha256,
        status: i.status.as_str().to_string(),
        organization: i.organization_id,
        match_reason: i.match_reason,
        certificate: i.certificate_id,
        other_certificates: i.other_certificate_ids,
        reason: i.reason,
        corrections: i.corrections,
        created_at: i.created_at,
        updated_at: i.updated_at,
    }
}
