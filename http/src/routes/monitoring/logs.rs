//! Scrape logs: what each check of an endpoint found, changed, skipped and fetched.

use certwatch_domain::monitoring::{CertChange, DocumentSeen, Finding, ScrapeLog};
use certwatch_store::tables;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Query;
use crate::pagination::{Page, PageParams, PageRequest, envelope};
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct FindingView {
    /// The certificate type code of the standard named (`ISO_9001`, …).
    pub standard: String,
    pub certificate_number: Option<String>,
    pub issuing_body: Option<String>,
    pub scope: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub document_url: Option<String>,
    pub document_hash: Option<String>,
}

impl From<Finding> for FindingView {
    fn from(f: Finding) -> Self {
        FindingView {
            standard: f.standard,
            certificate_number: f.certificate_number,
            issuing_body: f.issuing_body,
            scope: f.scope,
            issue_date: f.issue_date,
            expiry_date: f.expiry_date,
            document_url: f.document_url,
            document_hash: f.document_hash,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    pub url: String,
    pub sha256: Option<String>,
    pub bytes: u64,
    pub error: Option<String>,
}

impl From<DocumentSeen> for DocumentView {
    fn from(d: DocumentSeen) -> Self {
        DocumentView {
            url: d.url,
            sha256: d.sha256,
            bytes: d.bytes,
            error: d.error,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChangeView {
    pub certificate_id: Uuid,
    pub certificate_number: String,
    /// `created` or `updated`.
    pub action: String,
    pub fields: Vec<String>,
}

impl From<CertChange> for ChangeView {
    fn from(c: CertChange) -> Self {
        ChangeView {
            certificate_id: c.certificate_id,
            certificate_number: c.certificate_number,
            action: c.action,
            fields: c.fields,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ScrapeLogView {
    pub id: Uuid,
    pub endpoint: Uuid,
    pub organization: Uuid,
    pub url: String,
    /// SUCCESS or FAILED.
    pub status: String,
    /// When the check was due; null for a scrape triggered by hand.
    pub scheduled_for: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub http_status: Option<u16>,
    pub bytes: u64,
    pub certificates_found: usize,
    pub findings: Vec<FindingView>,
    pub documents: Vec<DocumentView>,
    pub changes: Vec<ChangeView>,
    /// Findings that changed nothing, and why.
    pub skipped: Vec<String>,
    pub error: Option<String>,
}

impl From<ScrapeLog> for ScrapeLogView {
    fn from(l: ScrapeLog) -> Self {
        ScrapeLogView {
            duration_ms: l.duration_ms(),
            id: l.id,
            endpoint: l.endpoint_id,
            organization: l.organization_id,
            url: l.url,
            status: l.status.as_str().to_string(),
            scheduled_for: l.scheduled_for,
            started_at: l.started_at,
            finished_at: l.finished_at,
            http_status: l.http_status,
            bytes: l.bytes,
            certificates_found: l.findings.len(),
            findings: l.findings.into_iter().map(FindingView::from).collect(),
            documents: l.documents.into_iter().map(DocumentView::from).collect(),
            changes: l.changes.into_iter().map(ChangeView::from).collect(),
            skipped: l.skipped,
            error: l.error,
        }
    }
}

#[utoipa::path(get, path = "/api/monitoring/logs/", tag = "monitoring",
    params(
        ("endpoint" = Option<Uuid>, Query, description = "Only this endpoint's logs"),
        PageParams,
    ),
    security(("token" = [])),
    responses((status = 200, description = "Scrape logs, newest first", body = Page<ScrapeLogView>)))]
pub async fn list_logs(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<ScrapeLogView>, ApiError> {
    let page = PageRequest::from_query(&q)?;
    let endpoint = q.uuid("endpoint")?;
    let (logs, count) = tables::scrape_logs::page(
        state.store(),
        caller.tenant_id,
        endpoint,
        page.offset(),
        page.page_size,
    )?;
    page.check(count)?;
    let rows = logs.into_iter().map(ScrapeLogView::from).collect();
    let body = envelope(
        page,
        count,
        rows,
        &state.public_url(),
        "/api/monitoring/logs/",
        &q,
    );
    Ok(body)
}

#[utoipa::path(get, path = "/api/monitoring/logs/{id}/", tag = "monitoring",
    params(("id" = Uuid, Path, description = "Scrape log id")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The log", body = ScrapeLogView),
        (status = 404, description = "Not in this tenant"),
    ))]
pub async fn get_log(id: Uuid, state: State, caller: Caller) -> Result<ScrapeLogView, ApiError> {
    let log =
        tables::scrape_logs::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    Ok(ScrapeLogView::from(log))
}
