//! Bulk upload: certificate documents in, certificates out, a person only where needed.

use certwatch_actors::BulkMsg;
use std::collections::HashSet;

use certwatch_actors::bulk::{self, MAX_FILE_BYTES};
use certwatch_domain::bulk::{
    Batch, BatchCounts, BatchStatus, Confirmation, Extracted, Field, Item, ItemStatus,
};
use certwatch_domain::rules;
use certwatch_store::tables;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::filters::multipart::FormData;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::error::ApiError;
use crate::extract::{Body, Query, authorization, body, query};
use crate::input::Input;
use crate::pagination::{Page, paginate_vec};
use crate::respond::{done, json_reply};
use crate::state::{State, with_state};
use crate::upload;

/// Largest upload request (all its files together).
const MAX_REQUEST_BYTES: u64 = 512 << 20;

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

/// Request body of confirm.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the body; the handler reads it field by field with `Input`
pub struct ConfirmWrite {
    organization_id: Uuid,
    certificate_type_code: String,
    #[schema(min_length = 1, max_length = 100)]
    certificate_number: String,
    #[schema(max_length = 200)]
    issuing_body: Option<String>,
    #[schema(max_length = 2000)]
    scope: Option<String>,
    /// A calendar date in the years 1950 to 2200, not after `expiry_date`.
    issue_date: Option<NaiveDate>,
    /// A calendar date in the years 1950 to 2200.
    expiry_date: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct CorrectedField {
    pub field: String,
    pub count: usize,
}

#[derive(Serialize, ToSchema)]
pub struct QualityMetricsView {
    pub total_batches: usize,
    pub total_items: usize,
    pub total_processed: usize,
    pub matched: usize,
    pub needs_review: usize,
    pub failed: usize,
    pub skipped: usize,
    pub pending: usize,
    pub auto_match_rate: f64,
    pub failure_rate: f64,
    /// Fields people corrected on confirm, most corrected first.
    pub most_corrected_fields: Vec<CorrectedField>,
}

/// File system work on the blocking pool; a failure is a 500 naming what was done.
async fn file_io<T: Send + 'static>(
    doing: &str,
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    crate::blocking::blocking(work)
        .await?
        .map_err(|e| ApiError::Internal(format!("{doing} the file failed: {e}")))
}

fn batch_view(batch: Batch, items: &[Item]) -> BatchView {
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
    }
}

fn extracted_json(ex: &Extracted) -> Value {
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

fn item_view(state: &State, i: Item) -> ItemView {
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

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let auth = || with_state(state).and(authorization());
    let form = upload::form(
        MAX_REQUEST_BYTES,
        "Send the documents as multipart/form-data in fields named 'files'.",
    );
    let create = warp::path!("api" / "bulk-upload")
        .and(warp::post())
        .and(auth())
        .and(form)
        .then(create_batch)
        .map(done);
    let list = warp::path!("api" / "bulk-upload")
        .and(warp::get())
        .and(auth())
        .and(query())
        .then(list_batches)
        .map(done);
    let metrics = warp::path!("api" / "bulk-upload" / "quality-metrics")
        .and(warp::get())
        .and(auth())
        .then(quality_metrics)
        .map(done);
    let file = warp::path!("api" / "bulk-upload" / "files" / Uuid)
        .and(warp::get())
        .and(auth())
        .then(serve_file)
        .map(done);
    let confirm = warp::path!("api" / "bulk-upload" / "items" / Uuid / "confirm")
        .and(warp::post())
        .and(auth())
        .and(body())
        .then(confirm_item)
        .map(done);
    let skip = warp::path!("api" / "bulk-upload" / "items" / Uuid / "skip")
        .and(warp::post())
        .and(auth())
        .then(skip_item)
        .map(done);
    let items = warp::path!("api" / "bulk-upload" / Uuid / "items")
        .and(warp::get())
        .and(auth())
        .and(query())
        .then(list_items)
        .map(done);
    let detail = warp::path!("api" / "bulk-upload" / Uuid)
        .and(warp::get())
        .and(auth())
        .then(get_batch)
        .map(done);
    create
        .or(list)
        .unify()
        .or(metrics)
        .unify()
        .or(file)
        .unify()
        .or(confirm)
        .unify()
        .or(skip)
        .unify()
        .or(items)
        .unify()
        .or(detail)
        .unify()
        .boxed()
}

#[utoipa::path(post, path = "/api/bulk-upload/", tag = "bulk-upload",
    request_body(content_type = "multipart/form-data", description = "Fields `files`: .pdf, .png, .jpg, .jpeg, .tiff or .webp, at most 20 MB each"),
    security(("token" = [])),
    responses(
        (status = 201, description = "The batch; processing starts in the background. Refused files are in `file_errors`", body = BatchView),
        (status = 400, description = "No file, or every file refused (the reasons under `files`)"),
        (status = 400, description = "No files sent"),
        (status = 413, description = "The request is larger than 512 MiB, or the files would exceed the tenant's storage quota"),
    ))]
pub async fn create_batch(
    state: State,
    authorization: Option<String>,
    form: Result<FormData, ApiError>,
) -> Result<Response, ApiError> {
    let caller = state.caller(authorization)?;
    let quota = state.config.storage_quota_bytes;
    let store = state.store().clone();
    let tenant = caller.tenant_id;
    let used =
        crate::blocking::blocking(move || certwatch_store::bulk::stored_bytes(&store, tenant))
            .await??;
    let files = upload::files(
        form?,
        "files",
        MAX_FILE_BYTES as u64,
        &state.store().data_dir().join("tmp"),
        upload::Budget {
            bytes: quota.saturating_sub(used),
            exceeded: format!(
                "These files would take the organization's stored documents past its quota of {} MiB ({} MiB used).",
                quota >> 20,
                used >> 20
            ),
        },
    )
    .await?;
    if files.is_empty() {
        return Err(ApiError::field(
            "files",
            "Send at least one file in a field named 'files'.",
        ));
    }
    let now = Utc::now();
    let batch_id = Uuid::new_v4();
    let mut file_errors = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut seen = HashSet::new();
    for upload::Upload {
        filename: name,
        file,
    } in files
    {
        let Some(file) = file else {
            file_errors.push(format!("File '{name}' is larger than 20 MB."));
            continue;
        };
        let content_type = match bulk::check_file(&name, &file.head, file.size) {
            Ok(ct) => ct,
            Err(e) => {
                file_errors.push(e);
                continue;
            }
        };
        let sha256 = file.sha256.clone();
        // The same file twice in a batch is one item.
        if !seen.insert(sha256.clone()) {
            continue;
        }
        let dir = state.store().data_dir().to_path_buf();
        let (sha, size, path) = (sha256.clone(), file.size, file.path.clone());
        file_io("storing", move || bulk::store_file(&dir, &sha, &path)).await?;
        drop(file);
        items.push(Item {
            id: Uuid::new_v4(),
            tenant_id: caller.tenant_id,
            batch_id,
            filename: name,
            content_type: content_type.to_string(),
            sha256,
            size,
            status: ItemStatus::Pending,
            extracted: Extracted::default(),
            organization_id: None,
            match_reason: None,
            certificate_id: None,
            other_certificate_ids: Vec::new(),
            reason: None,
            corrections: Vec::new(),
            created_at: now,
            updated_at: now,
        });
    }
    // Every file refused: no batch of nothing, the request is refused with the reasons.
    if items.is_empty() {
        return Err(ApiError::Fields(
            [("files".to_string(), file_errors)].into_iter().collect(),
        ));
    }
    let batch = Batch {
        id: batch_id,
        tenant_id: caller.tenant_id,
        status: BatchStatus::Pending,
        file_errors,
        created_at: now,
        updated_at: now,
    };
    let view_items = items.clone();
    let batch = state
        .actors
        .tenant(caller.tenant_id, |reply| BulkMsg::CreateBatch {
            batch,
            items,
            reply,
        })
        .await?;
    Ok(json_reply(
        StatusCode::CREATED,
        &batch_view(batch, &view_items),
    ))
}

#[utoipa::path(get, path = "/api/bulk-upload/", tag = "bulk-upload",
    params(("page" = Option<usize>, Query, description = "Page number, from 1"), ("page_size" = Option<usize>, Query, description = "Results per page (default 20, max 500)")),
    security(("token" = [])),
    responses((status = 200, description = "Batches, newest first", body = Page<BatchView>)))]
pub async fn list_batches(
    state: State,
    authorization: Option<String>,
    q: Query,
) -> Result<Response, ApiError> {
    let caller = state.caller(authorization)?;
    let tenant = caller.tenant_id;
    let mut views = Vec::new();
    for batch in tables::bulk_batches::of_tenant(state.store(), tenant)? {
        let items = tables::bulk_items::of_batch(state.store(), tenant, batch.id)?;
        views.push(batch_view(batch, &items));
    }
    Ok(json_reply(
        StatusCode::OK,
        &paginate_vec(views, &q, &state.public_url(), "/api/bulk-upload/")?,
    ))
}

#[utoipa::path(get, path = "/api/bulk-upload/{id}/", tag = "bulk-upload",
    params(("id" = Uuid, Path, description = "Batch id")),
    security(("token" = [])),
    responses((status = 200, description = "The batch with live counts", body = BatchView), (status = 404, description = "Not in this tenant")))]
pub async fn get_batch(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.caller(authorization)?;
    let batch = tables::bulk_batches::get(state.store(), caller.tenant_id, id)?
        .ok_or(ApiError::NotFound)?;
    let items = tables::bulk_items::of_batch(state.store(), caller.tenant_id, id)?;
    Ok(json_reply(StatusCode::OK, &batch_view(batch, &items)))
}

#[utoipa::path(get, path = "/api/bulk-upload/{id}/items/", tag = "bulk-upload",
    params(("id" = Uuid, Path, description = "Batch id"), ("page" = Option<usize>, Query, description = "Page number, from 1"), ("page_size" = Option<usize>, Query, description = "Results per page (default 20, max 500)")),
    security(("token" = [])),
    responses((status = 200, description = "The batch's items in upload order", body = Page<ItemView>), (status = 404, description = "Not in this tenant")))]
pub async fn list_items(
    id: Uuid,
    state: State,
    authorization: Option<String>,
    q: Query,
) -> Result<Response, ApiError> {
    let caller = state.caller(authorization)?;
    tables::bulk_batches::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    let views: Vec<ItemView> = tables::bulk_items::of_batch(state.store(), caller.tenant_id, id)?
        .into_iter()
        .map(|i| item_view(&state, i))
        .collect();
    let path = format!("/api/bulk-upload/{id}/items/");
    Ok(json_reply(
        StatusCode::OK,
        &paginate_vec(views, &q, &state.public_url(), &path)?,
    ))
}

#[utoipa::path(post, path = "/api/bulk-upload/items/{id}/confirm/", tag = "bulk-upload",
    params(("id" = Uuid, Path, description = "Item id")),
    request_body = ConfirmWrite,
    security(("token" = [])),
    responses(
        (status = 200, description = "The certificate is filed; the item is matched", body = ItemView),
        (status = 400, description = "Field errors, or the item does not need review"),
        (status = 404, description = "Not in this tenant"),
    ))]
pub async fn confirm_item(
    id: Uuid,
    state: State,
    authorization: Option<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = state.caller(authorization)?;
    tables::bulk_items::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    let mut input = Input::parse(body, false)?;
    let organization_id = input.required_uuid("organization_id");
    let code = input.required_parsed(
        "certificate_type_code",
        rules::type_code,
        "Use upper-case letters, digits and _ (like ISO_9001).",
    );
    let number = input.required_text("certificate_number", 100);
    let issuing_body = input.text("issuing_body", 200);
    let scope = input.text("scope", 2000);
    let date_message = super::certificates::DATE_MESSAGE;
    let issue_date = input.optional_parsed("issue_date", rules::certificate_date, date_message);
    let expiry_date = input.required_parsed("expiry_date", rules::certificate_date, date_message);
    input.finish()?;
    let (Some(organization_id), Some(code), Some(number), Some(expiry_date)) =
        (organization_id, code, number, expiry_date)
    else {
        return Err(ApiError::BadRequest("Incomplete confirmation.".into()));
    };
    let confirmation = Confirmation {
        organization_id,
        certificate_type_code: code,
        certificate_number: number,
        issuing_body: issuing_body.unwrap_or_default(),
        scope: scope.unwrap_or_default(),
        issue_date: issue_date.flatten(),
        expiry_date,
    };
    let item = state
        .actors
        .tenant(caller.tenant_id, |reply| BulkMsg::ConfirmItem {
            item: id,
            confirmation,
            reply,
        })
        .await?;
    Ok(json_reply(StatusCode::OK, &item_view(&state, item)))
}

#[utoipa::path(post, path = "/api/bulk-upload/items/{id}/skip/", tag = "bulk-upload",
    params(("id" = Uuid, Path, description = "Item id")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The item is skipped", body = ItemView),
        (status = 400, description = "The item does not need review"),
        (status = 404, description = "Not in this tenant"),
    ))]
pub async fn skip_item(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.caller(authorization)?;
    let item = state
        .actors
        .tenant(caller.tenant_id, |reply| BulkMsg::SkipItem {
            item: id,
            reply,
        })
        .await?;
    Ok(json_reply(StatusCode::OK, &item_view(&state, item)))
}

#[utoipa::path(get, path = "/api/bulk-upload/files/{id}/", tag = "bulk-upload",
    params(("id" = Uuid, Path, description = "Item id")),
    security(("token" = [])),
    responses((status = 200, description = "The uploaded file with its Content-Type"), (status = 404, description = "Not in this tenant")))]
pub async fn serve_file(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.caller(authorization)?;
    let item =
        tables::bulk_items::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    let dir = state.store().data_dir().to_path_buf();
    let sha = item.sha256.clone();
    let bytes = file_io("reading", move || bulk::read_stored(&dir, &sha)).await?;
    let mut response = Response::new(bytes.into());
    let headers = response.headers_mut();
    let value = |v: &str| {
        warp::http::HeaderValue::from_str(v).map_err(|e| ApiError::Internal(e.to_string()))
    };
    headers.insert("content-type", value(&item.content_type)?);
    let disposition = format!(
        "inline; filename=\"{}\"",
        item.filename.replace(['"', '\r', '\n'], "")
    );
    if let Ok(v) = value(&disposition) {
        headers.insert("content-disposition", v);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/api/bulk-upload/quality-metrics/", tag = "bulk-upload",
    security(("token" = [])),
    responses((status = 200, description = "Totals across the tenant's batches", body = QualityMetricsView)))]
pub async fn quality_metrics(
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.caller(authorization)?;
    let m = certwatch_store::bulk::quality_metrics(state.store(), caller.tenant_id)?;
    let c = &m.counts;
    Ok(json_reply(
        StatusCode::OK,
        &QualityMetricsView {
            total_batches: m.batches,
            total_items: c.total,
            total_processed: c.processed,
            matched: c.matched,
            needs_review: c.needs_review,
            failed: c.failed,
            skipped: c.skipped,
            pending: c.pending,
            auto_match_rate: c.auto_match_rate(),
            failure_rate: c.failure_rate(),
            most_corrected_fields: m
                .corrections
                .into_iter()
                .map(|(field, count)| CorrectedField { field, count })
                .collect(),
        },
    ))
}
